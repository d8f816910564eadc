// SPDX-License-Identifier: GPL-2.0
/*
 * peer-bpftrace.c - the bpftrace backend: sys-cost, perf, exec-monitor and
 * irq-stats as bpftrace scripts (peer_bt_scripts below, with the settings
 * made into predicates), run with `bpftrace -f json` for each activation.
 * At deactivation bpftrace gets SIGINT and prints its maps; they are
 * parsed into the same syscost.json, perf.folded, exec.json and
 * irq-stats.json as the built-in features write.
 *
 * Only tracepoints and profile:hz probes are used (no kprobes: the host
 * kernel has none). bpftrace's startup (parsing, BTF, loading) takes
 * seconds: activate() returns once it printed attached_probes. Its maps
 * are hash maps of BPFTRACE_MAP_KEYS_MAX entries (set to PEER_BT_KEYS);
 * updates beyond that are lost without a count. bpftrace resolves user
 * stack symbols when it prints them, at deactivation: frames of processes
 * that exited before are raw addresses.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf-util.h"
#include "execmon-report.h"
#include "folded.h"
#include "hld_settings.h"
#include "irqstats-report.h"
#include "peer.h"
#include "perf-report.h"
#include "syms.h"
#include "syscost-report.h"

#define PEER_BT_ATTACH_MS	60000	/* bpftrace's start-up, slow on a loaded machine */
#define PEER_BT_STOP_MS		30000	/* printing big maps takes a while */
#define PEER_BT_KEYS		"65536"
#define PEER_BT_SCRIPT		16384
#define PEER_BT_READY		"hldbench-attached"

/* --- scripts -------------------------------------------------------------- */

/* Append to @buf (@len bytes) at *@n. */
static void cat(char *buf, size_t len, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void cat(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*n >= len)
		return;
	va_start(ap, fmt);
	r = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	*n += r > 0 ? r : 0;
}

/* A predicate "/a && b/" from the filters, or "" when there are none. */
static void predicate(char *buf, size_t len, long long tgid, long long pid, long long cpu,
		      const char *comm)
{
	size_t n = 0;
	const char *and = "";

	buf[0] = '\0';
	if (tgid < 0 && pid < 0 && cpu < 0 && (!comm || !comm[0]))
		return;
	cat(buf, len, &n, "/ ");
	if (tgid >= 0)
		cat(buf, len, &n, "%spid == %lld", and, tgid), and = " && ";
	if (pid >= 0)
		cat(buf, len, &n, "%stid == %lld", and, pid), and = " && ";
	if (cpu >= 0)
		cat(buf, len, &n, "%scpu == %lld", and, cpu), and = " && ";
	if (comm && comm[0])
		cat(buf, len, &n, "%scomm == \"%.15s\"", and, comm);
	cat(buf, len, &n, " /");
}

/* sys-cost: count per (process, syscall, comm) and per CPU; time from entry to exit. */
static void script_sys_cost(const struct hld_syscost_settings *s, char *buf, size_t len)
{
	char pred[256];
	size_t n = 0;

	predicate(pred, sizeof(pred), s->tgid, s->pid, -1, s->comm);
	if (!s->time) {
		cat(buf, len, &n, "tracepoint:raw_syscalls:sys_enter %s {\n"
			"\t@calls[pid, args->id, comm] = count();\n\t@cpu[cpu] = count();\n}\n", pred);
		return;
	}
	cat(buf, len, &n, "tracepoint:raw_syscalls:sys_enter %s {\n"
		"\tif (args->id == 60 || args->id == 231) {\t/* exit, exit_group: no return */\n"
		"\t\t@calls[pid, args->id, comm] = stats(0);\n\t\t@cpu[cpu] = stats(0);\n"
		"\t} else {\n\t\t@start[tid] = nsecs;\n\t}\n}\n"
		"tracepoint:raw_syscalls:sys_exit /@start[tid]/ {\n"
		"\t$ns = nsecs - @start[tid];\n\tdelete(@start[tid]);\n"
		"\t@calls[pid, args->id, comm] = stats($ns);\n\t@max[pid, args->id] = max($ns);\n"
		"\t@cpu[cpu] = stats($ns);\n}\nEND { clear(@start); }\n", pred);
}

/* perf: stacks and comm at FREQ Hz per CPU. */
static void script_perf(const struct hld_perf_settings *s, char *buf, size_t len)
{
	char pred[256];
	size_t n = 0;

	predicate(pred, sizeof(pred), s->tgid, s->pid, s->cpu, s->comm);
	cat(buf, len, &n, "profile:hz:%llu %s {\n\t@samples[%s%s comm] = count();\n}\n",
	    (unsigned long long)s->freq, pred, s->kernel ? "kstack, " : "",
	    s->user ? "ustack, " : "");
}

/*
 * exec-monitor: at sched_process_exec, the exec (E line: time, tid, pid,
 * old pid, uid, argv length, comm, path, argv from the new mm) and its
 * parent chain (P line, the same time and tid: 8 levels pid/tgid/comm).
 * Two printf()s: one would pass the BPF stack limit.
 */
static void script_exec(const struct hld_exec_settings *s, char *buf, size_t len)
{
	size_t n = 0;

	cat(buf, len, &n, "tracepoint:sched:sched_process_exec");
	if (s->comm[0] || s->ancestor >= 0) {
		const char *and = "";
		char chain[256] = "curtask";

		cat(buf, len, &n, " / ");
		if (s->comm[0])
			cat(buf, len, &n, "comm == \"%.15s\"", s->comm), and = " && ";
		if (s->ancestor >= 0) {
			cat(buf, len, &n, "%s(", and);
			for (int i = 0; i < HLD_EXEC_ANCESTORS; i++) {
				strcat(chain, "->real_parent");
				cat(buf, len, &n, "%s%s->tgid == %lld", i ? " || " : "", chain,
				    (long long)s->ancestor);
			}
			cat(buf, len, &n, ")");
		}
		cat(buf, len, &n, " /");
	}
	cat(buf, len, &n, " {\n\t$t = curtask;\n\t$ts = nsecs;\n"
		"\t$a = $t->mm->arg_start;\n\t$len = $t->mm->arg_end - $a;\n\t$n = $len;\n"
		"\tif ($n > %d) { $n = %d; }\n"
		"\tprintf(\"E\\t%%llu\\t%%d\\t%%d\\t%%d\\t%%d\\t%%d\\t%%s\\t%%s\\t%%r\\n\", $ts, tid, "
		"pid, args->old_pid, uid, $len, comm, str(args->filename), buf(uptr($a), $n));\n",
		HLD_EXEC_ARGS, HLD_EXEC_ARGS);
	cat(buf, len, &n, "\t$p1 = $t->real_parent;\n");
	for (int i = 2; i <= HLD_EXEC_ANCESTORS; i++)
		cat(buf, len, &n, "\t$p%d = $p%d->real_parent;\n", i, i - 1);
	cat(buf, len, &n, "\tprintf(\"P\\t%%llu\\t%%d");
	for (int i = 1; i <= HLD_EXEC_ANCESTORS; i++)
		cat(buf, len, &n, "\\t%%d/%%d/%%s");
	cat(buf, len, &n, "\\n\", $ts, tid");
	for (int i = 1; i <= HLD_EXEC_ANCESTORS; i++)
		cat(buf, len, &n, ", $p%d->pid, $p%d->tgid, $p%d->comm", i, i, i);
	cat(buf, len, &n, ");\n}\n");
}

/* One entry/exit pair counted and timed per CPU into @map[key, cpu]. */
static void script_pair(char *buf, size_t len, size_t *n, const char *entry, const char *exit,
			const char *map, const char *key, const char *extra)
{
	cat(buf, len, n, "tracepoint:%s { @%s_t[cpu] = nsecs;%s }\n"
		"tracepoint:%s /@%s_t[cpu]/ { @%s[%s, cpu] = stats(nsecs - @%s_t[cpu]); "
		"delete(@%s_t[cpu]); }\n", entry, map, extra, exit, map, map, key, map, map);
}

/* irq-stats: hard IRQs, the LOC, RES and CAL vectors, softirqs, timer callbacks. */
static void script_irq_stats(char *buf, size_t len)
{
	static const char *const vec[][3] = {
		{ "local_timer", "0" }, { "reschedule", "1" }, { "call_function", "2" },
		{ "call_function_single", "2" },
	};
	char entry[96], exit[96], key[32];
	size_t n = 0;

	script_pair(buf, len, &n, "irq:irq_handler_entry", "irq:irq_handler_exit", "irq",
		    "args->irq", " @irq_name[args->irq] = str(args->name);");
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		snprintf(entry, sizeof(entry), "irq_vectors:%s_entry", vec[i][0]);
		snprintf(exit, sizeof(exit), "irq_vectors:%s_exit", vec[i][0]);
		snprintf(key, sizeof(key), "%s", vec[i][1]);
		script_pair(buf, len, &n, entry, exit, i == 3 ? "vec1" : "vec", key, "");
	}
	script_pair(buf, len, &n, "irq:softirq_entry", "irq:softirq_exit", "softirq",
		    "args->vec", "");
	script_pair(buf, len, &n, "timer:hrtimer_expire_entry", "timer:hrtimer_expire_exit",
		    "hrtimer", "@hrtimer_f[cpu]", " @hrtimer_f[cpu] = (uint64)args->function;");
	script_pair(buf, len, &n, "timer:timer_expire_entry", "timer:timer_expire_exit",
		    "timer", "@timer_f[cpu]", " @timer_f[cpu] = (uint64)args->function;");
	cat(buf, len, &n, "END { clear(@irq_t); clear(@vec_t); clear(@vec1_t); clear(@softirq_t); "
		"clear(@hrtimer_t); clear(@timer_t); clear(@hrtimer_f); clear(@timer_f); }\n");
}

int peer__bpftrace_script(enum diag_feature_id id, const void *settings, char *buf, size_t len)
{
	/* BEGIN runs once every probe is attached: "attached_probes" comes before */
	size_t n = snprintf(buf, len, "BEGIN { printf(\"" PEER_BT_READY "\\n\"); }\n");

	buf += n;
	len -= n;
	switch (id) {
	case DIAG_sys_cost:
		script_sys_cost(settings, buf, len);
		break;
	case DIAG_perf:
		script_perf(settings, buf, len);
		break;
	case DIAG_exec_monitor:
		script_exec(settings, buf, len);
		break;
	case DIAG_irq_stats:
		script_irq_stats(buf, len);
		break;
	default:
		return -ENOTSUP;
	}
	return strlen(buf) + 1 >= len ? -ENAMETOOLONG : 0;
}

/* --- parsing bpftrace -f json ------------------------------------------- */

int peer__bpftrace_json(char *text, peer_bt_fn fn, void *ctx, uint64_t *lost)
{
	char *line, *save = NULL;
	int err = 0;

	for (line = strtok_r(text, "\n", &save); line && !err; line = strtok_r(NULL, "\n", &save)) {
		json_object *o = json_tokener_parse(line), *type, *data, *v;
		const char *t;

		if (!o)
			continue;	/* not JSON: a warning bpftrace printed */
		if (!json_object_object_get_ex(o, "type", &type) ||
		    !json_object_object_get_ex(o, "data", &data)) {
			json_object_put(o);
			continue;
		}
		t = json_object_get_string(type);
		if (!strcmp(t, "printf")) {
			err = fn(ctx, NULL, json_object_get_string(data), NULL);
		} else if (!strcmp(t, "lost_events")) {
			if (lost && json_object_object_get_ex(data, "events", &v))
				*lost += json_object_get_uint64(v);
		} else if (!strcmp(t, "map") || !strcmp(t, "stats")) {
			json_object_object_foreach(data, map, keys) {
				if (!json_object_is_type(keys, json_type_object)) {
					err = fn(ctx, map, "", keys);
					continue;
				}
				json_object_object_foreach(keys, key, val) {
					err = fn(ctx, map, key, val);
					if (err)
						break;
				}
				if (err)
					break;
			}
		}
		json_object_put(o);
	}
	return err;
}

/* The count and total of a count() or stats() value. */
static void bt_val(json_object *val, uint64_t *count, uint64_t *total)
{
	json_object *v;

	*count = *total = 0;
	if (json_object_is_type(val, json_type_int)) {
		*count = json_object_get_uint64(val);
		return;
	}
	if (json_object_object_get_ex(val, "count", &v))
		*count = json_object_get_uint64(v);
	if (json_object_object_get_ex(val, "total", &v))
		*total = json_object_get_uint64(v);
}

/* Split a key "a,b,rest" into @nr integers and the rest (NULL if @rest is). */
static bool bt_key(const char *key, long long *v, int nr, const char **rest)
{
	char *end;

	for (int i = 0; i < nr; i++) {
		v[i] = (long long)strtoull(key, &end, 0);	/* addresses above 2^63 too */
		if (end == key || (*end != ',' && (i < nr - 1 || rest)) ||
		    (!rest && i == nr - 1 && *end))
			return false;
		key = *end ? end + 1 : end;
	}
	if (rest)
		*rest = key;
	return true;
}

/* sys-cost's maps: @calls[tgid, nr, comm], @max[tgid, nr], @cpu[cpu]. */
struct bt_syscost {
	struct sc_data *d;
	struct peer_comms *comms;
	struct bt_max { uint32_t tgid, nr; uint64_t max; } *max;
	size_t nr_max, cap_max;
};

static int bt_syscost_row(void *ctx, const char *map, const char *key, json_object *val)
{
	struct bt_syscost *c = ctx;
	struct syscost_val v = { 0 };
	uint64_t count, total;
	const char *comm;
	long long k[2];

	if (!map)
		return 0;
	if (!strcmp(map, "@cpu")) {
		if (!bt_key(key, k, 1, NULL) || k[0] < 0 || k[0] >= c->d->nr_cpus)
			return 0;
		bt_val(val, &count, &total);
		c->d->cpus[k[0]].count += count;
		c->d->cpus[k[0]].total_ns += total;
		return 0;
	}
	if (!strcmp(map, "@max")) {
		if (!bt_key(key, k, 2, NULL) ||
		    bpf_util__reserve((void **)&c->max, &c->cap_max, c->nr_max + 1, sizeof(*c->max)))
			return bt_key(key, k, 2, NULL) ? -ENOMEM : 0;
		c->max[c->nr_max++] = (struct bt_max){ k[0], k[1], json_object_get_uint64(val) };
		return 0;
	}
	if (strcmp(map, "@calls") || !bt_key(key, k, 2, &comm) || k[1] < 0 ||
	    k[1] >= SYSCOST_NR_SLOTS)
		return 0;
	bt_val(val, &count, &total);
	v.count = count;
	v.total_ns = total;
	if (peer_comms__add(c->comms, k[0], comm))
		return -ENOMEM;
	return syscost__add_pair(c->d, k[0], k[1], &v);
}

int peer__bpftrace_syscost(struct sc_data *d, struct peer_comms *comms, char *text,
			   uint64_t *lost)
{
	struct bt_syscost c = { .d = d, .comms = comms };
	size_t first = d->nr_pairs;
	int err = peer__bpftrace_json(text, bt_syscost_row, &c, lost);

	/* the maxima onto the pairs just added (one row per comm of a pair) */
	for (size_t i = 0; !err && i < c.nr_max; i++) {
		for (size_t p = first; p < d->nr_pairs; p++) {
			if (d->pairs[p].tgid == c.max[i].tgid && d->pairs[p].nr == c.max[i].nr) {
				d->pairs[p].v.max_ns = c.max[i].max;
				break;
			}
		}
	}
	free(c.max);
	return err;
}

/* --- exec-monitor -------------------------------------------------------- */

/* Copy bpftrace's %r text (printable bytes, others as \xNN) into @out as bytes. */
static uint32_t unescape(const char *s, char *out, size_t len)
{
	uint32_t n = 0;

	while (*s && *s != '\n' && n < len) {
		unsigned int c;

		if (s[0] == '\\' && s[1] == 'x' && sscanf(s + 2, "%2x", &c) == 1) {
			out[n++] = c;
			s += 4;
		} else {
			out[n++] = *s++;
		}
	}
	return n;
}

/* Copy the string @src into the fixed-size field @dst (zeroed, not always NUL-terminated). */
static void field_copy(char *dst, size_t size, const char *src)
{
	memcpy(dst, src, strnlen(src, size));
}

/* Split @line at tabs into at most @max fields; the number found. */
static int fields(char *line, char **f, int max)
{
	int n = 0;

	while (line && n < max) {
		f[n++] = line;
		line = strchr(line, '\t');
		if (line)
			*line++ = '\0';
	}
	if (n) {
		char *nl = strchr(f[n - 1], '\n');

		if (nl)
			*nl = '\0';
	}
	return n;
}

struct bt_exec {
	struct execmon_recs *r;
	size_t first;			/* records of this parse start here */
};

static int bt_exec_line(void *ctx, const char *map, const char *text, json_object *val)
{
	struct bt_exec *c = ctx;
	char *line, *f[4 + HLD_EXEC_ANCESTORS];
	struct hld_exec_record *r;
	int n;

	if (map || !text)
		return 0;
	line = strdup(text);
	if (!line)
		return -ENOMEM;
	n = fields(line, f, 4 + HLD_EXEC_ANCESTORS);
	if (n == 10 && !strcmp(f[0], "E")) {
		if (bpf_util__reserve((void **)&c->r->v, &c->r->cap, c->r->n + 1, sizeof(*r))) {
			free(line);
			return -ENOMEM;
		}
		r = &c->r->v[c->r->n++];
		memset(r, 0, sizeof(*r));
		r->hdr.type = HLD_REC_EXEC;
		r->hdr.version = HLD_RECORD_VERSION;
		r->hdr.len = sizeof(*r);
		r->hdr.ts = strtoull(f[1], NULL, 10);
		r->pid = strtoul(f[2], NULL, 10);
		r->tgid = strtoul(f[3], NULL, 10);
		r->old_pid = strtoul(f[4], NULL, 10);
		r->uid = strtoul(f[5], NULL, 10);
		r->args_total = strtoul(f[6], NULL, 10);
		field_copy(r->comm, HLD_COMM_LEN, f[7]);
		field_copy(r->filename, HLD_EXEC_FILENAME, f[8]);
		r->args_len = unescape(f[9], r->args, HLD_EXEC_ARGS);
	} else if (n >= 3 && !strcmp(f[0], "P")) {
		uint64_t ts = strtoull(f[1], NULL, 10);
		uint32_t tid = strtoul(f[2], NULL, 10);

		/* its E line: the same time and thread, printed just before */
		for (size_t i = c->r->n; i-- > c->first;) {
			r = &c->r->v[i];
			if (r->hdr.ts != ts || r->pid != tid)
				continue;
			for (int a = 3; a < n && r->nr_ancestors < HLD_EXEC_ANCESTORS; a++) {
				unsigned int pid, tgid;
				int off = 0;

				if (sscanf(f[a], "%u/%u/%n", &pid, &tgid, &off) != 2 || !off || !tgid)
					break;
				r->ancestors[r->nr_ancestors].pid = pid;
				r->ancestors[r->nr_ancestors].tgid = tgid;
				field_copy(r->ancestors[r->nr_ancestors++].comm, HLD_COMM_LEN,
					   f[a] + off);
			}
			break;
		}
	}
	free(line);
	return 0;
}

int peer__bpftrace_exec(struct execmon_recs *r, char *text, uint64_t *lost)
{
	struct bt_exec c = { .r = r, .first = r->n };

	return peer__bpftrace_json(text, bt_exec_line, &c, lost);
}

/* --- irq-stats ------------------------------------------------------------ */

struct bt_irq {
	struct irqstats_data *d;
	json_object *names;		/* @irq_name: irq -> handler name */
};

/* The per-CPU cell of row (@table, @id, @kind), made if new; NULL for a bad CPU. */
static struct hld_irqstats_val *bt_irq_cell(struct irqstats_data *d, int table, int64_t id,
					    uint32_t kind, const char *name, long long cpu)
{
	struct irqstats_row *row = irqstats__row_find(d, table, id, kind);

	if (!row)
		row = irqstats__row_add(d, table, id, kind, name);
	if (!row || cpu < 0 || cpu >= d->nr_possible)
		return NULL;
	return &row->cpu[cpu];
}

static int bt_irq_row(void *ctx, const char *map, const char *key, json_object *val)
{
	static const struct { const char *map; int table; uint32_t kind; } maps[] = {
		{ "@irq", HLD_IRQSTATS_T_IRQ, 0 },
		{ "@vec", HLD_IRQSTATS_T_VECTOR, 0 },
		{ "@vec1", HLD_IRQSTATS_T_VECTOR, 0 },
		{ "@softirq", HLD_IRQSTATS_T_SOFTIRQ, 0 },
		{ "@hrtimer", HLD_IRQSTATS_T_TIMER, HLD_IRQSTATS_HRTIMER },
		{ "@timer", HLD_IRQSTATS_T_TIMER, HLD_IRQSTATS_TIMER_LIST },
	};
	struct bt_irq *c = ctx;
	struct hld_irqstats_val *cell;
	const char *name = NULL;
	uint64_t count, total;
	json_object *nv;
	long long k[2];
	char id[24];

	if (!map)
		return 0;
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		if (strcmp(map, maps[i].map) || !bt_key(key, k, 2, NULL))
			continue;
		if (maps[i].table == HLD_IRQSTATS_T_IRQ) {
			snprintf(id, sizeof(id), "%lld", k[0]);
			name = c->names && json_object_object_get_ex(c->names, id, &nv) ?
			       json_object_get_string(nv) : "";
		}
		cell = bt_irq_cell(c->d, maps[i].table, k[0], maps[i].kind, name, k[1]);
		if (!cell)
			return 0;
		bt_val(val, &count, &total);
		cell->count += count;
		cell->time_ns += total;
		return 0;
	}
	return 0;
}

/* Collect @irq_name first: the IRQ rows are named when they are made. */
static int bt_irq_names(void *ctx, const char *map, const char *key, json_object *val)
{
	struct bt_irq *c = ctx;

	if (map && !strcmp(map, "@irq_name"))
		json_object_object_add(c->names, key, json_object_get(val));
	return 0;
}

int peer__bpftrace_irqstats(struct irqstats_data *d, char *text, uint64_t *lost)
{
	struct bt_irq c = { .d = d, .names = json_object_new_object() };
	char *copy = strdup(text);
	int err = copy && c.names ? 0 : -ENOMEM;

	if (!err)
		err = peer__bpftrace_json(copy, bt_irq_names, &c, NULL);
	if (!err)
		err = peer__bpftrace_json(text, bt_irq_row, &c, lost);
	free(copy);
	json_object_put(c.names);
	return err;
}

/* --- perf ---------------------------------------------------------------- */

/*
 * One stack of a key at *@p: "\n    frame+off\n    frame\n" (or nothing),
 * then the ',' that ends it. Frames go to @v (offsets cut), leaf first.
 */
static int bt_stack(const char **p, char **v, int *nr)
{
	const char *s = *p;

	*nr = 0;
	if (*s == '\n')
		s++;
	while (*s == ' ') {
		const char *start, *end = strchr(s, '\n'), *plus;

		while (*s == ' ')
			s++;
		start = s;
		if (!end)
			return -EPROTO;
		plus = memchr(start, '+', end - start);
		if (*nr < PEER_MAX_FRAMES)
			v[(*nr)++] = strndup(start, (plus && start[0] != '0' ? plus : end) - start);
		s = end + 1;
	}
	if (*s != ',')
		return -EPROTO;
	*p = s + 1;
	return 0;
}

struct bt_perf {
	struct folded *fo;
	uint64_t samples;
	bool kernel, user;
};

static int bt_perf_row(void *ctx, const char *map, const char *key, json_object *val)
{
	struct bt_perf *c = ctx;
	char *k[PEER_MAX_FRAMES], *u[PEER_MAX_FRAMES];
	int nk = 0, nu = 0, err = 0;
	uint64_t count, total;
	const char *p = key;

	if (!map || strcmp(map, "@samples"))
		return 0;
	if (c->kernel)
		err = bt_stack(&p, k, &nk);
	if (!err && c->user)
		err = bt_stack(&p, u, &nu);
	bt_val(val, &count, &total);
	if (!err)
		err = peer__fold_add(c->fo, p, (const char *const *)u, nu, (const char *const *)k,
				     nk, count);
	if (!err)
		c->samples += count;
	for (int i = 0; i < nk; i++)
		free(k[i]);
	for (int i = 0; i < nu; i++)
		free(u[i]);
	return err;
}

int peer__bpftrace_perf(struct folded *fo, char *text, uint64_t *samples, uint64_t *lost)
{
	struct bt_perf c = { .fo = fo, .kernel = true, .user = true };
	int err = peer__bpftrace_json(text, bt_perf_row, &c, lost);

	*samples += c.samples;
	return err;
}

/* --- the backend --------------------------------------------------------- */

struct bt_priv {
	struct peer_proc p;
	char script[PEER_BT_SCRIPT];
	uint64_t lost;			/* since activation */
	/* what was parsed since the last report, by feature */
	struct sc_data sc;
	struct peer_comms comms;
	struct execmon_recs recs;
	struct irqstats_data irq;
	struct folded *folded;
	uint64_t samples;
	uint64_t since_ns;
};

static int bt_probe(char *why, size_t len)
{
	int err = peer__probe_tool("bpftrace", "bpftrace", why, len);

	if (!err && access("/sys/kernel/tracing", F_OK)) {
		snprintf(why, len, "no /sys/kernel/tracing: bpftrace's tracepoints need tracefs");
		err = -ENOTSUP;
	}
	return err;
}

/* Empty views of @id's data for the next report. */
static int bt_reset(struct bt_priv *b, enum diag_feature_id id)
{
	switch (id) {
	case DIAG_sys_cost:
		syscost__data_free(&b->sc);
		b->comms.n = 0;
		return syscost__data_init(&b->sc, peer__nr_cpus());
	case DIAG_irq_stats:
		irqstats__data_free(&b->irq);
		irqstats__data_init(&b->irq, peer__nr_cpus());
		return irqstats__fixed_rows(&b->irq);
	case DIAG_perf:
		folded__free(b->folded);
		b->folded = folded__new();
		b->samples = 0;
		return b->folded ? 0 : -ENOMEM;
	default:
		b->recs.n = 0;
		return 0;
	}
}

/* @f's state, made with empty views on first use. 0 or -ENOMEM. */
static int bt_priv_get(struct diag_feature *f, struct bt_priv **bp)
{
	struct bt_priv *b = f->priv;

	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return -ENOMEM;
		f->priv = b;
		if (bt_reset(b, f->ops->id))
			return -ENOMEM;
	}
	*bp = b;
	return 0;
}

static int bt_activate(struct diag_feature *f)
{
	enum diag_feature_id id = f->ops->id;
	struct bt_priv *b = f->priv;
	const char *argv[] = { "env", "BPFTRACE_MAP_KEYS_MAX=" PEER_BT_KEYS, "bpftrace", "-f",
			       "json", "-e", NULL, NULL };
	char why[512];
	int err;

	if (!b) {
		err = bt_priv_get(f, &b);
		if (err)
			return err;
	}
	err = peer__tracefs();
	if (!err)
		err = peer__bpftrace_script(id, f->settings, b->script, sizeof(b->script));
	if (!err)
		err = peer__mkdir(&b->p);
	if (err)
		return err;
	argv[6] = b->script;
	if (!b->since_ns)
		b->since_ns = bpf_util__now_ns();
	err = peer__start(&b->p, argv, PEER_BT_READY, PEER_BT_ATTACH_MS, why, sizeof(why));
	if (err) {
		fprintf(stderr, "hldbench: bpftrace: %s\n", why);
		peer__cleanup(&b->p);
	}
	return err;
}

/* SIGINT: bpftrace detaches and prints its maps; parse them into the feature's views. */
static int bt_deactivate(struct diag_feature *f)
{
	struct bt_priv *b = f->priv;
	char *text;
	int err;

	if (!b || !b->p.dir[0])
		return 0;
	peer__stop(&b->p, SIGINT, PEER_BT_STOP_MS, &f->tool_cpu_ns, &f->tool_startup_cpu_ns);
	text = peer__slurp(b->p.out, NULL);
	err = text ? 0 : -errno;
	switch (text ? f->ops->id : DIAG_FEATURE__MAX) {
	case DIAG_sys_cost:
		err = peer__bpftrace_syscost(&b->sc, &b->comms, text, &b->lost);
		break;
	case DIAG_exec_monitor:
		err = peer__bpftrace_exec(&b->recs, text, &b->lost);
		break;
	case DIAG_irq_stats:
		err = peer__bpftrace_irqstats(&b->irq, text, &b->lost);
		break;
	case DIAG_perf:
		err = peer__bpftrace_perf(b->folded, text, &b->samples, &b->lost);
		break;
	default:
		break;
	}
	free(text);
	peer__cleanup(&b->p);
	return err;
}

static int bt_report(struct diag_feature *f, const struct diag_outputs *out)
{
	enum diag_feature_id id = f->ops->id;
	struct bt_priv *b = f->priv;
	struct execmon_totals t = { 0 };
	int err;

	if (!b) {		/* never activated: empty views */
		err = bt_priv_get(f, &b);
		if (err)
			return err;
	}
	switch (id) {
	case DIAG_sys_cost:
		err = syscost__build(&b->sc, peer_comms__find, &b->comms);
		b->sc.drop_start = b->lost;
		if (!err)
			err = syscost__report_out(f, &b->sc, "bpftrace", out, true);
		break;
	case DIAG_exec_monitor:
		t.seen = b->recs.n;
		t.drops = b->lost;
		err = execmon__report_out(f, &b->recs, &t, "bpftrace", out, true);
		break;
	case DIAG_irq_stats: {
		struct ksyms *ks = ksyms__load();

		b->irq.ksyms = ks;
		b->irq.drops = b->lost;
		b->irq.since_ns = b->since_ns;
		/* timer rows were named at parse time without symbols: name them now */
		for (size_t i = 0; i < b->irq.t[HLD_IRQSTATS_T_TIMER].nr; i++) {
			struct irqstats_row *r = &b->irq.t[HLD_IRQSTATS_T_TIMER].rows[i];
			const char *sym = ks && !ksyms__restricted(ks) ? ksyms__name(ks, r->id) : NULL;

			if (sym)
				snprintf(r->name, sizeof(r->name), "%s", sym);
		}
		err = irqstats__report_out(f, &b->irq, out);
		b->irq.ksyms = NULL;
		if (ks)
			ksyms__free(ks);
		b->since_ns = 0;
		break;
	}
	case DIAG_perf: {
		const struct hld_perf_settings *s = f->settings;
		struct perf_summary sum = { .samples = b->samples, .freq = s->freq,
					    .nr_cpus = peer__nr_cpus() };
		struct perf_loss l = { .seen = b->samples, .drops = b->lost, .missed = b->lost };

		err = perf_report__out(f, out, b->folded, &sum, &l);
		break;
	}
	default:
		return -ENOTSUP;
	}
	json__str(out->json, "tool", "bpftrace");
	json__uint(out->json, "tool_lost_events", b->lost);
	return err ? err : bt_reset(b, id);
}

static void bt_free(struct diag_feature *f)
{
	struct bt_priv *b = f->priv;

	if (!b)
		return;
	peer__cleanup(&b->p);
	syscost__data_free(&b->sc);
	free(b->comms.v);
	irqstats__data_free(&b->irq);
	folded__free(b->folded);
	free(b->recs.v);
	free(b);
	f->priv = NULL;
}

#define BT_OPS(feature)						\
	static const struct diag_ops bt_##feature##_ops = {	\
		.id = DIAG_##feature,				\
		.probe = bt_probe,				\
		.activate = bt_activate,			\
		.deactivate = bt_deactivate,			\
		.report = bt_report,				\
		.free = bt_free,				\
	}

BT_OPS(sys_cost);
BT_OPS(perf);
BT_OPS(exec_monitor);
BT_OPS(irq_stats);

static const struct diag_ops *const bt_features[] = {
	&bt_perf_ops,
	&bt_sys_cost_ops,
	&bt_exec_monitor_ops,
	&bt_irq_stats_ops,
	NULL,
};

const struct diag_backend diag_backend_bpftrace = {
	.name = "bpftrace",
	.peer = true,
	.probe = bt_probe,
	.features = bt_features,
};
