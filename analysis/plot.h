/* SPDX-License-Identifier: GPL-2.0 */
/*
 * plot.h - gnuplot charts of a run.
 *
 * The chart is written as a gnuplot script next to the data, so a user can
 * edit and re-run it (cd RUNDIR && gnuplot load-trend.gp); then gnuplot is
 * run on it through run-command. Functions return 0 or -errno and print
 * nothing.
 */
#ifndef HLD_PLOT_H
#define HLD_PLOT_H

#include <stdbool.h>

struct plot_phase {
	double start_s, end_s;	/* seconds, on samples.csv's t_s scale */
	int diagnosed;		/* 0: baseline (shaded grey), 1: diagnosed (orange) */
};

struct plot_opts {
	const char *title;		/* chart title, e.g. the scenario name; NULL: none */
	double target;			/* target load (R + D); NaN or <= 0: none */
	double tolerance_pct;		/* band of +-tolerance_pct % around the target */
	double threshold;		/* load-monitor capture threshold; NaN: none */
	const struct plot_phase *phases;
	int nr_phases;
};

/*
 * Chart DIR/samples.csv (sampler__write_csv's columns) as DIR/load-trend.gp,
 * then run gnuplot on it to make DIR/load-trend.png (1200x600) and
 * DIR/load-trend.svg. The chart has loadavg 1/5/15, instantaneous R and D,
 * the EWMA-predicted load1, the target with its tolerance band, the
 * threshold, and the phases shaded.
 *
 * Returns 0; -errno if samples.csv cannot be read or the script cannot be
 * written; -ENODATA if samples.csv has no rows; -ENOENT if gnuplot is not
 * installed; -EIO if gnuplot failed (its messages are in DIR/load-trend.log);
 * -EINVAL if DIR contains a quote or newline. The .gp file is left in place
 * in every case where it was written.
 */
int plot__load_trend(const char *dir, const struct plot_opts *o);

/* One run of an overlaid chart. */
struct plot_series {
	const char *label;	/* key title, e.g. "A: cpu-load6 (bpf)" */
	const char *csv;	/* a samples.csv copy, a file name inside the chart's DIR */
};

/*
 * Overlay the load of @n runs on one chart, in the load-trend chart's style:
 * each run's 1-min loadavg (solid) and instantaneous R+D (dotted steps) in
 * its own colour, on each run's own time since start. Writes DIR/NAME.gp
 * and runs gnuplot for DIR/NAME.png and DIR/NAME.svg. Returns as
 * plot__load_trend() (-ENODATA when no series has a row).
 */
int plot__load_trends(const char *dir, const char *name, const char *title,
		      const struct plot_series *s, int n);

#endif /* HLD_PLOT_H */
