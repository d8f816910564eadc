// SPDX-License-Identifier: GPL-2.0
/*
 * check_irqstats.c - irq-stats against the kernel's own counters. Over one
 * window the feature's per-CPU counts of each hard IRQ line, each system
 * vector (LOC, RES, CAL) and each softirq must agree with the deltas of
 * /proc/interrupts and /proc/softirqs.
 *
 * The files are read four times: A0 before activate, A1 right after it, B0
 * right before deactivate and B1 after it. Everything between A1 and B0
 * happened while the programs were attached, and the programs were attached
 * only between A0 and B1, so for every line and CPU
 *
 *	B0 - A1  <=  counted  <=  B1 - A0
 *
 * with no assumption on timing. The kernel bumps its counter a few
 * instructions before the tracepoint fires, so an event can straddle a read
 * by that much: EDGE_SLACK allows for one such event at each end. Shared IRQ
 * lines are skipped (the feature counts each handler run, the kernel each
 * interrupt). The timer case sleeps SLEEPS times on an hrtimer and checks
 * that hrtimer_wakeup ran at least that often. Needs root and BPF.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bpf-util.h"
#include "diag.h"
#include "hld_settings.h"

#define MAX_LINES	256
#define MAX_CPUS	64
#define EDGE_SLACK	2
#define SLEEPS		100
#define DIRECT_READS	32

/* One line of /proc/interrupts or /proc/softirqs: per-CPU counts. */
struct proc_line {
	char name[32];			/* "36", "LOC", "TIMER" */
	bool shared;			/* several handlers on the line */
	unsigned long long cpu[MAX_CPUS];
};

struct proc_counts {
	int nr_cpus;
	int cpu_ids[MAX_CPUS];		/* column -> CPU number */
	struct proc_line lines[MAX_LINES];
	int nr;
};

/* Parse /proc/interrupts or /proc/softirqs (@path) into @pc. */
static void proc_read(const char *path, struct proc_counts *pc)
{
	char line[4096], *p, *end;
	FILE *in = fopen(path, "r");

	ck_assert_ptr_nonnull(in);
	memset(pc, 0, sizeof(*pc));
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), in));
	for (p = line; (p = strstr(p, "CPU")) && pc->nr_cpus < MAX_CPUS; p += 3)
		pc->cpu_ids[pc->nr_cpus++] = atoi(p + 3);
	while (pc->nr < MAX_LINES && fgets(line, sizeof(line), in)) {
		struct proc_line *l = &pc->lines[pc->nr];
		char *colon = strchr(line, ':');
		int c;

		if (!colon)
			continue;
		*colon = '\0';
		for (p = line; *p == ' '; p++)
			;
		snprintf(l->name, sizeof(l->name), "%.31s", p);
		p = colon + 1;
		for (c = 0; c < pc->nr_cpus; c++, p = end) {
			l->cpu[c] = strtoull(p, &end, 10);
			if (end == p)
				break;
		}
		if (c < pc->nr_cpus)
			continue;	/* ERR:, MIS: and the like: no per-CPU columns */
		l->shared = strstr(p, ", ") != NULL;
		pc->nr++;
	}
	fclose(in);
}

static const struct proc_line *proc_find(const struct proc_counts *pc, const char *name)
{
	for (int i = 0; i < pc->nr; i++)
		if (!strcmp(pc->lines[i].name, name))
			return &pc->lines[i];
	return NULL;
}

/* A little work that raises interrupts and timers: O_DIRECT reads, short sleeps. */
static void workload(int sleeps)
{
	struct timespec ms = { 0, 1000000 };
	void *buf;
	int fd;

	fd = open("/proc/self/exe", O_RDONLY | O_DIRECT);
	if (fd >= 0 && !posix_memalign(&buf, 4096, 4096)) {
		for (int i = 0; i < DIRECT_READS; i++)
			if (pread(fd, buf, 4096, (off_t)i * 4096) < 0)
				break;
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < sleeps; i++)
		nanosleep(&ms, NULL);
}

/* Run @f's report into a fresh directory, whose path goes into @dir. */
static void report_into(struct diag_feature *f, char *dir)
{
	struct diag_outputs out;
	struct json_writer j;
	FILE *null = fopen("/dev/null", "w");

	ck_assert_ptr_nonnull(null);
	strcpy(dir, "/tmp/check_irqstats.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	json__init(&j, null, false);
	json__begin_object(&j, NULL);
	out.dir = dir;
	out.json = &j;
	ck_assert_int_eq(f->ops->report(f, &out), 0);
	json__end_object(&j);
	fclose(null);
}

/* Remove the report directory @dir and its files. */
static void remove_dir(const char *dir)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/*
 * The count on @cpu of the entry of array @table in the report whose @key
 * (a string or an integer member) is @name; 0 if it has none.
 */
static unsigned long long report_count(json_object *root, const char *table, const char *key,
				       const char *name, int cpu)
{
	json_object *arr, *pc, *v;

	ck_assert(json_object_object_get_ex(root, table, &arr));
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		if (!json_object_object_get_ex(e, key, &v) ||
		    strcmp(json_object_get_string(v), name))
			continue;
		json_object_object_get_ex(e, "per_cpu", &pc);
		for (size_t k = 0; k < json_object_array_length(pc); k++) {
			json_object *c = json_object_array_get_idx(pc, k);

			json_object_object_get_ex(c, "cpu", &v);
			if (json_object_get_int(v) != cpu)
				continue;
			json_object_object_get_ex(c, "count", &v);
			return json_object_get_int64(v);
		}
	}
	return 0;
}

/* Total count of the timer function @func over all CPUs. */
static unsigned long long timer_count(json_object *root, const char *func)
{
	json_object *arr, *v;
	unsigned long long n = 0;

	ck_assert(json_object_object_get_ex(root, "timers", &arr));
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		json_object_object_get_ex(e, "name", &v);
		if (strcmp(json_object_get_string(v), func))
			continue;
		json_object_object_get_ex(e, "count", &v);
		n += json_object_get_int64(v);
	}
	return n;
}

enum src { SRC_IRQS, SRC_VECTORS, SRC_SOFTIRQS };

static const struct irq_case {
	const char *name;
	const char *path;
	enum src src;
} irq_cases[] = {
	{ "numbered IRQ lines", "/proc/interrupts", SRC_IRQS },
	{ "system vectors LOC RES CAL", "/proc/interrupts", SRC_VECTORS },
	{ "softirqs", "/proc/softirqs", SRC_SOFTIRQS },
};

static const char *const vector_lines[] = { "LOC", "RES", "CAL" };

/* Should line @l of the case's file be compared, and where is it in the report? */
static bool line_checked(const struct irq_case *c, const struct proc_line *l,
			 const char **table, const char **key)
{
	*key = "name";
	switch (c->src) {
	case SRC_IRQS:
		*table = "irqs";
		*key = "irq";
		return l->name[0] >= '0' && l->name[0] <= '9' && !l->shared;
	case SRC_VECTORS:
		*table = "vectors";
		for (size_t i = 0; i < sizeof(vector_lines) / sizeof(vector_lines[0]); i++)
			if (!strcmp(l->name, vector_lines[i]))
				return true;
		return false;
	case SRC_SOFTIRQS:
		*table = "softirqs";
		return true;
	}
	return false;
}

/* NULL if the feature can run here, else why not. */
static const char *unavailable(char *why, size_t len)
{
	if (geteuid() != 0)
		return "needs root";
	if (bpf_irq_stats_ops.probe(why, len))
		return why;
	return NULL;
}

START_TEST(test_proc_counts)
{
	const struct irq_case *c = &irq_cases[_i];
	static struct proc_counts a0, a1, b0, b1;
	unsigned long long inside = 0, counted_total = 0;
	struct diag_feature *f;
	char why[256], dir[64], path[512];
	const char *reason = unavailable(why, sizeof(why));
	json_object *root;
	int lines = 0;

	if (reason) {
		printf("skip irq-stats %s: %s\n", c->name, reason);
		return;
	}
	f = diag__open(&bpf_irq_stats_ops, NULL);
	ck_assert_ptr_nonnull(f);
	proc_read(c->path, &a0);
	ck_assert_int_eq(f->ops->activate(f), 0);
	proc_read(c->path, &a1);
	workload(SLEEPS / 4);
	proc_read(c->path, &b0);
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	proc_read(c->path, &b1);
	report_into(f, dir);
	snprintf(path, sizeof(path), "%s/irq-stats.json", dir);
	root = json_object_from_file(path);
	ck_assert_ptr_nonnull(root);

	for (int i = 0; i < b0.nr; i++) {
		const struct proc_line *l0 = proc_find(&a0, b0.lines[i].name);
		const struct proc_line *l1 = proc_find(&a1, b0.lines[i].name);
		const struct proc_line *l3 = proc_find(&b1, b0.lines[i].name);
		const char *table, *key;

		if (!l0 || !l1 || !l3 || !line_checked(c, &b0.lines[i], &table, &key))
			continue;
		lines++;
		for (int k = 0; k < b0.nr_cpus; k++) {
			unsigned long long lo = b0.lines[i].cpu[k] - l1->cpu[k];
			unsigned long long hi = l3->cpu[k] - l0->cpu[k];
			unsigned long long n = report_count(root, table, key, b0.lines[i].name,
							    b0.cpu_ids[k]);

			ck_assert_msg(n + EDGE_SLACK >= lo && n <= hi + EDGE_SLACK,
				      "%s %s CPU%d: counted %llu, kernel counted %llu..%llu",
				      c->name, b0.lines[i].name, b0.cpu_ids[k], n, lo, hi);
			inside += lo;
			counted_total += n;
		}
	}
	printf("irq-stats %s: %d lines, %llu counted, %llu in the kernel's inner window\n",
	       c->name, lines, counted_total, inside);
	ck_assert_int_gt(lines, 0);
	if (c->src == SRC_SOFTIRQS)	/* timer ticks and RCU at least, over 25 sleeps */
		ck_assert_uint_gt(inside, 0);
	json_object_put(root);
	remove_dir(dir);
	diag__close(f);
}
END_TEST

START_TEST(test_hrtimer_wakeups)
{
	struct diag_feature *f;
	char why[256], dir[64], path[512];
	const char *reason = unavailable(why, sizeof(why));
	unsigned long long n;
	json_object *root;

	if (reason) {
		printf("skip irq-stats timers: %s\n", reason);
		return;
	}
	f = diag__open(&bpf_irq_stats_ops, NULL);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->ops->activate(f), 0);
	workload(SLEEPS);
	ck_assert_int_eq(f->ops->deactivate(f), 0);
	report_into(f, dir);
	snprintf(path, sizeof(path), "%s/irq-stats.json", dir);
	root = json_object_from_file(path);
	ck_assert_ptr_nonnull(root);
	n = timer_count(root, "hrtimer_wakeup");
	printf("irq-stats timers: hrtimer_wakeup ran %llu times for %d sleeps\n", n, SLEEPS);
	ck_assert_uint_ge(n, SLEEPS);
	json_object_put(root);
	remove_dir(dir);
	diag__close(f);
}
END_TEST

static Suite *irqstats_suite(void)
{
	Suite *s = suite_create("irqstats");
	TCase *tp = tcase_create("proc counters");
	TCase *tt = tcase_create("timers");

	tcase_set_timeout(tp, 30);
	tcase_add_loop_test(tp, test_proc_counts, 0, sizeof(irq_cases) / sizeof(irq_cases[0]));
	suite_add_tcase(s, tp);
	tcase_set_timeout(tt, 30);
	tcase_add_test(tt, test_hrtimer_wakeups);
	suite_add_tcase(s, tt);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(irqstats_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
