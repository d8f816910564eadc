// SPDX-License-Identifier: GPL-2.0
/*
 * workload-syscalls.c - N getppid() calls from one thread: sys-cost's
 * ground truth (harness/truth-sys-cost.c) and `hldbench workload syscalls`.
 */
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "builtin.h"
#include "workload.h"

long syscalls__getppid(long n)
{
	long i;

	for (i = 0; i < n && !workload_stop; i++)
		syscall(SYS_getppid);
	return i;
}

struct syscalls_wl {
	uint64_t count;
	/* results */
	uint64_t calls;
	pid_t tid;
	uint64_t ns;
};

static int syscalls_run(void *obj, struct workload_ctx *ctx)
{
	struct syscalls_wl *s = obj;
	uint64_t t0 = workload__now_ns();

	s->tid = gettid();
	s->calls = syscalls__getppid(s->count);
	s->ns = workload__now_ns() - t0;
	snprintf(ctx->summary, sizeof(ctx->summary),
		 "%llu getppid() calls by pid %d (tid %d), %.0f ns each",
		 (unsigned long long)s->calls, getpid(), s->tid,
		 s->calls ? (double)s->ns / s->calls : 0.0);
	return HLD_EXIT_OK;
}

static void syscalls_report(const void *obj, struct json_writer *j)
{
	const struct syscalls_wl *s = obj;

	json__str(j, "syscall", "getppid");
	json__int(j, "syscall_nr", SYS_getppid);
	json__uint(j, "calls", s->calls);
	json__int(j, "tgid", getpid());
	json__int(j, "tid", s->tid);
	json__double(j, "ns_per_call", s->calls ? (double)s->ns / s->calls : 0.0 / 0.0);
}

static const struct opt syscalls_opts[] = {
	{ "N", OPT_UINT, offsetof(struct syscalls_wl, count), .min = 1, .max = 1e10,
	  .required = true, .help = "getppid() calls to make" },
	OPT_END
};

const struct workload workload_syscalls = {
	.name = "syscalls",
	.comm = "hld-syscalls",
	.summary = "N getppid() calls from one thread (sys-cost's truth)",
	.help = "One thread makes exactly N raw getppid() system calls (syscall(2), no libc\n"
		"cache), then exits. JSON: calls made (N unless stopped), the tgid and tid\n"
		"that made them, the syscall's number, ns per call measured around the loop.\n"
		"Every call is one sys_enter and one sys_exit: a syscall tracer filtered to\n"
		"the pid must count exactly N getppid (plus the process's start-up and exit).",
	.positional = "N",
	.opts = syscalls_opts,
	.size = sizeof(struct syscalls_wl),
	.run = syscalls_run,
	.report = syscalls_report,
};
