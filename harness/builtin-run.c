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
		"                    [--warmup-phases N] [--backend auto|bpf|kmod]\n"
		"                    [--tools \"TOOL ...\"] [--aa | --noise AA_RUN_DIR] [--quiet]\n\n"
		"Drive the scenario's load to its target level, run the diagnosis features\n"
		"alongside in interleaved baseline/diagnosed phases, and report whether the\n"
		"target was reached, the overhead and the accuracy.\n\n"
		"  SCENARIO          scenario file (default: the embedded cpu-load6)\n"
		"  -o, --output DIR  result directory (default results/<UTC time>-<name>)\n"
		"  --duration D      length of each phase, e.g. 20s, 500ms, 2m (a bare number\n"
		"                    is seconds; default: the scenario's duration)\n"
		"  --repeat N        rounds of baseline + each tool (default: the scenario's)\n"
		"  --warmup-phases N phases run first and left out of every statistic\n"
		"                    (default: the scenario's warmup-phases, 1)\n"
		"  --aa              A/A: the tools' phases run without diagnosis, so the\n"
		"                    overhead measured is pure noise (the noise floor)\n"
		"  --noise DIR       take the noise floor from the A/A run in DIR (its\n"
		"                    run.json) instead of this run's baseline phases\n"
		"  --backend B       auto (kernel module if usable, else eBPF), bpf or kmod\n"
		"  --tools LIST      what to compare with the baseline, instead of the\n"
		"                    scenario's [diag] tools: hldbench (the --backend one),\n"
		"                    bpf, kmod, and the peers perf, bpftrace, strace\n"
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
		{ "warmup-phases", required_argument, NULL, 'w' },
		{ "aa", no_argument, NULL, 'A' },
		{ "noise", required_argument, NULL, 'N' },
		{ "tools", required_argument, NULL, 'T' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char *end;
	int c;

	o->backend = "auto";
	o->warmup_phases = -1;
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
		case 'w':
			errno = 0;
			o->warmup_phases = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || o->warmup_phases < 0 ||
			    o->warmup_phases > 10) {
				fprintf(stderr, "hldbench run: --warmup-phases: bad count '%s' "
					"(accepted 0..10)\n", optarg);
				return -EINVAL;
			}
			break;
		case 'A':
			o->aa = true;
			break;
		case 'N':
			o->noise = optarg;
			break;
		case 'T': {
			char why[128];

			if (scenario__check_tools(optarg, why, sizeof(why))) {
				fprintf(stderr, "hldbench run: --tools: %s\n", why);
				return -EINVAL;
			}
			o->tools = optarg;
			break;
		}
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
	if (o->aa && o->noise) {
		fprintf(stderr, "hldbench run: --aa measures the noise floor, --noise takes it "
			"from an A/A run: use one or the other\n");
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

/*
 * Open and probe each feature the scenario enables on @t's backend. For
 * the first tool, a feature that cannot run here stops the run (-ENOTSUP),
 * as a bad setting does (-EINVAL); another tool runs what it can, lists the
 * rest in t->missing, and is unavailable (not -errno: the run goes on) when
 * it can run none.
 */
static int open_features(struct run *run, struct run_tool *t, bool required)
{
	char why[512];
	size_t nm = 0;

	for (int id = 0; id < DIAG_FEATURE__MAX; id++) {
		const struct diag_ops *ops;
		struct diag_feature *f;

		if (!run->sc->enabled[id])
			continue;
		ops = diag__find(t->backend, diag_descs[id].name, why, sizeof(why));
		if (ops && (!ops->probe || !ops->probe(why, sizeof(why))) && ops->check &&
		    ops->check(run->sc->settings[id], why, sizeof(why))) {
			if (required) {
				fprintf(stderr, "hldbench run: [diag] %s.%s\n", diag_descs[id].name,
					why);
				return -EINVAL;
			}
			ops = NULL;	/* settings this tool cannot take (strace: system-wide) */
		}
		if (!ops || (ops->probe && ops->probe(why, sizeof(why)))) {
			if (required) {
				fprintf(stderr, "hldbench run: %s cannot run here: %s\n",
					diag_descs[id].name, why);
				return -ENOTSUP;
			}
			nm += snprintf(t->missing + nm, nm < sizeof(t->missing) ?
				       sizeof(t->missing) - nm : 0, "%s%s: %s", nm ? "; " : "",
				       diag_descs[id].name, why);
			continue;
		}
		f = diag__open(ops, run->sc->settings[id]);
		if (!f)
			return -ENOMEM;
		t->feats[t->nr_feats++] = f;
	}
	if (!t->nr_feats && !required) {
		snprintf(t->why, sizeof(t->why), "none of the scenario's features runs on it "
			 "(features_missing says why)");
		return 0;
	}
	t->available = true;
	return 0;
}

/*
 * The [diag] tools: "hldbench" is the --backend one and must work; other
 * names are backends, and one that cannot run here is kept as unavailable
 * with the reason (the run goes on). Returns 0, -EINVAL (unknown name, with
 * the scenario's file:line), -ENOTSUP or -ENOMEM.
 */
static int open_tools(struct run *run, const char *backend)
{
	char list[SCEN_TOOLS_LEN], *save = NULL, *name, why[512];
	int err;

	snprintf(list, sizeof(list), "%s", run->sc->tools);
	for (name = strtok_r(list, " \t,", &save); name; name = strtok_r(NULL, " \t,", &save)) {
		struct run_tool *t = &run->tools[run->nr_tools++];
		bool primary = !strcmp(name, "hldbench");

		snprintf(t->name, sizeof(t->name), "%s", name);
		t->backend = diag__backend(primary ? backend : name, why, sizeof(why));
		if (!t->backend && !strncmp(why, "unknown backend", 15)) {
			char known[256];
			size_t n = snprintf(known, sizeof(known), "hldbench, bpf, kmod");

			for (const struct diag_backend *const *p = diag_peer_backends; *p; p++)
				if (n < sizeof(known))
					n += snprintf(known + n, sizeof(known) - n, ", %s",
						      (*p)->name);
			if (run->sc->tools_line < 0)
				fprintf(stderr, "hldbench run: --tools: unknown tool \"%s\" "
					"(known: %s)\n", name, known);
			else
				fprintf(stderr, "%s:%d: tools: unknown tool \"%s\" (known: %s)\n",
					run->sc->path, run->sc->tools_line, name, known);
			return -EINVAL;
		}
		if (!t->backend && primary) {
			fprintf(stderr, "hldbench run: %s\n", why);
			return -ENOTSUP;
		}
		if (!t->backend) {
			snprintf(t->why, sizeof(t->why), "%s", why);
			continue;
		}
		err = open_features(run, t, primary);
		if (err)
			return err;
		if (!run->backend && t->available)
			run->backend = t->backend;
	}
	if (!run->backend) {
		fprintf(stderr, "hldbench run: none of the tools (%s) can run here: %s\n",
			run->sc->tools, run->tools[0].why);
		return -ENOTSUP;
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
	fprintf(stderr, "\r\033[K[%d/%d %s%-9s] %5.1f/%.0fs  R+D %4u  load1 %5.2f  target %g",
		ph->index, run->nr_phases_planned, ph->warmup ? "warm-up " : "",
		ph->tool < 0 ? "baseline" : !ph->diagnosed ? "A/A" : run->tools[ph->tool].name,
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
	struct run_tool *t = ph->diagnosed ? &run->tools[ph->tool] : NULL;
	struct diag_feature **feats = t ? t->feats : NULL;
	int nr_feats = t ? t->nr_feats : 0;
	struct diag_runner *runner = NULL;
	uint64_t deadline, last_progress = 0;
	char buf[64];
	int err = 0;

	ph->planned_ms = run->duration_ms;
	ph->start_ns = now_ns();
	sampler__set_phase(run->sampler, ph->index);
	if (t) {
		for (int i = 0; i < nr_feats; i++) {
			err = feats[i]->ops->activate(feats[i]);
			if (err) {
				snprintf(run->reason, sizeof(run->reason), "cannot activate %s (%s): %s",
					 diag_descs[feats[i]->ops->id].name, t->name, strerror(-err));
				goto out_deactivate;
			}
			feats[i]->active = true;
		}
		runner = diag_runner__start(feats, nr_feats, &err);
		if (!runner) {
			snprintf(run->reason, sizeof(run->reason),
				 "cannot start the diagnosis thread: %s", strerror(-err));
			goto out_deactivate;
		}
	}
	for (int i = 0; i < run->sc->nr_loads; i++) {
		if (ph->tool < 0)
			snprintf(buf, sizeof(buf), "phase%d-base", ph->index);
		else if (!ph->diagnosed)
			snprintf(buf, sizeof(buf), "phase%d-aa", ph->index);
		else if (ph->tool == 0)
			snprintf(buf, sizeof(buf), "phase%d-diag", ph->index);
		else
			snprintf(buf, sizeof(buf), "phase%d-diag-%s", ph->index, t->name);
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
		int perr = diag_runner__stop(runner, &cpu_ns, &t->diag_realtime);

		t->diag_thread_ns += cpu_ns;
		if (perr && !err) {
			snprintf(run->reason, sizeof(run->reason), "diagnosis poll failed: %s",
				 strerror(-perr));
			err = -EINTR;
		}
	}
out_deactivate:
	for (int i = 0; i < nr_feats; i++) {
		if (feats[i]->active) {
			feats[i]->ops->deactivate(feats[i]);
			feats[i]->active = false;
		}
	}
	sampler__set_phase(run->sampler, -1);
	ph->completed = !err;
	return err ? -EINTR : 0;
}

/*
 * The phases' kinds: -1 (baseline) and each available tool, in @conf.
 * Returns how many.
 */
static int run_configs(const struct run *run, int *conf)
{
	int n = 0;

	conf[n++] = -1;
	for (int i = 0; i < run->nr_tools; i++)
		if (run->tools[i].available)
			conf[n++] = i;
	return n;
}

/*
 * Warm-up phases first (baseline, then each tool, and round again), then
 * `repeat` rounds of one phase of each kind, the order rotated by one
 * every round (B T, T B, ... with one tool; B T1 T2, T1 T2 B, T2 B T1 with
 * two) so that a drift of the machine does not favour one kind.
 */
static int run_phases(struct run *run)
{
	int conf[1 + RUN_MAX_TOOLS], nc = run_configs(run, conf), err = 0;

	run->nr_phases_planned = (int)run->warmup_phases + (int)run->repeat * nc;
	for (int w = 0; w < (int)run->warmup_phases && !err; w++) {
		struct phase *ph = &run->phases[run->nr_phases];

		ph->index = ++run->nr_phases;
		ph->rep = -1;
		ph->warmup = true;
		ph->tool = conf[w % nc];
		ph->diagnosed = ph->tool >= 0 && !run->aa;
		err = run_phase(run, ph);
	}
	for (int rep = 0; rep < (int)run->repeat && !err; rep++) {
		for (int k = 0; k < nc && !err; k++) {
			struct phase *ph = &run->phases[run->nr_phases];

			ph->index = ++run->nr_phases;
			ph->rep = rep;
			ph->tool = conf[(k + rep) % nc];
			ph->diagnosed = ph->tool >= 0 && !run->aa;
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
	run.warmup_phases = opts.warmup_phases >= 0 ? (uint64_t)opts.warmup_phases :
			    sc.warmup_phases;
	if (opts.tools) {
		snprintf(sc.tools, sizeof(sc.tools), "%s", opts.tools);
		sc.tools_line = -1;	/* from the command line */
	}
	run.aa = opts.aa;
	run.noise_dir = opts.noise;
	run.inject_spin_us = diag__inject_spin_us();
	run.quiet = opts.quiet;
	run.tty = !opts.quiet && isatty(STDERR_FILENO);
	if (run.noise_dir && run__read_noise(&run, err, sizeof(err))) {
		fprintf(stderr, "hldbench run: --noise: %s\n", err);
		scenario__free(&sc);
		return HLD_EXIT_USAGE;
	}

	if (geteuid() != 0) {
		fprintf(stderr, "hldbench run: needs root (BPF, perf events, cgroups); "
			"run it with sudo\n");
		scenario__free(&sc);
		return HLD_EXIT_UNSUPPORTED;
	}
	ret = open_tools(&run, opts.backend);
	if (ret) {
		ret = ret == -EINVAL ? HLD_EXIT_USAGE : HLD_EXIT_UNSUPPORTED;
		goto out;
	}
	{
		int conf[1 + RUN_MAX_TOOLS], nc = run_configs(&run, conf);
		uint64_t total = run.warmup_phases + run.repeat * nc;

		if (total > RUN_MAX_PHASES) {
			fprintf(stderr, "hldbench run: %llu warm-up + %llu rounds x %d phases = %llu "
				"phases, more than %d: use fewer rounds (--repeat)\n",
				(unsigned long long)run.warmup_phases,
				(unsigned long long)run.repeat, nc, (unsigned long long)total,
				RUN_MAX_PHASES);
			ret = HLD_EXIT_USAGE;
			goto out;
		}
	}
	ret = HLD_EXIT_UNSUPPORTED;
	if (open_loads(&run))
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
		fprintf(stderr, "hldbench: %s%s on %s backend, %d warm-up + %d x (baseline + %s) x "
			"%.0fs, results in %s\n", sc.name, run.aa ? " (A/A: no diagnosis)" : "",
			run.backend->name, (int)run.warmup_phases, (int)run.repeat, sc.tools,
			run.duration_ms / 1e3, run.dir);
	if (!run.quiet && run.inject_spin_us)
		fprintf(stderr, "hldbench: %s=%llu: the diagnosis thread busy-loops %llu us per poll "
			"(a deliberate regression, for testing the gate)\n", DIAG_INJECT_SPIN_ENV,
			(unsigned long long)run.inject_spin_us,
			(unsigned long long)run.inject_spin_us);

	run.interrupted = run_phases(&run) != 0;
	if (!run.interrupted && sc.truth && !run.aa)
		run.interrupted = run_truth(&run, &stop_signal) != 0;
	else if (!sc.truth)
		run__truth_note(&run, "[truth] enabled = false");
	else if (run.aa)
		run__truth_note(&run, "an A/A run diagnoses nothing");
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
	for (int t = 0; t < run.nr_tools; t++)
		for (int i = 0; i < run.tools[t].nr_feats; i++)
			diag__close(run.tools[t].feats[i]);
	sampler__free(run.sampler);
	scenario__free(&sc);
	return ret;
}
