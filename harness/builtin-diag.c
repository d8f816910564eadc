// SPDX-License-Identifier: GPL-2.0
/*
 * builtin-diag.c - `hldbench diag list`: every feature, on every backend,
 * whether it can run here, and if not, why; and `hldbench diag FEATURE
 * --activate ... --report ... --deactivate`, the diagnose-tools command set,
 * with the activation pinned in bpffs so that it outlives the command.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf-util.h"
#include "builtin.h"
#include "diag-test.h"
#include "diag.h"
#include "flamegraph.h"
#include "folded.h"
#include "hld_ioctl.h"


static const struct diag_backend *const backends[] = {
	&diag_backend_bpf,
	&diag_backend_kmod,
};
#define NR_BACKENDS (int)(sizeof(backends) / sizeof(backends[0]))

/* Availability of @feature on @b: 0, or -errno with the reason in @why. */
static int feature_status(const struct diag_backend *b, const char *feature,
			  char *why, size_t len)
{
	const struct diag_ops *ops;
	int err = b->probe(why, len);

	if (err)
		return err;
	ops = diag__find(b, feature, why, len);
	if (!ops)
		return -1;
	why[0] = '\0';		/* an available feature may still say what it cannot show */
	return ops->probe ? ops->probe(why, len) : 0;
}

/* Is @name one of the peer backends? */
static bool peer_named(const char *name)
{
	for (const struct diag_backend *const *p = diag_peer_backends; *p; p++)
		if (!strcmp((*p)->name, name))
			return true;
	return false;
}

/* Does peer backend @b implement feature @id? */
static bool peer_has(const struct diag_backend *b, int id)
{
	for (const struct diag_ops *const *o = b->features; *o; o++)
		if ((int)(*o)->id == id)
			return true;
	return false;
}

static void list_text(bool peers)
{
	char why[512];

	for (int i = 0; i < DIAG_FEATURE__MAX; i++) {
		printf("%-14s %s\n", diag_descs[i].name, diag_descs[i].summary);
		for (int b = 0; b < NR_BACKENDS; b++) {
			int err = feature_status(backends[b], diag_descs[i].name, why, sizeof(why));

			printf("  %-5s %s%s%s\n", backends[b]->name, err ? "unavailable" : "available",
			       why[0] ? ": " : "", why);
		}
		for (const struct diag_backend *const *p = diag_peer_backends; peers && *p; p++) {
			int err;

			if (!peer_has(*p, i))
				continue;
			err = feature_status(*p, diag_descs[i].name, why, sizeof(why));
			printf("  peer %-8s %s%s%s\n", (*p)->name, err ? "unavailable" : "available",
			       why[0] ? ": " : "", why);
		}
	}
}

/* The availability of @b for feature @i, as the JSON object named after @b. */
static void list_json_backend(struct json_writer *j, const struct diag_backend *b, int i)
{
	char why[512];
	int err = feature_status(b, diag_descs[i].name, why, sizeof(why));

	json__begin_object(j, b->name);
	json__bool(j, "available", !err);
	json__str(j, "reason", err ? why : NULL);
	json__str(j, "note", !err && why[0] ? why : NULL);
	json__end_object(j);
}

static void list_json(bool peers)
{
	struct json_writer j;

	json__init(&j, stdout, true);
	json__begin_array(&j, NULL);
	for (int i = 0; i < DIAG_FEATURE__MAX; i++) {
		json__begin_object(&j, NULL);
		json__str(&j, "name", diag_descs[i].name);
		json__str(&j, "summary", diag_descs[i].summary);
		json__begin_object(&j, "backends");
		for (int b = 0; b < NR_BACKENDS; b++)
			list_json_backend(&j, backends[b], i);
		json__end_object(&j);
		if (peers) {
			json__begin_object(&j, "peers");
			for (const struct diag_backend *const *p = diag_peer_backends; *p; p++)
				if (peer_has(*p, i))
					list_json_backend(&j, *p, i);
			json__end_object(&j);
		}
		json__end_object(&j);
	}
	json__end_array(&j);
	fputc('\n', stdout);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: hldbench diag list [--json] [--peers]\n"
		   "       hldbench diag FEATURE [--backend=bpf|kmod] [--activate[=\"key=value ...\"]]\n"
		   "                             [--settings] [--deactivate] [--test]\n"
		   "                             [--report[=\"json=1 flame=FILE.svg folded=FILE\"]]\n\n"
		   "  list          each diagnosis feature, on each backend: available, or why not\n"
		   "  --json        machine-readable output\n"
		   "  --peers       also the peer tools under test (perf, bpftrace, strace)\n"
		   "                that do FEATURE's job, and whether they can run here\n"
		   "  --backend     bpf (eBPF) or kmod (hld.ko, /dev/hld); default: the backend\n"
		   "                FEATURE is active on, else kmod where hld.ko is loaded and\n"
		   "                has FEATURE, else bpf; with --test also a peer: perf,\n"
		   "                bpftrace or strace (docs/peers.md)\n"
		   "  --activate    start FEATURE with these settings; it stays active after\n"
		   "                the command exits (bpf: pinned under " DIAG_PIN_ROOT ";\n"
		   "                kmod: kept by the module until --deactivate or rmmod)\n"
		   "  --settings    the active FEATURE's settings\n"
		   "  --report      what FEATURE collected since the last report, and what it\n"
		   "                dropped since activation; json=1: JSON instead of text;\n"
		   "                folded=FILE: its stacks, folded; flame=FILE.svg: as a flame graph\n"
		   "  --deactivate  stop FEATURE and remove what it pinned\n"
		   "  --test        provoke what FEATURE detects with a workload doing a known\n"
		   "                amount of work, and check the report against it (a private\n"
		   "                activation: a persistent one is not disturbed)\n"
		   "Options run in the order given. 'hldbench diag FEATURE --help' lists\n"
		   "FEATURE's settings.\n");
}

/*
 * Serialize the persistent commands of all features: two reports at once
 * would both flip a feature's generation and each get half the data; an
 * activation racing a deactivation would leave half-pinned objects. The
 * lock is an flock on the pin root, released when the process exits.
 */
static int pin_lock(void)
{
	int fd = open(DIAG_PIN_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK) {
			close(fd);
			return -errno;
		}
		fprintf(stderr, "hldbench diag: waiting for another hldbench diag command\n");
		if (flock(fd, LOCK_EX)) {
			close(fd);
			return -errno;
		}
	}
	return fd;
}

/*
 * Where @b keeps a persistent activation of @ops's feature: its directory
 * under DIAG_PIN_ROOT in @dir, or, for a backend that keeps them itself,
 * its device. Returns whether the feature is active there now.
 */
static bool feature_where(const struct diag_backend *b, const struct diag_ops *ops, char *dir,
			  size_t len)
{
	const struct diag_desc *d = &diag_descs[ops->id];
	char buf[HLD_SETTINGS_MAX];

	if (b->active_settings) {
		snprintf(dir, len, "%s", HLD_DEVICE);
		return d->settings_size <= sizeof(buf) &&
		       !b->active_settings(ops->id, buf, d->settings_size);
	}
	snprintf(dir, len, "%s/%s", DIAG_PIN_ROOT, d->name);
	return !access(dir, F_OK);
}

static int feature_activate(const struct diag_backend *b, const struct diag_ops *ops,
			    const char *dir, const char *text)
{
	const struct diag_desc *d = &diag_descs[ops->id];
	void *settings = calloc(1, d->settings_size ? d->settings_size : 1);
	struct diag_feature *f = NULL;
	char why[512], where[PATH_MAX];
	int err;

	if (!settings)
		return HLD_EXIT_FAIL;
	if (feature_where(b, ops, where, sizeof(where))) {
		fprintf(stderr, "hldbench diag %s: already active: deactivate it first "
			"(hldbench diag %s --deactivate)\n", d->name, d->name);
		free(settings);
		return HLD_EXIT_USAGE;
	}
	err = opts__defaults(d->opts, settings);
	if (!err && text)
		err = diag_desc__parse(d, text, settings, why, sizeof(why));
	if (!err && ops->check && ops->check(settings, why, sizeof(why)))
		err = -EINVAL;
	if (err == -EINVAL)
		fprintf(stderr, "hldbench diag %s: --activate: %s\n", d->name, why);
	if (err) {
		free(settings);
		return HLD_EXIT_USAGE;
	}
	if (!b->active_settings && mkdir(dir, 0700)) {
		fprintf(stderr, "hldbench diag %s: cannot create %s: %s\n", d->name, dir,
			strerror(errno));
		free(settings);
		return HLD_EXIT_FAIL;
	}
	f = diag__open(ops, settings);
	err = f ? 0 : -ENOMEM;
	if (!err) {
		f->pin_dir = dir;
		if (!b->active_settings)
			err = bpf_util__save_settings(dir, settings, d->settings_size);
	}
	if (!err)
		err = ops->activate(f);
	diag__close(f);		/* not marked active: the pinned links stay attached */
	free(settings);
	if (err) {
		fprintf(stderr, "hldbench diag %s: cannot activate: %s\n", d->name, strerror(-err));
		if (!b->active_settings)
			diag__remove_dir(dir);
		return HLD_EXIT_FAIL;
	}
	printf("%s activated\n", d->name);
	return HLD_EXIT_OK;
}

/* Open the active feature in this process: its settings, and its pinned maps or device. */
static struct diag_feature *feature_reopen(const struct diag_backend *b,
					   const struct diag_ops *ops, const char *dir)
{
	const struct diag_desc *d = &diag_descs[ops->id];
	char where[PATH_MAX];
	struct diag_feature *f;
	int err;

	if (!feature_where(b, ops, where, sizeof(where))) {
		fprintf(stderr, "hldbench diag %s: not active on the %s backend "
			"(hldbench diag %s --backend=%s --activate)\n", d->name, b->name, d->name,
			b->name);
		return NULL;
	}
	f = diag__open(ops, NULL);
	if (!f)
		return NULL;
	f->pin_dir = dir;
	if (b->active_settings)
		err = b->active_settings(ops->id, f->settings, d->settings_size);
	else
		err = bpf_util__load_settings(dir, f->settings, d->settings_size);
	if (!err)
		err = ops->reopen(f);
	if (err) {
		fprintf(stderr, "hldbench diag %s: cannot open the activation in %s: %s\n",
			d->name, dir, strerror(-err));
		diag__close(f);
		return NULL;
	}
	return f;
}

static int feature_settings(const struct diag_backend *b, const struct diag_ops *ops,
			    const char *dir)
{
	const struct diag_desc *d = &diag_descs[ops->id];
	struct diag_feature *f = feature_reopen(b, ops, dir);
	char buf[256];

	if (!f)
		return HLD_EXIT_FAIL;
	printf("%s settings:\n", d->name);
	for (const struct opt *o = d->opts; o->name; o++) {
		opts__format(o, f->settings, buf, sizeof(buf));
		printf("  %-14s %s\n", o->name, buf);
	}
	diag__close(f);
	return HLD_EXIT_OK;
}

/* Print @path to stdout. */
static int cat_file(const char *path)
{
	char buf[8192];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	while ((n = fread(buf, 1, sizeof(buf), f)))
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}

/* The arguments of --report="json=1 flame=FILE.svg folded=FILE". */
struct report_args {
	bool json;
	char flame[PATH_MAX], folded[PATH_MAX];
};

/* Parse @text into @ra; -EINVAL after saying which key or value is wrong. */
static int report_args__parse(struct report_args *ra, const char *name, const char *text)
{
	char *copy = strdup(text), *save = NULL;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (char *kv = strtok_r(copy, " \t,", &save); kv && !ret;
	     kv = strtok_r(NULL, " \t,", &save)) {
		char *eq = strchr(kv, '='), *val = eq ? eq + 1 : NULL;

		ret = -EINVAL;
		if (eq)
			*eq = '\0';
		if (!val || !*val)
			fprintf(stderr, "hldbench diag %s: --report: '%s': expected key=value\n",
				name, kv);
		else if (!strcmp(kv, "json") && (!strcmp(val, "0") || !strcmp(val, "1")))
			ret = 0, ra->json = *val == '1';
		else if (!strcmp(kv, "json"))
			fprintf(stderr, "hldbench diag %s: --report: json: '%s': accepted: 0 or 1\n",
				name, val);
		else if (!strcmp(kv, "flame") || !strcmp(kv, "folded"))
			ret = 0, snprintf(kv[1] == 'l' && kv[2] == 'a' ? ra->flame : ra->folded,
					  PATH_MAX, "%s", val);
		else
			fprintf(stderr, "hldbench diag %s: --report: %s: unknown key "
				"(accepted: json=0|1, flame=FILE.svg, folded=FILE)\n", name, kv);
	}
	free(copy);
	return ret;
}

/* Does @name end in @suffix? */
static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);

	return n > m && !strcmp(name + n - m, suffix);
}

/*
 * Print (cat) every *.txt of the report in @tmp, or merge every *.folded
 * into @fo; @fo NULL means the former. Returns the number of files used,
 * or -errno.
 */
static int report_files(const char *tmp, struct folded *fo)
{
	char path[PATH_MAX + 256];
	struct dirent *de;
	DIR *dd = opendir(tmp);
	int err = 0, n = 0;

	if (!dd)
		return -errno;
	while (!err && (de = readdir(dd))) {
		snprintf(path, sizeof(path), "%s/%s", tmp, de->d_name);
		if (!fo && has_suffix(de->d_name, ".txt"))
			err = cat_file(path);
		else if (fo && has_suffix(de->d_name, ".folded"))
			err = folded__load(fo, path, NULL);
		else
			continue;
		n++;
	}
	closedir(dd);
	return err ? err : n;
}

/* Write the report's stacks to ra->folded and/or ra->flame. */
static int report_stacks(const struct diag_desc *d, const char *tmp, const struct report_args *ra)
{
	struct folded *fo = folded__new();
	struct flamegraph_opts o;
	char title[128];
	int err = fo ? report_files(tmp, fo) : -ENOMEM;
	FILE *f;

	if (!err) {
		fprintf(stderr, "hldbench diag %s: --report: %s records no stacks: "
			"nothing for folded= or flame=\n", d->name, d->name);
		err = -ENODATA;
	} else if (err > 0) {
		err = 0;
		if (!folded__nr_stacks(fo))
			fprintf(stderr, "hldbench diag %s: no stacks since the last report: "
				"the folded file and flame graph are empty\n", d->name);
	}
	if (!err && ra->folded[0]) {
		f = fopen(ra->folded, "w");
		err = f ? folded__write(fo, f) : -errno;
		if (f && fclose(f) && !err)
			err = -EIO;
		if (err)
			fprintf(stderr, "hldbench diag %s: cannot write %s: %s\n", d->name,
				ra->folded, strerror(-err));
	}
	if (!err && ra->flame[0]) {
		flamegraph_opts__init(&o);
		snprintf(title, sizeof(title), "hldbench diag %s", d->name);
		o.title = title;
		f = fopen(ra->flame, "w");
		err = f ? flamegraph__write(fo, f, &o) : -errno;
		if (f && fclose(f) && !err)
			err = -EIO;
		if (err)
			fprintf(stderr, "hldbench diag %s: cannot write %s: %s\n", d->name,
				ra->flame, strerror(-err));
	}
	folded__free(fo);
	return err;
}

/*
 * Report what the active feature collected since the last report: its
 * report files are written into a temporary directory and the text ones
 * (or, with json=1, the JSON summary) are printed; its stacks optionally
 * go to a folded file and a flame graph.
 */
static int feature_report(const struct diag_backend *b, const struct diag_ops *ops,
			  const char *dir, const char *args)
{
	const struct diag_desc *d = &diag_descs[ops->id];
	char tmp[] = "/tmp/hldbench-report-XXXXXX", path[PATH_MAX + 32];
	struct report_args ra = { 0 };
	struct diag_feature *f;
	struct json_writer j;
	FILE *jf;
	int err;

	if (args && report_args__parse(&ra, d->name, args))
		return HLD_EXIT_USAGE;
	f = feature_reopen(b, ops, dir);
	if (!f)
		return HLD_EXIT_FAIL;
	if (!mkdtemp(tmp)) {
		diag__close(f);
		return HLD_EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "%s/summary.json", tmp);
	jf = fopen(path, "w");
	err = jf ? 0 : -errno;
	if (!err) {
		struct diag_outputs out = { .dir = tmp, .json = &j };

		json__init(&j, jf, true);
		json__begin_object(&j, NULL);
		json__str(&j, "feature", d->name);
		err = ops->report(f, &out);
		json__uint(&j, "events_since_last_report", f->events);
		json__uint(&j, "dropped_since_activation", f->drops);
		json__end_object(&j);
		fclose(jf);
	}
	if (!err && ra.json) {
		err = cat_file(path);
	} else if (!err) {
		printf("%s: %llu events since the last report, %llu dropped since activation\n",
		       d->name, (unsigned long long)f->events, (unsigned long long)f->drops);
		fflush(stdout);
		err = report_files(tmp, NULL);
		err = err < 0 ? err : 0;
	}
	if (!err && (ra.flame[0] || ra.folded[0]))
		err = report_stacks(d, tmp, &ra);
	diag__remove_dir(tmp);
	diag__close(f);
	if (err == -ENODATA)
		return HLD_EXIT_FAIL;
	if (err) {
		fprintf(stderr, "hldbench diag %s: cannot report: %s\n", d->name, strerror(-err));
		return HLD_EXIT_FAIL;
	}
	return HLD_EXIT_OK;
}

/*
 * Stop the active feature: unpin what it pinned (its links go, and with
 * them the programs), or have the backend that keeps it deactivate it.
 */
static int feature_deactivate(const struct diag_backend *b, const struct diag_ops *ops,
			      const char *dir)
{
	const struct diag_desc *d = &diag_descs[ops->id];
	struct diag_feature *f;
	int err;

	if (!b->active_settings) {
		if (diag__remove_dir(dir)) {
			fprintf(stderr, "hldbench diag %s: not active\n", d->name);
			return HLD_EXIT_FAIL;
		}
	} else {
		f = feature_reopen(b, ops, dir);
		if (!f)
			return HLD_EXIT_FAIL;
		err = ops->deactivate(f);
		diag__close(f);
		if (err) {
			fprintf(stderr, "hldbench diag %s: cannot deactivate: %s\n", d->name,
				strerror(-err));
			return HLD_EXIT_FAIL;
		}
	}
	printf("%s deactivated\n", d->name);
	return HLD_EXIT_OK;
}

/* --test: the feature's ground-truth test, in a private activation. */
static int feature_test(const struct diag_ops *ops)
{
	const struct diag_desc *d = &diag_descs[ops->id];
	int err = diag_test__run(ops, stdout);

	if (err == -ENOTSUP) {
		fprintf(stderr, "hldbench diag %s: --test: no ground-truth test for %s yet\n",
			d->name, d->name);
		return HLD_EXIT_UNSUPPORTED;
	}
	return err ? HLD_EXIT_FAIL : HLD_EXIT_OK;
}

/* `hldbench diag FEATURE --help`: the command set, then FEATURE's settings. */
static void feature_help(const struct diag_desc *d)
{
	usage(stdout);
	printf("\n%s: %s\nsettings (--activate=\"key=value ...\"):\n", d->name, d->summary);
	if (d->opts[0].name)
		opts__help(stdout, d->opts, "  ");
	else
		printf("  none\n");
}

/*
 * The backend for `hldbench diag FEATURE`: @name if given ("bpf", "kmod");
 * else the one FEATURE is active on; else kmod where hld.ko is loaded and
 * can run FEATURE; else bpf. NULL, and why in @why, if there is none.
 */
static const struct diag_backend *feature_backend(const char *name, const char *feature,
						  char *why, size_t len)
{
	const struct diag_backend *k = &diag_backend_kmod, *bpf = &diag_backend_bpf;
	const struct diag_ops *kops = NULL, *bops;
	char kwhy[512], dir[PATH_MAX];

	if (name && strcmp(name, "bpf") && strcmp(name, "kmod") && !peer_named(name)) {
		snprintf(why, len, "--backend: unknown backend '%s' (accepted: bpf, kmod, and the "
			 "peers perf, bpftrace, strace)", name);
		return NULL;
	}
	if (name)
		return diag__backend(name, why, len);
	if (!k->probe(kwhy, sizeof(kwhy)))
		kops = diag__find(k, feature, kwhy, sizeof(kwhy));
	if (kops && feature_where(k, kops, dir, sizeof(dir)))
		return k;
	bops = diag__find(bpf, feature, kwhy, sizeof(kwhy));
	if (bops && feature_where(bpf, bops, dir, sizeof(dir)))
		return bpf;
	if (kops && (!kops->probe || !kops->probe(kwhy, sizeof(kwhy))))
		return k;
	return diag__backend("bpf", why, len);
}

/* Is @a one of the per-feature options? */
static bool feature_option(const char *a)
{
	return (!strncmp(a, "--activate", 10) && (!a[10] || a[10] == '=')) ||
	       (!strncmp(a, "--report", 8) && (!a[8] || a[8] == '=')) ||
	       !strcmp(a, "--settings") || !strcmp(a, "--deactivate") || !strcmp(a, "--test");
}

/* --backend=NAME or --backend NAME at @argv[*i]: NAME (*i moved past it), or NULL. */
static const char *backend_option(int argc, char **argv, int *i)
{
	const char *a = argv[*i];

	if (!strncmp(a, "--backend=", 10))
		return a + 10;
	if (!strcmp(a, "--backend") && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

/* `hldbench diag FEATURE OPTIONS...`: the options run in the order given. */
static int cmd_feature(int argc, char **argv)
{
	const char *backend = NULL, *name;
	const struct diag_backend *b;
	const struct diag_ops *ops;
	char why[512], dir[PATH_MAX];
	bool persistent = false, actions = false;
	int ret = HLD_EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			const struct diag_desc *d = diag_desc__find(argv[0]);

			if (!d)
				break;
			feature_help(d);
			return HLD_EXIT_OK;
		}
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--backend") && i + 1 == argc) {
			fprintf(stderr, "hldbench diag %s: --backend: needs a value (bpf, kmod, "
				"perf, bpftrace or strace)\n",
				argv[0]);
			return HLD_EXIT_USAGE;
		}
		if ((name = backend_option(argc, argv, &i))) {
			backend = name;
			continue;
		}
		if (!feature_option(argv[i])) {
			fprintf(stderr, "hldbench diag %s: unknown option '%s'\n", argv[0], argv[i]);
			usage(stderr);
			return HLD_EXIT_USAGE;
		}
		actions = true;
		persistent |= strcmp(argv[i], "--test");
	}
	b = feature_backend(backend, argv[0], why, sizeof(why));
	ops = b ? diag__find(b, argv[0], why, sizeof(why)) : NULL;
	if (!ops) {
		fprintf(stderr, "hldbench diag: %s\n", why);
		return HLD_EXIT_UNSUPPORTED;
	}
	if (!actions) {
		usage(stderr);
		return HLD_EXIT_USAGE;
	}
	if (ops->probe && ops->probe(why, sizeof(why))) {
		fprintf(stderr, "hldbench diag %s: unavailable on the %s backend: %s\n", argv[0],
			b->name, why);
		return HLD_EXIT_UNSUPPORTED;
	}
	if (persistent && b->peer) {
		fprintf(stderr, "hldbench diag %s: the %s peer runs only in --test and in "
			"'hldbench run' (a scenario's [diag]); it has no persistent activation\n",
			argv[0], b->name);
		return HLD_EXIT_USAGE;
	}
	if (persistent && !ops->reopen) {
		fprintf(stderr, "hldbench diag %s: persistent activation is not implemented for "
			"%s yet; 'hldbench run' with it in a scenario's [diag] runs it\n",
			argv[0], argv[0]);
		return HLD_EXIT_UNSUPPORTED;
	}
	if (geteuid()) {
		fprintf(stderr, "hldbench diag: needs root\n");
		return HLD_EXIT_UNSUPPORTED;
	}
	if (persistent && !b->active_settings) {
		int err = diag__pin_root();

		if (err == 1)
			fprintf(stderr, "hldbench diag: mounted bpffs on " DIAG_BPFFS "\n");
		if (err >= 0)
			err = pin_lock();
		if (err < 0) {
			fprintf(stderr, "hldbench diag: cannot set up %s: %s\n", DIAG_PIN_ROOT,
				strerror(-err));
			return HLD_EXIT_FAIL;
		}
	}
	feature_where(b, ops, dir, sizeof(dir));
	for (int i = 1; i < argc && ret == HLD_EXIT_OK; i++) {
		const char *a = argv[i];

		if (backend_option(argc, argv, &i))
			continue;
		if (!strncmp(a, "--activate", 10))
			ret = feature_activate(b, ops, dir, a[10] == '=' ? a + 11 : NULL);
		else if (!strcmp(a, "--settings"))
			ret = feature_settings(b, ops, dir);
		else if (!strncmp(a, "--report", 8))
			ret = feature_report(b, ops, dir, a[8] == '=' ? a + 9 : NULL);
		else if (!strcmp(a, "--test"))
			ret = feature_test(ops);
		else
			ret = feature_deactivate(b, ops, dir);
	}
	return ret;
}

int cmd_diag(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "peers", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool json = false, peers = false;
	int c;

	if (argc > 1 && strcmp(argv[1], "list") && argv[1][0] != '-')
		return cmd_feature(argc - 1, argv + 1);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'p':
			peers = true;
			break;
		case 'h':
			usage(stdout);
			return HLD_EXIT_OK;
		default:
			usage(stderr);
			return HLD_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || strcmp(argv[optind], "list")) {
		usage(stderr);
		return HLD_EXIT_USAGE;
	}
	if (json)
		list_json(peers);
	else
		list_text(peers);
	return HLD_EXIT_OK;
}
