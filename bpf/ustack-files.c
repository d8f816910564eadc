// SPDX-License-Identifier: GPL-2.0
/*
 * ustack-files.c - the user side of bpf/ustack-files.bpf.h: name the
 * frames a BPF program placed in their files by function, from the file's
 * path the program kept in ustack_paths, long after the process exited.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <bpf/bpf.h>

#include "syms.h"
#include "ustack-files.bpf.h"

/*
 * Rebuild into @path (of @len bytes) the path of the file @id from its
 * entry in ustack_paths (@paths_fd), outermost component first. 0 or
 * -errno (-ENOENT: not kept, or it may have been cut).
 */
int ustack_files__path(int paths_fd, const struct ustack_file_id *id, char *path, size_t len)
{
	struct ustack_path p;
	size_t n = 0;

	if (paths_fd < 0 || bpf_map_lookup_elem(paths_fd, id, &p) || !p.nr_names ||
	    p.nr_names >= USTACK_PATH_NAMES)	/* USTACK_PATH_NAMES: maybe cut */
		return -ENOENT;
	path[0] = '\0';
	for (int i = (int)p.nr_names - 1; i >= 0; i--) {
		p.names[i][USTACK_PATH_NAME_LEN - 1] = '\0';
		n += snprintf(path + n, len - n, "/%s", p.names[i]);
		if (n >= len)
			return -ENAMETOOLONG;
	}
	return 0;
}

/*
 * Frame @i of @uf by function (see ustack-files.bpf.h); "[file+0xoff]"
 * when the path was not kept, the file is gone or has no symbol there.
 */
const char *ustack_files__symbol(const struct ustack_files *uf, unsigned int i, int paths_fd,
				 struct usyms *us, char *buf, size_t len)
{
	const struct ustack_file_id *id;
	struct usyms_file file;
	char path[PATH_MAX];
	uint8_t idx;

	if (i >= uf->nr_frames || i >= HLD_MAX_STACK)
		return NULL;
	idx = uf->idx[i];
	if (!us || idx >= uf->nr_files || idx >= USTACK_FILES || !uf->files[idx][0])
		return ustack_files__name(uf, i, buf, len);
	id = &uf->ids[idx];
	if (ustack_files__path(paths_fd, id, path, sizeof(path)))
		return ustack_files__name(uf, i, buf, len);
	file = (struct usyms_file){
		.path = path, .major = id->dev >> 20, .minor = id->dev & 0xfffff, .ino = id->ino,
	};
	usyms__name_file(us, &file, i && uf->off[i] ? uf->off[i] - 1 : uf->off[i], buf, len);
	if (buf[0] == '[')	/* no function: the frame's own offset, not the call's */
		return ustack_files__name(uf, i, buf, len);
	return buf;
}
