// SPDX-License-Identifier: GPL-2.0
/*
 * builtin-bench.c - `hldbench bench syscall|profile`: what diagnosis costs,
 * measured in one run against a floor and a peer.
 *
 * syscall: a getppid loop under nothing; the floor (no-op BPF programs on
 * raw_tp sys_enter/sys_exit); sys-cost; bpftrace doing sys-cost's job
 * (count and time per syscall id). Ratios compare what each adds per call
 * with what the floor adds.
 *
 * profile: a CPU-bound loop on every CPU under nothing; the bare 999 Hz
 * cpu-clock sampling interrupt (the floor every profiler pays); hldbench
 * perf at 999 Hz; `perf record -F 999 -g -a`. Figures are throughput
 * losses per CPU second, so that other tenants of the machine cancel out.
 *
 * Configurations are interleaved round by round so that drift of the
 * machine hits them alike; each figure is the median over the rounds.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#include "hld_settings.h"
#include "profile.h"
#include "run-command.h"
#include "stats.h"

#define MAX_ROUNDS 50
#define TRACEFS "/sys/kernel/tracing"

enum bench_config { CFG_NONE, CFG_FLOOR, CFG_CLOCKS, CFG_SYSCOST, CFG_BPFTRACE, CFG__MAX };

static const char *const config_names[CFG__MAX] = {
	"no tracing", "floor: no-op raw_tp enter+exit", "floor + 2 clock reads (reference)",
	"hldbench sys-cost", "bpftrace count+time",
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

/* Measure one configuration once: ns per call in @ns, or -errno if it cannot run. */
static int measure(enum bench_config c, long calls, const struct diag_ops *syscost,
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
		f = diag__open(syscost, NULL);
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

enum profile_config { PCFG_NONE, PCFG_CLOCK, PCFG_HLDPERF, PCFG_PERFREC, PCFG__MAX };

static const char *const profile_names[PCFG__MAX] = {
	"no profiler", "floor: cpu-clock 999 Hz, no program", "hldbench perf 999 Hz",
	"perf record -F 999 -g -a",
};

#define PROFILE_FREQ	999
#define PROFILE_MAX_CPUS 256
#define PROFILE_MS	1000	/* per configuration and round */
#define PROFILE_ROUNDS	20

struct spinner {
	pthread_t thread;
	int cpu;
	atomic_bool *stop;
	uint64_t iterations;
	uint64_t cpu_ns;		/* the thread's CPU time while it spun */
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * Spin on one CPU, counting xorshift rounds until told to stop, and note
 * the CPU time this took. Interrupt time is charged to the task it
 * interrupts here (no IRQ_TIME_ACCOUNTING), so a profiler's sampling cost
 * lands in that CPU time, while time other tasks take the CPU does not.
 */
static void *spinner_main(void *arg)
{
	struct spinner *sp = arg;
	uint64_t x = 88172645463325252ull, n = 0, t0;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(sp->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	t0 = thread_cpu_ns();
	while (!atomic_load_explicit(sp->stop, memory_order_relaxed)) {
		for (int i = 0; i < 4096; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		n += 4096;
	}
	sp->cpu_ns = thread_cpu_ns() - t0;
	sp->iterations = n + (x & 1);	/* keep x alive */
	return NULL;
}

/* One round's figures for one configuration. */
struct profile_sample {
	uint64_t iterations;
	uint64_t spin_ns;		/* the spinners' CPU time */
	uint64_t wall_ns;		/* how long they spun */
	int nr_cpus;			/* spinners, one per CPU */
	uint64_t own_ns;		/* the profiler's own process or thread CPU time */
	uint64_t bpf_ns, bpf_runs;	/* hldbench perf: BPF run time and runs */
};

/* A spinner on every online CPU for @ms: iterations and CPU time summed. */
static void spin_all(int ms, struct profile_sample *ps)
{
	int nr = sysconf(_SC_NPROCESSORS_ONLN);
	struct spinner sp[PROFILE_MAX_CPUS];
	atomic_bool stop = false;
	uint64_t t0 = now_ns();

	if (nr > PROFILE_MAX_CPUS)
		nr = PROFILE_MAX_CPUS;
	ps->nr_cpus = nr;
	for (int i = 0; i < nr; i++) {
		sp[i] = (struct spinner){ .cpu = i, .stop = &stop };
		pthread_create(&sp[i].thread, NULL, spinner_main, &sp[i]);
	}
	usleep(ms * 1000);
	atomic_store(&stop, true);
	for (int i = 0; i < nr; i++) {
		pthread_join(sp[i].thread, NULL);
		ps->iterations += sp[i].iterations;
		ps->spin_ns += sp[i].cpu_ns;
	}
	ps->wall_ns = now_ns() - t0;
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

/* Start `perf record` system-wide and give it time to open its events. */
static int perf_record_start(struct child_process *cp, const char *data)
{
	static const char *argv[8];

	argv[0] = "perf";
	argv[1] = "record";
	argv[2] = "-F999";
	argv[3] = "-g";
	argv[4] = "-a";
	argv[5] = "-o";
	argv[6] = data;
	argv[7] = NULL;
	cp->argv = argv;
	if (child__start(cp))
		return -ENOENT;
	usleep(500000);
	if (child__poll(cp))
		return -EIO;
	return 0;
}

/* The sampling interrupt alone: a cpu-clock event at PROFILE_FREQ on every online CPU. */
static int clock_events_open(int *fds, int *nr)
{
	int n = sysconf(_SC_NPROCESSORS_ONLN);

	*nr = 0;
	for (int cpu = 0; cpu < n && cpu < PROFILE_MAX_CPUS; cpu++) {
		int fd = profile__open_clock(cpu, PROFILE_FREQ);

		if (fd < 0)
			return fd;
		fds[(*nr)++] = fd;
	}
	return 0;
}

/*
 * One round of one profile configuration. hldbench perf runs as in
 * `hldbench run`: activated, polled by the diagnosis thread, deactivated.
 */
static int measure_profile(enum profile_config c, int ms, const struct diag_ops *perf,
			   const char *data, struct profile_sample *ps)
{
	struct child_process cp = { 0 };
	struct diag_feature *f = NULL;
	struct diag_runner *runner = NULL;
	struct hld_perf_settings s;
	int fds[PROFILE_MAX_CPUS], nr_fds = 0, err = 0;
	uint64_t own0 = 0;
	bool rt;

	memset(ps, 0, sizeof(*ps));
	switch (c) {
	case PCFG_NONE:
		break;
	case PCFG_CLOCK:
		err = clock_events_open(fds, &nr_fds);
		break;
	case PCFG_HLDPERF:
		err = opts__defaults(diag_descs[DIAG_perf].opts, &s);
		s.freq = PROFILE_FREQ;
		f = err ? NULL : diag__open(perf, &s);
		err = f ? f->ops->activate(f) : -EINVAL;
		if (!err)
			runner = diag_runner__start(&f, 1, &err);
		break;
	case PCFG_PERFREC:
		err = perf_record_start(&cp, data);
		own0 = err ? 0 : process_cpu_ns(cp.pid);
		break;
	default:
		return -EINVAL;
	}
	if (!err)
		spin_all(ms, ps);
	if (runner)
		diag_runner__stop(runner, &ps->own_ns, &rt);
	if (f) {
		if (!err)
			f->ops->deactivate(f);
		ps->bpf_ns = f->kernel_run_ns;
		ps->bpf_runs = f->kernel_run_cnt;
		diag__close(f);
	}
	for (int i = 0; i < nr_fds; i++)
		close(fds[i]);
	if (c == PCFG_PERFREC && !err) {
		ps->own_ns = process_cpu_ns(cp.pid) - own0;
		kill(cp.pid, SIGINT);
		child__wait(&cp);
	}
	return err;
}

/*
 * `hldbench bench profile`: throughput lost to each profiler at 999 Hz, as
 * it would be on a machine of our own although this one is shared. The
 * sampling interrupt and the BPF program run on the sampled CPUs, a fixed
 * share of whatever runs there: it shows as fewer iterations per CPU second
 * of the spinners (interrupt time is charged to the interrupted task), and
 * other tenants taking CPUs away do not change that rate. The profiler's own
 * process (perf record) or thread (hldbench's poll thread) does a fixed
 * amount of work per second: it is counted as its CPU time over all CPUs'
 * time. Loss = 1 - rate / rate without a profiler + own CPU / (CPUs x wall).
 * Each round runs every configuration, in an order rotated round by round;
 * a loss is against the same round's run without a profiler; the figure is
 * the median over the rounds, with the interquartile range as its spread.
 */
static int bench_profile(long rounds, int ms)
{
	static double loss[PCFG__MAX][MAX_ROUNDS], rate[PCFG__MAX][MAX_ROUNDS], own[PCFG__MAX][MAX_ROUNDS];
	bool ran[PCFG__MAX] = { false };
	char why[256], data[] = "/tmp/hldbench-perf-XXXXXX";
	const struct diag_backend *b = diag__backend("bpf", why, sizeof(why));
	const struct diag_ops *perf = b ? diag__find(b, "perf", why, sizeof(why)) : NULL;
	uint64_t bpf_ns = 0, bpf_runs = 0;
	int fd, stats_fd;

	if (!perf) {
		fprintf(stderr, "hldbench bench: %s\n", why);
		return HLD_EXIT_UNSUPPORTED;
	}
	/* BPF run time per sample; the accounting adds two clock reads per run. */
	stats_fd = b->cost_begin ? b->cost_begin() : -ENOTSUP;
	fd = mkstemp(data);
	if (fd >= 0)
		close(fd);
	for (long r = 0; r < rounds; r++) {
		for (int i = 0; i < PCFG__MAX; i++) {
			int k = (i + r) % PCFG__MAX, err;
			struct profile_sample ps;

			if (k == PCFG_PERFREC && r && !ran[k])
				continue;
			err = measure_profile(k, ms, perf, data, &ps);
			if (err) {
				fprintf(stderr, "hldbench bench: %s: cannot run: %s\n", profile_names[k],
					strerror(-err));
				if (k == PCFG_PERFREC)
					continue;
				unlink(data);
				return HLD_EXIT_FAIL;
			}
			ran[k] = true;
			bpf_ns += ps.bpf_ns;
			bpf_runs += ps.bpf_runs;
			rate[k][r] = ps.iterations / (ps.spin_ns / 1e9);
			own[k][r] = 100.0 * ps.own_ns / ((double)ps.nr_cpus * ps.wall_ns);
		}
		for (int k = 0; k < PCFG__MAX; k++)
			loss[k][r] = (rate[PCFG_NONE][r] - rate[k][r]) / rate[PCFG_NONE][r] * 100 +
				     own[k][r];
	}
	unlink(data);
	if (stats_fd >= 0)
		close(stats_fd);
	printf("CPU-bound loop on every CPU, %d ms x %ld rounds, configurations interleaved;\n"
	       "loss = fewer loop iterations per CPU second + the profiler's own CPU time\n"
	       "over all CPUs' time, against the same round without a profiler (median, IQR)\n",
	       ms, rounds);
	printf("%-38s %12s %9s %17s %9s\n", "", "Miter/CPU-s", "loss %", "IQR", "own CPU%");
	for (int k = 0; k < PCFG__MAX; k++) {
		if (!ran[k])
			continue;
		printf("%-38s %12.1f %9.2f %8.2f..%-8.2f %9.3f\n", profile_names[k],
		       stats__median(rate[k], rounds) / 1e6, stats__median(loss[k], rounds),
		       stats__percentile(loss[k], rounds, 25), stats__percentile(loss[k], rounds, 75),
		       stats__median(own[k], rounds));
	}
	if (bpf_runs)
		printf("hldbench perf: BPF run time %.2f us per sample (%llu samples)\n",
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
		   "profile: throughput of a CPU-bound loop on every CPU with no profiler,\n"
		   "with the bare 999 Hz cpu-clock sampling interrupt, with hldbench perf at\n"
		   "999 Hz and with perf record -F 999 -g -a, per CPU second used (default\n"
		   "20 rounds of 1 s each).\n\n"
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
	const struct diag_ops *syscost;
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
		return bench_profile(rounds_set ? rounds : PROFILE_ROUNDS, PROFILE_MS);
	}
	if (optind != argc - 1 || strcmp(argv[optind], "syscall")) {
		usage(stderr);
		return HLD_EXIT_USAGE;
	}
	b = diag__backend("bpf", why, sizeof(why));
	syscost = b ? diag__find(b, "sys-cost", why, sizeof(why)) : NULL;
	if (!syscost) {
		fprintf(stderr, "hldbench bench: %s\n", why);
		return HLD_EXIT_UNSUPPORTED;
	}
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

			if (k == CFG_BPFTRACE && !want_bpftrace)
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
	printf("%-34s %10s %10s %12s\n", "", "ns/call", "added ns", "x floor");
	for (int k = 0; k < CFG__MAX; k++) {
		double added = med[k] - med[CFG_NONE], floor = med[CFG_FLOOR] - med[CFG_NONE];

		if (!ran[k])
			continue;
		printf("%-34s %10.1f %10.1f", config_names[k], med[k], k ? added : 0.0);
		if (k >= CFG_FLOOR)
			printf(" %12.2f", floor > 0 ? added / floor : 0.0);
		printf("\n");
	}
	/* The clocks are the part of sys-cost that no design can drop: what is left is its own. */
	if (ran[CFG_CLOCKS] && ran[CFG_SYSCOST] && med[CFG_FLOOR] > med[CFG_NONE])
		printf("sys-cost beyond the 2 clock reads: %.1f ns/call (%.2f x floor)\n",
		       med[CFG_SYSCOST] - med[CFG_CLOCKS],
		       (med[CFG_SYSCOST] - med[CFG_CLOCKS]) / (med[CFG_FLOOR] - med[CFG_NONE]));
	return HLD_EXIT_OK;
}
