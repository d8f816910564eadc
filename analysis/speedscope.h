/* SPDX-License-Identifier: GPL-2.0 */
/*
 * speedscope.h - folded stacks as a speedscope profile, for
 * https://www.speedscope.app (or `speedscope FILE`): its time-order,
 * left-heavy and sandwich (callers/callees of one function) views.
 *
 * The file is speedscope's own JSON format, one profile of type "sampled":
 *
 *	{"$schema": "https://www.speedscope.app/file-format-schema.json",
 *	 "shared": {"frames": [{"name": "stress-ng"}, {"name": "main"}, ...]},
 *	 "profiles": [{"type": "sampled", "name": NAME, "unit": "none",
 *	               "startValue": 0, "endValue": TOTAL,
 *	               "samples": [[0, 1, 2], ...], "weights": [500, ...]}],
 *	 "name": NAME, "activeProfileIndex": 0, "exporter": "hldbench"}
 *
 * shared.frames holds each distinct frame name once; each stack with a
 * non-zero count is one sample, the indices of its frames from root to leaf,
 * weighted by its count, so the weights sum to the total (endValue).
 * Samples are in stack text order and frames in the order they first appear
 * there: the same stacks give the same file.
 */
#ifndef HLD_SPEEDSCOPE_H
#define HLD_SPEEDSCOPE_H

#include <stdio.h>

#include "folded.h"

#define SPEEDSCOPE_SCHEMA "https://www.speedscope.app/file-format-schema.json"

/*
 * Write @f to @out as a speedscope file whose profile is called @name (NULL:
 * "hldbench"). Returns 0, -ENOMEM, or -EIO if writing failed.
 */
int speedscope__write(const struct folded *f, FILE *out, const char *name);

#endif /* HLD_SPEEDSCOPE_H */
