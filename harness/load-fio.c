// SPDX-License-Identifier: GPL-2.0
/*
 * load-fio.c - fio as a load generator.
 *
 * fio 3.33 with --output-format=json writes one JSON object with a "jobs"
 * array; each job has "read" and "write" objects with "iops" and
 * "total_ios". Warnings may come before the object in the same file, so
 * parsing starts at the first '{'.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "load.h"

#define FIO_MAX_OUTPUT (64 << 20)

/* Read all of @path into a NUL-terminated malloc()ed buffer. */
static int slurp(const char *path, char **out)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap), *nbuf;
	FILE *f;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	f = fopen(path, "re");
	if (!f) {
		free(buf);
		return -errno;
	}
	for (;;) {
		size_t n = fread(buf + len, 1, cap - len - 1, f);

		len += n;
		if (len < cap - 1)
			break;
		if (cap >= FIO_MAX_OUTPUT) {
			err = -EFBIG;
			break;
		}
		cap *= 2;
		nbuf = realloc(buf, cap);
		if (!nbuf) {
			err = -ENOMEM;
			break;
		}
		buf = nbuf;
	}
	if (ferror(f))
		err = -EIO;
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* @obj.@key as a number; -EINVAL if absent or not a number. */
static int json_num(struct json_object *obj, const char *key, double *v)
{
	struct json_object *n;

	if (!json_object_object_get_ex(obj, key, &n))
		return -EINVAL;
	if (!json_object_is_type(n, json_type_double) && !json_object_is_type(n, json_type_int))
		return -EINVAL;
	*v = json_object_get_double(n);
	return 0;
}

/* Add one job's read and write figures to @res. */
static int fio_job__add(struct json_object *job, int idx, struct load_result *res)
{
	static const char *const dirs[] = { "read", "write" };
	double v, runtime_ms = 0;

	if (json_num(job, "error", &v) == 0 && v != 0) {
		struct json_object *name = NULL;

		json_object_object_get_ex(job, "jobname", &name);
		snprintf(res->note, sizeof(res->note), "fio job %s: error %d",
			 name ? json_object_get_string(name) : "?", (int)v);
		res->valid = false;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct json_object *d;
		double iops, ios, rt;

		if (!json_object_object_get_ex(job, dirs[i], &d) ||
		    json_num(d, "iops", &iops) || json_num(d, "total_ios", &ios)) {
			snprintf(res->note, sizeof(res->note), "jobs[%d].%s: no iops/total_ios", idx,
				 dirs[i]);
			return -EINVAL;
		}
		res->rate += iops;
		res->ops += (uint64_t)ios;
		if (!json_num(d, "runtime", &rt) && rt > runtime_ms)
			runtime_ms = rt;
	}
	/* job_runtime sums over the jobs of a group: only a fallback */
	if (!runtime_ms && !json_num(job, "job_runtime", &v))
		runtime_ms = v;
	if (runtime_ms / 1000 > res->wall_s)
		res->wall_s = runtime_ms / 1000;
	return 0;
}

/*
 * Sum read.iops + write.iops (and total_ios) over "jobs"; wall_s is the
 * longest job runtime. -EINVAL with a note for anything malformed.
 */
int load__parse_fio_json(const char *path, struct load_result *res)
{
	struct json_object *root = NULL, *jobs;
	struct json_tokener *tok;
	char *text = NULL, *start;
	int err, nr;

	memset(res, 0, sizeof(*res));
	res->unit = load_fio_ops.unit;
	err = slurp(path, &text);
	if (err) {
		snprintf(res->note, sizeof(res->note), "cannot read %s: %s", path, strerror(-err));
		return err;
	}
	start = strchr(text, '{');
	if (!start) {
		snprintf(res->note, sizeof(res->note), "no JSON object in %s", path);
		free(text);
		return -EINVAL;
	}
	tok = json_tokener_new();
	if (!tok) {
		free(text);
		return -ENOMEM;
	}
	root = json_tokener_parse_ex(tok, start, (int)strlen(start));
	if (!root) {
		snprintf(res->note, sizeof(res->note), "bad JSON: %s",
			 json_tokener_error_desc(json_tokener_get_error(tok)));
		err = -EINVAL;
		goto out;
	}
	if (!json_object_object_get_ex(root, "jobs", &jobs) ||
	    !json_object_is_type(jobs, json_type_array) || !(nr = (int)json_object_array_length(jobs))) {
		snprintf(res->note, sizeof(res->note), "no \"jobs\" array");
		err = -EINVAL;
		goto out;
	}
	res->valid = true;
	for (int i = 0; i < nr && !err; i++)
		err = fio_job__add(json_object_array_get_idx(jobs, i), i, res);
out:
	if (err) {
		res->valid = false;
		res->rate = 0;
		res->ops = 0;
	}
	json_object_put(root);
	json_tokener_free(tok);
	free(text);
	return err ? err : (res->valid ? 0 : -EIO);
}

/*
 * fio runs time-based for the phase. --runtime and --time_based come before
 * the user's job options so that they are global, not per job.
 */
static int fio__phase_argv(struct load_argv *a, uint64_t secs, const char *out_path,
			   const char *args, const char *dev)
{
	int err = load_argv__push(a, "fio");

	if (!err)
		err = load_argv__push(a, "--output-format=json");
	if (!err)
		err = load_argv__push(a, "--output=%s", out_path);
	if (!err)
		err = load_argv__push(a, "--runtime=%llu", (unsigned long long)secs);
	if (!err)
		err = load_argv__push(a, "--time_based");
	if (!err)
		err = load_argv__split(a, args, dev);
	return err;
}

const struct load_ops load_fio_ops = {
	.name = "fio",
	.package = "fio",
	.ext = "json",
	.unit = "IOPS",
	.phase_argv = fio__phase_argv,
	.parse = load__parse_fio_json,
};
