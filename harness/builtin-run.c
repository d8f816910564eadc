// SPDX-License-Identifier: GPL-2.0
/*
 * builtin-run.c - `hldbench run SCENARIO`: load to a verified level, with the
 * diagnosis module alongside, in interleaved baseline and diagnosed phases;
 * then the ground-truth phase, the analysis and the outputs.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "builtin.h"
#include "diag.h"
#include "load.h"
#include "run-command.h"
#include "run.h"
#include "sampler.h"
#include "scenario.h"

extern const char embedded_default_scenario[];	/* scenarios/cpu-load6.conf */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hldbench run [SCENARIO] [-o DIR] [--duration SEC] [--repeat N]\n"
		"                    [--backend auto|bpf|kmod] [--quiet]\n\n"
		"Drive the scenario's load to its target level, run the diagnosis features\n"
		"alongside in interleaved baseline/diagnosed phases, and report whether the\n"
		"target was reached, the overhead and the accuracy.\n\n"
		"  SCENARIO          scenario file (default: the embedded cpu-load6)\n"
		"  -o, --output DIR  result directory (default results/<UTC time>-<name>)\n"
		"  --duration D      length of each phase, e.g. 20s, 500ms, 2m (a bare number\n"
		"                    is seconds; default: the scenario's duration)\n"
		"  --repeat N        baseline/diagnosed phase pairs (default: the scenario's)\n"
		"  --backend B       auto (kernel module if usable, else eBPF), bpf or kmod\n"
		"  --quiet           no progress line and no summary, only errors\n\n"
		"Exit status: 0 target reached, 1 target missed or run failed, 2 bad usage or\n"
		"scenario, 3 cannot run on this machine, 130 interrupted (partial results kept).\n"
		"'hldbench help scenario' documents scenario files.\n");
}

/* Parse the command line into @o; prints the error and returns -EINVAL. */
static int parse_args(int argc, char **argv, struct run_opts *o)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "backend", required_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char *end;
	int c;

	o->backend = "auto";
	while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->outdir = optarg;
			break;
		case 'd':
			if (parse_duration_ms(optarg, &o->duration_ms) || o->duration_ms < 1000 ||
			    o->duration_ms > 3600000) {
				fprintf(stderr, "hldbench run: --duration: bad duration '%s' "
					"(accepted 1s..1h, e.g. 20s, 2m)\n", optarg);
				return -EINVAL;
			}
			break;
		case 'r':
			errno = 0;
			o->repeat = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || o->repeat < 1 || o->repeat > 100) {
				fprintf(stderr, "hldbench run: --repeat: bad count '%s' (accepted 1..100)\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'b':
			if (strcmp(optarg, "auto") && strcmp(optarg, "bpf") && strcmp(optarg, "kmod")) {
				fprintf(stderr, "hldbench run: --backend: unknown backend '%s' "
					"(one of auto, bpf, kmod)\n", optarg);
				return -EINVAL;
			}
			o->backend = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(HLD_EXIT_OK);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "hldbench run: one scenario at a time ('%s' is extra)\n",
			argv[optind + 1]);
		return -EINVAL;
	}
	o->scenario = optind < argc ? argv[optind] : NULL;
	return 0;
}

/* Create results/<UTC time>-<name> (or the -o directory). */
static int make_outdir(struct run *run, const char *requested)
{
	char stamp[32];
	time_t t = time(NULL);

	if (requested) {
		snprintf(run->dir, sizeof(run->dir), "%s", requested);
	} else {
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime(&t));
		if (mkdir("results", 0755) && errno != EEXIST)
			return -errno;
		snprintf(run->dir, sizeof(run->dir), "results/%s-%s", stamp, run->sc->name);
	}
	strftime(run->started_utc, sizeof(run->started_utc), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	if (mkdir(run->dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Open and probe each feature the scenario enables, on the chosen backend. */
static int open_features(struct run *run)
{
	char why[512];

	for (int id = 0; id < DIAG_FEATURE__MAX; id++) {
		const struct diag_ops *ops;
		struct diag_feature *f;

		if (!run->sc->enabled[id])
			continue;
		ops = diag__find(run->backend, diag_descs[id].name, why, sizeof(why));
		if (!ops || (ops->probe && ops->probe(why, sizeof(why)))) {
			fprintf(stderr, "hldbench run: %s cannot run here: %s\n",
				diag_descs[id].name, why);
			return -ENOTSUP;
		}
		if (ops->check && ops->check(run->sc->settings[id], why, sizeof(why))) {
			fprintf(stderr, "hldbench run: [diag] %s.%s\n", diag_descs[id].name, why);
			return -EINVAL;
		}
		f = diag__open(ops, run->sc->settings[id]);
		if (!f)
			return -ENOMEM;
		run->feats[run->nr_feats++] = f;
	}
	return 0;
}

/* Create each load generator; a scenario the machine cannot run says why. */
static int open_loads(struct run *run)
{
	char err[512];

	for (int i = 0; i < run->sc->nr_loads; i++) {
		run->loads[i] = load__new(&run->sc->loads[i], err, sizeof(err));
		if (!run->loads[i]) {
			fprintf(stderr, "hldbench run: scenario %s cannot run here: load.%s: %s\n",
				run->sc->name, run->sc->loads[i].name, err);
			return -ENOTSUP;
		}
	}
	return 0;
}

/* One-line progress display, on a TTY only. */
static void progress(const struct run *run, const struct phase *ph, uint64_t now)
{
	struct sample s = { 0 };

	if (!run->tty)
		return;
	sampler__latest(run->sampler, &s);
	fprintf(stderr, "\r\033[K[%d/%d %-9s] %5.1f/%.0fs  R+D %4u  load1 %5.2f  target %g",
		ph->index, run->nr_phases_planned, ph->diagnosed ? "diagnosed" : "baseline",
		(now - ph->start_ns) / 1e9, ph->planned_ms / 1e3, s.r + s.d, s.load1,
		run->sc->target_load);
	fflush(stderr);
}

/*
 * Run one phase: start every load, the diagnosis too when @diagnosed, wait
 * for the phase to end, stop everything and collect throughput. Returns 0,
 * or -EINTR when a signal or a dying child cut it short.
 */
static int run_phase(struct run *run, struct phase *ph)
{
	struct diag_runner *runner = NULL;
	uint64_t deadline, last_progress = 0;
	char buf[64];
	int err = 0;

	ph->planned_ms = run->duration_ms;
	ph->start_ns = now_ns();
	sampler__set_phase(run->sampler, ph->index);
	if (ph->diagnosed) {
		for (int i = 0; i < run->nr_feats; i++) {
			err = run->feats[i]->ops->activate(run->feats[i]);
			if (err) {
				snprintf(run->reason, sizeof(run->reason), "cannot activate %s: %s",
					 diag_descs[run->feats[i]->ops->id].name, strerror(-err));
				goto out_deactivate;
			}
			run->feats[i]->active = true;
		}
		runner = diag_runner__start(run->feats, run->nr_feats, &err);
		if (!runner) {
			snprintf(run->reason, sizeof(run->reason),
				 "cannot start the diagnosis thread: %s", strerror(-err));
			goto out_deactivate;
		}
	}
	for (int i = 0; i < run->sc->nr_loads; i++) {
		snprintf(buf, sizeof(buf), "phase%d-%s", ph->index, ph->diagnosed ? "diag" : "base");
		err = load__start(run->loads[i], run->duration_ms, run->dir, buf);
		if (err) {
			snprintf(run->reason, sizeof(run->reason), "cannot start load.%s: %s",
				 run->sc->loads[i].name, strerror(-err));
			goto out_stop;
		}
	}

	/* The tools end themselves at their timeout; allow them a little slack. */
	deadline = ph->start_ns + run->duration_ms * 1000000ull;
	for (;;) {
		uint64_t now = now_ns();
		int running = 0;

		if (stop_signal) {
			snprintf(run->reason, sizeof(run->reason), "stopped by %s",
				 strsignal(stop_signal));
			err = -EINTR;
			break;
		}
		for (int i = 0; i < run->sc->nr_loads; i++) {
			if (!load__poll(run->loads[i])) {
				running++;
			} else if (now + 1000000000ull < deadline) {
				snprintf(run->reason, sizeof(run->reason),
					 "load.%s exited %.1f s before the end of phase %d",
					 run->sc->loads[i].name, (deadline - now) / 1e9, ph->index);
				err = -EINTR;
			}
		}
		if (err || !running || now > deadline + 5000000000ull)
			break;
		if (now - last_progress > 250000000ull) {
			progress(run, ph, now);
			last_progress = now;
		}
		usleep(20000);
	}

out_stop:
	for (int i = 0; i < run->sc->nr_loads; i++)
		load__stop(run->loads[i], &ph->load[i]);
	ph->end_ns = now_ns();
	if (runner) {
		uint64_t cpu_ns;
		int perr = diag_runner__stop(runner, &cpu_ns, &run->diag_realtime);

		run->diag_thread_ns += cpu_ns;
		if (perr && !err) {
			snprintf(run->reason, sizeof(run->reason), "diagnosis poll failed: %s",
				 strerror(-perr));
			err = -EINTR;
		}
	}
out_deactivate:
	for (int i = 0; i < run->nr_feats; i++) {
		if (run->feats[i]->active) {
			run->feats[i]->ops->deactivate(run->feats[i]);
			run->feats[i]->active = false;
		}
	}
	sampler__set_phase(run->sampler, -1);
	ph->completed = !err;
	return err ? -EINTR : 0;
}

/* Interleave baseline and diagnosed phases, alternating which goes first. */
static int run_phases(struct run *run)
{
	int err = 0;

	run->nr_phases_planned = 2 * run->repeat;
	for (int rep = 0; rep < (int)run->repeat && !err; rep++) {
		for (int k = 0; k < 2 && !err; k++) {
			struct phase *ph = &run->phases[run->nr_phases];

			ph->index = ++run->nr_phases;
			ph->rep = rep;
			ph->diagnosed = (rep % 2 == 0) ? k == 1 : k == 0;
			err = run_phase(run, ph);
		}
	}
	return err;
}

static void setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void kill_children_at_exit(void)
{
	run_command__kill_all();
}

/*
 * hldbench is a child subreaper for the run: the workers of a load generator
 * whose parent died are re-parented to it rather than to init (which may not
 * reap them), and collected here once every load has been stopped.
 */
static void reap_orphans(void)
{
	for (int i = 0; i < 200; i++) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);

		if (pid < 0)
			return;		/* ECHILD: none left */
		if (pid == 0)
			usleep(10000);	/* killed, not yet dead */
	}
}

int cmd_run(int argc, char **argv)
{
	struct run_opts opts = { 0 };
	struct scenario sc = { 0 };
	struct run run = { .sc = &sc };
	char err[1024];
	int ret, cost_fd = -1;

	if (parse_args(argc, argv, &opts))
		return HLD_EXIT_USAGE;

	if (opts.scenario)
		ret = scenario__load(&sc, opts.scenario, err, sizeof(err));
	else
		ret = scenario__parse(&sc, "<embedded>/cpu-load6.conf", embedded_default_scenario,
				      err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s\n", err);
		scenario__free(&sc);
		return HLD_EXIT_USAGE;
	}
	run.duration_ms = opts.duration_ms ? opts.duration_ms : sc.duration_ms;
	run.repeat = opts.repeat ? opts.repeat : sc.repeat;
	if (sc.warmup_ms >= run.duration_ms) {
		fprintf(stderr, "hldbench run: --duration %.1fs leaves no steady part after the "
			"scenario's %.1fs warm-up: use a longer duration\n",
			run.duration_ms / 1e3, sc.warmup_ms / 1e3);
		scenario__free(&sc);
		return HLD_EXIT_USAGE;
	}
	run.quiet = opts.quiet;
	run.tty = !opts.quiet && isatty(STDERR_FILENO);

	if (geteuid() != 0) {
		fprintf(stderr, "hldbench run: needs root (BPF, perf events, cgroups); "
			"run it with sudo\n");
		scenario__free(&sc);
		return HLD_EXIT_UNSUPPORTED;
	}
	ret = HLD_EXIT_UNSUPPORTED;
	run.backend = diag__backend(opts.backend, err, sizeof(err));
	if (!run.backend) {
		fprintf(stderr, "hldbench run: %s\n", err);
		goto out;
	}
	if (open_features(&run) || open_loads(&run))
		goto out;
	if (make_outdir(&run, opts.outdir)) {
		fprintf(stderr, "hldbench run: cannot create %s: %s\n", run.dir, strerror(errno));
		ret = HLD_EXIT_FAIL;
		goto out;
	}

	setup_signals();
	atexit(kill_children_at_exit);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/*
	 * The sampler and the diagnosis reader must not page-fault on reclaimed
	 * memory in the middle of an overloaded run: lock what hldbench has
	 * touched and will touch (children do not inherit the lock).
	 */
	run.memory_locked = !mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT);
	if (run.backend->cost_begin) {
		cost_fd = run.backend->cost_begin();
		run.kernel_cost_measured = cost_fd >= 0;
	}
	run.sampler = sampler__new(sc.sample_ms);
	if (!run.sampler || sampler__start(run.sampler)) {
		fprintf(stderr, "hldbench run: cannot start the sampler: %s\n", strerror(errno));
		ret = HLD_EXIT_FAIL;
		goto out;
	}
	run.t0_ns = now_ns();
	if (!run.quiet)
		fprintf(stderr, "hldbench: %s on %s backend, %d x (baseline + diagnosed) x %.0fs, "
			"results in %s\n", sc.name, run.backend->name, (int)run.repeat,
			run.duration_ms / 1e3, run.dir);

	run.interrupted = run_phases(&run) != 0;
	if (!run.interrupted && sc.truth)
		run.interrupted = run_truth(&run, &stop_signal) != 0;
	if (run.tty)
		fprintf(stderr, "\r\033[K");
	sampler__stop(run.sampler);
	if (cost_fd >= 0)
		close(cost_fd);
	if (run.memory_locked)
		munlockall();	/* the report's symbol tables need not be locked */

	run_report(&run);
	if (!run.quiet)
		run_print_summary(&run, stdout);
	if (run.interrupted)
		ret = HLD_EXIT_INTERRUPTED;
	else
		ret = run.load_reached ? HLD_EXIT_OK : HLD_EXIT_FAIL;
out:
	for (int i = 0; i < sc.nr_loads; i++)
		load__free(run.loads[i]);
	reap_orphans();
	for (int i = 0; i < run.nr_feats; i++)
		diag__close(run.feats[i]);
	sampler__free(run.sampler);
	scenario__free(&sc);
	return ret;
}
