/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup.h - the cgroups a load generator runs in.
 *
 * Two users: the blkio throttle of a loop device (blkdev.c) and a memory
 * limit (struct memcg below). Both create a cgroup named
 * hldbench-PID-NAME[-SUFFIX] for one [load.NAME], put the tool in it, kill
 * whatever is left in it at the end of a phase and remove it at teardown.
 *
 * cgroup v1 is used when the controller is mounted on its own hierarchy
 * (/sys/fs/cgroup/memory, /sys/fs/cgroup/blkio), else the cgroup v2
 * hierarchy when it offers the controller. In v2 a process is in exactly
 * one cgroup, so a load with both a throttle and a memory limit shares one
 * directory; in v1 it joins one cgroup per hierarchy.
 */
#ifndef HLD_CGROUP_H
#define HLD_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* --- helpers on one cgroup directory ------------------------------------------ */

/*
 * Where the hierarchy holding @controller is mounted: a v1 "cgroup" mount
 * with that option when @v2 is false, the "cgroup2" mount when @v2 is true
 * (whether it offers @controller: cgroup2__has_controller()). 0 and @dir
 * filled, or -ENOENT.
 */
int cgroup__find_mount(const char *controller, bool v2, char *dir, size_t len);

/* True if the v2 hierarchy at @root lists @controller in cgroup.controllers. */
bool cgroup2__has_controller(const char *root, const char *controller);

/* Write @val to @dir/@file. 0 or -errno. */
int cgroup__write(const char *dir, const char *file, const char *val);

/* Read the first number of @dir/@file ("max" reads as UINT64_MAX). 0 or -errno. */
int cgroup__read_u64(const char *dir, const char *file, uint64_t *val);

/*
 * Create @root/hldbench-PID-@name (an existing one is reused) and write
 * its path to @dir. 0 or -errno.
 */
int cgroup__create(const char *root, const char *name, char *dir, size_t len);

/*
 * Move @pid and every descendant it has into the cgroup @dir. Tasks forked
 * after their parent moved follow it by themselves; those forked before are
 * found in /proc/PID/task/TID/children, so nothing escapes. Tasks that exit
 * meanwhile are skipped. Returns the number moved, or -errno when @pid
 * itself could not be moved.
 */
int cgroup__move_tree(const char *dir, pid_t pid);

/*
 * SIGKILL every task in the cgroup @dir until it is empty (up to about 2 s).
 * Returns the number of signals sent, or -errno.
 */
int cgroup__kill_tasks(const char *dir);

/* Remove the (empty) cgroup @dir, retrying while killed tasks are still leaving. */
void cgroup__remove(const char *dir);

/* --- a memory limit ---------------------------------------------------------------- */

struct memcg;

/*
 * A memory cgroup for [load.NAME] limited to @limit bytes: cgroup v1
 * memory.limit_in_bytes if the memory controller is mounted there, else
 * v2 memory.max. With @v2_dir (a v2 cgroup the load already has, e.g. the
 * blkio throttle's) the limit is set on that directory, which is not ours
 * to remove. Returns 0 and sets *@out, or a negative errno with the reason
 * in @err: -ENOTSUP when no memory controller is available, -EPERM when
 * not root.
 */
int memcg__new(const char *name, uint64_t limit, const char *v2_dir, struct memcg **out,
	       char *err, size_t errlen);

/* Its cgroup.procs file, which the tool joins. */
const char *memcg__procs(const struct memcg *m);

/* Its directory. */
const char *memcg__dir(const struct memcg *m);

/* "v1 memory" or "v2 memory.max". */
const char *memcg__kind(const struct memcg *m);

/* Peak usage in bytes (v1 memory.max_usage_in_bytes, v2 memory.peak). 0 or -errno. */
int memcg__peak(const struct memcg *m, uint64_t *bytes);

/* SIGKILL the tasks left in it; as cgroup__kill_tasks(). */
int memcg__kill_tasks(struct memcg *m);

/* Remove the cgroup if it is ours (its tasks must have exited) and free @m. */
void memcg__free(struct memcg *m);

#endif /* HLD_CGROUP_H */
