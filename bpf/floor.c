// SPDX-License-Identifier: GPL-2.0
/*
 * floor.c - attach and detach the reference syscall programs of
 * floor.bpf.c: the no-op pair (the floor) or the clock pair.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "bpf-util.h"
#include "floor.h"
#include "floor.skel.h"

struct floor {
	struct floor_bpf *skel;
	struct bpf_link *enter, *exit;
};

/* Load the programs and attach one pair: the no-op one, or with @clocks the clock one. */
static struct floor *floor__attach_pair(bool clocks, int *err)
{
	struct floor *fl = calloc(1, sizeof(*fl));

	if (!fl) {
		*err = -ENOMEM;
		return NULL;
	}
	fl->skel = floor_bpf__open_and_load();
	if (!fl->skel) {
		*err = -errno;
		free(fl);
		return NULL;
	}
	fl->exit = bpf_program__attach(clocks ? fl->skel->progs.floor_clock_exit :
					 fl->skel->progs.floor_exit);
	fl->enter = fl->exit ? bpf_program__attach(clocks ? fl->skel->progs.floor_clock_enter :
						   fl->skel->progs.floor_enter) : NULL;
	if (!fl->enter) {
		*err = -errno;
		floor__detach(fl);
		return NULL;
	}
	return fl;
}

struct floor *floor__attach(int *err)
{
	return floor__attach_pair(false, err);
}

struct floor *floor__attach_clocks(int *err)
{
	return floor__attach_pair(true, err);
}

void floor__detach(struct floor *fl)
{
	if (!fl)
		return;
	bpf_link__destroy(fl->enter);
	bpf_link__destroy(fl->exit);
	floor_bpf__destroy(fl->skel);
	free(fl);
}
