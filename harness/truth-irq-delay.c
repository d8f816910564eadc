// SPDX-License-Identifier: GPL-2.0
/*
 * truth-irq-delay.c - irq-delay's ground truth: timer lateness on one CPU
 * in three windows of the same length, each with its own activation:
 *
 *   quiet    the known-quiet baseline: the CPU kept busy by a SCHED_IDLE
 *            loop (so that it never idles and every tick is judged);
 *   fifo     the same plus a SCHED_FIFO busy loop: it starves every other
 *            task of the CPU, but a user-space task cannot hold off a hard
 *            interrupt, so the timer must stay as punctual as in quiet;
 *   irqoff   the same as quiet plus a known disturbance: a perf_event BPF
 *            program (bpf/irqoff.bpf.c) that spins SPIN_MS inside the
 *            timer interrupt, with interrupts off, every SPIN_EVERY_MS.
 *            It counts and times its spins. No module can be loaded here
 *            to do that in a driver; the interrupt-context BPF program is
 *            the controlled way this kernel allows.
 *
 * The baseline is quiet when under 1% of its ticks are late. Each spin
 * holds off the CPU's tick that falls due in it, by more than SPIN_MS -
 * PERIOD > THRESHOLD_MS, so the irqoff window must show at least one late
 * tick per spin, each after a gap of at least the spin's measured length,
 * and a largest lateness of at least that less a period; beyond those, no
 * more late ticks than noise (the quiet window's late ticks on that CPU,
 * and those of the other CPU in the same window, plus NOISE_SLACK). The fifo window may
 * not have more late ticks than that noise either. Every window's lateness
 * distribution is printed for both CPUs. The test process runs on the
 * other CPU. Needs two CPUs, root and BPF.
 */
#include <errno.h>
#include <json-c/json.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "diag-test.h"
#include "hld_record.h"
#include "irqoff.skel.h"

#define PERIOD_US	1000	/* irq-delay's tick */
#define THRESHOLD_MS	3	/* a gap above this is late */
#define SPIN_MS		5	/* one stall: a tick due in it is late by > SPIN_MS - PERIOD */
#define SPIN_EVERY_MS	25
#define WINDOW_MS	500
#define BACKSTOP_MS	3000	/* the busy children end by themselves by then */
#define NOISE_SLACK	2
#define NS_PER_MS	1000000ull

enum { W_QUIET, W_FIFO, W_IRQOFF, W__MAX };

static const char *const window_names[W__MAX] = { "quiet", "fifo", "irqoff" };

/* What one window's report says about one CPU. */
struct cpu_view {
	double ticks, late, max_gap_ns, max_late_ns;
	double hist[HLD_IRQDELAY_SLOTS];	/* by log2 slot, as irq-delay.json lists them */
	double late_long;			/* late-tick records on the CPU with gap >= min spin */
	double active_ms;			/* from before activation to after the report */
};

/* A busy loop child: its CPU, policy and how long it may run. */
struct busy {
	int cpu;
	int policy;		/* SCHED_IDLE or SCHED_FIFO */
	uint64_t ns;
};

/* The interrupt-context spinner. */
struct spinner {
	struct irqoff_bpf *skel;
	struct bpf_link *link;
};

/* CLOCK_MONOTONIC in ns. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Sleep @ms, through signals. */
static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * NS_PER_MS };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Pin the calling thread (and the threads it creates later) to @cpu. */
static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* The child: spin on its CPU under its policy until its time is up (or it is killed). */
static int busy_loop(void *arg)
{
	const struct busy *b = arg;
	struct sched_param sp = { .sched_priority = b->policy == SCHED_FIFO ? 1 : 0 };
	uint64_t end;

	if (pin_to(b->cpu) || sched_setscheduler(0, b->policy, &sp))
		return 1;
	end = now_ns() + b->ns;
	while (now_ns() < end)
		;
	return 0;
}

/* Arm the spinner on @cpu: SPIN_MS with interrupts off every SPIN_EVERY_MS. */
static int spinner__start(struct spinner *s, int cpu)
{
	struct perf_event_attr attr;
	int fd, err;

	memset(s, 0, sizeof(*s));
	s->skel = irqoff_bpf__open();
	if (!s->skel)
		return -errno;
	s->skel->rodata->spin_ns = SPIN_MS * NS_PER_MS;
	err = irqoff_bpf__load(s->skel);
	if (err)
		return err < 0 ? err : -EINVAL;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	attr.sample_period = SPIN_EVERY_MS * NS_PER_MS;
	fd = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	s->link = bpf_program__attach_perf_event(s->skel->progs.irqoff_spin, fd);
	if (!s->link) {
		err = -errno;
		close(fd);
		return err;
	}
	return 0;
}

/* Disarm (libbpf disables and closes the event with the link); the counters stay. */
static void spinner__stop(struct spinner *s)
{
	bpf_link__destroy(s->link);
	s->link = NULL;
}

/* Disarm and unload the spinner. */
static void spinner__free(struct spinner *s)
{
	spinner__stop(s);
	irqoff_bpf__destroy(s->skel);
	s->skel = NULL;
}

/* Member @key of @o, or NULL. */
static json_object *obj_get(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* The number member @key of @o, or NaN (an expectation on it then fails). */
static double num(json_object *o, const char *key)
{
	json_object *v = obj_get(o, key);

	return v ? (double)json_object_get_uint64(v) : __builtin_nan("");
}

/* The log2 slot of a histogram bucket starting at @lo ns late (0: on time). */
static int slot_of(uint64_t lo)
{
	int k = 0;

	while (lo) {
		lo >>= 1;
		k++;
	}
	return k < HLD_IRQDELAY_SLOTS ? k : HLD_IRQDELAY_SLOTS - 1;
}

/* What the report @rep says about @cpu; late_long counts records with gap >= @long_ns. */
static void cpu_view__read(struct cpu_view *v, json_object *rep, int cpu, uint64_t long_ns)
{
	json_object *cpus = obj_get(rep, "per_cpu"), *ev = obj_get(rep, "late_ticks"), *h;

	memset(v, 0, sizeof(*v));
	for (size_t i = 0; cpus && i < json_object_array_length(cpus); i++) {
		json_object *c = json_object_array_get_idx(cpus, i);

		if (num(c, "cpu") != cpu)
			continue;
		v->ticks = num(c, "ticks");
		v->late = num(c, "late");
		v->max_gap_ns = num(c, "max_gap_ns");
		v->max_late_ns = num(c, "max_late_ns");
		h = obj_get(c, "histogram");
		for (size_t k = 0; h && k < json_object_array_length(h); k++) {
			json_object *b = json_object_array_get_idx(h, k);

			v->hist[slot_of(num(b, "late_ns_min"))] += num(b, "count");
		}
	}
	for (size_t i = 0; ev && i < json_object_array_length(ev); i++) {
		json_object *e = json_object_array_get_idx(ev, i);

		if (num(e, "cpu") == cpu && num(e, "gap_ns") >= long_ns)
			v->late_long++;
	}
}

/* Quantile @q of the lateness histogram as text: "on time" or the bucket's bound "< 33 us". */
static const char *cpu_view__quantile(const struct cpu_view *v, double q, char *buf, size_t len)
{
	double total = 0, seen = 0;
	int k;

	for (k = 0; k < HLD_IRQDELAY_SLOTS; k++)
		total += v->hist[k];
	for (k = 0; k < HLD_IRQDELAY_SLOTS - 1; k++) {
		seen += v->hist[k];
		if (seen >= q * total)
			break;
	}
	if (!k)
		snprintf(buf, len, "on time");
	else if (k < 10)
		snprintf(buf, len, "< %llu ns", 1ull << k);
	else
		snprintf(buf, len, "< %.0f us", (double)(1ull << k) / 1e3);
	return buf;
}

/* One line of the lateness distribution of @cpu in a window. */
static void cpu_view__say(struct diag_test *t, const char *window, int cpu,
			  const struct cpu_view *v)
{
	char p50[24], p99[24], p999[24];

	diag_test__say(t, "%-6s CPU %d: %.0f ticks, lateness p50 %s, p99 %s, p99.9 %s, "
		       "max %.3f ms; %.0f late (> %d ms); max gap %.3f ms",
		       window, cpu, v->ticks, cpu_view__quantile(v, 0.5, p50, sizeof(p50)),
		       cpu_view__quantile(v, 0.99, p99, sizeof(p99)),
		       cpu_view__quantile(v, 0.999, p999, sizeof(p999)), v->max_late_ns / 1e6,
		       v->late, THRESHOLD_MS, v->max_gap_ns / 1e6);
}

/*
 * One window: busy children on @cpu, a private activation of irq-delay,
 * the spinner for W_IRQOFF, WINDOW_MS, the report. @views[0] gets @cpu's
 * view, @views[1] the other CPU's. The spinner's counters stay in @sp.
 */
static int run_window(struct diag_test *t, int w, int cpu, int other, struct spinner *sp,
		      struct cpu_view views[2])
{
	struct busy idle = { cpu, SCHED_IDLE, BACKSTOP_MS * NS_PER_MS };
	struct busy fifo = { cpu, SCHED_FIFO, WINDOW_MS * NS_PER_MS };
	struct diag_child ci, cf = { .pid = -1, .go = -1 };
	uint64_t long_ns = 0, t0 = now_ns(), t1;
	json_object *rep;
	int err;

	err = diag_child__start(&ci, "hld-busy-idle", busy_loop, &idle);
	if (!err && w == W_FIFO)
		err = diag_child__start(&cf, "hld-busy-fifo", busy_loop, &fifo);
	if (err)
		return err;
	err = diag_test__activate(t, "period-us=%d threshold-us=%d max-events=1000", PERIOD_US,
				  THRESHOLD_MS * 1000);
	if (!err)
		err = diag_child__go(&ci);
	if (!err && w == W_FIFO)
		err = diag_child__go(&cf);
	if (!err && w == W_IRQOFF)
		err = spinner__start(sp, cpu);
	if (!err) {
		diag_test__say(t, "%s window: %d ms on CPU %d%s", window_names[w], WINDOW_MS, cpu,
			       w == W_QUIET ? ", kept busy by a SCHED_IDLE loop" :
			       w == W_FIFO ? ", a SCHED_FIFO busy loop on it too" :
			       ", interrupts held off by the BPF spinner");
		sleep_ms(WINDOW_MS);
	}
	if (w == W_IRQOFF)
		spinner__stop(sp);
	if (!err)
		err = diag_test__collect(t);
	t1 = now_ns();
	kill(ci.pid, SIGKILL);
	diag_child__wait(&ci);
	if (cf.pid > 0) {
		kill(cf.pid, SIGKILL);
		diag_child__wait(&cf);
	}
	if (err)
		return err;
	rep = diag_test__json(t, "irq-delay.json");
	if (!rep)
		return -EINVAL;
	if (w == W_IRQOFF && sp->skel)
		long_ns = sp->skel->bss->min_spin_ns;
	cpu_view__read(&views[0], rep, cpu, long_ns);
	cpu_view__read(&views[1], rep, other, long_ns);
	views[0].active_ms = views[1].active_ms = (t1 - t0) / 1e6;
	json_object_put(rep);
	cpu_view__say(t, window_names[w], cpu, &views[0]);
	cpu_view__say(t, window_names[w], other, &views[1]);
	return 0;
}

/* The two CPUs the test uses: the last online one is disturbed, the first hosts us. */
static int pick_cpus(int *cpu, int *other)
{
	cpu_set_t set;

	*cpu = *other = -1;
	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		if (*other < 0)
			*other = c;
		*cpu = c;
	}
	return *cpu == *other ? -EOPNOTSUPP : 0;
}

/* The test: the three windows on the last CPU, then the expectations. */
int truth__irq_delay(struct diag_test *t)
{
	struct cpu_view v[W__MAX][2];
	struct spinner sp = { 0 };
	cpu_set_t saved;
	double spins, noise;
	int cpu, other, err;

	err = pick_cpus(&cpu, &other);
	if (err) {
		diag_test__say(t, "needs two CPUs: one to disturb, one to run the test");
		return err;
	}
	if (sched_getaffinity(0, sizeof(saved), &saved))
		return -errno;
	err = pin_to(other);
	for (int w = 0; !err && w < W__MAX; w++) {
		err = run_window(t, w, cpu, other, &sp, v[w]);
		if (!err && w < W__MAX - 1) {	/* the next window opens its own activation */
			diag__close(t->f);
			t->f = NULL;
		}
	}
	sched_setaffinity(0, sizeof(saved), &saved);
	if (err) {
		spinner__free(&sp);
		return err;
	}
	spins = sp.skel->bss->nr_spins;
	diag_test__say(t, "spinner: %.0f stalls of %.3f..%.3f ms (%llu cut short) on CPU %d",
		       spins, sp.skel->bss->min_spin_ns / 1e6, sp.skel->bss->max_spin_ns / 1e6,
		       (unsigned long long)sp.skel->bss->nr_short, cpu);

	diag_test__expect(t, "quiet: ticks on the busy CPU (one per period at most)",
			  v[W_QUIET][0].ticks, WINDOW_MS * 1000 / PERIOD_US / 2,
			  (int)(v[W_QUIET][0].active_ms * 1000 / PERIOD_US) + 1);
	/* The machine's own lateness (an emulated guest's is ~1%) is the other CPU's, same window. */
	diag_test__expect(t, "quiet: late ticks on the busy CPU (under 1% of ticks + the other CPU's)",
			  v[W_QUIET][0].late, 0, (int)(v[W_QUIET][0].ticks / 100) + v[W_QUIET][1].late);
	diag_test__expect(t, "fifo: late ticks (a user-space task cannot hold off the tick)",
			  v[W_FIFO][0].late, 0, v[W_QUIET][0].late + v[W_FIFO][1].late + NOISE_SLACK);
	diag_test__expect(t, "irqoff: stalls caused (one per spinner period)", spins,
			  WINDOW_MS / SPIN_EVERY_MS / 2, WINDOW_MS / SPIN_EVERY_MS + 2);
	diag_test__expect(t, "irqoff: spins cut short", sp.skel->bss->nr_short, 0, 0);
	noise = v[W_QUIET][0].late + v[W_IRQOFF][1].late + NOISE_SLACK;
	diag_test__expect(t, "irqoff: late ticks on the disturbed CPU (stalls .. stalls + noise)",
			  v[W_IRQOFF][0].late, spins, spins + noise);
	diag_test__expect(t, "irqoff: late ticks recorded with a gap >= the shortest stall",
			  v[W_IRQOFF][0].late_long, spins, spins + noise);
	diag_test__expect(t, "irqoff: longest gap >= the longest stall (ms)",
			  v[W_IRQOFF][0].max_gap_ns / 1e6, sp.skel->bss->max_spin_ns / 1e6, 1e9);
	diag_test__expect(t, "irqoff: largest lateness >= longest stall - period (ms)",
			  v[W_IRQOFF][0].max_late_ns / 1e6,
			  sp.skel->bss->max_spin_ns / 1e6 - PERIOD_US / 1e3, 1e9);
	diag_test__expect(t, "drops", t->f->drops, 0, 0);
	spinner__free(&sp);
	return 0;
}
