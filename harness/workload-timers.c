// SPDX-License-Identifier: GPL-2.0
/*
 * workload-timers.c - `hldbench workload timers`: timer expirations at a
 * known rate on a known CPU.
 *
 * One thread, pinned to the CPU, arms a one-shot timerfd (an hrtimer,
 * timerfd_tmrproc) for the next period boundary, reads its expiration and
 * arms the next: each arming is exactly one hrtimer expiry, handled in
 * hard-interrupt context (hrtimer_interrupt) on that CPU, because the
 * kernel queues an hrtimer on the CPU that arms it while that CPU is busy
 * (arming it). A one-shot timer is re-armed only after it fired, so none
 * fires unseen; an interval timerfd would let periods pass without an
 * expiry when the reader is late. When the loop wakes so late that the
 * next boundary has passed, the missed boundaries are skipped (counted),
 * never armed.
 *
 * What is known exactly: the timers armed and seen to fire, the CPU each
 * was armed on. What is not: the CPU's timer interrupts (one interrupt may
 * expire the tick and this timer together) and the rest of the machine.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/timerfd.h>

#include "builtin.h"
#include "workload.h"

#define TIMERS_MAX_RATE 20000

struct timers_wl {
	uint64_t rate;
	uint64_t duration_ms;
	int64_t cpu;
	/* results */
	uint64_t periods;		/* boundaries in the duration */
	uint64_t armed, fired, skipped, off_cpu;
	uint64_t late_sum_ns, late_max_ns;	/* expiry to the read's return */
	uint64_t ns;			/* first arming to the last read */
};

/* The CPU asked for must be one this process may run on. */
static int timers_check(void *obj, char *err, size_t len)
{
	struct timers_wl *w = obj;
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set)) {
		snprintf(err, len, "cannot read the CPU affinity: %s", strerror(errno));
		return -EINVAL;
	}
	if (w->cpu < 0)
		w->cpu = sched_getcpu();
	if (w->cpu >= CPU_SETSIZE || !CPU_ISSET(w->cpu, &set)) {
		snprintf(err, len, "--cpu: CPU %lld is not one this process may run on (%d allowed)",
			 (long long)w->cpu, CPU_COUNT(&set));
		return -EINVAL;
	}
	w->periods = w->rate * w->duration_ms / 1000;
	if (!w->periods) {
		snprintf(err, len, "--rate %llu over --duration %llu ms is less than one expiry",
			 (unsigned long long)w->rate, (unsigned long long)w->duration_ms);
		return -EINVAL;
	}
	return 0;
}

/* Arm @fd once, for @at_ns (CLOCK_MONOTONIC, absolute). */
static int timers_arm(int fd, uint64_t at_ns)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = at_ns / 1000000000ull, .tv_nsec = at_ns % 1000000000ull },
	};

	return timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) ? -errno : 0;
}

/*
 * Arm, wait, read, repeat for every period boundary. A stop signal ends the
 * loop after the armed timer has fired, so that every armed one is seen.
 */
static int timers_run(void *obj, struct workload_ctx *ctx)
{
	struct timers_wl *w = obj;
	uint64_t period = 1000000000ull / w->rate, start, k = 1;
	cpu_set_t set;
	int fd, err = 0;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		snprintf(ctx->error, sizeof(ctx->error), "cannot run on CPU %lld: %s",
			 (long long)w->cpu, strerror(errno));
		return HLD_EXIT_FAIL;
	}
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (fd < 0) {
		snprintf(ctx->error, sizeof(ctx->error), "timerfd_create: %s", strerror(errno));
		return HLD_EXIT_FAIL;
	}
	start = workload__now_ns();
	while (k <= w->periods && !workload_stop && !err) {
		uint64_t due = start + k * period, got, now;
		ssize_t n;

		err = timers_arm(fd, due);
		if (err)
			break;
		w->armed++;
		do
			n = read(fd, &got, sizeof(got));
		while (n < 0 && errno == EINTR);
		now = workload__now_ns();
		if (n != sizeof(got)) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		w->fired += got;
		w->off_cpu += sched_getcpu() != w->cpu;
		w->late_sum_ns += now - due;
		if (now - due > w->late_max_ns)
			w->late_max_ns = now - due;
		k++;
		if (now >= start + k * period) {	/* late: skip the boundaries passed */
			uint64_t next = (now - start) / period + 1;

			w->skipped += next - k;
			k = next;
		}
	}
	if (k > w->periods + 1)		/* the last skip went past the end */
		w->skipped -= k - w->periods - 1;
	w->ns = workload__now_ns() - start;
	close(fd);
	if (err)
		snprintf(ctx->error, sizeof(ctx->error), "timerfd: %s", strerror(-err));
	snprintf(ctx->summary, sizeof(ctx->summary), "%llu timers armed and fired on CPU %lld "
		 "at %llu Hz (%.1f Hz achieved, %llu boundaries skipped), late %.1f us mean, "
		 "%.1f us max", (unsigned long long)w->fired, (long long)w->cpu,
		 (unsigned long long)w->rate, w->ns ? w->fired * 1e9 / w->ns : 0.0,
		 (unsigned long long)w->skipped,
		 w->fired ? w->late_sum_ns / 1e3 / w->fired : 0.0, w->late_max_ns / 1e3);
	return err ? HLD_EXIT_FAIL : HLD_EXIT_OK;
}

static void timers_report(const void *obj, struct json_writer *j)
{
	const struct timers_wl *w = obj;

	json__str(j, "timer", "timerfd one-shot, CLOCK_MONOTONIC (hrtimer callback "
		  "timerfd_tmrproc)");
	json__int(j, "cpu", w->cpu);
	json__int(j, "tid", gettid());
	json__uint(j, "period_ns", 1000000000ull / w->rate);
	json__uint(j, "periods", w->periods);
	json__uint(j, "armed", w->armed);
	json__uint(j, "fired", w->fired);
	json__uint(j, "skipped", w->skipped);
	json__uint(j, "reads_off_cpu", w->off_cpu);
	json__double(j, "rate_hz", w->ns ? w->fired * 1e9 / w->ns : 0.0 / 0.0);
	json__double(j, "late_mean_us", w->fired ? w->late_sum_ns / 1e3 / w->fired : 0.0 / 0.0);
	json__double(j, "late_max_us", w->late_max_ns / 1e3);
}

static const struct opt timers_opts[] = {
	{ "rate", OPT_UINT, offsetof(struct timers_wl, rate), .min = 1, .max = TIMERS_MAX_RATE,
	  .def = "1000", .help = "timer expirations per second" },
	{ "duration", OPT_DURATION, offsetof(struct timers_wl, duration_ms), .min = 1,
	  .max = 86400000, .def = "1s", .help = "how long (rate x duration boundaries)" },
	{ "cpu", OPT_INT, offsetof(struct timers_wl, cpu), .min = -1, .max = CPU_SETSIZE - 1,
	  .def = "-1", .help = "the CPU to arm the timers on (-1: the one it starts on)" },
	OPT_END
};

const struct workload workload_timers = {
	.name = "timers",
	.comm = "hld-timers",
	.summary = "hrtimer expirations at a known rate on one CPU (irq-stats' timers)",
	.help = "One thread pinned to --cpu arms a one-shot timerfd for each period boundary\n"
		"(--rate per second, for --duration), reads its expiration, arms the next.\n"
		"Each arming is one expiry of an hrtimer (callback timerfd_tmrproc) in the\n"
		"timer interrupt of that CPU; boundaries the loop woke too late for are\n"
		"skipped, not armed. Known exactly: armed = fired, on that CPU; not: the\n"
		"CPU's interrupt count (one interrupt can expire several timers) or other\n"
		"processes' timers. JSON: cpu, period, periods, armed, fired, skipped, reads\n"
		"on another CPU (0 when pinned), achieved rate and wake-up lateness (expiry to\n"
		"the read's return, measured).",
	.opts = timers_opts,
	.size = sizeof(struct timers_wl),
	.check = timers_check,
	.run = timers_run,
	.report = timers_report,
};
