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
 * profile: a CPU-bound loop on every CPU under nothing; hldbench perf at
 * 999 Hz; `perf record -F 999 -g -a`. Figures are throughput losses.
 *
 * Configurations are interleaved round by round so that drift of the
 * machine hits them alike; each figure is the median over the rounds.
 */
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
#include "hld_settings.h"
#include "run-command.h"
#include "stats.h"

#define MAX_ROUNDS 50
#define TRACEFS "/sys/kernel/tracing"

enum bench_config { CFG_NONE, CFG_FLOOR, CFG_SYSCOST, CFG_BPFTRACE, CFG__MAX };

static const char *const config_names[CFG__MAX] = {
	"no tracing", "floor: no-op raw_tp enter+exit", "hldbench sys-cost", "bpftrace count+time",
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

enum profile_config { PCFG_NONE, PCFG_HLDPERF, PCFG_PERFREC, PCFG__MAX };

static const char *const profile_names[PCFG__MAX] = {
	"no profiler", "hldbench perf 999 Hz", "perf record -F 999 -g -a",
};

struct spinner {
	pthread_t thread;
	int cpu;
	atomic_bool *stop;
	uint64_t iterations;
};

/* Spin on one CPU, counting xorshift rounds until told to stop. */
static void *spinner_main(void *arg)
{
	struct spinner *sp = arg;
	uint64_t x = 88172645463325252ull, n = 0;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(sp->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	while (!atomic_load_explicit(sp->stop, memory_order_relaxed)) {
		for (int i = 0; i < 4096; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		n += 4096;
	}
	sp->iterations = n + (x & 1);	/* keep x alive */
	return NULL;
}

/* Iterations per second of a spinner on every online CPU for @ms. */
static double spin_all(int ms)
{
	int nr = sysconf(_SC_NPROCESSORS_ONLN);
	struct spinner sp[256];
	atomic_bool stop = false;
	uint64_t total = 0, t0;

	if (nr > 256)
		nr = 256;
	t0 = now_ns();
	for (int i = 0; i < nr; i++) {
		sp[i] = (struct spinner){ .cpu = i, .stop = &stop };
		pthread_create(&sp[i].thread, NULL, spinner_main, &sp[i]);
	}
	usleep(ms * 1000);
	atomic_store(&stop, true);
	for (int i = 0; i < nr; i++) {
		pthread_join(sp[i].thread, NULL);
		total += sp[i].iterations;
	}
	return total / ((now_ns() - t0) / 1e9);
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

/* One round of one profile configuration: throughput in @rate. */
static int measure_profile(enum profile_config c, int ms, const struct diag_ops *perf,
			   const char *data, double *rate)
{
	struct child_process cp = { 0 };
	struct diag_feature *f = NULL;
	struct hld_perf_settings s;
	int err = 0;

	switch (c) {
	case PCFG_NONE:
		break;
	case PCFG_HLDPERF:
		err = opts__defaults(diag_descs[DIAG_perf].opts, &s);
		s.freq = 999;
		f = err ? NULL : diag__open(perf, &s);
		err = f ? f->ops->activate(f) : -EINVAL;
		break;
	case PCFG_PERFREC:
		err = perf_record_start(&cp, data);
		break;
	default:
		return -EINVAL;
	}
	if (!err)
		*rate = spin_all(ms);
	if (f) {
		if (!err) {
			f->ops->poll(f);
			f->ops->deactivate(f);
		}
		diag__close(f);
	}
	if (c == PCFG_PERFREC && !err) {
		kill(cp.pid, SIGINT);
		child__wait(&cp);
	}
	return err;
}

/* `hldbench bench profile`: throughput lost to each profiler at 999 Hz. */
static int bench_profile(long rounds, int ms)
{
	double rate[PCFG__MAX][MAX_ROUNDS], med[PCFG__MAX];
	bool ran[PCFG__MAX] = { false };
	char why[256], data[] = "/tmp/hldbench-perf-XXXXXX";
	const struct diag_backend *b = diag__backend("bpf", why, sizeof(why));
	const struct diag_ops *perf = b ? diag__find(b, "perf", why, sizeof(why)) : NULL;
	int fd;

	if (!perf) {
		fprintf(stderr, "hldbench bench: %s\n", why);
		return HLD_EXIT_UNSUPPORTED;
	}
	fd = mkstemp(data);
	if (fd >= 0)
		close(fd);
	for (long r = 0; r < rounds; r++) {
		for (int k = 0; k < PCFG__MAX; k++) {
			int err = measure_profile(k, ms, perf, data, &rate[k][r]);

			if (err) {
				fprintf(stderr, "hldbench bench: %s: cannot run: %s\n", profile_names[k],
					strerror(-err));
				if (k == PCFG_PERFREC)
					continue;
				unlink(data);
				return HLD_EXIT_FAIL;
			}
			ran[k] = true;
		}
	}
	unlink(data);
	for (int k = 0; k < PCFG__MAX; k++)
		med[k] = ran[k] ? stats__median(rate[k], rounds) : 0;
	printf("CPU-bound loop on every CPU, %d ms x %ld interleaved rounds (medians)\n", ms, rounds);
	printf("%-34s %14s %10s\n", "", "Miter/s", "loss %");
	for (int k = 0; k < PCFG__MAX; k++) {
		if (!ran[k])
			continue;
		printf("%-34s %14.1f %10.2f\n", profile_names[k], med[k] / 1e6,
		       k ? (med[PCFG_NONE] - med[k]) / med[PCFG_NONE] * 100 : 0.0);
	}
	return HLD_EXIT_OK;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: hldbench bench syscall [--calls N] [--rounds R] [--no-bpftrace]\n"
		   "       hldbench bench profile [--rounds R]\n"
		   "       hldbench bench load-monitor [--rounds R] [--seconds N] [--tasks M]\n\n"
		   "Cost per getppid() of: no tracing, the floor (no-op BPF programs on\n"
		   "sys_enter and sys_exit), hldbench sys-cost, and bpftrace counting and\n"
		   "timing syscalls; medians over interleaved rounds, and what each adds\n"
		   "per call as a multiple of what the floor adds.\n\n"
		   "profile: throughput of a CPU-bound loop on every CPU with no profiler,\n"
		   "with hldbench perf at 999 Hz and with perf record -F 999 -g -a.\n"
		   "\nload-monitor: its in-kernel cost per check and share of one CPU with the\n"
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
		return bench_profile(rounds, 2000);
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
	return HLD_EXIT_OK;
}
