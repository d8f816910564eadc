// SPDX-License-Identifier: GPL-2.0
/*
 * plot.c - the load-trend chart: a gnuplot script over samples.csv.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plot.h"
#include "run-command.h"

#define COL_BASE	"#e6e6e6"	/* baseline phase shading */
#define COL_DIAG	"#ffddb0"	/* diagnosed phase shading */
#define COL_LOAD1	"#1f77b4"
#define COL_LOAD5	"#c2185b"
#define COL_LOAD15	"#6a3d9a"
#define COL_R		"#17becf"
#define COL_D		"#8c6d1f"
#define COL_PRED	"#222222"
#define COL_TARGET	"#2ca02c"
#define COL_THRESH	"#d62728"

/*
 * Scan samples.csv for its time span and row count, so the script can fix
 * the x range (the target band is drawn over it) and we can refuse to
 * chart nothing.
 */
static int csv_span(const char *path, double *t_min, double *t_max, size_t *rows)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	*rows = 0;
	*t_min = INFINITY;
	*t_max = -INFINITY;
	while (fgets(line, sizeof(line), f)) {
		char *end;
		double t = strtod(line, &end);

		if (end == line || *end != ',' || !isfinite(t))
			continue;	/* the header, or a damaged row */
		if (t < *t_min)
			*t_min = t;
		if (t > *t_max)
			*t_max = t;
		(*rows)++;
	}
	fclose(f);
	return 0;
}

/* Write @s as a gnuplot double-quoted string, escaping what needs it. */
static void gp_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s < ' ')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* Shade each phase and label it at the top of the plot area. */
static void gp_phases(FILE *f, const struct plot_opts *o, double span)
{
	int nb = 0, nd = 0, i;

	for (i = 0; i < o->nr_phases; i++) {
		const struct plot_phase *p = &o->phases[i];
		bool narrow = span > 0 && (p->end_s - p->start_s) < 0.08 * span;
		char label[32];

		if (!(p->end_s > p->start_s))
			continue;
		if (p->diagnosed)
			snprintf(label, sizeof(label), narrow ? "D%d" : "diagnosed %d", ++nd);
		else
			snprintf(label, sizeof(label), narrow ? "B%d" : "baseline %d", ++nb);
		fprintf(f, "set object %d rect from first %.3f, graph 0 to first %.3f, graph 1 "
			"behind fillcolor rgb \"%s\" fillstyle solid 1.0 noborder\n",
			i + 1, p->start_s, p->end_s, p->diagnosed ? COL_DIAG : COL_BASE);
		fprintf(f, "set label %d \"%s\" at first %.3f, graph 0.965 center "
			"font \",10\" textcolor rgb \"#555555\"\n",
			i + 1, label, (p->start_s + p->end_s) / 2);
	}
}

/* The look every chart shares: data format, title, axes, grid, key. */
static void gp_style(FILE *f, const char *title, double t_min, double t_max)
{
	fputs("set encoding utf8\n"
	      "set datafile separator \",\"\n"
	      "set datafile missing \"NaN\"\n", f);
	fputs("set title ", f);
	gp_str(f, title);
	fputs(" font \",14\" noenhanced\n", f);
	fputs("set xlabel \"time since start (s)\"\n"
	      "set ylabel \"tasks (R, D) and load average\"\n", f);
	fprintf(f, "set xrange [%.3f:%.3f]\n", t_min, t_max);
	fputs("set yrange [0:*]\n"
	      "set offsets 0, 0, graph 0.10, 0\n"
	      "set grid xtics ytics lc rgb \"#cccccc\" lw 1 dt 3\n"
	      "set border 3 lc rgb \"#444444\"\n"
	      "set tics nomirror out\n"
	      "set mxtics 2\n"
	      "set key outside right top vertical Left reverse spacing 1.3 samplen 3\n"
	      "set lmargin 10\n", f);
}

/* Switch to the PNG terminal writing @name.png, and start the plot command. */
static void gp_png(FILE *f, const char *name)
{
	fprintf(f, "\nset terminal pngcairo size 1200,600 noenhanced font \"DejaVu Sans,11\" "
		"linewidth 1\nset output \"%s.png\"\nplot \\\n", name);
}

/* Re-plot the same chart as @name.svg. */
static void gp_svg(FILE *f, const char *name)
{
	fprintf(f, "\nset terminal svg size 1200,600 dynamic noenhanced font \"DejaVu Sans,11\" "
		"linewidth 1\nset output \"%s.svg\"\nreplot\nunset output\n", name);
}

/*
 * The script. Columns are addressed by their names in samples.csv's header
 * so the script survives column reordering.
 */
static void gp_script(FILE *f, const char *dir, const struct plot_opts *o,
		      double t_min, double t_max)
{
	bool has_target = isfinite(o->target) && o->target > 0;
	bool has_thresh = isfinite(o->threshold);
	double tol = isfinite(o->tolerance_pct) && o->tolerance_pct > 0 ? o->tolerance_pct : 0;
	bool has_base = false, has_diag = false;
	int i;

	for (i = 0; i < o->nr_phases; i++) {
		if (o->phases[i].diagnosed)
			has_diag = true;
		else
			has_base = true;
	}
	if (!(t_max > t_min))
		t_max = t_min + 1;

	fputs("# load-trend.gp - written by hldbench; re-run with:\n", f);
	fprintf(f, "#   cd %s && gnuplot load-trend.gp\n", dir);
	fputs("# Reads samples.csv; writes load-trend.png and load-trend.svg.\n\n", f);

	gp_style(f, o->title && *o->title ? o->title : "load trend", t_min, t_max);
	gp_phases(f, o, t_max - t_min);

	if (has_target)
		fprintf(f, "target = %.6g\nlo = %.6g\nhi = %.6g\n", o->target,
			o->target * (1 - tol / 100), o->target * (1 + tol / 100));
	if (has_thresh)
		fprintf(f, "threshold = %.6g\n", o->threshold);
	gp_png(f, "load-trend");
	if (has_base)
		fputs("  keyentry with boxes fillstyle solid 1.0 noborder fc rgb \"" COL_BASE
		      "\" title \"baseline phase\", \\\n", f);
	if (has_diag)
		fputs("  keyentry with boxes fillstyle solid 1.0 noborder fc rgb \"" COL_DIAG
		      "\" title \"diagnosed phase\", \\\n", f);
	if (has_target && tol > 0)
		fprintf(f, "  '+' using 1:(lo):(hi) with filledcurves "
			"fillstyle transparent solid 0.15 noborder lc rgb \"" COL_TARGET "\" "
			"title \"target ±%g %%\", \\\n", tol);
	if (has_target)
		fputs("  target with lines dt (8,4) lw 2 lc rgb \"" COL_TARGET "\" "
		      "title sprintf(\"target load %g\", target), \\\n", f);
	if (has_thresh)
		fputs("  threshold with lines dt (4,3,1,3) lw 2 lc rgb \"" COL_THRESH "\" "
		      "title sprintf(\"load-monitor threshold: 1-min load avg %g\", threshold), \\\n", f);
	fputs("  \"samples.csv\" using \"t_s\":\"r\" with steps lw 0.8 lc rgb \"" COL_R "\" "
	      "title \"R: running (sampler excluded)\", \\\n"
	      "  \"\" using \"t_s\":\"d\" with steps lw 0.8 lc rgb \"" COL_D "\" "
	      "title \"D: blocked in IO wait\", \\\n"
	      "  \"\" using \"t_s\":\"load15\" with lines lw 2 lc rgb \"" COL_LOAD15 "\" "
	      "title \"loadavg 15 min\", \\\n"
	      "  \"\" using \"t_s\":\"load5\" with lines lw 2 lc rgb \"" COL_LOAD5 "\" "
	      "title \"loadavg 5 min\", \\\n"
	      "  \"\" using \"t_s\":\"load1\" with lines lw 2.5 lc rgb \"" COL_LOAD1 "\" "
	      "title \"loadavg 1 min\", \\\n"
	      "  \"\" using \"t_s\":\"pred_load1\" with lines dt (6,4) lw 2 lc rgb \"" COL_PRED "\" "
	      "title \"load1 predicted from R+D\"\n", f);
	gp_svg(f, "load-trend");
}

/* Remove @path if it exists and is empty (a quiet gnuplot's log). */
static void unlink_if_empty(const char *path)
{
	struct stat st;

	if (!stat(path, &st) && st.st_size == 0)
		unlink(path);
}

/*
 * Run gnuplot on @dir/@name.gp in @dir (via its own "cd" command, as
 * run-command has no working-directory option) so that the script's file
 * names are relative and it can be re-run by hand; it must make @name.png.
 */
static int gp_render(const char *dir, const char *name)
{
	char script[NAME_MAX + 4], log[PATH_MAX], png[PATH_MAX], cd[PATH_MAX + 8];
	const char *const argv[] = { "gnuplot", "-e", cd, script, NULL };
	int err;

	snprintf(script, sizeof(script), "%s.gp", name);
	snprintf(log, sizeof(log), "%s/%s.log", dir, name);
	snprintf(png, sizeof(png), "%s/%s.png", dir, name);
	snprintf(cd, sizeof(cd), "cd '%s'", dir);
	err = run_command(argv, log, log);
	if (err < 0)
		return err;
	if (err > 0 || access(png, F_OK))
		return -EIO;
	unlink_if_empty(log);
	return 0;
}

/* Open @dir/@name.gp for writing; NULL with errno set. */
static FILE *gp_open(const char *dir, const char *name)
{
	char gp[PATH_MAX];

	if (snprintf(gp, sizeof(gp), "%s/%s.gp", dir, name) >= (int)sizeof(gp)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return fopen(gp, "w");
}

/* Close a script; 0 or -errno. */
static int gp_close(FILE *f)
{
	if (ferror(f)) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) ? -errno : 0;
}

int plot__load_trend(const char *dir, const struct plot_opts *o)
{
	char csv[PATH_MAX];
	double t_min = 0, t_max = 0;
	size_t rows = 0;
	FILE *f;
	int err;

	if (!dir || !o || strpbrk(dir, "'\n") || (o->nr_phases && !o->phases))
		return -EINVAL;
	if (snprintf(csv, sizeof(csv), "%s/samples.csv", dir) >= (int)sizeof(csv) ||
	    strlen(dir) > PATH_MAX - 32)
		return -ENAMETOOLONG;

	err = csv_span(csv, &t_min, &t_max, &rows);
	if (err)
		return err;

	f = gp_open(dir, "load-trend");
	if (!f)
		return -errno;
	gp_script(f, dir, o, rows ? t_min : 0, rows ? t_max : 1);
	err = gp_close(f);
	if (err)
		return err;
	if (!rows)
		return -ENODATA;
	return gp_render(dir, "load-trend");
}

/* Colours of the runs in an overlaid chart, in order. */
static const char *const run_colors[] = {
	COL_LOAD1, "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
};

int plot__load_trends(const char *dir, const char *name, const char *title,
		      const struct plot_series *s, int n)
{
	double t_min = INFINITY, t_max = -INFINITY;
	size_t rows = 0;
	FILE *f;
	int err;

	if (!dir || !name || n < 1 || strpbrk(dir, "'\n") || strpbrk(name, "/'\"\n"))
		return -EINVAL;
	if (strlen(dir) > PATH_MAX - NAME_MAX - 8)
		return -ENAMETOOLONG;
	for (int i = 0; i < n; i++) {
		char csv[PATH_MAX];
		double lo, hi;
		size_t r;

		if (strpbrk(s[i].csv, "/\"\n"))
			return -EINVAL;
		snprintf(csv, sizeof(csv), "%s/%s", dir, s[i].csv);
		err = csv_span(csv, &lo, &hi, &r);
		if (err)
			return err;
		rows += r;
		if (r && lo < t_min)
			t_min = lo;
		if (r && hi > t_max)
			t_max = hi;
	}
	if (!rows)
		return -ENODATA;
	if (!(t_max > t_min))
		t_max = t_min + 1;

	f = gp_open(dir, name);
	if (!f)
		return -errno;
	fprintf(f, "# %s.gp - written by hldbench compare; re-run with:\n"
		"#   cd %s && gnuplot %s.gp\n\n", name, dir, name);
	gp_style(f, title, t_min, t_max);
	gp_png(f, name);
	for (int i = 0; i < n; i++) {
		const char *col = run_colors[i % (sizeof(run_colors) / sizeof(run_colors[0]))];

		fprintf(f, "  \"%s\" using \"t_s\":(column(\"r\") + column(\"d\")) with steps "
			"lw 0.8 lc rgb \"%s\" dt 3 title ", s[i].csv, col);
		gp_str(f, s[i].label);
		fputs(" . \": R+D\", \\\n", f);
		fprintf(f, "  \"%s\" using \"t_s\":\"load1\" with lines lw 2.5 lc rgb \"%s\" "
			"title ", s[i].csv, col);
		gp_str(f, s[i].label);
		fprintf(f, " . \": loadavg 1 min\"%s\n", i + 1 < n ? ", \\" : "");
	}
	gp_svg(f, name);
	err = gp_close(f);
	return err ? err : gp_render(dir, name);
}
