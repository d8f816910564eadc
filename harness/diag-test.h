/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diag-test.h - ground-truth tests of the diagnosis features, backend
 * independent: `hldbench diag FEATURE --test` and tests/check_<feature>.c
 * run the same function.
 *
 * A feature's test (harness/truth-<feature>.c) provokes the condition the
 * feature detects with a workload that does an exactly known amount of work
 * (N execs, N getppid calls, N touched pages...), collects the feature's
 * report, and compares it with that amount through diag_test__expect().
 * The feature runs in a private, unpinned activation, so a test works
 * whether or not the feature is also active persistently.
 *
 *	static int truth__sys_cost(struct diag_test *t)
 *	{
 *		struct diag_child c;
 *
 *		diag_child__start(&c, "hld-getppid", getppid_loop, &n);
 *		diag_test__activate(t, "tgid=%d", c.pid);
 *		diag_child__go(&c);
 *		diag_child__wait(&c);
 *		diag_test__collect(t);
 *		diag_test__expect(t, "getppid calls", got, n, n);
 *		return 0;
 *	}
 */
#ifndef HLD_DIAG_TEST_H
#define HLD_DIAG_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "diag.h"

struct json_object;

struct diag_test {
	const struct diag_ops *ops;
	const struct diag_desc *desc;
	FILE *out;			/* what the test does, and each expectation */
	char dir[64];			/* the report's directory; removed at the end */
	struct diag_feature *f;		/* set by diag_test__activate() */
	struct diag_runner *runner;	/* polls f while active */
	struct json_object *summary;	/* what report() wrote into its JSON object */
	struct diag_child *child;	/* started, not yet waited for: reaped at the end */
	int checks, failed;
};

/* A feature's test: 0 when it ran (t->failed says how it went), -errno on error. */
typedef int (*diag_test_fn)(struct diag_test *t);

/* Indexed by enum diag_feature_id; NULL where a feature has no test yet. */
extern const diag_test_fn diag_tests[DIAG_FEATURE__MAX];

/*
 * Run the test of @ops's feature, printing to @out. Returns 0 if every
 * expectation held, 1 if one did not, -ENOTSUP if the feature has no test,
 * or another -errno if the test could not run.
 */
int diag_test__run(const struct diag_ops *ops, FILE *out);

/*
 * Open the feature with its default settings overridden by the "key=value
 * ..." string @fmt (printf-style; NULL: defaults), activate it and start
 * polling it. 0 or -errno (a bad key or value is -EINVAL, said on t->out).
 */
int diag_test__activate(struct diag_test *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Stop polling (after a final poll), deactivate, and write the report into
 * t->dir; t->summary then holds the report's JSON object and the feature's
 * metrics are set. 0 or -errno.
 */
int diag_test__collect(struct diag_test *t);

/* @name inside t->dir, in @buf. */
const char *diag_test__path(const struct diag_test *t, const char *name, char *buf, size_t len);

/* The JSON file @name of the report, parsed (free with json_object_put), or NULL. */
struct json_object *diag_test__json(const struct diag_test *t, const char *name);

/*
 * One expectation: @got must lie in [@lo, @hi]. Prints "  WHAT: expected
 * ..., got ...  ok|FAIL" and counts it. Returns whether it held.
 */
bool diag_test__expect(struct diag_test *t, const char *what, double got, double lo, double hi);

/* Print one line of what the test is doing. */
void diag_test__say(struct diag_test *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A workload child: forked with @comm as its name, it waits until
 * diag_child__go() (so that a filter on its pid can be set first), then
 * exits with fn(arg). It dies with its parent.
 */
struct diag_child {
	pid_t pid;
	int go;				/* write end of the start pipe */
};

int diag_child__start(struct diag_child *c, const char *comm, int (*fn)(void *arg), void *arg);

/*
 * The usual shape of a test, in two calls around diag_test__activate():
 * start the workload child (if the test then returns early, the frame
 * reaps it), and later let it run, wait for it and collect the report.
 * A child that does not exit with 0 is an error: -ECHILD, its wait status
 * said on t->out.
 */
int diag_test__start_child(struct diag_test *t, struct diag_child *c, const char *comm,
			   int (*fn)(void *arg), void *arg);
int diag_test__run_child(struct diag_test *t, struct diag_child *c);
int diag_child__go(struct diag_child *c);
/* Wait for the child; its wait status, or -errno. */
int diag_child__wait(struct diag_child *c);

/*
 * A workload child that works in rounds, for reports taken between them:
 * diag_rounds__start() forks it (named @comm, dying with its parent); each
 * diag_rounds__next() lets it run fn(arg, round), round 0 first, and
 * returns when that round is done: 0, or -ECHILD if it failed (the child
 * exits) or -errno. diag_rounds__end() lets it exit and returns its wait
 * status, or -errno.
 */
struct diag_rounds {
	pid_t pid;
	int go, done;			/* pipes: round start (ours), round done (its) */
};

int diag_rounds__start(struct diag_rounds *r, const char *comm,
		       int (*fn)(void *arg, int round), void *arg);
int diag_rounds__next(struct diag_rounds *r);
int diag_rounds__end(struct diag_rounds *r);

/* The tests, one per feature, in harness/truth-<feature>.c. */
int truth__sys_cost(struct diag_test *t);
int truth__tracepoint(struct diag_test *t);
int truth__kprobe(struct diag_test *t);
int truth__reboot(struct diag_test *t);
int truth__high_order(struct diag_test *t);
int truth__exec_monitor(struct diag_test *t);
int truth__exit_monitor(struct diag_test *t);
int truth__run_trace(struct diag_test *t);
int truth__mutex_monitor(struct diag_test *t);
int truth__load_monitor(struct diag_test *t);
int truth__alloc_top(struct diag_test *t);
int truth__perf(struct diag_test *t);
int truth__irq_stats(struct diag_test *t);
int truth__irq_delay(struct diag_test *t);

#endif /* HLD_DIAG_TEST_H */
