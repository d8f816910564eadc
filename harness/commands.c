// SPDX-License-Identifier: GPL-2.0
/*
 * commands.c - the table of hldbench subcommands, used by the dispatcher
 * (hldbench.c) and by `hldbench help`.
 */
#include "builtin.h"

const struct command commands[] = {
	{ "run", cmd_run, "run a load scenario with diagnosis alongside" },
	{ "check", cmd_check, "the CI gate: check a run against a recorded baseline" },
	{ "diag", cmd_diag, "list diagnosis features and their availability" },
	{ "workload", cmd_workload, "run a built-in ground-truth workload" },
	{ "bench", cmd_bench, "measure what the diagnosis costs against a floor" },
	{ "report", cmd_report, "regenerate a run's summary.md and report.html" },
	{ "compare", cmd_compare, "compare runs: overhead, accuracy, load, differential flame graph" },
	{ "flamegraph", cmd_flamegraph, "draw a flame graph SVG from folded stacks" },
	{ "help", cmd_help, "show help for a command or for scenario files" },
};

const size_t nr_commands = sizeof(commands) / sizeof(commands[0]);
