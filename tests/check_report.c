// SPDX-License-Identifier: GPL-2.0
/*
 * check_report.c - `hldbench report` and `hldbench compare` on the trimmed
 * real runs of tests/fixtures/report/: the Markdown and HTML carry the
 * figures of run.json, the HTML is self-contained with its tables and inline
 * SVGs, headless Chromium renders it to a PNG that is decoded here and must
 * not be blank, and the inlined flame graph's script runs (a search given on
 * the page's URL highlights frames). Also the noise verdicts of compare on
 * a table of cases, and the errors of both commands.
 *
 * Chromium (Debian package chromium, in DEPS_PKGS) missing: the rendering
 * cases say SKIP; the rest still run.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "compare.h"
#include "run-command.h"

#define FIX "tests/fixtures/report/"
#define WIN_W 1280
#define WIN_H 2400

static const char *hldbench = "build/hldbench";
static char tmp[] = "/tmp/hld-report-XXXXXX";

/* Path of @name in @dir, in one of eight static buffers used in turn. */
static const char *in(const char *dir, const char *name)
{
	static char buf[8][1024];
	static int next;
	char *b = buf[next++ % 8];

	snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
	return b;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_msg(f, "cannot open %s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	ck_assert(buf);
	ck_assert_int_eq(fread(buf, 1, n, f), n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Run hldbench with the arguments up to a NULL; its exit code, stderr in @err_path. */
static int hld(const char *err_path, ...)
{
	const char *argv[16] = { hldbench };
	char err[600], out[600];
	va_list ap;
	int n = 1;

	snprintf(err, sizeof(err), "%s", err_path ? err_path : "/dev/null");
	snprintf(out, sizeof(out), "%s/out.log", tmp);
	va_start(ap, err_path);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	return run_command(argv, out, err);
}

/* A copy of fixture @name under the temporary directory (reports write into RUN). */
static const char *fixture(const char *name)
{
	static char dst[3][512];
	static int next;
	char *d = dst[next++ % 3];
	const char *argv[] = { "cp", "-r", NULL, NULL, NULL };
	char src[256];

	snprintf(src, sizeof(src), FIX "%s", name);
	snprintf(d, 512, "%s/%s", tmp, name);
	if (access(d, F_OK)) {
		argv[2] = src;
		argv[3] = d;
		ck_assert_int_eq(run_command(argv, NULL, NULL), 0);
	}
	return d;
}

/* No reference that a browser would fetch: the page must be one file. */
static void assert_self_contained(const char *html)
{
	static const char *const bad[] = { "src=\"http", "src='http", "href=\"http",
		"href='http", "url(http", "url('http", "@import", "<link", "<iframe", "<img" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!strstr(html, bad[i]), "the page refers outside itself: %s", bad[i]);
	/* the only http: in the page are XML namespace names, never fetched */
	for (const char *p = strstr(html, "http"); p; p = strstr(p + 1, "http"))
		ck_assert_msg(!strncmp(p, "http://www.w3.org/", 18), "URL in the page: %.60s", p);
}

/* The HTML table whose header row has every one of @heads. */
static void assert_table(const char *html, const char *const *heads, size_t n)
{
	for (const char *t = strstr(html, "<table>"); t; t = strstr(t + 1, "<table>")) {
		const char *end = strstr(t, "</thead>");
		size_t found = 0;

		for (size_t i = 0; end && i < n; i++) {
			char th[128];
			const char *h;

			snprintf(th, sizeof(th), "<th>%s</th>", heads[i]);
			h = strstr(t, th);
			found += h && h < end;
		}
		if (found == n)
			return;
	}
	ck_abort_msg("no table headed %s, ...", heads[0]);
}

/* --- PNG: enough of the format to check a screenshot ------------------------------- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

struct png_stats {
	uint32_t w, h;
	size_t colours;		/* distinct colours, counted up to 512 */
	double non_white;	/* share of pixels that are not near-white */
};

/*
 * Decode an 8-bit RGB or RGBA PNG (what Chromium writes): the IHDR, the
 * IDAT stream inflated, each scanline unfiltered (PNG filters 0-4); then
 * count its colours.
 */
static void png_decode(const char *path, struct png_stats *st)
{
	FILE *f = fopen(path, "r");
	unsigned char sig[8], hdr[8], *idat = NULL, *raw, *prev;
	size_t nidat = 0, bpp = 0, stride;
	uint32_t *seen = calloc(512, sizeof(*seen));
	size_t nonwhite = 0;
	z_stream zs = { 0 };

	ck_assert_msg(f, "no screenshot %s", path);
	ck_assert(fread(sig, 1, 8, f) == 8 && !memcmp(sig, "\x89PNG\r\n\x1a\n", 8));
	while (fread(hdr, 1, 8, f) == 8) {
		uint32_t len = be32(hdr);
		unsigned char *data = malloc(len + 4);

		ck_assert(data && fread(data, 1, len + 4, f) == len + 4);
		if (!memcmp(hdr + 4, "IHDR", 4)) {
			st->w = be32(data);
			st->h = be32(data + 4);
			ck_assert_msg(data[8] == 8 && (data[9] == 2 || data[9] == 6) && !data[12],
				      "not an 8-bit RGB(A) non-interlaced PNG");
			bpp = data[9] == 6 ? 4 : 3;
		} else if (!memcmp(hdr + 4, "IDAT", 4)) {
			idat = realloc(idat, nidat + len);
			memcpy(idat + nidat, data, len);
			nidat += len;
		}
		free(data);
	}
	fclose(f);
	ck_assert_msg(bpp && nidat, "PNG without IHDR or IDAT");
	stride = st->w * bpp;
	raw = malloc((stride + 1) * st->h);
	prev = calloc(stride, 1);
	ck_assert(raw && prev && seen);
	ck_assert_int_eq(inflateInit(&zs), Z_OK);
	zs.next_in = idat;
	zs.avail_in = nidat;
	zs.next_out = raw;
	zs.avail_out = (stride + 1) * st->h;
	ck_assert_int_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
	inflateEnd(&zs);
	for (uint32_t y = 0; y < st->h; y++) {
		unsigned char *line = raw + y * (stride + 1), *px = line + 1;

		for (size_t x = 0; x < stride; x++) {
			int a = x >= bpp ? px[x - bpp] : 0, b = prev[x];
			int c = x >= bpp ? prev[x - bpp] : 0;

			switch (line[0]) {
			case 1: px[x] += a; break;
			case 2: px[x] += b; break;
			case 3: px[x] += (a + b) / 2; break;
			case 4: px[x] += paeth(a, b, c); break;
			}
		}
		for (size_t x = 0; x < stride; x += bpp) {
			uint32_t rgb = px[x] << 16 | px[x + 1] << 8 | px[x + 2];

			if (px[x] < 240 || px[x + 1] < 240 || px[x + 2] < 240)
				nonwhite++;
			for (size_t k = 0; k < 512; k++) {
				if (seen[k] == rgb + 1)
					break;
				if (!seen[k]) {
					seen[k] = rgb + 1;
					st->colours++;
					break;
				}
			}
		}
		memcpy(prev, px, stride);
	}
	st->non_white = (double)nonwhite / ((double)st->w * st->h);
	free(idat);
	free(raw);
	free(prev);
	free(seen);
}

static bool have_chromium(void)
{
	const char *argv[] = { "chromium", "--version", NULL };

	return run_command(argv, NULL, NULL) == 0;
}

/* Render @html (a file) in headless Chromium; --dump-dom's output to @dom if set. */
static void chromium(const char *html, const char *query, const char *png, const char *dom)
{
	char url[1024], shot[600], size[64], profile[600];
	const char *argv[] = { "chromium", "--headless", "--no-sandbox", "--disable-gpu",
		"--hide-scrollbars", "--no-first-run", profile, size,
		"--virtual-time-budget=3000", dom ? "--dump-dom" : shot, url, NULL };

	snprintf(url, sizeof(url), "file://%s%s", html, query ? query : "");
	snprintf(shot, sizeof(shot), "--screenshot=%s", png ? png : "/dev/null");
	snprintf(size, sizeof(size), "--window-size=%d,%d", WIN_W, WIN_H);
	snprintf(profile, sizeof(profile), "--user-data-dir=%s/chromium-profile", tmp);
	ck_assert_int_eq(run_command(argv, dom, in(tmp, "chromium.log")), 0);
}

/* The page rendered: a PNG of the window's size, many colours, mostly not blank. */
static void assert_renders(const char *html, const char *png)
{
	struct png_stats st = { 0 };

	chromium(html, NULL, png, NULL);
	png_decode(png, &st);
	printf("%s: %ux%u, %zu colours, %.1f%% not white\n", png, st.w, st.h, st.colours,
	       st.non_white * 100);
	ck_assert_int_eq(st.w, WIN_W);
	ck_assert_int_eq(st.h, WIN_H);
	ck_assert_msg(st.colours >= 64, "only %zu colours: not the report", st.colours);
	ck_assert_msg(st.non_white > 0.05, "%.1f%% of the page drawn", st.non_white * 100);
}

/* --- report ------------------------------------------------------------------------- */

START_TEST(test_report_files)
{
	const char *run = fixture("run-a");
	char *md, *html;
	static const char *const overhead[] = { "load", "unit", "baseline", "diagnosed",
		"loss median", "loss min..max" };
	static const char *const accuracy[] = { "feature", "figure", "measured", "truth",
		"error" };
	static const char *const drops[] = { "source", "events", "dropped", "by cause" };

	ck_assert_int_eq(hld(NULL, "report", run, NULL), 0);
	md = slurp(in(run, "summary.md"));
	/* figures of run.json, in the words summary.md has always used */
	ck_assert_ptr_nonnull(strstr(md, "six CPU-bound workers on 2 CPUs: load 6  \n"));
	ck_assert_ptr_nonnull(strstr(md, "achieved **7.57** (R 7.52 + D 0.04), over by 26.1%"));
	ck_assert_ptr_nonnull(strstr(md, "| cpu | bogo-ops/s | "));
	ck_assert_ptr_nonnull(strstr(md, "| -1.82% | -15.98%..+12.35% |"));
	ck_assert_ptr_nonnull(strstr(md, "error **0.52 pp**"));
	ck_assert_ptr_nonnull(strstr(md, "- perf: 1601 events, 0 dropped"));
	ck_assert_ptr_nonnull(strstr(md, "= 0.44% of one CPU"));
	html = slurp(in(run, "report.html"));
	assert_self_contained(html);
	assert_table(html, overhead, 6);
	assert_table(html, accuracy, 5);
	assert_table(html, drops, 4);
	ck_assert_ptr_nonnull(strstr(html, "<svg id=\"svg-load-trend\""));
	ck_assert_ptr_nonnull(strstr(html, "<svg id=\"svg-flame\""));
	ck_assert_ptr_nonnull(strstr(html, "<td>69.98%</td>"));	/* the truth share */
	/* re-drawn, as the fixture has neither */
	ck_assert(!access(in(run, "load-trend.svg"), F_OK));
	ck_assert(!access(in(run, "flame.svg"), F_OK));
	free(md);
	free(html);
}
END_TEST

/* The statistics of run.json (branch stats): estimate, interval, noise floor, verdict. */
START_TEST(test_report_stats)
{
	const char *run = fixture("stats-run");
	char *md;

	ck_assert_int_eq(hld(NULL, "report", run, NULL), 0);
	md = slurp(in(run, "summary.md"));
	ck_assert_ptr_nonnull(strstr(md, "| hldbench | cpu | bogo-ops/s | 1714.4 (49.3) | "
				     "1699.0 (120.1) | **+3.77%** | -1.91%..+8.41% | 96.9% | 6 | "
				     "±18.80% (this run's baselines) | no overhead beyond"));
	ck_assert_ptr_nonnull(strstr(md, "1 warm-up phase(s) first"));
	ck_assert_ptr_nonnull(strstr(md, "four CPU workers on 2 CPUs"));
	free(md);
}
END_TEST

START_TEST(test_report_renders)
{
	const char *run = fixture("run-a");
	char html[600], dom[600];
	char *d;

	if (!have_chromium()) {
		printf("SKIP %s: chromium is not installed (make deps installs it)\n", __func__);
		return;
	}
	ck_assert_int_eq(hld(NULL, "report", run, NULL), 0);
	snprintf(html, sizeof(html), "%s/report.html", run);
	assert_renders(html, in(tmp, "report.png"));
	/* the flame graph's own script ran inline: ?s= searched and highlighted */
	snprintf(dom, sizeof(dom), "%s/report-dom.html", tmp);
	chromium(html, "?s=stress-ng", NULL, dom);
	d = slurp(dom);
	ck_assert_msg(strstr(d, ">Matched: "), "the inlined flame graph did not search");
	ck_assert_ptr_nonnull(strstr(d, "fill=\"rgb(230,0,230)\""));
	free(d);
}
END_TEST

/* --- compare ------------------------------------------------------------------------ */

START_TEST(test_compare_files)
{
	const char *a = fixture("run-a"), *b = fixture("run-b");
	char out[600], *md, *html, *err;
	static const char *const overhead[] = { "tool / load", "run", "overhead", "interval",
		"noise floor", "delta vs A", "beyond the noise?" };
	static const char *const accuracy[] = { "figure", "run", "value", "delta vs A",
		"beyond the noise?" };

	snprintf(out, sizeof(out), "%s/cmp", tmp);
	ck_assert_int_eq(hld(in(tmp, "cmp.err"), "compare", "-o", out, a, b, NULL), 0);
	err = slurp(in(tmp, "cmp.err"));
	ck_assert_msg(!strstr(err, "warning"), "same set-up flagged: %s", err);
	md = slurp(in(out, "compare.md"));
	/* A -1.82 (pairs -15.98..12.35), B +8.60 (6.45..10.75): +10.42, ranges overlap */
	ck_assert_ptr_nonnull(strstr(md, "| hldbench / cpu | B | +8.60% (2 pairs) | "
				     "+6.45..+10.75 (pair range) | n/a | +10.42 pp | no |"));
	ck_assert_ptr_nonnull(strstr(md, "| A | 0.52 pp | 3638 samples |"));
	html = slurp(in(out, "compare.html"));
	assert_self_contained(html);
	assert_table(html, overhead, 7);
	assert_table(html, accuracy, 5);
	ck_assert_ptr_nonnull(strstr(html, "<svg id=\"svg-load-trends\""));
	ck_assert_ptr_nonnull(strstr(html, "<svg id=\"svg-diff-flame-B\""));
	ck_assert_ptr_null(strstr(html, "setup-warning"));
	ck_assert(!access(in(out, "load-trends.png"), F_OK));
	ck_assert(!access(in(out, "diff-flame-B.svg"), F_OK));
	free(err);
	free(md);
	free(html);
}
END_TEST

START_TEST(test_compare_flags_differences)
{
	const char *a = fixture("run-a"), *s = fixture("stats-run");
	char out[600], *err, *html;

	snprintf(out, sizeof(out), "%s/cmp-diff", tmp);
	ck_assert_int_eq(hld(in(tmp, "cmp-diff.err"), "compare", "-q", "-o", out, a, s, NULL), 0);
	err = slurp(in(tmp, "cmp-diff.err"));
	ck_assert_ptr_nonnull(strstr(err, "warning: the runs differ in set-up"));
	ck_assert_ptr_nonnull(strstr(err, "scenario differs: A cpu-load6, B ci-overhead"));
	html = slurp(in(out, "compare.html"));
	ck_assert_ptr_nonnull(strstr(html, "id=\"setup-warning\""));
	ck_assert_ptr_nonnull(strstr(html, "scenario differs: A cpu-load6, B ci-overhead"));
	/* B's signed-rank interval is used against A's pair range */
	ck_assert_ptr_nonnull(strstr(html, "pair range -15.98..12.35 vs 96.9% CI -1.91..8.41"));
	free(err);
	free(html);
}
END_TEST

START_TEST(test_compare_renders)
{
	const char *a = fixture("run-a"), *b = fixture("run-b");
	char out[600], html[700];

	if (!have_chromium()) {
		printf("SKIP %s: chromium is not installed (make deps installs it)\n", __func__);
		return;
	}
	snprintf(out, sizeof(out), "%s/cmp-render", tmp);
	ck_assert_int_eq(hld(NULL, "compare", "-q", "-o", out, a, b, NULL), 0);
	snprintf(html, sizeof(html), "%s/compare.html", out);
	assert_renders(html, in(tmp, "compare.png"));
}
END_TEST

/* --- errors ------------------------------------------------------------------------- */

START_TEST(test_errors)
{
	char *err;

	ck_assert_int_eq(hld(in(tmp, "e1"), "report", tmp, NULL), 2);
	err = slurp(in(tmp, "e1"));
	ck_assert_msg(strstr(err, ": not a hldbench result directory (no run.json)"), "%s", err);
	free(err);
	ck_assert_int_eq(hld(in(tmp, "e2"), "compare", fixture("run-a"), tmp, NULL), 2);
	err = slurp(in(tmp, "e2"));
	ck_assert_msg(strstr(err, ": not a hldbench result directory (no run.json)"), "%s", err);
	free(err);
	ck_assert_int_eq(hld(NULL, "compare", fixture("run-a"), NULL), 2);
	ck_assert_int_eq(hld(NULL, "report", NULL), 2);
	ck_assert_int_eq(hld(NULL, "report", "--bogus", NULL), 2);
	ck_assert_int_eq(hld(NULL, "report", "--help", NULL), 0);
	ck_assert_int_eq(hld(NULL, "compare", "--help", NULL), 0);
}
END_TEST

/* --- the noise verdict --------------------------------------------------------------- */

static const struct verdict_case {
	double a_med, a_lo, a_hi, a_floor;
	double b_med, b_lo, b_hi, b_floor;
	int pairs;
	enum cmp_verdict want;
} verdicts[] = {
	{ 1, 0, 2, NAN, 5, 4, 6, NAN, 6, CMP_BEYOND },	/* intervals apart */
	{ 1, 0, 2, NAN, 2, 1.5, 3, NAN, 6, CMP_WITHIN },	/* they overlap */
	{ 1, 0, 2, 5, 4, 3, 5, NAN, 6, CMP_WITHIN },	/* apart, but within A's floor */
	{ 1, 0, 2, 2, 4, 3, 5, 1, 6, CMP_BEYOND },	/* apart and over the larger floor */
	{ 1, NAN, NAN, NAN, 4, NAN, NAN, NAN, 1, CMP_UNKNOWN },	/* one pair, no CI */
	{ 1, NAN, NAN, 1, 4, NAN, NAN, NAN, 1, CMP_BEYOND },	/* one pair, a floor */
	{ 1, -1, 3, NAN, -4, -5, -3, NAN, 6, CMP_BEYOND },	/* shrank beyond the noise */
};

START_TEST(test_verdict)
{
	const struct verdict_case *c = &verdicts[_i];
	struct rr_overhead a = { .pairs = c->pairs, .loss_median = c->a_med,
		.overhead_pct = c->a_med, .ci_lo = c->a_lo, .ci_hi = c->a_hi,
		.confidence = 0.969, .noise_floor_pct = c->a_floor,
		.loss_min = NAN, .loss_max = NAN };
	struct rr_overhead b = { .pairs = c->pairs, .loss_median = c->b_med,
		.overhead_pct = c->b_med, .ci_lo = c->b_lo, .ci_hi = c->b_hi,
		.confidence = 0.969, .noise_floor_pct = c->b_floor,
		.loss_min = NAN, .loss_max = NAN };
	struct cmp_delta d;

	cmp__overhead(&a, &b, &d);
	ck_assert_msg(d.verdict == c->want, "case %d: verdict %d, want %d (%s)", _i, d.verdict,
		      c->want, d.basis);
	ck_assert(fabs(d.delta - (c->b_med - c->a_med)) < 1e-9);
}
END_TEST

/* The pair range stands in for a CI in runs without the statistics. */
START_TEST(test_verdict_pair_range)
{
	struct rr_overhead a = { .pairs = 3, .loss_median = 1, .loss_min = 0, .loss_max = 2,
		.overhead_pct = NAN, .ci_lo = NAN, .ci_hi = NAN, .noise_floor_pct = NAN };
	struct rr_overhead b = a;
	struct cmp_delta d;

	b.loss_median = 6, b.loss_min = 5, b.loss_max = 7;
	cmp__overhead(&a, &b, &d);
	ck_assert_int_eq(d.verdict, CMP_BEYOND);
	ck_assert_ptr_nonnull(strstr(d.basis, "pair range 0.00..2.00 vs pair range 5.00..7.00"));
}
END_TEST

static void setup(void)
{
	if (getenv("HLDBENCH"))
		hldbench = getenv("HLDBENCH");
}

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *files = tcase_create("files"), *render = tcase_create("render");
	TCase *verdict = tcase_create("verdict");

	tcase_add_unchecked_fixture(files, setup, NULL);
	tcase_set_timeout(files, 60);
	tcase_add_test(files, test_report_files);
	tcase_add_test(files, test_report_stats);
	tcase_add_test(files, test_compare_files);
	tcase_add_test(files, test_compare_flags_differences);
	tcase_add_test(files, test_errors);
	suite_add_tcase(s, files);

	tcase_add_unchecked_fixture(render, setup, NULL);
	tcase_set_timeout(render, 120);
	tcase_add_test(render, test_report_renders);
	tcase_add_test(render, test_compare_renders);
	suite_add_tcase(s, render);

	tcase_add_loop_test(verdict, test_verdict, 0, sizeof(verdicts) / sizeof(verdicts[0]));
	tcase_add_test(verdict, test_verdict_pair_range);
	suite_add_tcase(s, verdict);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	sr = srunner_create(report_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (!failed) {
		const char *argv[] = { "rm", "-rf", tmp, NULL };

		run_command(argv, NULL, NULL);
	}
	return failed ? 1 : 0;
}
