/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench-loadmon.h - `hldbench bench load-monitor`: what load-monitor costs
 * when its threshold is not crossed (per check, and as a share of one CPU
 * against the 0.2% budget) and per capture when it is.
 */
#ifndef HLD_BENCH_LOADMON_H
#define HLD_BENCH_LOADMON_H

/* argv[0] is "load-monitor"; options follow. Returns an HLD_EXIT_* code. */
int bench_load_monitor(int argc, char **argv);

#endif /* HLD_BENCH_LOADMON_H */
