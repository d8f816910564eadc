// SPDX-License-Identifier: GPL-2.0
/*
 * hldbench.c - command dispatch: `hldbench COMMAND [ARGS]`, as perf and git do.
 */
#include <stdio.h>
#include <string.h>

#include "builtin.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: hldbench COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < nr_commands; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'hldbench COMMAND --help' shows a command's options;\n"
		   "'hldbench help scenario' documents scenario files.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return HLD_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return HLD_EXIT_OK;
	}
	for (size_t i = 0; i < nr_commands; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "hldbench: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return HLD_EXIT_USAGE;
}
