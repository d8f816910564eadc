// SPDX-License-Identifier: GPL-2.0
/*
 * builtin-bench.c - `hldbench bench syscall|profile`: what diagnosis costs,
 * measured in one run against a floor and a peer.
 *
 * syscall: a getppid loop under nothing; the floor (no-op BPF programs on
 * raw_tp sys_enter/sys_exit); sys-cost on the eBPF backend, and on the
 * kernel module where hld.ko is loaded; bpftrace doing sys-cost's job
 * (count and time per syscall id). Ratios compare what each adds per call
 * with what the floor adds.
 *
 * profile: a CPU-bound loop on every CPU under nothing; the bare 999 Hz
 * cpu-clock sampling interrupt (the floor every profiler pays); hldbench
 * perf at 999 Hz, on the eBPF backend and, where hld.ko is loaded, on the
 * module; `perf record -F 999 -g -a`. Figures are throughput
 * losses per CPU second, so that other tenants of the machine cancel out.
 *
 * Configurations are interleaved round by round so that drift of the
 * machine hits them alike; each figure is the median over the rounds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench-loadmon.h"
#include "bpf-util.h"
#include "builtin.h"
#include "diag.h"
#include "floor.h"
#include "kmod-dev.h"
#include "peer.h"
#include "hld_settings.h"
#include "profile.h"
#include "run-command.h"
#include "stats.h"

#define MAX_ROUNDS 50
#define TRACEFS "/sys/kernel/tracing"

enum bench_config {
	CFG_NONE, CFG_FLOOR, CFG_CLOCKS, CFG_SYSCOST, CFG_SYSCOST_COUNT, CFG_KMOD,
	CFG_KMOD_COUNT, CFG_BPFTRACE, CFG__MAX
};

static const char *const config_names[CFG__MAX] = {
	"no tracing", "floor: no-op raw_tp enter+exit", "floor + 2 clock reads (reference)",
	"hldbench sys-cost (eBPF)", "hldbench sys-cost time=0 (eBPF)", "hldbench sys-cost (hld.ko)",
	"hldbench sys-cost time=0 (hld.ko)", "bpftrace count+time",
};

/* bpftrace doing sys-cost's job: count and time per syscall id. */
static const char bpftrace_prog[] =
	"tracepoint:raw_syscalls:sys_enter { @s[tid] = nsecs; } "
	"tracepoint:raw_syscalls:sys_exit /@s[tid]/ { @n[args->id] = count(); "
	"@t[args->id] = sum(nsecs - @s[tid]); delete(@s[tid]); }";

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ns per getppid over @calls calls. */
static double syscall_loop(long calls)
{
	uint64_t t0 = now_ns();

	for (long i = 0; i < calls; i++)
		syscall(SYS_getppid);
	return (double)(now_ns() - t0) / calls;
}

/* Start bpftrace and wait until its probes are attached. */
static int bpftrace_start(struct child_process *cp, const char *log)
{
	static const char *argv[] = { "bpftrace", "-e", bpftrace_prog, NULL };
	char buf[4096];

	cp->argv = argv;
	cp->out_path = log;
	cp->err_path = NULL;
	if (child__start(cp))
		return -ENOENT;
	for (int i = 0; i < 600; i++) {
		FILE *f = fopen(log, "r");
		size_t n = 0;

		if (f) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
		}
		buf[n] = '\0';
		if (strstr(buf, "Attaching"))
			return 0;
		if (child__poll(cp))
			return -EIO;
		usleep(50000);
	}
	child__stop(cp, 1000);
	return -ETIMEDOUT;
}

/*
 * Measure one configuration once: ns per call in @ns, or -errno if it
 * cannot run. @syscost: sys-cost on each backend, [0] eBPF, [1] the module.
 */
static int measure(enum bench_config c, long calls, const struct diag_ops *const syscost[2],
		   const char *log, double *ns)
{
	struct child_process cp = { 0 };
	struct diag_feature *f = NULL;
	struct floor *fl = NULL;
	int err = 0;

	switch (c) {
	case CFG_NONE:
		break;
	case CFG_FLOOR:
		fl = floor__attach(&err);
		break;
	case CFG_CLOCKS:
		fl = floor__attach_clocks(&err);
		break;
	case CFG_SYSCOST:
	case CFG_SYSCOST_COUNT:
	case CFG_KMOD:
	case CFG_KMOD_COUNT:
		f = diag__open(syscost[c >= CFG_KMOD], NULL);
		if (f && (c == CFG_SYSCOST_COUNT || c == CFG_KMOD_COUNT))
			((struct hld_syscost_settings *)f->settings)->time = 0;
		err = f ? f->ops->activate(f) : -ENOMEM;
		break;
	case CFG_BPFTRACE:
		err = bpftrace_start(&cp, log);
		break;
	default:
		return -EINVAL;
	}
	if (!err)
		*ns = syscall_loop(calls);
	if (fl)
		floor__detach(fl);
	if (f) {
		if (!err)
			f->ops->deactivate(f);
		diag__close(f);
	}
	if (c == CFG_BPFTRACE && !err)
		child__stop(&cp, 5000);
	return err;
}

/* Feature @name on the kernel module, if hld.ko is loaded and has it; else NULL, said. */
static const struct diag_ops *kmod_feature(const char *name)
{
	char why[256];
	const struct diag_backend *b = diag__backend("kmod", why, sizeof(why));
	const struct diag_ops *ops = b ? diag__find(b, name, why, sizeof(why)) : NULL;

	if (ops && ops->probe && ops->probe(why, sizeof(why)))
		ops = NULL;
	if (!ops)
		fprintf(stderr, "hldbench bench: no hld.ko row for %s: %s\n", name, why);
	return ops;
}

enum profile_config { PCFG_CLOCK, PCFG_HLDPERF, PCFG_KMODPERF, PCFG_PERFREC, PCFG__MAX };

static const char *const profile_names[PCFG__MAX] = {
	"floor: cpu-clock 999 Hz, no program", "hldbench perf 999 Hz (eBPF)",
	"hldbench perf 999 Hz (hld.ko)", "perf record -F 999 -g -a",
};

/* hldbench perf's configurations: the feature on each backend, and its on/off switch. */
static bool profile_is_hld(enum profile_config kind)
{
	return kind == PCFG_HLDPERF || kind == PCFG_KMODPERF;
}

#define PROFILE_FREQ	999
#define PROFILE_MAX_CPUS 256
#define PROFILE_SLICE_MS 100	/* the profiler is on and off in turn for this long */
#define PROFILE_SLICES	20	/* per run: half on, half off */
#define PROFILE_WARMUP_MS 50	/* spinning before the first slice, not counted */
#define PROFILE_ROUNDS	10
#define PROFILE_ACK_MS	30000	/* perf record's answer to a control command (slow in TCG guests) */

/* Spinner states: the profiler off, on, not counted yet, stop. */
enum { SPIN_OFF, SPIN_ON, SPIN_WARMUP, SPIN_STOP };

struct spinner {
	pthread_t thread;
	int cpu;
	atomic_int *state;
	uint64_t iterations[2];		/* by state: off, on */
	uint64_t cpu_ns[2];
	uint64_t total_ns;		/* all the thread's CPU time, warm-up included */
};

/* The CPU clock @id (thread or process) in ns. */
static uint64_t thread_cpu_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static volatile uint64_t spin_sink;

/*
 * Spin on one CPU, counting xorshift rounds, and split the count and the
 * thread's CPU time by the state the profiler was in. Interrupt time is
 * charged to the task it interrupts here (no IRQ_TIME_ACCOUNTING), so the
 * sampling cost lands in that CPU time, while time other tasks take the
 * CPU does not count.
 */
static void *spinner_main(void *arg)
{
	struct spinner *sp = arg;
	uint64_t x = 88172645463325252ull, n = 0, t0, start;
	int cur = SPIN_WARMUP;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(sp->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	start = t0 = thread_cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	for (;;) {
		int st = atomic_load_explicit(sp->state, memory_order_relaxed);

		if (st != cur) {
			uint64_t t = thread_cpu_ns(CLOCK_THREAD_CPUTIME_ID);

			if (cur == SPIN_OFF || cur == SPIN_ON) {
				sp->cpu_ns[cur] += t - t0;
				sp->iterations[cur] += n;
			}
			n = 0;
			t0 = t;
			cur = st;
			if (st == SPIN_STOP)
				break;
		}
		for (int i = 0; i < 4096; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		n += 4096;
	}
	sp->total_ns = thread_cpu_ns(CLOCK_THREAD_CPUTIME_ID) - start;
	spin_sink = x;
	return NULL;
}

/* CPU time of every thread of process @pid so far (/proc/PID/task/TID/schedstat), in ns. */
static uint64_t process_cpu_ns(pid_t pid)
{
	char path[64];
	struct dirent *d;
	uint64_t sum = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		unsigned long long ns;
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/schedstat", pid, d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &ns) == 1)
			sum += ns;
		fclose(f);
	}
	closedir(dir);
	return sum;
}

/* A profiler that can be switched on and off without being torn down. */
struct profiler {
	enum profile_config kind;
	int fds[PROFILE_MAX_CPUS], nr_fds;	/* the floor's events */
	struct diag_feature *f;			/* hldbench perf */
	struct diag_runner *runner;
	uint64_t bpf_ns, bpf_runs;		/* its BPF run time, once stopped */
	struct child_process cp;		/* perf record */
	struct perf_ctl ctl;			/* its control fifos */
	char dir[64], data[96];
};

/*
 * `perf record -a -g` started with its events disabled and a control fifo
 * pair; ready once it has acknowledged a first command.
 */
static int perf_record_start(struct profiler *pr)
{
	static const char *argv[12];
	int err;

	strcpy(pr->dir, "/tmp/hldbench-perf-XXXXXX");
	if (!mkdtemp(pr->dir))
		return -errno;
	snprintf(pr->data, sizeof(pr->data), "%s/perf.data", pr->dir);
	err = peer__perf_ctl_open(&pr->ctl, pr->dir);
	if (err)
		return err;
	argv[0] = "perf";
	argv[1] = "record";
	argv[2] = "-F999";
	argv[3] = "-g";
	argv[4] = "-a";
	argv[5] = "-D";
	argv[6] = "-1";
	argv[7] = pr->ctl.arg;
	argv[8] = "-o";
	argv[9] = pr->data;
	argv[10] = NULL;
	pr->cp.argv = argv;
	if (child__start(&pr->cp))
		return -ENOENT;
	return peer__perf_ctl_cmd(&pr->ctl, "disable", PROFILE_ACK_MS);
}

/* Switch the profiler's sampling on or off; it stays set up. */
static int profiler__set(struct profiler *pr, bool on)
{
	switch (pr->kind) {
	case PCFG_CLOCK:
		for (int i = 0; i < pr->nr_fds; i++)
			if (ioctl(pr->fds[i], on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE, 0))
				return -errno;
		return 0;
	case PCFG_HLDPERF:
		return profile__enable(pr->f, on);
	case PCFG_KMODPERF:
		return kmod_perf__enable(pr->f, on);
	case PCFG_PERFREC:
		return peer__perf_ctl_cmd(&pr->ctl, on ? "enable" : "disable", PROFILE_ACK_MS);
	default:
		return -EINVAL;
	}
}

/* Set up @kind with its sampling switched off; @perf: hldbench perf's ops for @kind. */
static int profiler__start(struct profiler *pr, enum profile_config kind,
			   const struct diag_ops *perf)
{
	struct hld_perf_settings s;
	int n = sysconf(_SC_NPROCESSORS_ONLN), err = 0;

	memset(pr, 0, sizeof(*pr));
	pr->kind = kind;
	switch (kind) {
	case PCFG_CLOCK:
		for (int cpu = 0; cpu < n && cpu < PROFILE_MAX_CPUS && !err; cpu++) {
			int fd = profile__open_clock(cpu, PROFILE_FREQ);

			if (fd < 0)
				return fd;
			pr->fds[pr->nr_fds++] = fd;
			err = ioctl(fd, PERF_EVENT_IOC_DISABLE, 0) ? -errno : 0;
		}
		return err;
	case PCFG_HLDPERF:
	case PCFG_KMODPERF:
		err = opts__defaults(diag_descs[DIAG_perf].opts, &s);
		s.freq = PROFILE_FREQ;
		pr->f = err ? NULL : diag__open(perf, &s);
		if (!pr->f)
			return -ENOMEM;
		err = perf->activate(pr->f);
		if (err) {
			diag__close(pr->f);
			pr->f = NULL;
			return err;
		}
		err = profiler__set(pr, false);
		if (!err)
			pr->runner = diag_runner__start(&pr->f, 1, &err);
		return err;
	case PCFG_PERFREC:
		return perf_record_start(pr);
	default:
		return -EINVAL;
	}
}

/* Tear down what profiler__start() set up, also after it failed half-way. */
static void profiler__stop(struct profiler *pr)
{
	uint64_t ns;
	bool rt;

	for (int i = 0; i < pr->nr_fds; i++)
		close(pr->fds[i]);
	if (pr->runner)
		diag_runner__stop(pr->runner, &ns, &rt);
	if (pr->f) {
		pr->f->ops->deactivate(pr->f);
		pr->bpf_ns = pr->f->kernel_run_ns;
		pr->bpf_runs = pr->f->kernel_run_cnt;
		diag__close(pr->f);
		pr->f = NULL;
	}
	if (pr->cp.pid > 0) {
		kill(pr->cp.pid, SIGINT);
		child__wait(&pr->cp);
	}
	peer__perf_ctl_close(&pr->ctl);
	if (pr->dir[0]) {
		unlink(pr->data);
		rmdir(pr->dir);
	}
}

/* One run of one configuration. */
struct profile_run {
	double rate[2];			/* iterations per CPU second: off, on */
	double wall_ns[2];		/* time in off and on slices */
	double own_ns;			/* the profiler's own CPU time during the run */
	double own_wall_ns;		/* ... which lasted this long */
	int nr_cpus;
	uint64_t bpf_ns, bpf_runs;	/* hldbench perf: BPF run time and runs */
};

/*
 * One run: a spinner on every online CPU, and the profiler switched on and
 * off every PROFILE_SLICE_MS, starting with @first. The profiler's own CPU
 * time is its process's (perf record) or, for hldbench perf, what this
 * process used besides the spinners and this thread.
 */
static int profile_run(enum profile_config kind, const struct diag_ops *perf, bool first,
		       struct profile_run *pr_out)
{
	int nr = sysconf(_SC_NPROCESSORS_ONLN), err;
	uint64_t iters[2] = { 0 }, cpu[2] = { 0 }, spun = 0, own0, main0, t0;
	struct spinner sp[PROFILE_MAX_CPUS];
	atomic_int state = SPIN_WARMUP;
	struct profiler pr;
	bool on = first;

	if (nr > PROFILE_MAX_CPUS)
		nr = PROFILE_MAX_CPUS;
	memset(pr_out, 0, sizeof(*pr_out));
	pr_out->nr_cpus = nr;
	err = profiler__start(&pr, kind, perf);
	if (err) {
		profiler__stop(&pr);
		return err;
	}
	own0 = kind == PCFG_PERFREC ? process_cpu_ns(pr.cp.pid) :
	       thread_cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	main0 = thread_cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	t0 = now_ns();
	for (int i = 0; i < nr; i++) {
		sp[i] = (struct spinner){ .cpu = i, .state = &state };
		pthread_create(&sp[i].thread, NULL, spinner_main, &sp[i]);
	}
	usleep(PROFILE_WARMUP_MS * 1000);
	for (int s = 0; s < PROFILE_SLICES && !err; s++, on = !on) {
		uint64_t s0;

		err = profiler__set(&pr, on);
		atomic_store(&state, on ? SPIN_ON : SPIN_OFF);
		s0 = now_ns();
		usleep(PROFILE_SLICE_MS * 1000);
		pr_out->wall_ns[on] += now_ns() - s0;
	}
	if (!err)
		err = profiler__set(&pr, false);
	atomic_store(&state, SPIN_STOP);
	for (int i = 0; i < nr; i++) {
		pthread_join(sp[i].thread, NULL);
		for (int k = 0; k < 2; k++) {
			iters[k] += sp[i].iterations[k];
			cpu[k] += sp[i].cpu_ns[k];
		}
		spun += sp[i].total_ns;
	}
	if (kind == PCFG_PERFREC)
		pr_out->own_ns = process_cpu_ns(pr.cp.pid) - own0;
	else if (profile_is_hld(kind))
		pr_out->own_ns = (double)(thread_cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - own0) - spun -
				 (thread_cpu_ns(CLOCK_THREAD_CPUTIME_ID) - main0);
	if (pr_out->own_ns < 0)
		pr_out->own_ns = 0;
	pr_out->own_wall_ns = now_ns() - t0;
	for (int k = 0; k < 2; k++)
		pr_out->rate[k] = cpu[k] ? iters[k] / (cpu[k] / 1e9) : 0;
	profiler__stop(&pr);
	pr_out->bpf_ns = pr.bpf_ns;
	pr_out->bpf_runs = pr.bpf_runs;
	return err;
}

/*
 * `hldbench bench profile`: the throughput each profiler at 999 Hz takes
 * from a CPU-bound loop on every CPU, as it would on a machine of our own
 * although this one is shared and noisy.
 *
 * - In each run the profiler is set up once and switched on and off every
 *   PROFILE_SLICE_MS (perf events enabled and disabled; perf record through
 *   its control fifo): the slices with and without it are 100 ms apart, so
 *   drift of the machine hits both alike.
 * - The loop's rate is iterations per CPU second: interrupt time is charged
 *   to the interrupted task, so the sampling cost shows in it, and other
 *   tenants taking the CPU away do not.
 * - The profiler's own process or thread is added as its CPU time over all
 *   CPUs' time: for perf record per second on (its work follows the
 *   samples), for hldbench per second of the run (its poll thread runs on
 *   a timer, on or off).
 * Rounds run the configurations in rotated order; figures are medians over
 * the rounds with their interquartile range.
 */
static int bench_profile(long rounds)
{
	static double loss[PCFG__MAX][MAX_ROUNDS], irq[PCFG__MAX][MAX_ROUNDS];
	static double own[PCFG__MAX][MAX_ROUNDS];
	char why[256];
	const struct diag_backend *b = diag__backend("bpf", why, sizeof(why));
	const struct diag_ops *perf[PCFG__MAX] = { NULL };
	uint64_t bpf_ns = 0, bpf_runs = 0;
	bool skip[PCFG__MAX] = { false };
	int n[PCFG__MAX] = { 0 }, stats_fd;

	perf[PCFG_HLDPERF] = b ? diag__find(b, "perf", why, sizeof(why)) : NULL;
	if (!perf[PCFG_HLDPERF]) {
		fprintf(stderr, "hldbench bench: %s\n", why);
		return HLD_EXIT_UNSUPPORTED;
	}
	/* The module's row where hld.ko is loaded (the QEMU guests of make bench-vm). */
	perf[PCFG_KMODPERF] = kmod_feature("perf");
	skip[PCFG_KMODPERF] = !perf[PCFG_KMODPERF];
	/* BPF run time per sample; the accounting adds two clock reads per run. */
	stats_fd = b->cost_begin ? b->cost_begin() : -ENOTSUP;
	for (long r = 0; r < rounds; r++) {
		for (int i = 0; i < PCFG__MAX; i++) {
			int k = (i + r) % PCFG__MAX, err;
			struct profile_run run;
			double own_wall;

			if (skip[k])
				continue;
			err = profile_run(k, perf[k], r % 2, &run);
			if (err) {
				fprintf(stderr, "hldbench bench: %s: cannot run: %s\n", profile_names[k],
					strerror(-err));
				if (k == PCFG_PERFREC) {
					skip[k] = true;
					continue;
				}
				if (stats_fd >= 0)
					close(stats_fd);
				return HLD_EXIT_FAIL;
			}
			bpf_ns += run.bpf_ns;
			bpf_runs += run.bpf_runs;
			own_wall = k == PCFG_PERFREC ? run.wall_ns[1] : run.own_wall_ns;
			irq[k][n[k]] = (1 - run.rate[1] / run.rate[0]) * 100;
			own[k][n[k]] = 100.0 * run.own_ns / (run.nr_cpus * own_wall);
			loss[k][n[k]] = irq[k][n[k]] + own[k][n[k]];
			n[k]++;
		}
	}
	if (stats_fd >= 0)
		close(stats_fd);
	printf("CPU-bound loop on every CPU; each profiler on and off in turn every %d ms,\n"
	       "%d slices per run, %ld rounds with the profilers interleaved. loss = loop\n"
	       "iterations per CPU second lost while on (sampling: interrupt and program)\n"
	       "+ the profiler's own CPU time over all CPUs' time. Medians and IQR.\n",
	       PROFILE_SLICE_MS, PROFILE_SLICES, rounds);
	printf("%-38s %8s %15s %10s %9s %11s\n", "", "loss %", "IQR", "sampling", "own",
	       "over floor");
	for (int k = 0; k < PCFG__MAX; k++) {
		double med = stats__median(loss[k], n[k]);

		if (!n[k])
			continue;
		printf("%-38s %8.2f %7.2f..%-7.2f %10.2f %9.3f", profile_names[k], med,
		       stats__percentile(loss[k], n[k], 25), stats__percentile(loss[k], n[k], 75),
		       stats__median(irq[k], n[k]), stats__median(own[k], n[k]));
		if (k != PCFG_CLOCK && n[PCFG_CLOCK])
			printf(" %+11.2f", med - stats__median(loss[PCFG_CLOCK], n[PCFG_CLOCK]));
		printf("\n");
	}
	if (bpf_runs)
		printf("hldbench perf (eBPF): BPF run time %.2f us per sample (%llu samples)\n",
		       bpf_ns / 1e3 / bpf_runs, (unsigned long long)bpf_runs);
	return HLD_EXIT_OK;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: hldbench bench syscall [--calls N] [--rounds R] [--no-bpftrace]\n"
		   "       hldbench bench profile [--rounds R]\n"
		   "       hldbench bench load-monitor [--rounds R] [--seconds N] [--tasks M]\n\n"
		   "Cost per getppid() of: no tracing, the floor (no-op BPF programs on\n"
		   "sys_enter and sys_exit), the same with one bpf_ktime_get_ns() in each\n"
		   "(a reference), hldbench sys-cost, and bpftrace counting and\n"
		   "timing syscalls; medians over interleaved rounds, and what each adds\n"
		   "per call as a multiple of what the floor adds.\n\n"
		   "profile: throughput a CPU-bound loop on every CPU loses to the bare\n"
		   "999 Hz cpu-clock sampling interrupt, to hldbench perf at 999 Hz and to\n"
		   "perf record -F 999 -g -a, each switched on and off every 100 ms (default\n"
		   "10 rounds of 2 s each).\n\n"
		   "load-monitor: its in-kernel cost per check and share of one CPU with the\n"
		   "threshold not crossed, against the 0.2%% budget, and its cost per capture\n"
		   "with M processes held in D state ('bench load-monitor --help').\n"
		   "Needs root.\n");
}

int cmd_bench(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "calls", required_argument, NULL, 'c' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "no-bpftrace", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	double ns[CFG__MAX][MAX_ROUNDS], med[CFG__MAX];
	bool ran[CFG__MAX] = { false }, mounted = false, want_bpftrace = true, calls_set = false;
	bool rounds_set = false;
	long calls = 2000000, rounds = 5;
	const struct diag_ops *syscost[2];
	const struct diag_backend *b;
	char why[256], log[] = "/tmp/hldbench-bpftrace-XXXXXX";
	cpu_set_t cpus;
	char *end;
	int c, fd;

	if (argc >= 2 && !strcmp(argv[1], "load-monitor"))
		return bench_load_monitor(argc - 1, argv + 1);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			calls_set = true;
			calls = strtol(optarg, &end, 10);
			if (*end || calls < 1000 || calls > 1000000000) {
				fprintf(stderr, "hldbench bench: --calls: bad count '%s' (accepted 1000..1e9)\n", optarg);
				return HLD_EXIT_USAGE;
			}
			break;
		case 'r':
			rounds_set = true;
			rounds = strtol(optarg, &end, 10);
			if (*end || rounds < 1 || rounds > MAX_ROUNDS) {
				fprintf(stderr, "hldbench bench: --rounds: bad count '%s' (accepted 1..%d)\n",
					optarg, MAX_ROUNDS);
				return HLD_EXIT_USAGE;
			}
			break;
		case 'n':
			want_bpftrace = false;
			break;
		case 'h':
			usage(stdout);
			return HLD_EXIT_OK;
		default:
			usage(stderr);
			return HLD_EXIT_USAGE;
		}
	}
	if (optind == argc - 1 && !strcmp(argv[optind], "profile")) {
		if (calls_set || !want_bpftrace) {
			fprintf(stderr, "hldbench bench profile: --calls and --no-bpftrace are "
				"options of 'bench syscall'\n");
			return HLD_EXIT_USAGE;
		}
		return bench_profile(rounds_set ? rounds : PROFILE_ROUNDS);
	}
	if (optind != argc - 1 || strcmp(argv[optind], "syscall")) {
		usage(stderr);
		return HLD_EXIT_USAGE;
	}
	b = diag__backend("bpf", why, sizeof(why));
	syscost[0] = b ? diag__find(b, "sys-cost", why, sizeof(why)) : NULL;
	if (!syscost[0]) {
		fprintf(stderr, "hldbench bench: %s\n", why);
		return HLD_EXIT_UNSUPPORTED;
	}
	/* The module's rows where hld.ko is loaded (the QEMU guests of make bench-vm). */
	syscost[1] = kmod_feature("sys-cost");
	/* bpftrace's tracepoints need tracefs; mount it for the bench only. */
	if (want_bpftrace && access(TRACEFS "/events", F_OK)) {
		mounted = !mount("nodev", TRACEFS, "tracefs", 0, NULL);
		if (mounted)
			fprintf(stderr, "hldbench bench: mounted tracefs on %s for bpftrace; "
				"it is unmounted at the end\n", TRACEFS);
	}
	fd = mkstemp(log);
	if (fd >= 0)
		close(fd);
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	for (long r = 0; r < rounds; r++) {
		for (int k = 0; k < CFG__MAX; k++) {
			int err;

			if ((k == CFG_BPFTRACE && !want_bpftrace) ||
			    ((k == CFG_KMOD || k == CFG_KMOD_COUNT) && !syscost[1]))
				continue;
			err = measure(k, calls, syscost, log, &ns[k][r]);
			if (err) {
				fprintf(stderr, "hldbench bench: %s: cannot run: %s%s\n", config_names[k],
					strerror(-err), k == CFG_BPFTRACE ?
					" (is bpftrace installed? 'make bench' installs it)" : "");
				if (k == CFG_BPFTRACE) {
					want_bpftrace = false;
					continue;
				}
				return HLD_EXIT_FAIL;
			}
			ran[k] = true;
		}
	}
	unlink(log);
	if (mounted)
		umount(TRACEFS);

	for (int k = 0; k < CFG__MAX; k++)
		med[k] = ran[k] ? stats__median(ns[k], rounds) : 0;
	printf("getppid loop, %ld calls x %ld interleaved rounds, pinned to CPU 0 (medians)\n",
	       calls, rounds);
	printf("%-34s %10s %10s %8s %10s\n", "", "ns/call", "added ns", "loss %", "x floor");
	for (int k = 0; k < CFG__MAX; k++) {
		double added = med[k] - med[CFG_NONE], floor = med[CFG_FLOOR] - med[CFG_NONE];

		if (!ran[k])
			continue;
		/* loss: the loop's calls per second lost, against no tracing */
		printf("%-34s %10.1f %10.1f %8.2f", config_names[k], med[k], k ? added : 0.0,
		       k ? 100 * (1 - med[CFG_NONE] / med[k]) : 0.0);
		if (k >= CFG_FLOOR)
			printf(" %10.2f", floor > 0 ? added / floor : 0.0);
		printf("\n");
	}
	/* The clocks are the part of sys-cost that no design can drop: what is left is its own. */
	if (ran[CFG_CLOCKS] && ran[CFG_SYSCOST] && med[CFG_FLOOR] > med[CFG_NONE])
		printf("sys-cost beyond the 2 clock reads: %.1f ns/call (%.2f x floor)\n",
		       med[CFG_SYSCOST] - med[CFG_CLOCKS],
		       (med[CFG_SYSCOST] - med[CFG_CLOCKS]) / (med[CFG_FLOOR] - med[CFG_NONE]));
	return HLD_EXIT_OK;
}
