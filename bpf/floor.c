// SPDX-License-Identifier: GPL-2.0
/*
 * floor.c - attach and detach the no-op syscall programs of floor.bpf.c.
 */
#include <errno.h>
#include <stdlib.h>

#include "bpf-util.h"
#include "floor.skel.h"

struct floor {
	struct floor_bpf *skel;
};

struct floor *floor__attach(int *err)
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
	*err = floor_bpf__attach(fl->skel);
	if (*err) {
		floor_bpf__destroy(fl->skel);
		free(fl);
		return NULL;
	}
	return fl;
}

void floor__detach(struct floor *fl)
{
	if (!fl)
		return;
	floor_bpf__destroy(fl->skel);
	free(fl);
}
