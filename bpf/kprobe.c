// SPDX-License-Identifier: GPL-2.0
/*
 * kprobe.c - the kprobe feature on the eBPF backend: which kernels have it,
 * and which function names it accepts. Everything else, the program, the
 * drains and the report, it shares with tracepoint (bpf/tracepoint.c).
 *
 * Probing an arbitrary kernel function needs the kprobe PMU
 * (CONFIG_KPROBES). Where the kernel has none, the feature says so and
 * points at the nearest real thing, the tracepoint feature.
 *
 * A function is named as /proc/kallsyms names it; a text symbol of the
 * kernel or of a loaded module. Its names are readable whatever
 * kptr_restrict says (only the addresses are hidden), so nothing system-wide
 * needs changing. The kernel refuses some functions (those on its kprobe
 * blacklist, which debugfs lists); where that list can be read, those are
 * refused here, before anything is loaded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf-util.h"
#include "diag.h"
#include "hld_settings.h"
#include "tracepoint.h"

#define KPROBE_PMU		BPF_UTIL_KPROBE_PMU
#define KPROBE_KALLSYMS		"/proc/kallsyms"
#define KPROBE_BLACKLIST	"/sys/kernel/debug/kprobes/blacklist"
#define KPROBE_SUGGESTIONS	4

int kprobe__probe(char *why, size_t len)
{
	int err;

	if (access(KPROBE_PMU, F_OK)) {
		snprintf(why, len, "kernel built without CONFIG_KPROBES (no %s); "
			 "the nearest real thing is tracepoint: any named tracepoint with "
			 "stacks and a flame graph (hldbench diag tracepoint --help)", KPROBE_PMU);
		return -ENOTSUP;
	}
	err = tracepoint__probe_load(true, why, len);
	if (err)
		return err;
	snprintf(why, len, "entry of any kernel function in %s (function=NAME); counts and "
		 "stacks only: the arguments are not read", KPROBE_KALLSYMS);
	return 0;
}

/* Is @name, as long as a symbol can be, made of the characters symbols are? */
static bool kprobe__well_formed(const char *name)
{
	size_t n = strlen(name);

	return n && n < TP_NAME_LEN && strspn(name, "abcdefghijklmnopqrstuvwxyz"
					      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") == n;
}

/* Is @name listed in the debugfs kprobe blacklist ("start-end name" lines)? -1: unreadable. */
static int kprobe__blacklisted(const char *name)
{
	char line[512], sym[256];
	FILE *in = fopen(KPROBE_BLACKLIST, "re");
	int found = 0;

	if (!in)
		return -1;
	while (!found && fgets(line, sizeof(line), in))
		found = sscanf(line, "%*s %255s", sym) == 1 && !strcmp(sym, name);
	fclose(in);
	return found;
}

/*
 * Look the text symbol @name up in /proc/kallsyms. If it is not there,
 * write into @near up to KPROBE_SUGGESTIONS text symbols within two edits
 * of it. 1 if found, 0 if not, -errno if kallsyms cannot be read.
 */
static int kprobe__in_kallsyms(const char *name, char *near, size_t len)
{
	char line[512], type, sym[256];
	FILE *in = fopen(KPROBE_KALLSYMS, "re");
	size_t n = 0;
	int found = 0, nr_near = 0;

	if (!in)
		return -errno;
	near[0] = '\0';
	while (!found && fgets(line, sizeof(line), in)) {
		if (sscanf(line, "%*s %c %255s", &type, sym) != 2 || (type != 't' && type != 'T'))
			continue;
		found = !strcmp(sym, name);
		if (found || nr_near == KPROBE_SUGGESTIONS || tracepoint__distance(name, sym, 2) > 2 ||
		    strstr(near, sym))
			continue;
		n += snprintf(near + n, n < len ? len - n : 0, "%s%s", nr_near ? ", " : "", sym);
		nr_near++;
	}
	fclose(in);
	return found;
}

int kprobe__resolve(const char *name, char *why, size_t len)
{
	static const char where[] = "the names are the text symbols (type t or T) of "
		KPROBE_KALLSYMS;
	char near[256];
	int found;

	if (!name[0]) {
		snprintf(why, len, "function: required: a kernel function to probe "
			 "(function=do_sys_openat2); %s", where);
		return -EINVAL;
	}
	if (!kprobe__well_formed(name)) {
		snprintf(why, len, "function: '%s' is not a kernel function name: letters, "
			 "digits, '_' and '.', shorter than %d characters", name, TP_NAME_LEN);
		return -EINVAL;
	}
	found = kprobe__in_kallsyms(name, near, sizeof(near));
	if (found < 0) {
		snprintf(why, len, "function: cannot read %s to look up %s: %s", KPROBE_KALLSYMS,
			 name, strerror(-found));
		return found;
	}
	if (!found) {
		snprintf(why, len, "function: no kernel function '%s' here%s%s%s; %s", name,
			 near[0] ? " (did you mean " : "", near, near[0] ? "?)" : "", where);
		return -ENOENT;
	}
	if (kprobe__blacklisted(name) == 1) {
		snprintf(why, len, "function: %s is on the kernel's kprobe blacklist (%s): "
			 "probing it could recurse into the probe; pick its caller", name,
			 KPROBE_BLACKLIST);
		return -EINVAL;
	}
	return 0;
}

/* The settings' function, which need not be NUL-terminated, must resolve. */
int kprobe__check(const void *settings, char *why, size_t len)
{
	const struct hld_tracepoint_settings *s = settings;
	char name[sizeof(s->name) + 1];

	snprintf(name, sizeof(name), "%.*s", (int)sizeof(s->name), s->name);
	return kprobe__resolve(name, why, len);
}
