// SPDX-License-Identifier: GPL-2.0
/*
 * bpf-util.c - helpers shared by the user side of the BPF features.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf-util.h"
#include "hld_record.h"

/*
 * Create (and close) a one-element array map to prove the bpf() syscall
 * works for us, and check the kernel BTF that CO-RE relocations need.
 */
int bpf_util__probe(char *why, size_t len)
{
	int fd, err;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "hld_probe", 4, 4, 1, NULL);
	if (fd < 0) {
		err = errno ? -errno : -EPERM;
		snprintf(why, len, "bpf() syscall unusable: %s%s", strerror(-err),
			 err == -EPERM ? " (needs root or CAP_BPF)" : "");
		return err;
	}
	close(fd);
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		err = -errno;
		snprintf(why, len, "no kernel BTF (/sys/kernel/btf/vmlinux: %s): "
			 "the kernel needs CONFIG_DEBUG_INFO_BTF", strerror(-err));
		return err;
	}
	return 0;
}

/* Read run_time_ns/run_cnt of one program through BPF_OBJ_GET_INFO_BY_FD. */
int bpf_util__prog_stats(int prog_fd, uint64_t *run_ns, uint64_t *run_cnt)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	*run_ns += info.run_time_ns;
	*run_cnt += info.run_cnt;
	return 0;
}

/* Parse the kernel's CPU list format ("0-3,5,7-8"). */
int bpf_util__online_cpus(bool *online, int nr)
{
	char buf[4096], *p, *end;
	int n = 0;
	FILE *f;

	f = fopen("/sys/devices/system/cpu/online", "re");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	memset(online, 0, nr * sizeof(*online));
	for (p = buf; *p && *p != '\n';) {
		long lo, hi;

		lo = strtol(p, &end, 10);
		if (end == p || lo < 0)
			return -EINVAL;
		hi = lo;
		if (*end == '-') {
			p = end + 1;
			hi = strtol(p, &end, 10);
			if (end == p || hi < lo)
				return -EINVAL;
		}
		for (long c = lo; c <= hi && c < nr; c++) {
			online[c] = true;
			n++;
		}
		p = end;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -EINVAL;
	}
	return n;
}

uint64_t bpf_util__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * BPF programs attached to tracepoints, perf events and iterators run inside
 * an RCU read-side section, and MEMBARRIER_CMD_GLOBAL waits for an RCU grace
 * period (synchronize_rcu()): once it returns, no program run that began
 * before the call is still running.
 */
int bpf_util__grace_period(void)
{
	return syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) ? -errno : 0;
}

/* Double the capacity until @want fits; realloc keeps the old array on failure. */
int bpf_util__reserve(void **arr, size_t *cap, size_t want, size_t size)
{
	size_t ncap = *cap ? *cap : 64;
	void *p;

	if (want <= *cap)
		return 0;
	while (ncap < want)
		ncap *= 2;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Folded stacks separate frames with ';' and lines with '\n'. */
char *bpf_util__frame(char *buf, size_t len, const char *name)
{
	size_t i;

	if (!len)
		return buf;
	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = (name[i] == ';' || name[i] == '\n') ? '_' : name[i];
	buf[i] = '\0';
	return buf;
}

uint32_t bpf_util__ringbuf_size(uint64_t want, uint32_t min)
{
	uint32_t size = min;

	while (size < want && size < (1u << 30))
		size <<= 1;
	return size;
}

int bpf_util__pin_maps(struct bpf_object *obj, const char *dir)
{
	struct bpf_map *map;
	char path[PATH_MAX];

	bpf_object__for_each_map(map, obj) {
		int err;

		/* bpffs refuses '.' in names: "syscost_.rodata" -> "syscost__rodata" */
		snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map));
		for (char *p = path + strlen(dir) + 1; *p; p++)
			if (*p == '.')
				*p = '_';
		err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return 0;
}

int bpf_util__pin_link(struct bpf_link *link, const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return bpf_link__pin(link, path);
}

int bpf_util__save_settings(const char *dir, const void *data, size_t size)
{
	char path[PATH_MAX];
	__u32 key = 0;
	int fd, err;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "hld_settings", sizeof(key), size, 1, NULL);
	if (fd < 0)
		return fd;
	err = bpf_map_update_elem(fd, &key, data, BPF_ANY);
	snprintf(path, sizeof(path), "%s/hld_settings", dir);
	if (!err)
		err = bpf_obj_pin(fd, path);
	close(fd);
	return err;
}

int bpf_util__load_settings(const char *dir, void *data, size_t size)
{
	char path[PATH_MAX];
	__u32 key = 0;
	int fd, err;

	snprintf(path, sizeof(path), "%s/hld_settings", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return fd;
	err = bpf_map_lookup_elem(fd, &key, data);
	close(fd);
	return err;
}

bool bpf_util__record_ok(const void *data, size_t size, uint16_t type, size_t min)
{
	const struct hld_record_header *hdr = data;

	return size >= sizeof(*hdr) && size >= min && hdr->type == type &&
	       hdr->version == HLD_RECORD_VERSION && hdr->len >= min && hdr->len <= size;
}
