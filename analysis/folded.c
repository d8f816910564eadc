// SPDX-License-Identifier: GPL-2.0
/*
 * folded.c - a set of folded stacks with merged counts.
 *
 * Entries live in one growing array (insertion order); an open-addressing
 * hash table of entry indices, kept at most half full, finds a stack in
 * O(1) so that loading 100k unique stacks stays linear.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "folded.h"

struct folded_slot {
	uint64_t hash;
	size_t idx;		/* entry index + 1; 0 = empty */
};

struct folded {
	struct folded_entry *ents;
	uint64_t *hashes;	/* hash of ents[i].stack */
	size_t nr, alloc;
	struct folded_slot *slots;
	size_t nr_slots;	/* power of two */
	uint64_t total;
};

/* FNV-1a over @len bytes: cheap, and good enough spread for symbol text. */
static uint64_t folded__hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Allocate an empty set with a small table; it grows as stacks are added. */
struct folded *folded__new(void)
{
	struct folded *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->nr_slots = 64;
	f->slots = calloc(f->nr_slots, sizeof(*f->slots));
	if (!f->slots) {
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	return f;
}

/* Free the set and every stack text it copied. */
void folded__free(struct folded *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nr; i++)
		free((char *)f->ents[i].stack);
	free(f->ents);
	free(f->hashes);
	free(f->slots);
	free(f);
}

/* Slot holding @stack, or the empty slot where it would go. */
static struct folded_slot *folded__slot(const struct folded *f, const char *stack,
					size_t len, uint64_t hash)
{
	size_t mask = f->nr_slots - 1;

	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct folded_slot *s = &f->slots[i];
		const struct folded_entry *e;

		if (!s->idx)
			return s;
		if (s->hash != hash)
			continue;
		e = &f->ents[s->idx - 1];
		if (e->len == len && !memcmp(e->stack, stack, len))
			return s;
	}
}

/* Double the hash table and re-insert every entry by its stored hash. */
static int folded__rehash(struct folded *f)
{
	size_t n = f->nr_slots * 2;
	struct folded_slot *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < f->nr; i++) {
		size_t j = f->hashes[i] & (n - 1);

		while (slots[j].idx)
			j = (j + 1) & (n - 1);
		slots[j].hash = f->hashes[i];
		slots[j].idx = i + 1;
	}
	free(f->slots);
	f->slots = slots;
	f->nr_slots = n;
	return 0;
}

/*
 * Check that @len bytes of @stack form a valid stack: not empty, no empty
 * frame, no newline or NUL. Returns NULL if fine, else the reason.
 */
static const char *folded__check_stack(const char *stack, size_t len)
{
	bool frame_empty = true;

	if (!len)
		return "empty stack";
	for (size_t i = 0; i < len; i++) {
		if (stack[i] == '\n' || stack[i] == '\r' || stack[i] == '\0')
			return "stack contains a line break";
		if (stack[i] == ';') {
			if (frame_empty)
				return "empty frame in stack";
			frame_empty = true;
		} else {
			frame_empty = false;
		}
	}
	if (frame_empty)
		return "empty frame in stack";
	return NULL;
}

/* Merge @count into the entry for the @len bytes at @stack, creating it. */
static int folded__add_len(struct folded *f, const char *stack, size_t len,
			   uint64_t count)
{
	uint64_t hash = folded__hash(stack, len);
	struct folded_slot *s;
	struct folded_entry *e;
	char *copy;

	if (f->total + count < f->total)
		return -EOVERFLOW;
	s = folded__slot(f, stack, len, hash);
	if (s->idx) {
		f->ents[s->idx - 1].count += count;
		f->total += count;
		return 0;
	}
	if (f->nr == f->alloc) {
		size_t n = f->alloc ? f->alloc * 2 : 64;
		struct folded_entry *ents = realloc(f->ents, n * sizeof(*ents));
		uint64_t *hashes;

		if (!ents)
			return -ENOMEM;
		f->ents = ents;
		hashes = realloc(f->hashes, n * sizeof(*hashes));
		if (!hashes)
			return -ENOMEM;
		f->hashes = hashes;
		f->alloc = n;
	}
	copy = strndup(stack, len);
	if (!copy)
		return -ENOMEM;
	e = &f->ents[f->nr];
	e->stack = copy;
	e->len = len;
	e->count = count;
	f->hashes[f->nr] = hash;
	s->hash = hash;
	s->idx = ++f->nr;
	f->total += count;
	if (f->nr * 2 > f->nr_slots)
		return folded__rehash(f);
	return 0;
}

/* Validate @stack and merge @count samples into it. */
int folded__add(struct folded *f, const char *stack, uint64_t count)
{
	size_t len = strlen(stack);

	if (folded__check_stack(stack, len))
		return -EINVAL;
	return folded__add_len(f, stack, len, count);
}

/* Join @frames with ';' and add the result; for callers that walk a stack. */
int folded__add_frames(struct folded *f, const char *const *frames, size_t nr,
		       uint64_t count)
{
	size_t len = 0, pos = 0;
	char *buf;
	int err;

	if (!nr)
		return -EINVAL;
	for (size_t i = 0; i < nr; i++) {
		if (!frames[i][0] || strchr(frames[i], ';'))
			return -EINVAL;
		len += strlen(frames[i]) + 1;
	}
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < nr; i++) {
		size_t n = strlen(frames[i]);

		memcpy(buf + pos, frames[i], n);
		pos += n;
		buf[pos++] = i + 1 < nr ? ';' : '\0';
	}
	err = folded__add(f, buf, count);
	free(buf);
	return err;
}

/* True for the blanks that may separate the stack from its count. */
static bool folded__isblank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Split "stack COUNT" at its last blank, parse COUNT as an unsigned decimal
 * and add the stack. Trailing blanks and CR/LF are ignored, so files written
 * on other systems read the same.
 */
int folded__add_line(struct folded *f, const char *line, const char **reason)
{
	size_t end = strlen(line), cstart, send;
	const char *why = NULL;
	uint64_t count = 0;
	int err;

	while (end && (line[end - 1] == '\n' || line[end - 1] == '\r' ||
		       folded__isblank(line[end - 1])))
		end--;
	if (!end)
		return 0;
	cstart = end;
	while (cstart && !folded__isblank(line[cstart - 1]))
		cstart--;
	if (!cstart) {
		why = "no sample count after the stack";
		goto bad;
	}
	for (size_t i = cstart; i < end; i++) {
		unsigned int d = (unsigned char)line[i] - '0';

		if (d > 9) {
			why = "sample count is not a number";
			goto bad;
		}
		if (count > (UINT64_MAX - d) / 10) {
			why = "sample count too large";
			goto bad;
		}
		count = count * 10 + d;
	}
	send = cstart;
	while (send && folded__isblank(line[send - 1]))
		send--;
	why = folded__check_stack(line, send);
	if (why)
		goto bad;
	err = folded__add_len(f, line, send, count);
	if (err == -EOVERFLOW) {
		why = "total sample count too large";
		goto bad;
	}
	return err;
bad:
	if (reason)
		*reason = why;
	return -EINVAL;
}

/* Read lines with getline() (no length limit) and add each one. */
int folded__read(struct folded *f, FILE *in, struct folded_error *err)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int ret = 0;

	if (err) {
		err->line = 0;
		err->reason = NULL;
	}
	while ((n = getline(&line, &cap, in)) >= 0) {
		const char *why = NULL;

		lineno++;
		if (memchr(line, '\0', n)) {
			why = "NUL byte in line";
			ret = -EINVAL;
		} else {
			ret = folded__add_line(f, line, &why);
		}
		if (ret) {
			if (err && ret == -EINVAL) {
				err->line = lineno;
				err->reason = why;
			}
			break;
		}
	}
	if (!ret && ferror(in))
		ret = -EIO;
	free(line);
	return ret;
}

/* Open @path and folded__read() it. */
int folded__load(struct folded *f, const char *path, struct folded_error *err)
{
	FILE *in = fopen(path, "r");
	int ret;

	if (!in)
		return -errno;
	ret = folded__read(f, in, err);
	fclose(in);
	return ret;
}

/* qsort() comparator: entries by stack text. */
static int folded__cmp_entry(const void *a, const void *b)
{
	const struct folded_entry *const *x = a, *const *y = b;

	return strcmp((*x)->stack, (*y)->stack);
}

/* Pointers to the entries, sorted (the set itself stays const). */
const struct folded_entry **folded__sorted(const struct folded *f)
{
	const struct folded_entry **v = malloc((f->nr ? f->nr : 1) * sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < f->nr; i++)
		v[i] = &f->ents[i];
	if (f->nr)
		qsort(v, f->nr, sizeof(*v), folded__cmp_entry);
	return v;
}

/* Print the entries in sorted order. */
int folded__write(const struct folded *f, FILE *out)
{
	const struct folded_entry **v = folded__sorted(f);

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < f->nr; i++)
		fprintf(out, "%s %llu\n", v[i]->stack,
			(unsigned long long)v[i]->count);
	free(v);
	if (fflush(out) || ferror(out))
		return -EIO;
	return 0;
}

uint64_t folded__total(const struct folded *f)
{
	return f->total;
}

size_t folded__nr_stacks(const struct folded *f)
{
	return f->nr;
}

/* Bounds-checked access for iteration. */
const struct folded_entry *folded__entry(const struct folded *f, size_t i)
{
	return i < f->nr ? &f->ents[i] : NULL;
}

/* True if some ';'-separated frame of @e equals the @flen bytes at @frame. */
static bool folded__has_frame(const struct folded_entry *e, const char *frame,
			      size_t flen)
{
	const char *p = e->stack, *end = e->stack + e->len;

	while (p < end) {
		const char *semi = memchr(p, ';', end - p);
		size_t n = semi ? (size_t)(semi - p) : (size_t)(end - p);

		if (n == flen && !memcmp(p, frame, n))
			return true;
		p += n + 1;
	}
	return false;
}

/* Scan every stack once; exact frame match, not substring. */
uint64_t folded__count_matching(const struct folded *f, const char *frame)
{
	size_t flen = strlen(frame);
	uint64_t sum = 0;

	for (size_t i = 0; i < f->nr; i++)
		if (folded__has_frame(&f->ents[i], frame, flen))
			sum += f->ents[i].count;
	return sum;
}

/* Look the stack up through the hash table, as folded__add() does. */
ssize_t folded__find(const struct folded *f, const char *stack, size_t len)
{
	const struct folded_slot *s = folded__slot(f, stack, len, folded__hash(stack, len));

	return s->idx ? (ssize_t)(s->idx - 1) : -ENOENT;
}

/*
 * Copy every stack with its frames swapped end for end. Reversal maps
 * distinct stacks to distinct stacks, so nothing merges here; the merging by
 * leaf happens when the reversed stacks are drawn.
 */
struct folded *folded__reversed(const struct folded *f)
{
	struct folded *r = folded__new();
	size_t cap = 0;
	char *buf = NULL;

	if (!r)
		return NULL;
	for (size_t i = 0; i < f->nr; i++) {
		const struct folded_entry *e = &f->ents[i];
		const char *end = e->stack + e->len;
		size_t pos = 0;

		if (e->len + 1 > cap) {
			char *nb = realloc(buf, e->len + 1);

			if (!nb)
				goto fail;
			buf = nb;
			cap = e->len + 1;
		}
		while (end > e->stack) {
			const char *start = end;

			while (start > e->stack && start[-1] != ';')
				start--;
			memcpy(buf + pos, start, end - start);
			pos += end - start;
			if (start > e->stack)
				buf[pos++] = ';';
			end = start > e->stack ? start - 1 : start;
		}
		if (folded__add_len(r, buf, pos, e->count))
			goto fail;
	}
	free(buf);
	return r;
fail:
	free(buf);
	folded__free(r);
	errno = ENOMEM;
	return NULL;
}
