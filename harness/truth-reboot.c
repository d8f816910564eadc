// SPDX-License-Identifier: GPL-2.0
/*
 * truth-reboot.c - reboot's ground truth: a child calls reboot(2) exactly
 * N times with an invalid magic (0xdeadbeef is not LINUX_REBOOT_MAGIC1: the
 * kernel refuses it with EINVAL before doing anything, and the child checks
 * that it did). The report must hold exactly N records of the child, with
 * the magic and a parent chain starting at the test; the persistent log
 * (a file in the test's directory) exactly N lines for it; a second report
 * none (the first one drained them).
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag-test.h"

#define TRUTH_REBOOT_CALLS	5
#define TRUTH_BAD_MAGIC		0xdeadbeefu

/* The child: N reboot(2) calls with the bad magic; 0 if each failed with EINVAL. */
static __attribute__((noinline)) int reboot_calls(void *arg)
{
	int n = *(int *)arg;

	for (int i = 0; i < n; i++) {
		errno = 0;
		if (syscall(SYS_reboot, TRUTH_BAD_MAGIC, 0, 0, NULL) != -1 || errno != EINVAL)
			return 10 + i;
	}
	return 0;
}

/* Member @key of @o as an integer, -1 if absent. */
static long long member_int(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : -1;
}

/* Does the array @key of @o hold a string containing @part? */
static bool array_has(json_object *o, const char *key, const char *part)
{
	json_object *a;

	if (!json_object_object_get_ex(o, key, &a))
		return false;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (strstr(json_object_get_string(json_object_array_get_idx(a, i)), part))
			return true;
	return false;
}

/* What the report says of @pid's calls: counted by property. */
struct reboot_seen {
	int records, magic, parent, kstack, ustack;
};

/* Count the records of tgid @pid in reboot.json, and those whose fields hold. */
static int reboot_seen(struct diag_test *t, pid_t pid, struct reboot_seen *seen)
{
	json_object *rep = diag_test__json(t, "reboot.json"), *recs, *parents;

	memset(seen, 0, sizeof(*seen));
	if (!rep)
		return -EINVAL;
	if (!json_object_object_get_ex(rep, "records", &recs)) {
		json_object_put(rep);
		return -EINVAL;
	}
	for (size_t i = 0; i < json_object_array_length(recs); i++) {
		json_object *r = json_object_array_get_idx(recs, i);

		if (member_int(r, "tgid") != pid)
			continue;
		seen->records++;
		seen->magic += member_int(r, "magic1") == TRUTH_BAD_MAGIC &&
			       member_int(r, "pid") == pid;
		seen->parent += json_object_object_get_ex(r, "parents", &parents) &&
				json_object_array_length(parents) > 0 &&
				member_int(json_object_array_get_idx(parents, 0), "tgid") == getpid();
		seen->kstack += array_has(r, "kstack", "do_syscall_64");
		seen->ustack += json_object_object_get_ex(r, "ustack", &parents) &&
				json_object_array_length(parents) > 0;
	}
	json_object_put(rep);
	return 0;
}

/* Lines of the log @path for tgid @pid with the bad magic; -1 if unreadable. */
static int log_lines(const char *path, pid_t pid)
{
	char line[2048], tag[64];
	FILE *in = fopen(path, "r");
	int n = 0;

	if (!in)
		return -1;
	snprintf(tag, sizeof(tag), " tgid=%d ", pid);
	while (fgets(line, sizeof(line), in))
		n += strstr(line, tag) && strstr(line, "magic1=0xdeadbeef ");
	fclose(in);
	return n;
}

int truth__reboot(struct diag_test *t)
{
	int n = TRUTH_REBOOT_CALLS, status, err;
	struct reboot_seen seen;
	struct diag_child c;
	char log[sizeof(t->dir) + 16];

	diag_test__path(t, "reboot.log", log, sizeof(log));
	err = diag_child__start(&c, "hld-reboot", reboot_calls, &n);
	if (err)
		return err;
	err = diag_test__activate(t, "log=%s", log);
	if (err) {
		diag_child__wait(&c);
		return err;
	}
	diag_test__say(t, "child %d calls reboot(0x%x, 0, 0, NULL) %d times: EINVAL, no reboot",
		       c.pid, TRUTH_BAD_MAGIC, n);
	diag_child__go(&c);
	status = diag_child__wait(&c);
	if (status < 0)
		return status;
	diag_test__expect(t, "child's calls all failed with EINVAL",
			  WIFEXITED(status) && !WEXITSTATUS(status), 1, 1);
	err = diag_test__collect(t);
	if (!err)
		err = reboot_seen(t, c.pid, &seen);
	if (err)
		return err;
	diag_test__expect(t, "records of the child", seen.records, n, n);
	diag_test__expect(t, "with pid and magic1 0xdeadbeef", seen.magic, n, n);
	diag_test__expect(t, "with the test as first parent", seen.parent, n, n);
	diag_test__expect(t, "with a do_syscall_64 kernel frame", seen.kstack, n, n);
	diag_test__expect(t, "with a user stack", seen.ustack, n, n);
	diag_test__expect(t, "log lines of the child", log_lines(log, c.pid), n, n);
	diag_test__expect(t, "drops", t->f->drops, 0, 0);
	diag_test__say(t, "second report: the first one drained the calls");
	err = diag_test__collect(t);
	if (!err)
		err = reboot_seen(t, c.pid, &seen);
	if (err)
		return err;
	diag_test__expect(t, "records of the child in the second report", seen.records, 0, 0);
	diag_test__expect(t, "log lines of the child after it", log_lines(log, c.pid), n, n);
	return 0;
}
