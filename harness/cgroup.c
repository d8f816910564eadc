// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup.c - cgroup helpers and the memory limit of a load (see cgroup.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <mntent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cgroup.h"

/* How many tasks cgroup__move_tree() follows: a stressor's tree is far smaller. */
#define MOVE_MAX_TASKS 4096

/* Scan /proc/self/mounts for the hierarchy (see cgroup.h). */
int cgroup__find_mount(const char *controller, bool v2, char *dir, size_t len)
{
	struct mntent ent;
	char buf[1024];
	int err = -ENOENT;
	FILE *f;

	f = setmntent("/proc/self/mounts", "re");
	if (!f)
		return -errno;
	while (getmntent_r(f, &ent, buf, sizeof(buf))) {
		if (v2 ? strcmp(ent.mnt_type, "cgroup2") :
			 strcmp(ent.mnt_type, "cgroup") || !hasmntopt(&ent, controller))
			continue;
		snprintf(dir, len, "%s", ent.mnt_dir);
		err = 0;
		break;
	}
	endmntent(f);
	return err;
}

/* The first line of cgroup.controllers lists what v2 may enable. */
bool cgroup2__has_controller(const char *root, const char *controller)
{
	char path[512], buf[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", root);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f)) {
		char *save = NULL;

		for (char *tok = strtok_r(buf, " \n", &save); tok && !found;
		     tok = strtok_r(NULL, " \n", &save))
			found = !strcmp(tok, controller);
	}
	fclose(f);
	return found;
}

/* One write(2): cgroup files take a whole value per write. */
int cgroup__write(const char *dir, const char *file, const char *val)
{
	char path[512];
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Parse a counter or limit file; v2 writes "max" for no limit. */
int cgroup__read_u64(const char *dir, const char *file, uint64_t *val)
{
	char path[512], buf[64];
	int err = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f))
		err = -EIO;
	else if (!strncmp(buf, "max", 3))
		*val = UINT64_MAX;
	else if (sscanf(buf, "%" SCNu64, val) != 1)
		err = -EINVAL;
	fclose(f);
	return err;
}

/* Our pid in the name keeps concurrent hldbench runs apart. */
int cgroup__create(const char *root, const char *name, char *dir, size_t len)
{
	snprintf(dir, len, "%s/hldbench-%d-%s", root, getpid(), name);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		int err = -errno;

		dir[0] = '\0';
		return err;
	}
	return 0;
}

/* Write @pid into @dir/cgroup.procs. 0 or -errno (-ESRCH: it has exited). */
static int cgroup__attach(const char *dir, pid_t pid)
{
	char val[24];

	snprintf(val, sizeof(val), "%d", pid);
	return cgroup__write(dir, "cgroup.procs", val);
}

/*
 * Append the children of every thread of @pid to @list (up to @max),
 * from /proc/PID/task/TID/children. Returns the new count.
 */
static int proc__children(pid_t pid, pid_t *list, int n, int max)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return n;
	while ((de = readdir(d)) && n < max) {
		char file[340];
		FILE *f;
		int child;

		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s/children", path, de->d_name);
		f = fopen(file, "re");
		if (!f)
			continue;
		while (n < max && fscanf(f, "%d", &child) == 1)
			list[n++] = child;
		fclose(f);
	}
	closedir(d);
	return n;
}

/*
 * Breadth first: move a task, then read its children. A child forked
 * before the move is listed; one forked after inherits the new cgroup.
 */
int cgroup__move_tree(const char *dir, pid_t pid)
{
	pid_t *list;
	int n = 1, moved = 0, err;

	err = cgroup__attach(dir, pid);
	if (err)
		return err;
	list = malloc(MOVE_MAX_TASKS * sizeof(*list));
	if (!list)
		return -ENOMEM;
	list[0] = pid;
	for (int i = 0; i < n; i++) {
		if (i && cgroup__attach(dir, list[i]))
			continue;	/* exited meanwhile */
		moved++;
		n = proc__children(list[i], list, n, MOVE_MAX_TASKS);
	}
	free(list);
	return moved;
}

/* SIGKILL the pids listed in @dir/cgroup.procs; returns how many, or -errno. */
static int cgroup__kill_once(const char *dir)
{
	char path[512];
	int pid, n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%d", &pid) == 1)
		if (pid > 0 && !kill(pid, SIGKILL))
			n++;
	fclose(f);
	return n;
}

/* Repeat the kill: a task may fork between reading cgroup.procs and the signal. */
int cgroup__kill_tasks(const char *dir)
{
	const struct timespec tick = { .tv_nsec = 20 * 1000 * 1000 };
	int n, total = 0;

	for (int tries = 0; tries < 100; tries++) {
		n = cgroup__kill_once(dir);
		if (n < 0)
			return n;
		if (!n)
			break;
		total += n;
		nanosleep(&tick, NULL);
	}
	return total;
}

/* Killed tasks leave the cgroup a moment after their parent reaped them. */
void cgroup__remove(const char *dir)
{
	const struct timespec tick = { .tv_nsec = 20 * 1000 * 1000 };

	for (int tries = 0; rmdir(dir) && errno == EBUSY && tries < 100; tries++)
		nanosleep(&tick, NULL);
}

/* --- the memory limit ------------------------------------------------------------------- */

struct memcg {
	bool v2;
	bool owned;		/* we created the directory: remove it at the end */
	char dir[256];
	char procs[300];
};

/* Set up @m->dir under the v1 memory hierarchy at @root with the limit. */
static int memcg__setup_v1(struct memcg *m, const char *root, const char *name, uint64_t limit,
			   char *errbuf, size_t errlen)
{
	char val[32];
	int err;

	err = cgroup__create(root, name, m->dir, sizeof(m->dir));
	if (err) {
		snprintf(errbuf, errlen, "cannot create a cgroup under %s: %s", root,
			 strerror(-err));
		return err;
	}
	m->owned = true;
	snprintf(val, sizeof(val), "%" PRIu64, limit);
	err = cgroup__write(m->dir, "memory.limit_in_bytes", val);
	if (err)
		snprintf(errbuf, errlen, "cannot set memory.limit_in_bytes in %s: %s", m->dir,
			 strerror(-err));
	return err;
}

/*
 * Set the limit in the v2 hierarchy at @root: enable the memory controller
 * for its children, then memory.max on @v2_dir or on a cgroup of our own.
 */
static int memcg__setup_v2(struct memcg *m, const char *root, const char *name, uint64_t limit,
			   const char *v2_dir, char *errbuf, size_t errlen)
{
	char val[32];
	int err;

	m->v2 = true;
	err = cgroup__write(root, "cgroup.subtree_control", "+memory");
	if (err) {
		snprintf(errbuf, errlen, "cannot enable the memory controller under %s: %s",
			 root, strerror(-err));
		return err;
	}
	if (v2_dir) {
		snprintf(m->dir, sizeof(m->dir), "%s", v2_dir);
	} else {
		err = cgroup__create(root, name, m->dir, sizeof(m->dir));
		if (err) {
			snprintf(errbuf, errlen, "cannot create a cgroup under %s: %s", root,
				 strerror(-err));
			return err;
		}
		m->owned = true;
	}
	snprintf(val, sizeof(val), "%" PRIu64, limit);
	err = cgroup__write(m->dir, "memory.max", val);
	if (err)
		snprintf(errbuf, errlen, "cannot write memory.max in %s: %s", m->dir,
			 strerror(-err));
	return err;
}

/* Prefer v1 (mounted here), else v2 when it offers memory; say why when neither. */
int memcg__new(const char *name, uint64_t limit, const char *v2_dir, struct memcg **out,
	       char *errbuf, size_t errlen)
{
	char root[256];
	struct memcg *m;
	int err;

	*out = NULL;
	if (!name || !limit)
		return -EINVAL;
	if (geteuid() != 0) {
		snprintf(errbuf, errlen, "a memory limit needs root (cgroups)");
		return -EPERM;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;

	if (!cgroup__find_mount("memory", false, root, sizeof(root))) {
		err = memcg__setup_v1(m, root, name, limit, errbuf, errlen);
	} else if (!cgroup__find_mount(NULL, true, root, sizeof(root)) &&
		   cgroup2__has_controller(root, "memory")) {
		err = memcg__setup_v2(m, root, name, limit, v2_dir, errbuf, errlen);
	} else {
		snprintf(errbuf, errlen, "no memory controller: cgroup v1 memory is not mounted "
			 "and cgroup v2 does not offer it (mount -t cgroup -o memory none "
			 "/sys/fs/cgroup/memory, or a kernel with CONFIG_MEMCG)");
		err = -ENOTSUP;
	}
	if (err) {
		if (err == -ENOENT)
			err = -ENOTSUP;
		memcg__free(m);
		return err;
	}
	snprintf(m->procs, sizeof(m->procs), "%s/cgroup.procs", m->dir);
	*out = m;
	return 0;
}

/* Accessors: see cgroup.h. */
const char *memcg__procs(const struct memcg *m)
{
	return m->procs;
}

const char *memcg__dir(const struct memcg *m)
{
	return m->dir;
}

const char *memcg__kind(const struct memcg *m)
{
	return m->v2 ? "v2 memory.max" : "v1 memory";
}

/* v1 and v2 name the high-water mark differently. */
int memcg__peak(const struct memcg *m, uint64_t *bytes)
{
	return cgroup__read_u64(m->dir, m->v2 ? "memory.peak" : "memory.max_usage_in_bytes", bytes);
}

/* Leftover tasks would keep the cgroup from being removed. */
int memcg__kill_tasks(struct memcg *m)
{
	return cgroup__kill_tasks(m->dir);
}

/* A shared v2 directory belongs to the throttle, which removes it. */
void memcg__free(struct memcg *m)
{
	if (!m)
		return;
	if (m->owned && m->dir[0])
		cgroup__remove(m->dir);
	free(m);
}
