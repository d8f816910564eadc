// SPDX-License-Identifier: GPL-2.0
/*
 * builtin-help.c - `hldbench help [COMMAND | scenario]`.
 *
 * Help for a command is that command's own --help, so there is one text to
 * keep up to date; scenario files are documented from the parser's tables.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "builtin.h"
#include "scenario.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: hldbench help [COMMAND | scenario]\n\ncommands:\n");
	for (size_t i = 0; i < nr_commands; i++)
		if (commands[i].fn != cmd_help)
			fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'hldbench help COMMAND' (or 'hldbench COMMAND --help') shows a command's\n"
		   "options; 'hldbench help scenario' documents scenario files: every section\n"
		   "and key with its type, range and default.\n");
}

/*
 * Run @t's own --help, as `hldbench COMMAND --help` would; the commands
 * print and exit there. optind is reset in case getopt ran before.
 */
static int command__help(const struct command *t)
{
	char name[32], opt[] = "--help";
	char *argv[] = { name, opt, NULL };

	snprintf(name, sizeof(name), "%s", t->name);
	optind = 0;
	return t->fn(2, argv);
}

/* `hldbench help [COMMAND | scenario]`; no argument lists the commands. */
int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		usage(stdout);
		return HLD_EXIT_OK;
	}
	if (argc > 2) {
		usage(stderr);
		return HLD_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return HLD_EXIT_OK;
	}
	if (!strcmp(argv[1], "scenario")) {
		scenario__help(stdout);
		return HLD_EXIT_OK;
	}
	for (size_t i = 0; i < nr_commands; i++)
		if (commands[i].fn != cmd_help && !strcmp(argv[1], commands[i].name))
			return command__help(&commands[i]);
	fprintf(stderr, "hldbench help: unknown topic '%s'\n\n", argv[1]);
	usage(stderr);
	return HLD_EXIT_USAGE;
}
