// SPDX-License-Identifier: GPL-2.0
/*
 * truth-irq-stats.c - irq-stats' ground truth: the kernel's own counters.
 * Over one window the feature's per-CPU counts of each hard IRQ line, each
 * system vector (LOC, RES, CAL) and each softirq must agree with the deltas
 * of /proc/interrupts and /proc/softirqs, and the timer table must hold at
 * least one hrtimer_wakeup per nanosleep() the workload made.
 *
 * The files are read (each with one bounded read of the whole file) four
 * times: A0 before activation, A1 right after it, B0 right before the
 * report (which detaches first) and B1 after it. Everything the kernel
 * counted between A1 and B0 happened while the programs were attached, and
 * they were attached only between A0 and B1, so for every line and CPU
 *
 *	B0 - A1  <=  counted  <=  B1 - A0
 *
 * with no assumption on timing: that is the tolerance the window edges
 * impose. The kernel bumps its counter a little before the tracepoints
 * fire (and irq-stats counts at the exit one), so one event can straddle
 * each edge: EDGE_SLACK allows one per edge and per cell. Shared IRQ lines
 * are skipped (the feature counts each handler run, the kernel each
 * interrupt). A second report right after the first, with nothing
 * attached, must be empty: the first drained everything.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diag-test.h"
#include "procfs.h"

#define PROC_MAX_LINES	256
#define PROC_MAX_CPUS	64
#define PROC_BUF	(256 * 1024)
#define EDGE_SLACK	2
#define SLEEPS		50
#define DIRECT_READS	32
#define TOP_TIMERS	10000	/* every timer function in the report */

/* One line of /proc/interrupts or /proc/softirqs: per-CPU counts. */
struct proc_line {
	char name[32];			/* "36", "LOC", "TIMER" */
	bool shared;			/* several handlers on the line */
	unsigned long long cpu[PROC_MAX_CPUS];
};

struct proc_counts {
	int nr_cpus;
	int cpu_ids[PROC_MAX_CPUS];	/* column -> CPU number */
	struct proc_line lines[PROC_MAX_LINES];
	int nr;
};

/* The tables compared, and where their rows are in the report. */
enum src { SRC_IRQS, SRC_VECTORS, SRC_SOFTIRQS, SRC__MAX };

static const struct irq_table {
	const char *what;
	const char *path;
	const char *table;		/* array in irq-stats.json */
	const char *key;		/* member naming a row: "irq" or "name" */
} irq_tables[SRC__MAX] = {
	[SRC_IRQS] = { "numbered IRQ lines", "/proc/interrupts", "irqs", "irq" },
	[SRC_VECTORS] = { "system vectors LOC RES CAL", "/proc/interrupts", "vectors", "name" },
	[SRC_SOFTIRQS] = { "softirqs", "/proc/softirqs", "softirqs", "name" },
};

static const char *const vector_lines[] = { "LOC", "RES", "CAL" };

/* Parse the text of /proc/interrupts or /proc/softirqs into @pc. */
static int proc_parse(char *text, struct proc_counts *pc)
{
	char *line, *save = NULL, *p, *end;

	memset(pc, 0, sizeof(*pc));
	line = strtok_r(text, "\n", &save);
	if (!line)
		return -EINVAL;
	for (p = line; (p = strstr(p, "CPU")) && pc->nr_cpus < PROC_MAX_CPUS; p += 3)
		pc->cpu_ids[pc->nr_cpus++] = atoi(p + 3);
	while (pc->nr < PROC_MAX_LINES && (line = strtok_r(NULL, "\n", &save))) {
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
	return pc->nr_cpus ? 0 : -EINVAL;
}

/* Read @path with one bounded read into @buf and parse it. */
static int proc_read(const char *path, char *buf, struct proc_counts *pc)
{
	int err = procfs__read(path, buf, PROC_BUF);

	return err ? err : proc_parse(buf, pc);
}

/* The line named @name in @pc, or NULL. */
static const struct proc_line *proc_find(const struct proc_counts *pc, const char *name)
{
	for (int i = 0; i < pc->nr; i++)
		if (!strcmp(pc->lines[i].name, name))
			return &pc->lines[i];
	return NULL;
}

/* Is line @l compared in table @src? */
static bool line_checked(enum src src, const struct proc_line *l)
{
	switch (src) {
	case SRC_IRQS:
		return l->name[0] >= '0' && l->name[0] <= '9' && !l->shared;
	case SRC_VECTORS:
		for (size_t i = 0; i < sizeof(vector_lines) / sizeof(vector_lines[0]); i++)
			if (!strcmp(l->name, vector_lines[i]))
				return true;
		return false;
	default:
		return true;
	}
}

/* Member @key of @o, or NULL. */
static json_object *obj_get(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/*
 * The count on @cpu of the row of array @table in the report @rep whose
 * @key member (a string or an integer) reads @name; 0 if there is none.
 */
static unsigned long long report_count(json_object *rep, const char *table, const char *key,
				       const char *name, int cpu)
{
	json_object *arr = obj_get(rep, table), *pc, *v;

	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		v = obj_get(e, key);
		if (!v || strcmp(json_object_get_string(v), name))
			continue;
		pc = obj_get(e, "per_cpu");
		for (size_t k = 0; pc && k < json_object_array_length(pc); k++) {
			json_object *c = json_object_array_get_idx(pc, k);

			if (json_object_get_int(obj_get(c, "cpu")) == cpu)
				return json_object_get_int64(obj_get(c, "count"));
		}
	}
	return 0;
}

/* Total count of the timer callback @func over all CPUs. */
static double timer_count(json_object *rep, const char *func)
{
	json_object *arr = obj_get(rep, "timers");
	double n = 0;

	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		const char *name = json_object_get_string(obj_get(e, "name"));

		if (name && !strcmp(name, func))
			n += json_object_get_int64(obj_get(e, "count"));
	}
	return n;
}

/* A little work that raises interrupts and timers: O_DIRECT reads, @sleeps 1 ms sleeps. */
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

/* The four readings of both files. */
struct readings {
	struct proc_counts a0, a1, b0, b1;
};

/*
 * Compare table @src of the report @rep with the readings @r: every cell
 * (line, CPU) within its window bounds, and the totals.
 */
static void check_table(struct diag_test *t, enum src src, const struct readings *r,
			json_object *rep)
{
	const struct irq_table *it = &irq_tables[src];
	unsigned long long inner = 0, outer = 0, counted = 0;
	int lines = 0, cells = 0, outside = 0;
	char what[128];

	for (int i = 0; i < r->b0.nr; i++) {
		const struct proc_line *l0 = proc_find(&r->a0, r->b0.lines[i].name);
		const struct proc_line *l1 = proc_find(&r->a1, r->b0.lines[i].name);
		const struct proc_line *l3 = proc_find(&r->b1, r->b0.lines[i].name);

		if (!l0 || !l1 || !l3 || !line_checked(src, &r->b0.lines[i]))
			continue;
		lines++;
		for (int k = 0; k < r->b0.nr_cpus; k++) {
			unsigned long long lo = r->b0.lines[i].cpu[k] - l1->cpu[k];
			unsigned long long hi = l3->cpu[k] - l0->cpu[k];
			unsigned long long n = report_count(rep, it->table, it->key,
							    r->b0.lines[i].name, r->b0.cpu_ids[k]);

			cells++;
			if (n + EDGE_SLACK < lo || n > hi + EDGE_SLACK) {
				outside++;
				diag_test__say(t, "%s %s CPU %d: counted %llu, the kernel %llu..%llu",
					       it->what, r->b0.lines[i].name, r->b0.cpu_ids[k], n,
					       lo, hi);
			}
			inner += lo;
			outer += hi;
			counted += n;
		}
	}
	diag_test__say(t, "%s: %d lines x %d CPUs; the kernel counted %llu inside the window, "
		       "%llu with its edges; irq-stats %llu", it->what, lines, r->b0.nr_cpus,
		       inner, outer, counted);
	snprintf(what, sizeof(what), "%s: cells outside the kernel's bounds +-%d", it->what,
		 EDGE_SLACK);
	diag_test__expect(t, what, outside, 0, 0);
	snprintf(what, sizeof(what), "%s: total counted", it->what);
	diag_test__expect(t, what, counted, inner > (unsigned long long)EDGE_SLACK * cells ?
			  inner - EDGE_SLACK * cells : 0, outer + EDGE_SLACK * cells);
	if (!cells)
		diag_test__expect(t, "lines compared", 0, 1, 1e9);
}

/* The test: read, activate, read, work, read, report, read, compare; then report again. */
int truth__irq_stats(struct diag_test *t)
{
	struct readings *r = calloc(2, sizeof(*r))	/* /proc/interrupts, /proc/softirqs */;
	char *buf = malloc(PROC_BUF);
	json_object *rep = NULL;
	int err = -ENOMEM;

	if (!r || !buf)
		goto out;
	err = proc_read("/proc/interrupts", buf, &r[0].a0);
	if (!err)
		err = proc_read("/proc/softirqs", buf, &r[1].a0);
	if (!err)
		err = diag_test__activate(t, "top-timers=%d", TOP_TIMERS);
	if (!err)
		err = proc_read("/proc/interrupts", buf, &r[0].a1);
	if (!err)
		err = proc_read("/proc/softirqs", buf, &r[1].a1);
	if (err)
		goto out;
	diag_test__say(t, "%d O_DIRECT reads of 4 KiB and %d nanosleep(1 ms)", DIRECT_READS, SLEEPS);
	workload(SLEEPS);
	err = proc_read("/proc/interrupts", buf, &r[0].b0);
	if (!err)
		err = proc_read("/proc/softirqs", buf, &r[1].b0);
	if (!err)
		err = diag_test__collect(t);
	if (!err)
		err = proc_read("/proc/interrupts", buf, &r[0].b1);
	if (!err)
		err = proc_read("/proc/softirqs", buf, &r[1].b1);
	if (!err) {
		rep = diag_test__json(t, "irq-stats.json");
		err = rep ? 0 : -EINVAL;
	}
	if (err)
		goto out;
	check_table(t, SRC_IRQS, &r[0], rep);
	check_table(t, SRC_VECTORS, &r[0], rep);
	check_table(t, SRC_SOFTIRQS, &r[1], rep);
	diag_test__expect(t, "hrtimer_wakeup runs (one per nanosleep at least)",
			  timer_count(rep, "hrtimer_wakeup"), SLEEPS, 1e9);
	diag_test__expect(t, "drops", t->f->drops, 0, 0);
	err = diag_test__collect(t);
	if (!err)
		diag_test__expect(t, "events in a second report, nothing attached", t->f->events, 0, 0);
out:
	if (rep)
		json_object_put(rep);
	free(buf);
	free(r);
	return err;
}
