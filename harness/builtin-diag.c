// SPDX-License-Identifier: GPL-2.0
/*
 * builtin-diag.c - `hldbench diag list`: every feature, on every backend,
 * whether it can run here, and if not, why.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "builtin.h"
#include "diag.h"

static const struct diag_backend *const backends[] = {
	&diag_backend_bpf,
	&diag_backend_kmod,
};
#define NR_BACKENDS (int)(sizeof(backends) / sizeof(backends[0]))

/* Availability of @feature on @b: 0, or -errno with the reason in @why. */
static int feature_status(const struct diag_backend *b, const char *feature,
			  char *why, size_t len)
{
	const struct diag_ops *ops;
	int err = b->probe(why, len);

	if (err)
		return err;
	ops = diag__find(b, feature, why, len);
	if (!ops)
		return -1;
	return ops->probe ? ops->probe(why, len) : 0;
}

static void list_text(void)
{
	char why[512];

	for (int i = 0; i < DIAG_FEATURE__MAX; i++) {
		printf("%-14s %s\n", diag_descs[i].name, diag_descs[i].summary);
		for (int b = 0; b < NR_BACKENDS; b++) {
			int err = feature_status(backends[b], diag_descs[i].name, why, sizeof(why));

			printf("  %-5s %s%s%s\n", backends[b]->name, err ? "unavailable" : "available",
			       err ? ": " : "", err ? why : "");
		}
	}
}

static void list_json(void)
{
	struct json_writer j;
	char why[512];

	json__init(&j, stdout, true);
	json__begin_array(&j, NULL);
	for (int i = 0; i < DIAG_FEATURE__MAX; i++) {
		json__begin_object(&j, NULL);
		json__str(&j, "name", diag_descs[i].name);
		json__str(&j, "summary", diag_descs[i].summary);
		json__begin_object(&j, "backends");
		for (int b = 0; b < NR_BACKENDS; b++) {
			int err = feature_status(backends[b], diag_descs[i].name, why, sizeof(why));

			json__begin_object(&j, backends[b]->name);
			json__bool(&j, "available", !err);
			json__str(&j, "reason", err ? why : NULL);
			json__end_object(&j);
		}
		json__end_object(&j);
		json__end_object(&j);
	}
	json__end_array(&j);
	fputc('\n', stdout);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: hldbench diag list [--json]\n\n"
		   "  list      each diagnosis feature, on each backend: available, or why not\n"
		   "  --json    machine-readable output\n");
}

int cmd_diag(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return HLD_EXIT_OK;
		default:
			usage(stderr);
			return HLD_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || strcmp(argv[optind], "list")) {
		usage(stderr);
		return HLD_EXIT_USAGE;
	}
	if (json)
		list_json();
	else
		list_text();
	return HLD_EXIT_OK;
}
