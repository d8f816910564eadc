// SPDX-License-Identifier: GPL-2.0
/*
 * check_load.c - load generators: parsing stress-ng YAML and fio JSON into
 * load_result, argument splitting with {dev}, the tools' phase command
 * lines, a short real stress-ng phase, the throttled loop device and the
 * memory limit.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "blkdev.h"
#include "cgroup.h"
#include "load.h"

#define FIXTURES "tests/fixtures/load/"

/* --- parsing fixtures ----------------------------------------------------------- */

static const struct {
	const char *file;
	int tool;
	int err;		/* expected return */
	double rate;		/* expected sums when err == 0 */
	uint64_t ops;
	double wall_s;
	const char *note;	/* substring of the note when err != 0 */
} parse_cases[] = {
	{ "stress-ng-cpu.yaml", LOAD_STRESS_NG, 0, 2545.302199, 7639, 3.001215, NULL },
	{ "stress-ng-three.yaml", LOAD_STRESS_NG, 0, 1629.048372 + 171.489472 + 175.832184,
	  3261 + 343 + 512, 2.911867, NULL },
	{ "stress-ng-no-metrics.yaml", LOAD_STRESS_NG, -EINVAL, 0, 0, 0, "no metrics" },
	{ "stress-ng-empty-metrics.yaml", LOAD_STRESS_NG, -EINVAL, 0, 0, 0, "no stressors" },
	{ "stress-ng-bad-value.yaml", LOAD_STRESS_NG, -EINVAL, 0, 0, 0, "bad value" },
	{ "stress-ng-missing-rate.yaml", LOAD_STRESS_NG, -EINVAL, 0, 0, 0, "stressor fork" },
	{ "does-not-exist.yaml", LOAD_STRESS_NG, -ENOENT, 0, 0, 0, "cannot open" },
	{ "fio-randread-2jobs.json", LOAD_FIO, 0, 15150.849151 + 15458.541459, 15166 + 15474,
	  1.001, NULL },
	{ "fio-randrw-warning.json", LOAD_FIO, 0, 45621.378621 + 45507.492507, 91220, 1.001, NULL },
	{ "fio-truncated.json", LOAD_FIO, -EINVAL, 0, 0, 0, "bad JSON" },
	{ "fio-no-json.json", LOAD_FIO, -EINVAL, 0, 0, 0, "no JSON object" },
	{ "fio-no-jobs.json", LOAD_FIO, -EINVAL, 0, 0, 0, "no \"jobs\"" },
	{ "fio-missing-iops.json", LOAD_FIO, -EINVAL, 0, 0, 0, "jobs[0].write" },
	{ "fio-job-error.json", LOAD_FIO, -EIO, 0, 0, 0, "error 5" },
	{ "stress-ng-cpu.yaml", LOAD_FIO, -EINVAL, 0, 0, 0, "no JSON object" },
	{ "does-not-exist.json", LOAD_FIO, -ENOENT, 0, 0, 0, "cannot read" },
};

START_TEST(test_parse_fixture)
{
	const struct load_ops *ops = load__ops(parse_cases[_i].tool);
	char path[256];
	struct load_result res;
	int err;

	snprintf(path, sizeof(path), FIXTURES "%s", parse_cases[_i].file);
	err = ops->parse(path, &res);
	ck_assert_msg(err == parse_cases[_i].err, "%s: got %d, want %d (%s)", parse_cases[_i].file,
		      err, parse_cases[_i].err, res.note);
	ck_assert_str_eq(res.unit, parse_cases[_i].tool == LOAD_FIO ? "IOPS" : "bogo-ops/s");
	if (err) {
		ck_assert(!res.valid);
		ck_assert_msg(strstr(res.note, parse_cases[_i].note), "note \"%s\" lacks \"%s\"",
			      res.note, parse_cases[_i].note);
		return;
	}
	ck_assert(res.valid);
	ck_assert_double_eq_tol(res.rate, parse_cases[_i].rate, 1e-6);
	ck_assert_uint_eq(res.ops, parse_cases[_i].ops);
	ck_assert_double_eq_tol(res.wall_s, parse_cases[_i].wall_s, 1e-6);
}
END_TEST

/* --- argument splitting ------------------------------------------------------------ */

static const struct {
	const char *args;
	const char *dev;
	int err;
	const char *joined;	/* argv joined with '|' */
} split_cases[] = {
	{ "--cpu 6 --cpu-method matrixprod", NULL, 0, "--cpu|6|--cpu-method|matrixprod" },
	{ "  --cpu\t6   ", NULL, 0, "--cpu|6" },
	{ "", NULL, 0, "" },
	{ "--name=dio --filename={dev} --direct=1", "/dev/loop3", 0,
	  "--name=dio|--filename=/dev/loop3|--direct=1" },
	{ "{dev}:{dev} x{dev", "/dev/loop0", 0, "/dev/loop0:/dev/loop0|x{dev" },
	{ "--filename={dev}", NULL, -EINVAL, NULL },
	{ "{dev}", "", 0, "" },
};

/* Join @a's arguments with '|' into @buf. */
static void join(const struct load_argv *a, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int i = 0; i < a->argc; i++) {
		if (i)
			strncat(buf, "|", len - strlen(buf) - 1);
		strncat(buf, a->argv[i], len - strlen(buf) - 1);
	}
}

START_TEST(test_split)
{
	struct load_argv a = { .argc = 0 };
	char buf[512];
	int err;

	err = load_argv__split(&a, split_cases[_i].args, split_cases[_i].dev);
	ck_assert_int_eq(err, split_cases[_i].err);
	if (err)
		return;
	ck_assert_ptr_null(a.argv[a.argc]);
	join(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, split_cases[_i].joined);
}
END_TEST

START_TEST(test_split_too_many)
{
	struct load_argv a = { .argc = 0 };
	char args[LOAD_MAX_ARGS * 3 + 8] = "";

	for (int i = 0; i <= LOAD_MAX_ARGS; i++)
		strcat(args, "x ");
	ck_assert_int_eq(load_argv__split(&a, args, NULL), -E2BIG);
}
END_TEST

static const struct {
	int tool;
	const char *args;
	const char *dev;
	const char *joined;
} phase_cases[] = {
	{ LOAD_STRESS_NG, "--cpu 6 --cpu-method matrixprod", NULL,
	  "stress-ng|--cpu|6|--cpu-method|matrixprod|--timeout|20s|--yaml|/out/b-cpu.yaml|--metrics-brief" },
	{ LOAD_FIO, "--name=dio --filename={dev} --numjobs=4", "/dev/loop7",
	  "fio|--output-format=json|--output=/out/b-cpu.yaml|--runtime=20|--time_based|"
	  "--name=dio|--filename=/dev/loop7|--numjobs=4" },
};

START_TEST(test_phase_argv)
{
	const struct load_ops *ops = load__ops(phase_cases[_i].tool);
	struct load_argv a = { .argc = 0 };
	char buf[512];

	ck_assert_int_eq(ops->phase_argv(&a, 20, "/out/b-cpu.yaml", phase_cases[_i].args,
					 phase_cases[_i].dev), 0);
	join(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, phase_cases[_i].joined);
}
END_TEST

START_TEST(test_ops_table)
{
	ck_assert_ptr_eq(load__ops(LOAD_STRESS_NG), &load_stress_ng_ops);
	ck_assert_ptr_eq(load__ops(LOAD_FIO), &load_fio_ops);
	ck_assert_ptr_null(load__ops(LOAD_TOOL__MAX));
	ck_assert_ptr_null(load__ops(-1));
}
END_TEST

/* --- validation in load__new ----------------------------------------------------------- */

START_TEST(test_new_tool_missing)
{
	struct load_spec spec = { .name = "cpu", .tool = LOAD_STRESS_NG, .args = "--cpu 1" };
	char err[256] = "";
	int e = 0;

	setenv("PATH", "/nonexistent", 1);
	ck_assert_ptr_null(load__new_err(&spec, &e, err, sizeof(err)));
	ck_assert_int_eq(e, -ENOENT);
	ck_assert_str_eq(err, "stress-ng not found: run 'make deps' (apt-get install stress-ng)");
}
END_TEST

START_TEST(test_new_dev_without_loop)
{
	struct load_spec spec = { .name = "dio", .tool = LOAD_FIO, .args = "--filename={dev}" };
	char err[256] = "";
	int e = 0;

	if (!load__new_err(&spec, &e, err, sizeof(err)) && e == -ENOENT) {
		printf("SKIP test_new_dev_without_loop: %s\n", err);
		return;
	}
	ck_assert_int_eq(e, -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "{dev}"));

	spec.read_iops = 10;
	snprintf(spec.args, sizeof(spec.args), "--filename=/dev/null");
	ck_assert_ptr_null(load__new_err(&spec, &e, err, sizeof(err)));
	ck_assert_int_eq(e, -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "loop-size"));
}
END_TEST

/* Remove the flat scratch directory @dir and its files. */
static void rmtree(const char *dir)
{
	static const char *const names[] = { "t-cpu.yaml", "t-cpu.log", "bad-cpu.yaml", "bad-cpu.log" };
	char path[512];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* --- real tools --------------------------------------------------------------------- */

/* One short stress-ng phase end to end: start, let it end itself, parse. */
START_TEST(test_stress_ng_phase)
{
	struct load_spec spec = { .name = "cpu", .tool = LOAD_STRESS_NG, .args = "--cpu 1" };
	char dir[] = "/tmp/check_load.XXXXXX", err[256];
	struct load_result res;
	struct load *l;

	l = load__new(&spec, err, sizeof(err));
	if (!l) {
		printf("SKIP test_stress_ng_phase: %s\n", err);
		return;
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(load__start(l, 1000, dir, "t"), 0);
	ck_assert_int_gt(load__pid(l), 0);
	while (!load__poll(l))
		usleep(10000);
	ck_assert_int_eq(load__stop(l, &res), 0);
	ck_assert_msg(res.valid, "%s", res.note);
	ck_assert(res.rate > 0);
	ck_assert(res.ops > 0);
	ck_assert_str_eq(res.note, "");
	ck_assert_int_eq(access(load__output_path(l), R_OK), 0);
	ck_assert_ptr_nonnull(strstr(load__output_path(l), "/t-cpu.yaml"));

	/* a tool that fails is reported, not trusted */
	snprintf(spec.args, sizeof(spec.args), "--no-such-stressor 1");
	load__free(l);
	l = load__new(&spec, err, sizeof(err));
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(load__start(l, 1000, dir, "bad"), 0);
	while (!load__poll(l))
		usleep(10000);
	ck_assert_int_eq(load__stop(l, &res), -EIO);
	ck_assert(!res.valid);
	ck_assert_ptr_nonnull(strstr(res.note, "stress-ng: exit"));
	load__free(l);
	rmtree(dir);
}
END_TEST

/* Stopping before the phase ends: the tool is stopped and says so. */
START_TEST(test_stress_ng_cut_short)
{
	struct load_spec spec = { .name = "cpu", .tool = LOAD_STRESS_NG, .args = "--cpu 1" };
	char dir[] = "/tmp/check_load.XXXXXX", err[256];
	struct load_result res;
	struct load *l;

	l = load__new(&spec, err, sizeof(err));
	if (!l) {
		printf("SKIP test_stress_ng_cut_short: %s\n", err);
		return;
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(load__start(l, 60000, dir, "t"), 0);
	ck_assert_int_eq(load__poll(l), 0);
	load__stop(l, &res);
	ck_assert_ptr_nonnull(strstr(res.note, "stopped by hldbench"));
	ck_assert_int_eq(load__pid(l), 0);
	load__free(l);
	rmtree(dir);
}
END_TEST

/*
 * stress-ng's exit status 7 ("bogo ops metrics maybe untrustworthy"): a
 * stand-in stress-ng first in PATH writes a well-formed YAML, as the real one
 * does, and exits 7. The phase is not valid and says why; its rate is kept.
 */
START_TEST(test_stress_ng_untrusted)
{
	struct load_spec spec = { .name = "cpu", .tool = LOAD_STRESS_NG, .args = "--cpu 1" };
	char dir[] = "/tmp/check_load.XXXXXX", err[256], fake[600], path[4096], cwd[1024];
	struct load_result res;
	struct load *l;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fake, sizeof(fake), "%s/stress-ng", dir);
	f = fopen(fake, "w");
	ck_assert_ptr_nonnull(f);
	/* the YAML path follows --yaml */
	fprintf(f, "#!/bin/sh\nwhile [ $# -gt 0 ]; do\n"
		"  [ \"$1\" = --yaml ] && cp %s/tests/fixtures/load/stress-ng-cpu.yaml \"$2\"\n"
		"  shift\ndone\nexit 7\n", getcwd(cwd, sizeof(cwd)));
	fclose(f);
	ck_assert_int_eq(chmod(fake, 0755), 0);
	snprintf(path, sizeof(path), "%s:%s", dir, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	setenv("PATH", path, 1);

	l = load__new(&spec, err, sizeof(err));
	ck_assert_msg(l, "%s", err);
	ck_assert_int_eq(load__start(l, 1000, dir, "t"), 0);
	while (!load__poll(l))
		usleep(10000);
	ck_assert_int_eq(load__stop(l, &res), -EIO);
	ck_assert(!res.valid);
	ck_assert(res.untrusted);
	ck_assert(res.rate > 0);
	ck_assert_msg(strstr(res.note, "exited with status 7: its metrics may be untrustworthy"),
		      "note: %s", res.note);
	load__free(l);
	unlink(fake);
	rmtree(dir);
}
END_TEST

/* --- the throttled loop device ---------------------------------------------------------- */

START_TEST(test_blkdev)
{
	struct blkdev_spec spec = { .name = "check", .size = 16 << 20, .read_iops = 10 };
	char err[256] = "", cgdir[300];
	struct blkdev *b;
	struct stat st;
	int e;

	if (geteuid() != 0) {
		printf("SKIP test_blkdev: needs root for loop devices and cgroups\n");
		return;
	}
	e = blkdev__new(&spec, &b, err, sizeof(err));
	if (e == -ENOTSUP) {
		printf("SKIP test_blkdev: %s\n", err);
		return;
	}
	ck_assert_msg(e == 0, "blkdev__new: %d %s", e, err);
	ck_assert_int_eq(stat(blkdev__path(b), &st), 0);
	ck_assert(S_ISBLK(st.st_mode));
	ck_assert_ptr_nonnull(blkdev__cgroup_procs(b));
	ck_assert_int_eq(access(blkdev__cgroup_procs(b), W_OK), 0);
	snprintf(cgdir, sizeof(cgdir), "%s", blkdev__cgroup_procs(b));
	*strrchr(cgdir, '/') = '\0';
	blkdev__free(b);
	ck_assert_int_ne(access(cgdir, F_OK), 0);
}
END_TEST

/* Count the pids in a cgroup.procs file; -1 if it cannot be read. */
static int count_procs(const char *path)
{
	FILE *f = fopen(path, "r");
	int pid, n = 0;

	if (!f)
		return -1;
	while (fscanf(f, "%d", &pid) == 1)
		n++;
	fclose(f);
	return n;
}

/*
 * fio's job processes setsid() out of the process group: stopping the
 * phase early must still kill them (through the throttle cgroup), and
 * load__free must leave no cgroup behind.
 */
START_TEST(test_fio_cut_short)
{
	struct load_spec spec = {
		.name = "dio", .tool = LOAD_FIO, .loop_size = 16 << 20, .read_iops = 10,
		.args = "--name=dio --filename={dev} --rw=randread --bs=4k --direct=1 "
			"--ioengine=psync --numjobs=2",
	};
	char dir[] = "/tmp/check_load.XXXXXX", err[256], procs[256], path[512];
	struct load_result res;
	struct load *l;

	if (geteuid() != 0) {
		printf("SKIP test_fio_cut_short: needs root for loop devices and cgroups\n");
		return;
	}
	l = load__new(&spec, err, sizeof(err));
	if (!l) {
		printf("SKIP test_fio_cut_short: %s\n", err);
		return;
	}
	snprintf(procs, sizeof(procs), "/sys/fs/cgroup/blkio/hldbench-%d-dio/cgroup.procs", getpid());
	if (access(procs, R_OK)) {
		load__free(l);
		printf("SKIP test_fio_cut_short: no cgroup v1 blkio throttle here\n");
		return;
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(load__start(l, 60000, dir, "t"), 0);
	while (count_procs(procs) < 3)		/* fio and its two jobs */
		usleep(10000);
	load__stop(l, &res);
	ck_assert_ptr_nonnull(strstr(res.note, "stopped by hldbench"));
	ck_assert_int_eq(count_procs(procs), 0);
	load__free(l);
	ck_assert_int_eq(count_procs(procs), -1);
	snprintf(path, sizeof(path), "%s/t-dio.json", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t-dio.log", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* --- the memory limit --------------------------------------------------------------------- */

/*
 * The cgroup path of @pid in the hierarchy of @controller ("" for v2) from
 * /proc/PID/cgroup, into @path. 0, or -1 if the task or line is not there.
 */
static int proc_cgroup(pid_t pid, const char *controller, char *path, size_t len)
{
	char file[64], line[512];
	int rc = -1;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", pid);
	f = fopen(file, "r");
	if (!f)
		return -1;
	while (rc && fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'), *cg = ctl ? strchr(ctl + 1, ':') : NULL;

		if (!cg)
			continue;
		*cg++ = '\0';
		cg[strcspn(cg, "\n")] = '\0';
		for (char *tok = strtok(ctl + 1, ","); tok; tok = strtok(NULL, ","))
			if (!strcmp(tok, controller))
				rc = 0;
		if (!*controller && !ctl[1])
			rc = 0;
		if (!rc)
			snprintf(path, len, "%s", cg);
	}
	fclose(f);
	return rc;
}

/* True if the memory controller is on its own v1 hierarchy here. */
static bool memcg_v1(void)
{
	char root[256];

	return !cgroup__find_mount("memory", false, root, sizeof(root));
}

/* memcg__new sets the limit on a fresh cgroup; memcg__free removes it. */
START_TEST(test_memcg_new)
{
	struct memcg *m;
	char err[256] = "", dir[300];
	uint64_t limit = 0;
	int e;

	if (geteuid() != 0) {
		printf("SKIP test_memcg_new: needs root for cgroups\n");
		return;
	}
	e = memcg__new("check", 32 << 20, NULL, &m, err, sizeof(err));
	if (e == -ENOTSUP) {
		printf("SKIP test_memcg_new: %s\n", err);
		return;
	}
	ck_assert_msg(e == 0, "memcg__new: %d %s", e, err);
	snprintf(dir, sizeof(dir), "%s", memcg__dir(m));
	ck_assert_ptr_nonnull(strstr(dir, "/hldbench-"));
	ck_assert_int_eq(cgroup__read_u64(dir, memcg_v1() ? "memory.limit_in_bytes" : "memory.max",
					  &limit), 0);
	ck_assert_uint_eq(limit, 32 << 20);
	ck_assert_int_eq(access(memcg__procs(m), W_OK), 0);
	memcg__free(m);
	ck_assert_int_ne(access(dir, F_OK), 0);

	ck_assert_int_eq(memcg__new("check", 0, NULL, &m, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(m);
}
END_TEST

/* Remove the files a phase tagged "t" of load @name left in @dir, and @dir. */
static void rm_phase(const char *dir, const char *name, const char *ext)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/t-%s.%s", dir, name, ext);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t-%s.log", dir, name);
	unlink(path);
	rmdir(dir);
}

/*
 * A real stress-ng writing 64 MiB of page cache under a 32 MiB limit: its
 * workers are in the cgroup, usage never passes the limit, the limit was
 * hit (reclaim) and the phase still ends cleanly: no OOM kill.
 */
START_TEST(test_memory_limit_phase)
{
	struct load_spec spec = {
		.name = "mem", .tool = LOAD_STRESS_NG, .memory_limit = 32 << 20,
		.args = "--hdd 1 --hdd-bytes 64M --temp-path /var/tmp",
	};
	char dir[] = "/tmp/check_load.XXXXXX", err[256], cg[512], cgdir[300];
	uint64_t peak = 0, failcnt = 0;
	struct load_result res;
	struct load *l;
	pid_t pid;

	if (geteuid() != 0) {
		printf("SKIP test_memory_limit_phase: needs root for cgroups\n");
		return;
	}
	l = load__new(&spec, err, sizeof(err));
	if (!l) {
		printf("SKIP test_memory_limit_phase: %s\n", err);
		return;
	}
	snprintf(cgdir, sizeof(cgdir), "%s", load__memcg_dir(l));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(load__start(l, 2000, dir, "t"), 0);
	pid = load__pid(l);
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(proc_cgroup(pid, memcg_v1() ? "memory" : "", cg, sizeof(cg)), 0);
	ck_assert_msg(strstr(cgdir, cg) && !strcmp(strstr(cgdir, cg), cg),
		      "stress-ng in %s, not in %s", cg, cgdir);
	while (!load__poll(l))
		usleep(10000);
	ck_assert_int_eq(cgroup__read_u64(cgdir, memcg_v1() ? "memory.max_usage_in_bytes" :
					  "memory.peak", &peak), 0);
	ck_assert_msg(peak > (1 << 20) && peak <= 32 << 20, "peak usage %llu",
		      (unsigned long long)peak);
	if (memcg_v1()) {
		ck_assert_int_eq(cgroup__read_u64(cgdir, "memory.failcnt", &failcnt), 0);
		ck_assert_msg(failcnt > 0, "the limit was never hit");
	}
	ck_assert_int_eq(load__stop(l, &res), 0);
	ck_assert_msg(res.valid, "%s", res.note);
	ck_assert(res.ops > 0);
	load__free(l);
	ck_assert_int_ne(access(cgdir, F_OK), 0);
	rm_phase(dir, "mem", "yaml");
}
END_TEST

/*
 * A memory limit and a blkio throttle on one fio load (cgroup v1): fio and
 * its job processes are in both cgroups; stopping the phase leaves both
 * empty and load__free removes both.
 */
START_TEST(test_memory_limit_and_throttle)
{
	struct load_spec spec = {
		.name = "both", .tool = LOAD_FIO, .loop_size = 16 << 20, .read_iops = 10,
		.memory_limit = 64 << 20,
		.args = "--name=both --filename={dev} --rw=randread --bs=4k --direct=1 "
			"--ioengine=psync --numjobs=2",
	};
	char dir[] = "/tmp/check_load.XXXXXX", err[256], blkio[256], mem[320], cg[512];
	char memdir[300];
	struct load_result res;
	struct load *l;
	int pid, n = 0;
	FILE *f;

	if (geteuid() != 0) {
		printf("SKIP test_memory_limit_and_throttle: needs root for cgroups\n");
		return;
	}
	l = load__new(&spec, err, sizeof(err));
	if (!l) {
		printf("SKIP test_memory_limit_and_throttle: %s\n", err);
		return;
	}
	snprintf(blkio, sizeof(blkio), "/sys/fs/cgroup/blkio/hldbench-%d-both/cgroup.procs",
		 getpid());
	snprintf(memdir, sizeof(memdir), "%s", load__memcg_dir(l));
	snprintf(mem, sizeof(mem), "%s/cgroup.procs", memdir);
	if (access(blkio, R_OK) || !memcg_v1()) {
		load__free(l);
		printf("SKIP test_memory_limit_and_throttle: needs cgroup v1 blkio and memory\n");
		return;
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(load__start(l, 60000, dir, "t"), 0);
	while (count_procs(blkio) < 3)		/* fio and its two jobs */
		usleep(10000);
	ck_assert_int_eq(count_procs(mem), 3);
	f = fopen(blkio, "r");
	ck_assert_ptr_nonnull(f);
	while (fscanf(f, "%d", &pid) == 1) {
		ck_assert_int_eq(proc_cgroup(pid, "memory", cg, sizeof(cg)), 0);
		ck_assert_msg(strstr(memdir, cg) && !strcmp(strstr(memdir, cg), cg),
			      "pid %d in memory cgroup %s", pid, cg);
		n++;
	}
	fclose(f);
	ck_assert_int_eq(n, 3);
	load__stop(l, &res);
	ck_assert_int_eq(count_procs(blkio), 0);
	ck_assert_int_eq(count_procs(mem), 0);
	load__free(l);
	ck_assert_int_eq(count_procs(blkio), -1);
	ck_assert_int_eq(count_procs(mem), -1);
	rm_phase(dir, "both", "json");
}
END_TEST

static Suite *load_suite(void)
{
	Suite *s = suite_create("load");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_fixture, 0, sizeof(parse_cases) / sizeof(parse_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("argv");
	tcase_add_loop_test(tc, test_split, 0, sizeof(split_cases) / sizeof(split_cases[0]));
	tcase_add_test(tc, test_split_too_many);
	tcase_add_loop_test(tc, test_phase_argv, 0, sizeof(phase_cases) / sizeof(phase_cases[0]));
	tcase_add_test(tc, test_ops_table);
	suite_add_tcase(s, tc);

	tc = tcase_create("new");
	tcase_add_test(tc, test_new_tool_missing);
	tcase_add_test(tc, test_new_dev_without_loop);
	suite_add_tcase(s, tc);

	tc = tcase_create("run");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_stress_ng_phase);
	tcase_add_test(tc, test_stress_ng_cut_short);
	tcase_add_test(tc, test_stress_ng_untrusted);
	suite_add_tcase(s, tc);

	tc = tcase_create("blkdev");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_blkdev);
	tcase_add_test(tc, test_fio_cut_short);
	suite_add_tcase(s, tc);

	tc = tcase_create("memory-limit");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_memcg_new);
	tcase_add_test(tc, test_memory_limit_phase);
	tcase_add_test(tc, test_memory_limit_and_throttle);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(load_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
