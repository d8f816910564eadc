/* SPDX-License-Identifier: GPL-2.0 */
/*
 * folded.h - folded stacks: the text format flame graphs are drawn from.
 *
 * One line per unique stack, frames joined by ';' from the root (the comm,
 * by convention) to the leaf, then one space and the sample count:
 *
 *	stress-ng;main;stress_cpu;__sqrt_finite 1234
 *	stress-ng;entry_SYSCALL_64_[k];do_syscall_64_[k] 56
 *
 * The count is the last space-separated field; frames may contain spaces
 * (C++ and Rust names do) but neither ';' nor a newline. Kernel frames end in
 * "_[k]". A struct folded holds a set of such stacks in a hash table keyed by
 * the stack text, so adding a stack that is already there adds to its count.
 */
#ifndef HLD_FOLDED_H
#define HLD_FOLDED_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct folded;

/* One unique stack and its summed count. Owned by the struct folded. */
struct folded_entry {
	const char *stack;	/* "root;...;leaf", NUL-terminated */
	size_t len;		/* strlen(stack) */
	uint64_t count;
};

/* Where and why folded__read() rejected its input. */
struct folded_error {
	size_t line;		/* 1-based line number of the bad line; 0 if none */
	const char *reason;	/* static text, e.g. "count is not a number" */
};

/* An empty set. NULL (errno ENOMEM) on failure. */
struct folded *folded__new(void);
void folded__free(struct folded *f);

/*
 * Add @count samples to @stack (merging with an identical stack). The text
 * is copied. Returns 0, -EINVAL if @stack is not a valid stack (empty, an
 * empty frame, a newline) or -EOVERFLOW if the count would wrap.
 */
int folded__add(struct folded *f, const char *stack, uint64_t count);

/* As folded__add() with the @nr frames given separately (root first). */
int folded__add_frames(struct folded *f, const char *const *frames, size_t nr,
		       uint64_t count);

/*
 * Parse one line "stack COUNT" (without or with its trailing newline) and
 * add it. Blank lines are accepted and add nothing. Returns 0 or -EINVAL,
 * with *@reason (if not NULL) set to a static explanation.
 */
int folded__add_line(struct folded *f, const char *line, const char **reason);

/*
 * Read folded lines from @in to EOF, merging them into @f. On a malformed
 * line returns -EINVAL and fills @err (if not NULL) with its line number and
 * the reason; lines before it have been added. -errno on a read error.
 */
int folded__read(struct folded *f, FILE *in, struct folded_error *err);

/* folded__read() from the file at @path. -errno if it cannot be opened. */
int folded__load(struct folded *f, const char *path, struct folded_error *err);

/*
 * Write every stack as "stack COUNT\n", sorted by stack text (strcmp), so the
 * output does not depend on the order stacks were added in. 0 or -errno.
 */
int folded__write(const struct folded *f, FILE *out);

/*
 * The entries sorted by stack text (strcmp), as folded__write() prints them:
 * a malloc()ed array of folded__nr_stacks() pointers the caller frees. NULL
 * (errno ENOMEM) on failure. Adding stacks invalidates it.
 */
const struct folded_entry **folded__sorted(const struct folded *f);

/* Sum of all counts, and number of unique stacks. */
uint64_t folded__total(const struct folded *f);
size_t folded__nr_stacks(const struct folded *f);

/*
 * Entry number @i (0 <= i < folded__nr_stacks()), in the order stacks were
 * first added; NULL past the end. Adding stacks may move entries.
 */
const struct folded_entry *folded__entry(const struct folded *f, size_t i);

#define folded__for_each(f, e, i) \
	for ((i) = 0; ((e) = folded__entry((f), (i))) != NULL; (i)++)

/*
 * Index of the entry whose stack is exactly the @len bytes at @stack (for
 * folded__entry()), or -ENOENT. O(1): the same hash lookup folded__add() does.
 */
ssize_t folded__find(const struct folded *f, const char *stack, size_t len);

/*
 * A new set holding each stack of @f with its frames in reverse order, leaf
 * first ("a;b;c 5" becomes "c;b;a 5"), in the same entry order. A flame
 * graph of it merges stacks by their leaf (flamegraph.pl --reverse). NULL
 * (errno ENOMEM) on failure.
 */
struct folded *folded__reversed(const struct folded *f);

/*
 * Samples whose stack has at least one frame exactly equal to @frame (a
 * stack is counted once however many times the frame recurs in it).
 */
uint64_t folded__count_matching(const struct folded *f, const char *frame);

#endif /* HLD_FOLDED_H */
