// SPDX-License-Identifier: GPL-2.0
/*
 * builtin-workload.c - `hldbench workload NAME [ARG] [--KEY VALUE ...]`: the
 * ground-truth workloads (harness/workload-<name>.c), each doing an exactly
 * known amount of work and writing what it did as one JSON object.
 *
 * The frame is the same for all: the options come from the workload's
 * table (a bad key or value is refused with exit 2, naming it), the common
 * options below, then the work, then the JSON:
 *
 *	{ "workload": NAME, "pid": TGID, "comm": NAME-WHILE-WORKING,
 *	  "options": { every option, as used },
 *	  ...what the workload did (its report()),
 *	  "wall_s": wall time of the work, measured,
 *	  "cpu_s": CPU time of the process (user + system) during the work,
 *	  "stopped_by": null or the signal that cut it short ("TERM"),
 *	  "error": null or why the work failed }
 *
 * and a one-line summary on stderr unless --quiet. Exit 0 when the work was
 * done (even cut short by SIGTERM/SIGINT: the JSON says so), 1 when it
 * failed (the JSON says what was done), 2 on a bad option (nothing done),
 * 3 when it cannot run on this machine (said why, no JSON).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "builtin.h"
#include "workload.h"

volatile sig_atomic_t workload_stop;

/* The options every workload takes. */
struct workload_common {
	char json[PATH_MAX];
	bool quiet;
	bool sigstop;
	uint64_t linger_ms;
};

#define COMMON(f) offsetof(struct workload_common, f)
static const struct opt common_opts[] = {
	{ "json", OPT_STR, COMMON(json), .len = PATH_MAX, .def = "",
	  .help = "write the JSON to this file instead of stdout" },
	{ "quiet", OPT_BOOL, COMMON(quiet), .def = "false",
	  .help = "no summary line on stderr (a bare --quiet means true)" },
	{ "sigstop", OPT_BOOL, COMMON(sigstop), .def = "false",
	  .help = "stop (SIGSTOP) before the work, so that a tool can be attached to the pid; "
		  "it starts on SIGCONT (a bare --sigstop means true)" },
	{ "linger", OPT_DURATION, COMMON(linger_ms), .min = 0, .max = 3600000, .def = "0s",
	  .help = "stay alive this long after writing the JSON (a profiler can still name "
		  "the process's frames), or until SIGTERM" },
	OPT_END
};

static const struct workload *const workloads[] = {
#define X(name) &workload_##name,
	WORKLOADS(X)
#undef X
};
#define NR_WORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

uint64_t workload__clock_ns(int clockid)
{
	struct timespec ts;

	clock_gettime(clockid, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t workload__now_ns(void)
{
	return workload__clock_ns(CLOCK_MONOTONIC);
}

/* SIGTERM/SIGINT: finish the current step and write the results. */
static void on_stop(int sig)
{
	workload_stop = sig;
}

static void install_stop_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART: a blocking wait returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static void workload__usage(const struct workload *w, FILE *f)
{
	const struct opt *pos = w->positional ? opts__find(w->opts, w->positional) : NULL;

	fprintf(f, "usage: hldbench workload %s%s%s [--KEY VALUE | --KEY=VALUE ...]\n\n%s\n",
		w->name, pos ? " " : "", pos ? pos->name : "", w->help);
	if (pos)
		fprintf(f, "\nargument:\n");
	for (const struct opt *o = w->opts; pos && o->name; o++)
		if (o == pos)
			opts__help(f, (const struct opt[]){ *o, OPT_END }, "  ");
	fprintf(f, "\noptions:\n");
	for (const struct opt *o = w->opts; o->name; o++)
		if (o != pos)
			opts__help(f, (const struct opt[]){ *o, OPT_END }, "  --");
	opts__help(f, common_opts, "  --");
	fprintf(f, "\nExit status: 0 done (also when cut short by SIGTERM: the JSON says so), "
		   "1 failed,\n2 bad option, 3 cannot run on this machine (it says why).\n");
}

static void workloads__usage(FILE *f)
{
	fprintf(f, "usage: hldbench workload NAME [ARG] [OPTIONS]\n\n"
		   "Work of an exactly known amount, written as JSON (stdout or --json FILE),\n"
		   "to score the diagnosis features against (docs/accuracy.md).\n\nworkloads:\n");
	for (size_t i = 0; i < NR_WORKLOADS; i++)
		fprintf(f, "  %-10s %s\n", workloads[i]->name, workloads[i]->summary);
	fprintf(f, "\n'hldbench workload NAME --help' shows its arguments.\n");
}

/* A usage error: say it and where to look; always HLD_EXIT_USAGE. */
static int __attribute__((format(printf, 2, 3)))
usage_error(const struct workload *w, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hldbench workload %s: ", w->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'hldbench workload %s --help')\n", w->name);
	return HLD_EXIT_USAGE;
}

/*
 * Parse @argv (after NAME) into @obj and @c. Returns 0, HLD_EXIT_USAGE
 * after saying why, or -1 when --help was printed.
 */
static int workload__parse(const struct workload *w, int argc, char **argv, void *obj,
			   struct workload_common *c)
{
	const struct opt *pos = w->positional ? opts__find(w->opts, w->positional) : NULL;
	bool given[64] = { false };
	char why[256];
	int i;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *val;
		const struct opt *o;
		char key[64];
		void *dst = obj;
		size_t klen;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			workload__usage(w, stdout);
			return -1;
		}
		if (arg[0] == '-' && (arg[1] != '-' || !arg[2]))
			return usage_error(w, "unknown option '%s'", arg);
		if (arg[0] != '-') {
			if (!pos)
				return usage_error(w, "unexpected argument '%s'", arg);
			if (given[pos - w->opts])
				return usage_error(w, "a second %s '%s'", pos->name, arg);
			o = pos;
			val = arg;
		} else {
			val = strchr(arg + 2, '=');
			klen = val ? (size_t)(val - arg - 2) : strlen(arg + 2);
			if (klen >= sizeof(key))
				return usage_error(w, "unknown option '%s'", arg);
			memcpy(key, arg + 2, klen);
			key[klen] = '\0';
			o = opts__find(w->opts, key);
			if (!o || o == pos) {
				o = opts__find(common_opts, key);
				dst = c;
			}
			if (!o)
				return usage_error(w, "unknown option '--%s'", key);
			if (val)
				val++;
			else if (o->type == OPT_BOOL)
				val = "true";
			else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2))
				val = argv[++i];
			else
				return usage_error(w, "--%s needs a value", key);
		}
		if (opts__set(o, dst, val, why, sizeof(why)))
			return usage_error(w, "%s%s: %s", o == pos ? "" : "--", o->name, why);
		if (dst == obj)
			given[o - w->opts] = true;
	}
	for (const struct opt *o = w->opts; o->name; o++)
		if (o->required && !given[o - w->opts])
			return o == pos ? usage_error(w, "missing %s", o->name) :
					  usage_error(w, "--%s is required", o->name);
	if (w->check && w->check(obj, why, sizeof(why)))
		return usage_error(w, "%s", why);
	return 0;
}

/* The options as used, typed: numbers as numbers, durations and words as text. */
static void options__json(const struct opt *tab, const void *obj, struct json_writer *j)
{
	json__begin_object(j, "options");
	for (const struct opt *o = tab; o->name; o++) {
		const char *src = (const char *)obj + o->off;
		char buf[256];
		int64_t i64;
		uint64_t u64;
		double d;

		switch (o->type) {
		case OPT_INT:
			memcpy(&i64, src, sizeof(i64));
			json__int(j, o->name, i64);
			break;
		case OPT_UINT:
		case OPT_SIZE:
			memcpy(&u64, src, sizeof(u64));
			json__uint(j, o->name, u64);
			break;
		case OPT_DOUBLE:
			memcpy(&d, src, sizeof(d));
			json__double(j, o->name, d);
			break;
		case OPT_BOOL:
			json__bool(j, o->name, *(const bool *)src);
			break;
		default:
			json__str(j, o->name, opts__format(o, obj, buf, sizeof(buf)) ? NULL : buf);
			break;
		}
	}
	json__end_object(j);
}

/* The process's CPU time (user + system) in us. */
static int64_t rusage_cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000ll + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

/* Write the JSON object: the common members around the workload's own. */
static int workload__write(const struct workload *w, const void *obj, const char *path,
			   FILE *f, const struct workload_ctx *ctx, double wall_s, double cpu_s)
{
	struct json_writer j;
	int bad;

	json__init(&j, f, true);
	json__begin_object(&j, NULL);
	json__str(&j, "workload", w->name);
	json__int(&j, "pid", getpid());
	json__str(&j, "comm", w->comm);
	options__json(w->opts, obj, &j);
	w->report(obj, &j);
	json__double(&j, "wall_s", wall_s);
	json__double(&j, "cpu_s", cpu_s);
	json__str(&j, "stopped_by", workload_stop ? sigabbrev_np(workload_stop) : NULL);
	json__str(&j, "error", ctx->error[0] ? ctx->error : NULL);
	json__end_object(&j);
	fputc('\n', f);
	bad = ferror(f);
	bad |= f == stdout ? fflush(f) : fclose(f);
	if (bad)
		fprintf(stderr, "hldbench workload %s: cannot write %s: %s\n", w->name,
			*path ? path : "stdout", strerror(errno));
	return bad ? -1 : 0;
}

/* Stay alive @ms after the JSON (or until a stop signal). */
static void linger(uint64_t ms)
{
	uint64_t end = workload__now_ns() + ms * 1000000ull;
	const struct timespec tick = { .tv_nsec = 20 * 1000 * 1000 };

	while (!workload_stop && workload__now_ns() < end)
		nanosleep(&tick, NULL);
}

/* Parse, do the work with the frame around it, write the JSON. */
static int workload__main(const struct workload *w, int argc, char **argv)
{
	struct workload_common c;
	struct workload_ctx ctx = { "", "" };
	double wall_s, cpu_s;
	int64_t cpu0;
	uint64_t t0;
	FILE *f = stdout;
	void *obj;
	int rc;

	obj = calloc(1, w->size);
	if (!obj || opts__defaults(w->opts, obj) || opts__defaults(common_opts, &c)) {
		fprintf(stderr, "hldbench workload %s: out of memory\n", w->name);
		free(obj);
		return HLD_EXIT_FAIL;
	}
	rc = workload__parse(w, argc, argv, obj, &c);
	if (rc) {
		free(obj);
		return rc < 0 ? HLD_EXIT_OK : rc;
	}
	if (c.json[0]) {
		f = fopen(c.json, "we");
		if (!f) {
			fprintf(stderr, "hldbench workload %s: cannot open %s: %s\n", w->name,
				c.json, strerror(errno));
			free(obj);
			return HLD_EXIT_FAIL;
		}
	}
	install_stop_handlers();
	prctl(PR_SET_NAME, w->comm);
	if (c.sigstop)
		raise(SIGSTOP);
	t0 = workload__now_ns();
	cpu0 = rusage_cpu_us();
	rc = w->run(obj, &ctx);
	wall_s = (workload__now_ns() - t0) / 1e9;
	cpu_s = (rusage_cpu_us() - cpu0) / 1e6;
	if (rc == HLD_EXIT_UNSUPPORTED) {
		fprintf(stderr, "hldbench workload %s: cannot run here: %s\n", w->name, ctx.error);
		if (f != stdout) {
			fclose(f);
			unlink(c.json);
		}
		free(obj);
		return rc;
	}
	if (workload__write(w, obj, c.json, f, &ctx, wall_s, cpu_s))
		rc = HLD_EXIT_FAIL;
	if (ctx.error[0])
		fprintf(stderr, "hldbench workload %s: %s\n", w->name, ctx.error);
	if (!c.quiet && ctx.summary[0])
		fprintf(stderr, "hldbench workload %s: %s%s%s\n", w->name, ctx.summary,
			workload_stop ? "; stopped by SIG" : "",
			workload_stop ? sigabbrev_np(workload_stop) : "");
	free(obj);
	linger(c.linger_ms);
	return rc;
}

/* `hldbench workload NAME ...`: dispatch to the named workload. */
int cmd_workload(int argc, char **argv)
{
	if (argc < 2) {
		workloads__usage(stderr);
		return HLD_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		workloads__usage(stdout);
		return HLD_EXIT_OK;
	}
	for (size_t i = 0; i < NR_WORKLOADS; i++)
		if (!strcmp(argv[1], workloads[i]->name))
			return workload__main(workloads[i], argc - 1, argv + 1);
	fprintf(stderr, "hldbench workload: unknown workload '%s'\n\n", argv[1]);
	workloads__usage(stderr);
	return HLD_EXIT_USAGE;
}
