/* SPDX-License-Identifier: GPL-2.0 */
/*
 * builtin.h - hldbench subcommands. Each lives in harness/builtin-<name>.c
 * and is listed once in the commands[] table of hldbench.c.
 */
#ifndef HLD_BUILTIN_H
#define HLD_BUILTIN_H

#include <stddef.h>

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

/* Every subcommand, in `hldbench --help` order (harness/commands.c). */
extern const struct command commands[];
extern const size_t nr_commands;

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_workload(int argc, char **argv);
int cmd_diag(int argc, char **argv);
int cmd_flamegraph(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);

/*
 * Print why result directory @dir could not be read or reported on (@err
 * from report__write() or run_result__load(), @why its text) as command
 * @cmd, and return the exit code: HLD_EXIT_USAGE for a directory that is not
 * a run, HLD_EXIT_FAIL for a file that could not be written.
 */
int report__error(const char *cmd, const char *dir, int err, const char *why);

/* Exit codes shared by all commands. */
enum {
	HLD_EXIT_OK = 0,
	HLD_EXIT_FAIL = 1,	/* the run or check failed (e.g. target load missed) */
	HLD_EXIT_USAGE = 2,	/* bad option or bad scenario: nothing was started */
	HLD_EXIT_UNSUPPORTED = 3, /* cannot run on this machine; says why */
	HLD_EXIT_INTERRUPTED = 130,
};

#endif /* HLD_BUILTIN_H */
