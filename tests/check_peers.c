// SPDX-License-Identifier: GPL-2.0
/*
 * check_peers.c - the peer backends (perf, bpftrace, strace): their probes
 * (installed, and with a PATH that lacks the tool), the parsers of each
 * tool's output on fixtures (tests/fixtures/peers/), the bpftrace scripts
 * the settings make, and, where the tool runs here (root), each feature's
 * ground truth through the tool. What the tool must get right is asserted
 * (bpftrace counting 100000 getppid exactly, perf record's CPU split);
 * what it cannot do (strace: no exit_group, no per-CPU view; bpftrace:
 * user frames of exited processes unnamed) is printed as a finding.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag-test.h"
#include "execmon-report.h"
#include "folded.h"
#include "irqstats-report.h"
#include "peer.h"
#include "syscost-report.h"

#define FIX "tests/fixtures/peers/"

static char *fixture(const char *name)
{
	char path[256];
	char *text;

	snprintf(path, sizeof(path), FIX "%s", name);
	text = peer__slurp(path, NULL);
	ck_assert_msg(text, "cannot read %s", path);
	return text;
}

/* Count of the stack @stack in @f, or -1. */
static long long count_of(const struct folded *f, const char *stack)
{
	const struct folded_entry *e;
	size_t i;

	folded__for_each(f, e, i)
		if (!strcmp(e->stack, stack))
			return (long long)e->count;
	return -1;
}

/* --- probes ------------------------------------------------------------ */

static const struct probe_case {
	const struct diag_backend *b;
	const char *tool, *pkg;
} probe_cases[] = {
	{ &diag_backend_perf, "perf", "linux-perf" },
	{ &diag_backend_bpftrace, "bpftrace", "bpftrace" },
	{ &diag_backend_strace, "strace", "strace" },
};

START_TEST(test_probe_installed)
{
	const struct probe_case *c = &probe_cases[_i];
	char why[512] = "", path[256];

	snprintf(path, sizeof(path), "/usr/bin/%s", c->tool);
	if (access(path, X_OK)) {
		printf("SKIP probe of %s: %s is not installed ('make deps')\n", c->b->name, path);
		return;
	}
	ck_assert_msg(c->b->probe(why, sizeof(why)) == 0, "%s: %s", c->b->name, why);
	ck_assert_ptr_nonnull(c->b->features[0]);
	ck_assert(c->b->peer);
}
END_TEST

START_TEST(test_probe_missing)
{
	const struct probe_case *c = &probe_cases[_i];
	char why[512] = "", dir[] = "/tmp/hldbench-nopath-XXXXXX", want[64];
	char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	const struct diag_backend *b;
	int err;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("PATH", dir, 1);
	err = c->b->probe(why, sizeof(why));
	b = diag__backend(c->b->name, why + 256, 256);
	if (old)
		setenv("PATH", old, 1);
	free(old);
	rmdir(dir);
	ck_assert_int_eq(err, -ENOENT);
	snprintf(want, sizeof(want), "Debian package %s", c->pkg);
	ck_assert_msg(strstr(why, want), "'%s' does not name the package", why);
	ck_assert_msg(strstr(why, "not installed"), "'%s'", why);
	ck_assert_ptr_null(b);
	ck_assert_msg(strstr(why + 256, "unavailable"), "'%s'", why + 256);
}
END_TEST

/* auto never picks a peer; an unknown name lists the peers. */
START_TEST(test_backend_names)
{
	char why[512];
	const struct diag_backend *b = diag__backend("auto", why, sizeof(why));

	ck_assert(!b || !b->peer);
	ck_assert_ptr_null(diag__backend("nosuch", why, sizeof(why)));
	ck_assert_msg(strstr(why, "bpftrace") && strstr(why, "strace"), "%s", why);
	ck_assert_ptr_null(diag__find(&diag_backend_strace, "perf", why, sizeof(why)));
	ck_assert_msg(strstr(why, "not implemented on the strace backend"), "%s", why);
}
END_TEST

/* strace follows processes: system-wide and comm= are refused with the reason. */
START_TEST(test_strace_check)
{
	const struct diag_ops *ops = diag__find(&diag_backend_strace, "sys-cost", NULL, 0);
	struct hld_syscost_settings s;
	char why[256];

	ck_assert_ptr_nonnull(ops);
	ck_assert_int_eq(opts__defaults(diag_descs[DIAG_sys_cost].opts, &s), 0);
	ck_assert_int_eq(ops->check(&s, why, sizeof(why)), -EINVAL);
	ck_assert_msg(strstr(why, "tgid") && strstr(why, "whole system"), "%s", why);
	strcpy(s.comm, "x");
	s.tgid = 1;
	ck_assert_int_eq(ops->check(&s, why, sizeof(why)), -EINVAL);
	ck_assert_msg(strstr(why, "comm"), "%s", why);
	s.comm[0] = '\0';
	ck_assert_int_eq(ops->check(&s, why, sizeof(why)), 0);
}
END_TEST

/* --- parsers on fixtures ------------------------------------------------- */

START_TEST(test_perf_script_fold)
{
	struct perf_script_stats st = { 0 };
	struct folded *fo = folded__new();
	FILE *in = fopen(FIX "perf-script.txt", "r");

	ck_assert_ptr_nonnull(in);
	ck_assert_int_eq(peer__fold_perf_script(fo, in, NULL, true, true, &st), 0);
	fclose(in);
	ck_assert_uint_eq(st.samples, 4);
	ck_assert_int_eq(count_of(fo, "spin;__libc_start_call_main;part0"), 2);
	ck_assert_int_eq(count_of(fo, "spin;__libc_start_call_main;[stress-ng];part1;"
				  "asm_sysvec_apic_timer_interrupt_[k];irqentry_exit_to_user_mode_[k]"),
			 1);
	ck_assert_int_eq(count_of(fo, "kworker/0:1 H;asm_sysvec_apic_timer_interrupt_[k];"
				  "irqentry_exit_to_user_mode_[k]"), 1);
	folded__free(fo);

	/* comm filter, and user stacks only */
	fo = folded__new();
	memset(&st, 0, sizeof(st));
	in = fopen(FIX "perf-script.txt", "r");
	ck_assert_int_eq(peer__fold_perf_script(fo, in, "spin", false, true, &st), 0);
	fclose(in);
	ck_assert_uint_eq(st.samples, 3);
	ck_assert_uint_eq(st.foreign, 1);
	ck_assert_int_eq(count_of(fo, "spin;__libc_start_call_main;[stress-ng];part1"), 1);
	folded__free(fo);
}
END_TEST

START_TEST(test_perf_script_not)
{
	struct perf_script_stats st = { 0 };
	struct folded *fo = folded__new();
	FILE *in = fopen(FIX "strace-c.txt", "r");

	ck_assert_int_eq(peer__fold_perf_script(fo, in, NULL, true, true, &st), -EPROTO);
	fclose(in);
	folded__free(fo);
}
END_TEST

START_TEST(test_strace_parse)
{
	char *text = fixture("strace-c.txt");
	struct sc_data d;

	ck_assert_int_eq(syscost__data_init(&d, 2), 0);
	ck_assert_int_eq(peer__strace_summary(&d, text, 4242), 0);
	ck_assert_uint_eq(d.nr_pairs, 3);
	ck_assert_int_eq(d.pairs[1].nr, 110);
	ck_assert_uint_eq(d.pairs[1].v.count, 1000);
	ck_assert_uint_eq(d.pairs[1].v.total_ns, 2291000);
	ck_assert_int_eq(d.pairs[0].nr, 219);		/* restart_syscall */
	ck_assert_int_eq(d.pairs[2].nr, 257);		/* openat, with an errors column */
	ck_assert_uint_eq(d.pairs[2].v.count, 2);
	ck_assert_uint_eq(d.pairs[2].tgid, 4242);
	syscost__data_free(&d);
	free(text);
	text = fixture("perf-script.txt");
	ck_assert_int_eq(syscost__data_init(&d, 2), 0);
	ck_assert_int_eq(peer__strace_summary(&d, text, 1), -EPROTO);
	syscost__data_free(&d);
	free(text);
}
END_TEST

START_TEST(test_bpftrace_syscost)
{
	char *text = fixture("bpftrace-syscost.json"), comm[16];
	struct peer_comms comms = { 0 };
	uint64_t lost = 0;
	struct sc_data d;

	ck_assert_int_eq(syscost__data_init(&d, 2), 0);
	ck_assert_int_eq(peer__bpftrace_syscost(&d, &comms, text, &lost), 0);
	ck_assert_int_eq(syscost__build(&d, peer_comms__find, &comms), 0);
	ck_assert_uint_eq(d.syscalls, 100008);
	ck_assert_uint_eq(d.cpus[1].count, 100001);
	ck_assert_uint_eq(d.cpus[0].count, 7);
	ck_assert_uint_eq(d.nr_procs, 2);
	ck_assert_uint_eq(d.procs[0].tgid, 13833);
	ck_assert_str_eq(d.procs[0].comm, "loop, a comma");
	ck_assert_int_eq(d.pairs[0].nr, 110);
	ck_assert_uint_eq(d.pairs[0].v.count, 100000);
	ck_assert_uint_eq(d.pairs[0].v.total_ns, 500000);
	ck_assert_uint_eq(d.pairs[0].v.max_ns, 900);
	ck_assert_int_eq(peer_comms__find(&comms, 1, comm), 0);
	ck_assert_str_eq(comm, "init");
	ck_assert_uint_eq(lost, 0);
	syscost__data_free(&d);
	free(comms.v);
	free(text);
}
END_TEST

START_TEST(test_bpftrace_exec)
{
	char *text = fixture("bpftrace-exec.json");
	struct execmon_recs r = { 0 };
	const struct hld_exec_record *e;
	uint64_t lost = 0;

	ck_assert_int_eq(peer__bpftrace_exec(&r, text, &lost), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(lost, 3);
	e = &r.v[0];
	ck_assert_uint_eq(e->pid, 19888);
	ck_assert_uint_eq(e->args_total, 18);
	ck_assert_uint_eq(e->args_len, 18);
	ck_assert_mem_eq(e->args, "/bin/true\0a\0b c\0d\0", 18);
	ck_assert_str_eq(e->filename, "/bin/true");
	ck_assert_uint_eq(e->nr_ancestors, 4);		/* up to the first tgid 0 */
	ck_assert_uint_eq(e->ancestors[0].tgid, 19817);
	ck_assert_uint_eq(e->ancestors[3].pid, 62);
	ck_assert_uint_eq(e->ancestors[3].tgid, 1);
	ck_assert_str_eq(e->ancestors[3].comm, "spawner");
	free(r.v);
	free(text);
}
END_TEST

START_TEST(test_bpftrace_perf)
{
	char *text = fixture("bpftrace-perf.json");
	struct folded *fo = folded__new();
	uint64_t samples = 0, lost = 0;

	ck_assert_int_eq(peer__bpftrace_perf(fo, text, &samples, &lost), 0);
	ck_assert_uint_eq(samples, 71);
	ck_assert_int_eq(count_of(fo, "spin;__libc_start_call_main;part0"), 70);
	ck_assert_int_eq(count_of(fo, "spin;0x7f08bd21724a;0x555d02ff118e;"
				  "asm_sysvec_apic_timer_interrupt_[k];irqentry_exit_to_user_mode_[k]"),
			 1);
	folded__free(fo);
	free(text);
}
END_TEST

START_TEST(test_bpftrace_irqstats)
{
	char *text = fixture("bpftrace-irqstats.json");
	struct irqstats_data d;
	struct irqstats_row *r;

	irqstats__data_init(&d, 2);
	ck_assert_int_eq(irqstats__fixed_rows(&d), 0);
	ck_assert_int_eq(peer__bpftrace_irqstats(&d, text, NULL), 0);
	r = irqstats__row_find(&d, HLD_IRQSTATS_T_IRQ, 24, 0);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->name, "virtio0-input.0");
	ck_assert_uint_eq(r->cpu[1].count, 5);
	ck_assert_uint_eq(r->cpu[1].time_ns, 5000);
	r = irqstats__row_find(&d, HLD_IRQSTATS_T_VECTOR, HLD_IRQSTATS_VEC_CAL, 0);
	ck_assert_uint_eq(r->cpu[1].count, 5);		/* call_function + _single */
	r = irqstats__row_find(&d, HLD_IRQSTATS_T_VECTOR, HLD_IRQSTATS_VEC_LOC, 0);
	ck_assert_uint_eq(r->cpu[0].count, 40);
	r = irqstats__row_find(&d, HLD_IRQSTATS_T_SOFTIRQ, 1, 0);
	ck_assert_str_eq(r->name, "TIMER");
	ck_assert_uint_eq(r->cpu[0].count, 9);
	r = irqstats__row_find(&d, HLD_IRQSTATS_T_TIMER, (int64_t)18446744071580000000ull,
			       HLD_IRQSTATS_HRTIMER);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->cpu[0].count, 4);
	irqstats__data_free(&d);
	free(text);
}
END_TEST

/* The scripts carry the settings as predicates. */
START_TEST(test_bpftrace_scripts)
{
	struct hld_syscost_settings sc;
	struct hld_perf_settings pf;
	struct hld_exec_settings ex;
	char buf[16384];

	opts__defaults(diag_descs[DIAG_sys_cost].opts, &sc);
	sc.tgid = 42;
	ck_assert_int_eq(peer__bpftrace_script(DIAG_sys_cost, &sc, buf, sizeof(buf)), 0);
	ck_assert_msg(strstr(buf, "/ pid == 42 /") && strstr(buf, "sys_exit"), "%s", buf);
	ck_assert_msg(strstr(buf, "BEGIN"), "%s", buf);
	sc.time = 0;
	ck_assert_int_eq(peer__bpftrace_script(DIAG_sys_cost, &sc, buf, sizeof(buf)), 0);
	ck_assert_msg(!strstr(buf, "sys_exit"), "time=0 has no exit probe: %s", buf);
	opts__defaults(diag_descs[DIAG_perf].opts, &pf);
	pf.freq = 999;
	pf.cpu = 1;
	strcpy(pf.comm, "stress-ng");
	pf.kernel = 0;
	ck_assert_int_eq(peer__bpftrace_script(DIAG_perf, &pf, buf, sizeof(buf)), 0);
	ck_assert_msg(strstr(buf, "profile:hz:999 / cpu == 1 && comm == \"stress-ng\" /"), "%s", buf);
	ck_assert_msg(!strstr(buf, "kstack") && strstr(buf, "ustack"), "%s", buf);
	opts__defaults(diag_descs[DIAG_exec_monitor].opts, &ex);
	ex.ancestor = 7;
	ck_assert_int_eq(peer__bpftrace_script(DIAG_exec_monitor, &ex, buf, sizeof(buf)), 0);
	ck_assert_msg(strstr(buf, "curtask->real_parent->real_parent->tgid == 7"), "%s", buf);
	ck_assert_int_eq(peer__bpftrace_script(DIAG_irq_stats, NULL, buf, sizeof(buf)), 0);
	ck_assert_msg(strstr(buf, "irq_vectors:call_function_single_entry"), "%s", buf);
}
END_TEST

/* --- ground truth through the tools -------------------------------------- */

static const struct truth_case {
	const struct diag_backend *b;
	const char *feature;
	bool must_pass;			/* every expectation is the tool's to meet */
	const char *must[4];		/* else these expectations must hold */
} truth_cases[] = {
	{ &diag_backend_perf, "perf", true, { NULL } },
	{ &diag_backend_bpftrace, "sys-cost", true, { NULL } },
	{ &diag_backend_bpftrace, "exec-monitor", true, { NULL } },
	{ &diag_backend_bpftrace, "irq-stats", true, { NULL } },
	/* user frames of the exited child stay addresses: the split is a finding */
	{ &diag_backend_bpftrace, "perf", false,
	  { "samples of other tasks", "samples dropped", NULL } },
	/* no exit_group (it never returns), no per-CPU view: findings */
	{ &diag_backend_strace, "sys-cost", false,
	  { "getppid calls in the per-syscall view", "getppid calls of the child",
	    "child named", "syscalls in the second report" } },
};

/* The line of @out holding @what ends in "ok". */
static bool held(const char *out, const char *what)
{
	const char *p = strstr(out, what), *nl;

	if (!p)
		return false;
	nl = strchr(p, '\n');
	return nl && nl - p >= 2 && !strncmp(nl - 2, "ok", 2);
}

START_TEST(test_truth)
{
	const struct truth_case *c = &truth_cases[_i];
	char why[512], *out = NULL;
	const struct diag_ops *ops;
	size_t size;
	FILE *mem;
	int ret;

	if (geteuid()) {
		printf("SKIP %s through %s: needs root\n", c->feature, c->b->name);
		return;
	}
	if (c->b->probe(why, sizeof(why))) {
		printf("SKIP %s through %s: %s\n", c->feature, c->b->name, why);
		return;
	}
	ops = diag__find(c->b, c->feature, why, sizeof(why));
	ck_assert_msg(ops, "%s", why);
	mem = open_memstream(&out, &size);
	ret = diag_test__run(ops, mem);
	fclose(mem);
	printf("--- %s through %s ---\n%s", c->feature, c->b->name, out);
	if (c->must_pass) {
		ck_assert_msg(ret == 0, "%s through %s: %d", c->feature, c->b->name, ret);
	} else {
		ck_assert_msg(ret >= 0, "%s through %s could not run: %d", c->feature, c->b->name,
			      ret);
		for (int i = 0; i < 4 && c->must[i]; i++)
			ck_assert_msg(held(out, c->must[i]), "%s through %s: '%s' did not hold",
				      c->feature, c->b->name, c->must[i]);
		printf("finding: %s through %s: %s\n", c->feature, c->b->name,
		       ret ? "some expectations fail (the FAIL lines above are the tool's)" :
			     "all expectations held");
	}
	free(out);
}
END_TEST

static Suite *peers_suite(void)
{
	Suite *s = suite_create("peers");
	TCase *tc;

	tc = tcase_create("probe");
	tcase_add_loop_test(tc, test_probe_installed, 0, sizeof(probe_cases) / sizeof(probe_cases[0]));
	tcase_add_loop_test(tc, test_probe_missing, 0, sizeof(probe_cases) / sizeof(probe_cases[0]));
	tcase_add_test(tc, test_backend_names);
	tcase_add_test(tc, test_strace_check);
	suite_add_tcase(s, tc);

	tc = tcase_create("parsers");
	tcase_add_test(tc, test_perf_script_fold);
	tcase_add_test(tc, test_perf_script_not);
	tcase_add_test(tc, test_strace_parse);
	tcase_add_test(tc, test_bpftrace_syscost);
	tcase_add_test(tc, test_bpftrace_exec);
	tcase_add_test(tc, test_bpftrace_perf);
	tcase_add_test(tc, test_bpftrace_irqstats);
	tcase_add_test(tc, test_bpftrace_scripts);
	suite_add_tcase(s, tc);

	tc = tcase_create("truth");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_truth, 0, sizeof(truth_cases) / sizeof(truth_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(peers_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
