/*
 * analyst — the commands an analyst types: query (alerts that match a
 * filter), tail (the newest, then new ones as they are stored), top (counts
 * by a key), sensors (heartbeats and stored alerts per sensor) and import
 * (sensor --alerts files into the store).  doc/collector.md is the manual.
 *
 * Output for people is an aligned table; --json gives lines for tools
 * (query/tail: each alert's line exactly as the sensor wrote it).  Stored
 * text comes from sensors, so from the network: a table cell never writes
 * a control character (an escape sequence would reach the terminal) or an
 * invalid UTF-8 byte, both shown as '?'.  Columns are measured in display
 * columns (CJK and fullwidth characters take two) and capped.
 *
 * Read commands open their own struct store, so they run while
 * `zw-collector run` writes the same file (WAL: each statement reads a
 * snapshot).  Main thread; env->stop ends tail and long outputs.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "alert_parse.h"
#include "cmd.h"
#include "jsonw.h"
#include "query.h"
#include "settings.h"
#include "store.h"

#define ANALYST_TABLE_COLS     16
#define ANALYST_TABLE_ROWS     1000       /* rows held to size the columns */
#define ANALYST_CELL_MAX       512        /* bytes of a cell kept */
#define ANALYST_JSON_MAX       (64 * 1024)
#define ANALYST_IMPORT_BATCH   1000
#define ANALYST_INVALID_MAX    1000       /* default --max-invalid */
#define ANALYST_DEFAULT_RANGE  (24LL * 3600 * 1000000)
#define ANALYST_POLL_US        1000000
#define ANALYST_US             1000000LL

/* ---- display width and table cells ---------------------------------- */


/* Display columns of a code point: 2 for East Asian Wide and Fullwidth
 * (Unicode UAX #11; Ambiguous counts 1, as terminals outside CJK locales
 * show it), 0 for combining marks and zero-width characters, -1 for
 * control characters (shown as '?'). */
static int analyst_cp_width(uint32_t c)
{
	static const uint32_t wide[][2] = {
		{ 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a }, { 0x23e9, 0x23ec },
		{ 0x25fd, 0x25fe }, { 0x2614, 0x2615 }, { 0x2e80, 0x303e }, { 0x3041, 0x33ff },
		{ 0x3400, 0x4dbf }, { 0x4e00, 0x9fff }, { 0xa000, 0xa4cf }, { 0xa960, 0xa97f },
		{ 0xac00, 0xd7a3 }, { 0xf900, 0xfaff }, { 0xfe10, 0xfe19 }, { 0xfe30, 0xfe6f },
		{ 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x16fe0, 0x16fe4 }, { 0x17000, 0x18cff },
		{ 0x1b000, 0x1b2ff }, { 0x1f004, 0x1f004 }, { 0x1f200, 0x1f251 },
		{ 0x1f300, 0x1f64f }, { 0x1f680, 0x1f6ff }, { 0x1f900, 0x1f9ff },
		{ 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
	};
	static const uint32_t zero[][2] = {
		{ 0x0300, 0x036f }, { 0x20d0, 0x20ff }, { 0x3099, 0x309a }, { 0xfe00, 0xfe0f },
		{ 0xfe20, 0xfe2f }, { 0xe0100, 0xe01ef },
	};

	if (query_cp_is_unsafe(c))
		return -1;
	if (c < 0x300)
		return 1;
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		if (c >= zero[i][0] && c <= zero[i][1])
			return 0;
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (c >= wide[i][0] && c <= wide[i][1])
			return 2;
	return 1;
}

/* Writes s (NULL: "") as at most `width` columns: control characters and
 * invalid bytes as '?', cut with ".." when longer; pads with spaces to
 * `width` (on the left if right) unless pad is false.  Returns the columns
 * of s without a cut (width < 0: measure only, write nothing). */
static int analyst_cell(FILE *out, const char *s, int width, bool right, bool pad)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p);
	int total = 0, used = 0, limit;

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int len = query_utf8_next(p + i, n - i, &cp), w;
		w = len < 0 ? 1 : analyst_cp_width(cp);
		total += w < 0 ? 1 : w;
		i += len < 0 ? 1 : (size_t)len;
	}
	if (width < 0 || !out)
		return total;
	limit = total > width ? width - 2 : width;   /* room for ".." */
	if (right && pad)
		for (int k = total > width ? width : total; k < width; k++)
			fputc(' ', out);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int len = query_utf8_next(p + i, n - i, &cp), w;
		w = len < 0 ? 1 : analyst_cp_width(cp);
		if (used + (w < 0 ? 1 : w) > limit)
			break;
		if (len < 0 || w < 0)
			fputc('?', out);
		else
			fwrite(p + i, 1, (size_t)len, out);
		used += w < 0 ? 1 : w;
		i += len < 0 ? 1 : (size_t)len;
	}
	if (total > width) {
		for (; used < limit; used++)
			fputc(' ', out);
		fputs(width >= 2 ? ".." : "", out);
		used = width;
	}
	if (!right && pad)
		for (; used < width; used++)
			fputc(' ', out);
	return total;
}

struct analyst_col {
	const char *head;
	int cap;            /* widest the column gets */
	int min;            /* narrowest, when the table is fixed (tail) */
	bool right;         /* numbers */
	int width;          /* decided at the first flush */
};

/* Rows are held (up to ANALYST_TABLE_ROWS) to size the columns, then
 * printed; later rows are printed at once and cut to those widths. */
struct analyst_table {
	struct analyst_col col[ANALYST_TABLE_COLS];
	int ncol;
	char **rows;        /* each: ncol NUL-terminated cells in one block */
	size_t nrows;
	bool sized;
	bool fixed;         /* widths at least each column's min (tail) */
	FILE *out;
};

static void analyst_table_init(struct analyst_table *t, const struct analyst_col *cols, int ncol,
			       bool fixed, FILE *out)
{
	memset(t, 0, sizeof(*t));
	t->ncol = ncol < ANALYST_TABLE_COLS ? ncol : ANALYST_TABLE_COLS;
	memcpy(t->col, cols, sizeof(cols[0]) * (size_t)t->ncol);
	t->fixed = fixed;
	t->out = out;
}

static void analyst_table_line(struct analyst_table *t, const char *const *cells)
{
	for (int i = 0; i < t->ncol; i++) {
		const struct analyst_col *c = &t->col[i];
		if (i)
			fputs("  ", t->out);
		analyst_cell(t->out, cells[i], c->width, c->right, i + 1 < t->ncol || c->right);
	}
	fputc('\n', t->out);
}

/* cells of a held row */
static void analyst_table_split(const struct analyst_table *t, char *row, const char **cells)
{
	for (int i = 0; i < t->ncol; i++) {
		cells[i] = row;
		row += strlen(row) + 1;
	}
}

static void analyst_table_flush(struct analyst_table *t)
{
	const char *cells[ANALYST_TABLE_COLS];
	const char *heads[ANALYST_TABLE_COLS];

	if (!t->sized) {
		for (int i = 0; i < t->ncol; i++) {
			struct analyst_col *c = &t->col[i];
			c->width = analyst_cell(NULL, c->head, -1, false, false);
			if (t->fixed && c->width < c->min)
				c->width = c->min;
		}
		for (size_t r = 0; r < t->nrows; r++) {
			analyst_table_split(t, t->rows[r], cells);
			for (int i = 0; i < t->ncol; i++) {
				int w = analyst_cell(NULL, cells[i], -1, false, false);
				if (w > t->col[i].width)
					t->col[i].width = w;
			}
		}
		for (int i = 0; i < t->ncol; i++) {
			heads[i] = t->col[i].head;
			if (t->col[i].width > t->col[i].cap)
				t->col[i].width = t->col[i].cap;
		}
		t->sized = true;
		analyst_table_line(t, heads);
	}
	for (size_t r = 0; r < t->nrows; r++) {
		analyst_table_split(t, t->rows[r], cells);
		analyst_table_line(t, cells);
		free(t->rows[r]);
	}
	t->nrows = 0;
}

static void analyst_table_add(struct analyst_table *t, const char *const *cells)
{
	size_t len = 0, lens[ANALYST_TABLE_COLS];
	char *row, *p;

	if (t->sized) {
		analyst_table_line(t, cells);
		return;
	}
	if (!t->rows) {
		t->rows = calloc(ANALYST_TABLE_ROWS, sizeof(*t->rows));
		if (!t->rows) {
			t->sized = true;   /* no memory to size: print with the heads' widths */
			for (int i = 0; i < t->ncol; i++)
				t->col[i].width = t->col[i].cap;
			analyst_table_line(t, cells);
			return;
		}
	}
	for (int i = 0; i < t->ncol; i++) {
		lens[i] = strnlen(cells[i] ? cells[i] : "", ANALYST_CELL_MAX);
		len += lens[i] + 1;
	}
	row = malloc(len);
	if (!row) {
		analyst_table_flush(t);
		analyst_table_line(t, cells);
		return;
	}
	p = row;
	for (int i = 0; i < t->ncol; i++) {
		memcpy(p, cells[i] ? cells[i] : "", lens[i]);
		p[lens[i]] = '\0';
		p += lens[i] + 1;
	}
	t->rows[t->nrows++] = row;
	if (t->nrows == ANALYST_TABLE_ROWS)
		analyst_table_flush(t);
}

static void analyst_table_fini(struct analyst_table *t)
{
	for (size_t r = 0; r < t->nrows; r++)
		free(t->rows[r]);
	free(t->rows);
	t->rows = NULL;
	t->nrows = 0;
}

/* ---- options ------------------------------------------------------------ */

enum analyst_opt {
	OPT_FILTER = 256, OPT_STORE, OPT_JSON, OPT_LANG, OPT_COUNT, OPT_BY, OPT_STALE,
	OPT_MAX_INVALID, OPT_UTC_ONLY
};

/* --utc, also a filter option, is applied before the others (analyst_parse) */
#define ANALYST_FILTER_OPTIONS \
	QUERY_FILTER_LONG_OPTIONS(OPT_FILTER), \
	{ "utc", no_argument, NULL, OPT_FILTER }

#define ANALYST_COMMON_OPTIONS \
	{ "store", required_argument, NULL, OPT_STORE }, \
	{ "json", no_argument, NULL, OPT_JSON }, \
	{ "lang", required_argument, NULL, OPT_LANG }, \
	{ "help", no_argument, NULL, 'h' }

/* the parts of --help that commands share */
#define ANALYST_FILTER_HELP \
	"Filter (every one optional; all given must match):\n" \
	"  --from TIME        alerts at or after TIME; --since TIME is the same\n" \
	"  --to TIME          alerts before TIME\n" \
	"                     TIME: now, -90s -15m -24h -7d -2w (before now; --since 24h\n" \
	"                     also works), 2026-11-26, 2026-11-26T09:30, 2026-11-26 09:30:15,\n" \
	"                     in JST unless --utc or it ends in Z or +09:00\n" \
	"  --sensor ID        one sensor\n" \
	"  --severity S       at least S: critical high medium low info, or 1-5\n" \
	"  --sid N            one rule\n" \
	"  --category TEXT    alert.category, exact (\"Unauthorised software\")\n" \
	"  --clause TEXT      policy clause, exact, or a prefix ending in * (\"第6*\")\n" \
	"  --ip ADDR|CIDR     source or destination (10.0.0.5, 10.0.0.0/8, 2001:db8::/32)\n" \
	"  --zone KEY         source or destination zone (internet, lgwan, core, ...)\n" \
	"  --country CC       source or destination country (JP, US)\n" \
	"  --app NAME         app protocol: TLS.Tor, or TLS, or Tor (case ignored)\n" \
	"  --kind K           alert (rules), health (sensor health) or behaviour\n" \
	"                     (behaviour detectors: scans, floods, beacons, ...)\n" \
	"  --iface NAME       captured on that interface (eth1; live capture only)\n" \
	"  --utc              times in UTC, not JST (display and TIME)\n"

#define ANALYST_COMMON_HELP \
	"  --store PATH       the store (default: store = in the config)\n" \
	"  --json             JSON lines for tools instead of a table\n" \
	"  --lang ja|en       labels in Japanese (default, or display.lang) or English\n" \
	"  -h, --help         this text\n"

static const struct option analyst_query_opts[] = {
	ANALYST_FILTER_OPTIONS,
	{ "sort", required_argument, NULL, OPT_FILTER },
	{ "asc", no_argument, NULL, OPT_FILTER },
	{ "limit", required_argument, NULL, OPT_FILTER },
	ANALYST_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

static const char analyst_query_help[] =
	"usage: zw-collector query [options]\n"
	"Alerts of the store that match the filter, newest first (default: the last\n"
	"24 hours, at most 100), as a table, or with --json the lines as the sensors\n"
	"wrote them.\n\n"
	ANALYST_FILTER_HELP
	"Order and size:\n"
	"  --sort time|severity|id  newest first (time, default), most severe first, or\n"
	"                     in the order stored (id)\n"
	"  --asc              the other way round\n"
	"  --limit N          at most N alerts (default 100; 0: all)\n"
	"Output:\n"
	ANALYST_COMMON_HELP
	"Columns: time, sensor, iface (capture interface), severity, sid, signature,\n"
	"source, destination, app, policy clause.\n"
	"Exit: 0 (also when nothing matches), 1 store error, 2 usage.\n";

static const struct option analyst_tail_opts[] = {
	ANALYST_FILTER_OPTIONS,
	{ "lines", required_argument, NULL, 'n' },
	{ "count", required_argument, NULL, OPT_COUNT },
	ANALYST_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

static const char analyst_tail_help[] =
	"usage: zw-collector tail [options]\n"
	"The last N alerts stored that match the filter, then each new one as it is\n"
	"stored (the store is read every second), until interrupted (Ctrl-C).\n"
	"Alerts are shown in the order they were stored.\n\n"
	ANALYST_FILTER_HELP
	"Tail:\n"
	"  -n, --lines N      alerts shown at the start (default 10; 0: none)\n"
	"  --count N          exit after N new alerts\n"
	"Output:\n"
	ANALYST_COMMON_HELP
	"Exit: 0 when interrupted or after --count, 1 store error, 2 usage.\n";

static const struct option analyst_top_opts[] = {
	ANALYST_FILTER_OPTIONS,
	{ "by", required_argument, NULL, OPT_BY },
	{ "limit", required_argument, NULL, OPT_FILTER },
	ANALYST_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

static const char analyst_top_help[] =
	"usage: zw-collector top [options]\n"
	"Alerts that match the filter, counted by a key, most first (day and severity:\n"
	"in their order).  Default: the last 24 hours, the 10 biggest groups.\n\n"
	ANALYST_FILTER_HELP
	"Counting:\n"
	"  --by KEY           rule (default), src, dest, sensor, src-country,\n"
	"                     dest-country, clause, src-zone, dest-zone, day, severity,\n"
	"                     category, app, detector, iface  (day: in JST, or UTC with\n"
	"                     --utc; detector: of behaviour alerts; iface: the capture\n"
	"                     interface)\n"
	"  --limit N          the N biggest groups (default 10; day and severity: all;\n"
	"                     0: all)\n"
	"Output:\n"
	ANALYST_COMMON_HELP
	"Columns: rank, key, name (rule: signature; zones: zone name), count, share of\n"
	"the matching alerts, most severe, first and last alert.\n"
	"Exit: 0 (also when nothing matches), 1 store error, 2 usage.\n";

static const struct option analyst_sensors_opts[] = {
	{ "stale", required_argument, NULL, OPT_STALE },
	{ "utc", no_argument, NULL, OPT_UTC_ONLY },
	ANALYST_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

static const char analyst_sensors_help[] =
	"usage: zw-collector sensors [options]\n"
	"Every sensor the store knows (by heartbeat or by alerts): its last heartbeat\n"
	"and what it reported, and its alerts in the store.  STALE: no heartbeat for\n"
	"longer than --stale (or sensors.stale in the config), or never one.\n\n"
	"  --stale SECONDS    heartbeat age that makes a sensor STALE (0: only never)\n"
	"  --utc              times in UTC, not JST\n"
	ANALYST_COMMON_HELP
	"Columns: sensor, status, heartbeat age, version, ruleset, packets,\n"
	"kernel_drops, queue_drops, alerts_dropped, spool_records, spool_bytes (as the\n"
	"last heartbeat said; - unknown), stored (its alerts in the store), last\n"
	"received (when its newest alert arrived).\n"
	"Exit: 0, 1 store error, 2 usage.\n";

static const struct option analyst_import_opts[] = {
	{ "store", required_argument, NULL, OPT_STORE },
	{ "max-invalid", required_argument, NULL, OPT_MAX_INVALID },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static const char analyst_import_help[] =
	"usage: zw-collector import [options] FILE...\n"
	"Stores the alerts of sensor --alerts files (JSON lines; - reads standard\n"
	"input), in transactions of 1000.  An alert already stored (the same alert_id\n"
	"and time) is counted as a duplicate and changes nothing, so importing a file\n"
	"twice is safe.  A line that is not a valid alert goes to the quarantine, named\n"
	"FILE:LINE, with the reason.\n\n"
	"  --store PATH       the store (created if missing; default: store = in the config)\n"
	"  --max-invalid N    give up a file after N invalid lines (default 1000; 0: never)\n"
	"  -h, --help         this text\n"
	"Prints \"imported N, duplicates N, quarantined N\".  Exit: 0; 1 a file could not\n"
	"be read, had too many invalid lines, or the store failed; 2 usage.\n";

enum analyst_which { ANALYST_QUERY, ANALYST_TAIL, ANALYST_TOP, ANALYST_SENSORS, ANALYST_IMPORT };

static const struct analyst_cmd {
	const char *name;             /* when argv[0] is missing */
	const struct option *opts;
	const char *help;
} analyst_cmds[] = {
	[ANALYST_QUERY] = { "query", analyst_query_opts, analyst_query_help },
	[ANALYST_TAIL] = { "tail", analyst_tail_opts, analyst_tail_help },
	[ANALYST_TOP] = { "top", analyst_top_opts, analyst_top_help },
	[ANALYST_SENSORS] = { "sensors", analyst_sensors_opts, analyst_sensors_help },
	[ANALYST_IMPORT] = { "import", analyst_import_opts, analyst_import_help },
};

struct analyst {
	const struct cmd_env *env;
	enum analyst_which which;
	const char *cmd;              /* argv[0]: "query" */
	struct query_filter f;
	const char *store_path;
	bool json, english, utc;
	bool has_from, has_limit;
	uint64_t lines, count;        /* tail */
	enum query_key by;            /* top */
	uint64_t stale_s;             /* sensors */
	uint64_t max_invalid;         /* import */
	char **files;                 /* import: the operands */
	int nfiles;
};

static int analyst_usage(const struct analyst *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int analyst_usage(const struct analyst *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "zw-collector %s: ", a->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (zw-collector %s --help)\n", a->cmd);
	return 2;
}

static int analyst_fail(const struct analyst *a, const char *what)
{
	fprintf(stderr, "zw-collector %s: %s\n", a->cmd, what);
	return 1;
}

static int analyst_number(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long n;

	if (!v || !*v || *v == '-' || *v == '+')
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/* v, the value of --name, as a number in [min, max] into *out: 0, or a
 * usage error saying why not (NULL: "not a number MIN-MAX"). */
static int analyst_number_opt(const struct analyst *a, const char *name, const char *v, uint64_t min,
			      uint64_t max, const char *why, uint64_t *out)
{
	if (analyst_number(v, min, max, out) == 0)
		return 0;
	if (!why)
		return analyst_usage(a, "--%s \"%.32s\": not a number %llu-%llu", name, v,
				     (unsigned long long)min, (unsigned long long)max);
	return analyst_usage(a, "--%s \"%.32s\": %s", name, v, why);
}

struct analyst_pending {
	const char *name, *value;
};

/* getopt_long over argv with the command's options; filter options are
 * applied after the others, --utc first, so that an absolute time is read
 * in the zone the whole command line asks for.  0, 2 (usage), or 3 (help
 * printed: exit 0). */
static int analyst_parse(struct analyst *a, int argc, char **argv)
{
	const struct option *opts = analyst_cmds[a->which].opts;
	const struct settings *st = a->env->settings;
	struct analyst_pending *pend;
	const char *lang = st && st->lang ? st->lang : "ja";
	int npend = 0, c, idx, rc = 0;
	char err[512];

	query_filter_init(&a->f);
	a->store_path = st && st->store && *st->store ? st->store : NULL;
	a->utc = st && st->utc;
	a->stale_s = st ? st->stale_s : 0;
	a->lines = 10;
	a->by = QUERY_KEY_SID;
	a->max_invalid = ANALYST_INVALID_MAX;
	pend = calloc((size_t)argc + 1, sizeof(*pend));
	if (!pend)
		return analyst_fail(a, "out of memory");
	optind = 0;        /* GNU: start afresh (main may have parsed its own) */
	opterr = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, ":hn:", opts, &idx)) != -1) {
		switch (c) {
		case OPT_FILTER:
			if (!strcmp(opts[idx].name, "utc")) {
				a->utc = true;
				break;
			}
			if (!strcmp(opts[idx].name, "from") || !strcmp(opts[idx].name, "since"))
				a->has_from = true;
			if (!strcmp(opts[idx].name, "limit"))
				a->has_limit = true;
			pend[npend].name = opts[idx].name;
			pend[npend++].value = optarg;
			break;
		case OPT_UTC_ONLY:
			a->utc = true;
			break;
		case OPT_STORE:
			a->store_path = optarg;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_LANG:
			lang = optarg;
			if (strcmp(lang, "ja") && strcmp(lang, "en"))
				rc = analyst_usage(a, "--lang \"%.32s\": not ja or en", optarg);
			break;
		case 'n':
			if (a->which != ANALYST_TAIL)
				rc = analyst_usage(a, "unknown option -n");
			else
				rc = analyst_number_opt(a, "lines", optarg, 0, QUERY_LIMIT_MAX, NULL, &a->lines);
			break;
		case OPT_COUNT:
			rc = analyst_number_opt(a, "count", optarg, 1, UINT64_MAX, "not a number of at least 1",
						&a->count);
			break;
		case OPT_BY:
			if (query_key_parse(optarg, &a->by) < 0)
				rc = analyst_usage(a, "--by \"%.32s\": not rule, src, dest, sensor, src-country,"
						   " dest-country, clause, src-zone, dest-zone, day, severity,"
						   " category, app, detector or iface", optarg);
			break;
		case OPT_STALE:
			rc = analyst_number_opt(a, "stale", optarg, 0, 100LL * 365 * 86400,
						"not a number of seconds", &a->stale_s);
			break;
		case OPT_MAX_INVALID:
			rc = analyst_number_opt(a, "max-invalid", optarg, 0, UINT64_MAX, "not a number",
						&a->max_invalid);
			break;
		case 'h':
			fputs(analyst_cmds[a->which].help, stdout);
			rc = 3;
			break;
		case ':':
			rc = analyst_usage(a, "option %s needs a value", argv[optind - 1]);
			break;
		default:
			if (optopt && optopt < 256)
				rc = analyst_usage(a, "unknown option -%c", optopt);
			else
				rc = analyst_usage(a, "unknown option %s", argv[optind - 1]);
			break;
		}
	}
	if (rc)
		goto out;
	a->english = !strcmp(lang, "en");
	if (a->utc)
		a->f.tz_offset_s = 0;
	for (int i = 0; i < npend; i++)
		if (query_filter_option(&a->f, pend[i].name, pend[i].value, a->env->now_us, err,
					sizeof(err)) < 0) {
			rc = analyst_usage(a, "%s", err);
			goto out;
		}
	if (a->f.from_us && a->f.to_us && a->f.from_us >= a->f.to_us) {
		rc = analyst_usage(a, "--from/--since is not before --to");
		goto out;
	}
	a->files = argv + optind;
	a->nfiles = argc - optind;
	if (a->nfiles && a->which != ANALYST_IMPORT)
		rc = analyst_usage(a, "unexpected argument \"%.64s\"", argv[optind]);
	else if (!a->nfiles && a->which == ANALYST_IMPORT)
		rc = analyst_usage(a, "no file to import (FILE..., - for standard input)");
	else if (!a->store_path)
		rc = analyst_usage(a, "no store: --store PATH, or store = in the config");
out:
	free(pend);
	return rc;
}

/* The default time range of query and top: the 24 hours before --to (or now). */
static void analyst_default_range(struct analyst *a)
{
	if (!a->has_from)
		a->f.from_us = (a->f.to_us ? a->f.to_us : a->env->now_us) - ANALYST_DEFAULT_RANGE;
}

/* Read commands open an existing store only: a mistyped path should not
 * quietly create an empty one. */
static struct store *analyst_open(const struct analyst *a, bool create)
{
	const char *path = a->store_path;
	char err[512];
	struct stat sb;
	struct store *s;
	size_t i = 0;

	if (!strncmp(path, "sqlite:", 7)) {
		path += 7;
	} else {
		while ((path[i] >= 'a' && path[i] <= 'z') || (path[i] >= 'A' && path[i] <= 'Z') ||
		       (i && ((path[i] >= '0' && path[i] <= '9') || path[i] == '+' || path[i] == '-' ||
			      path[i] == '.')))
			i++;
		if (i && path[i] == ':')
			path = NULL;       /* another scheme: store_open decides */
	}
	if (!create && path && stat(path, &sb) < 0) {
		snprintf(err, sizeof(err), "%s: %s (zw-collector run or import creates the store)", path,
			 strerror(errno));
		analyst_fail(a, err);
		return NULL;
	}
	s = store_open(a->store_path, err, sizeof(err));
	if (!s)
		analyst_fail(a, err);
	return s;
}

/* What every command does first: a set up for the command `which`, its
 * options parsed and, when s is given, the store opened (import opens it
 * later).  -1 to go on, else the exit status (0 after --help). */
static int analyst_start(struct analyst *a, enum analyst_which which, const struct cmd_env *env,
			 int argc, char **argv, struct store **s)
{
	int rc;

	memset(a, 0, sizeof(*a));
	a->env = env;
	a->which = which;
	a->cmd = argc > 0 ? argv[0] : analyst_cmds[which].name;
	rc = analyst_parse(a, argc, argv);
	if (rc)
		return rc == 3 ? 0 : rc;
	if (s) {
		*s = analyst_open(a, false);
		if (!*s)
			return 1;
	}
	return -1;
}

/* ---- alert rows ---------------------------------------------------------- */

static const char *analyst_severity(uint8_t sev, bool english)
{
	static const char *const names[6][2] = {
		{ "?", "?" }, { "緊急", "critical" }, { "高", "high" }, { "中", "medium" },
		{ "低", "low" }, { "情報", "info" },
	};

	return names[sev <= 5 ? sev : 0][english];
}

/* "2026-11-26 18:30:15" in the filter's zone */
static void analyst_time(int64_t us, int tz, char *buf, size_t len)
{
	char full[48];

	query_time_format(us, tz, 0, full, sizeof(full));
	snprintf(buf, len, "%.19s", full);
}

/* "10.0.0.1:445", "[2001:db8::1]:443", "10.0.0.1"; without an address
 * "-", or "*:445" (a behaviour alert's port on many hosts: a sweep) */
static void analyst_endpoint(const struct alert_rec_addr *ad, int port, char *buf, size_t len)
{
	if (!ad->text && port >= 0)
		snprintf(buf, len, "*:%d", port);
	else if (!ad->text)
		snprintf(buf, len, "-");
	else if (port < 0)
		snprintf(buf, len, "%s", ad->text);
	else if (ad->family == 6)
		snprintf(buf, len, "[%s]:%d", ad->text, port);
	else
		snprintf(buf, len, "%s:%d", ad->text, port);
}

enum { AC_TIME, AC_SENSOR, AC_IFACE, AC_SEV, AC_SID, AC_SIG, AC_SRC, AC_DEST, AC_APP, AC_CLAUSE, AC_N };

/* A column as a command declares it: its head in both languages. */
struct analyst_col_def {
	const char *ja, *en;
	int cap, min;
	bool right;
};

static void analyst_cols(const struct analyst *a, const struct analyst_col_def *defs, int n,
			 struct analyst_col *cols)
{
	for (int i = 0; i < n; i++)
		cols[i] = (struct analyst_col){ a->english ? defs[i].en : defs[i].ja, defs[i].cap,
						defs[i].min, defs[i].right, 0 };
}

static void analyst_alert_cols(const struct analyst *a, struct analyst_col *cols)
{
	static const struct analyst_col_def defs[AC_N] = {
		[AC_TIME] = { "時刻 (JST)", "time (JST)", 19, 19, false },
		[AC_SENSOR] = { "センサー", "sensor", 24, 10, false },
		[AC_IFACE] = { "IF", "iface", 15, 8, false },
		[AC_SEV] = { "重要度", "severity", 8, 4, false },
		[AC_SID] = { "SID", "sid", 10, 4, true },
		[AC_SIG] = { "シグネチャ", "signature", 48, 30, false },
		[AC_SRC] = { "送信元", "source", 47, 21, false },
		[AC_DEST] = { "宛先", "destination", 47, 21, false },
		[AC_APP] = { "アプリ", "app", 20, 10, false },
		[AC_CLAUSE] = { "条項", "clause", 16, 8, false },
	};

	analyst_cols(a, defs, AC_N, cols);
	if (a->f.tz_offset_s == 0)
		cols[AC_TIME].head = a->english ? "time (UTC)" : "時刻 (UTC)";
}

/* The row's cells into bufs (AC_N buffers of ANALYST_CELL_MAX). */
static void analyst_alert_cells(const struct analyst *a, const struct query_row *row,
				char (*bufs)[ANALYST_CELL_MAX], const char **cells)
{
	const struct alert_rec *r = &row->rec;
	const char *sig = a->english && r->signature_en ? r->signature_en : r->signature;

	analyst_time(r->ts_us, a->f.tz_offset_s, bufs[AC_TIME], ANALYST_CELL_MAX);
	snprintf(bufs[AC_SENSOR], ANALYST_CELL_MAX, "%s", r->sensor ? r->sensor : "");
	snprintf(bufs[AC_IFACE], ANALYST_CELL_MAX, "%s", r->in_iface ? r->in_iface : "-");
	snprintf(bufs[AC_SEV], ANALYST_CELL_MAX, "%s", analyst_severity(r->severity, a->english));
	snprintf(bufs[AC_SID], ANALYST_CELL_MAX, "%u", r->sid);
	snprintf(bufs[AC_SIG], ANALYST_CELL_MAX, "%s", sig ? sig : "");
	analyst_endpoint(&r->src, r->src_port, bufs[AC_SRC], ANALYST_CELL_MAX);
	analyst_endpoint(&r->dest, r->dest_port, bufs[AC_DEST], ANALYST_CELL_MAX);
	snprintf(bufs[AC_APP], ANALYST_CELL_MAX, "%s", r->app_proto ? r->app_proto : "-");
	snprintf(bufs[AC_CLAUSE], ANALYST_CELL_MAX, "%s", r->clause ? r->clause : "-");
	for (int i = 0; i < AC_N; i++)
		cells[i] = bufs[i];
}

/* A command's output: a table, or JSON lines. */
struct analyst_out {
	const struct analyst *a;
	struct analyst_table t;
	struct jsonw w;           /* top and sensors: the line being written */
	uint64_t n;               /* rows */
};

static void analyst_out_init(struct analyst_out *o, const struct analyst *a,
			     const struct analyst_col *cols, int ncol, bool fixed)
{
	o->a = a;
	o->n = 0;
	analyst_table_init(&o->t, cols, ncol, fixed, stdout);
	jsonw_init(&o->w, ANALYST_JSON_MAX);
}

/* The rows still held printed, o and the store closed; rc < 0: the store
 * failed with err.  0, or the exit status 1. */
static int analyst_out_end(struct analyst_out *o, struct store *s, int rc, const char *err)
{
	if (!o->a->json && o->n)
		analyst_table_flush(&o->t);
	analyst_table_fini(&o->t);
	jsonw_fini(&o->w);
	store_close(s);
	return rc < 0 ? analyst_fail(o->a, err) : 0;
}

/* o->w's object as a line */
static void analyst_out_json(struct analyst_out *o)
{
	if (jsonw_ok(&o->w)) {
		fwrite(o->w.buf, 1, o->w.len, stdout);
		fputc('\n', stdout);
	}
}

/* A note on stderr ("no alerts match"), in the language asked for. */
static void analyst_note(const struct analyst *a, const char *en, const char *ja)
{
	fprintf(stderr, "%s\n", a->english ? en : ja);
}

/* A stored alert line as one JSON line.  The line is valid JSON (the
 * parser checked it), so code points above U+007F appear only inside
 * strings, where the \uXXXX escape means the same: C1 controls and bidi
 * or invisible format characters are written that way, so a terminal never
 * gets them raw.  Any other line is written as stored. */
static void analyst_json_line(const char *line, size_t n)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t i = 0, from = 0;

	while (i < n) {
		uint32_t cp;
		int len = query_utf8_next(p + i, n - i, &cp);

		if (len > 1 && query_cp_is_unsafe(cp)) {
			fwrite(p + from, 1, i - from, stdout);
			printf("\\u%04x", (unsigned)cp);   /* all such code points are below U+10000 */
			from = i + (size_t)len;
		}
		i += len < 1 ? 1 : (size_t)len;
	}
	fwrite(p + from, 1, n - from, stdout);
	fputc('\n', stdout);
}

static int analyst_query_row(void *ctx, const struct query_row *row)
{
	struct analyst_out *o = ctx;
	char bufs[AC_N][ANALYST_CELL_MAX];
	const char *cells[AC_N];

	if (*o->a->env->stop || ferror(stdout))
		return 1;
	if (o->a->json) {
		analyst_json_line(row->rec.json, row->rec.json_len);
	} else {
		analyst_alert_cells(o->a, row, bufs, cells);
		analyst_table_add(&o->t, cells);
	}
	o->n++;
	return 0;
}

/* 1 if the output could not be written (a reader that went away, as
 * `| head` does, is not worth a message) */
static int analyst_finish_output(const struct analyst *a)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "zw-collector %s: writing the output: %s\n", a->cmd, strerror(errno));
		return 1;
	}
	return 0;
}

int analyst_query(const struct cmd_env *env, int argc, char **argv)
{
	struct analyst a;
	struct analyst_col cols[AC_N];
	struct analyst_out o;
	struct store *s;
	char err[512];
	int rc;

	rc = analyst_start(&a, ANALYST_QUERY, env, argc, argv, &s);
	if (rc >= 0)
		return rc;
	analyst_default_range(&a);
	if (!a.has_limit)
		a.f.limit = 100;
	analyst_alert_cols(&a, cols);
	analyst_out_init(&o, &a, cols, AC_N, false);
	rc = store_query(s, &a.f, analyst_query_row, &o, err, sizeof(err));
	if (analyst_out_end(&o, s, rc, err))
		return 1;
	if (o.n == 0)
		analyst_note(&a, "no alerts match", "該当するアラートはありません");
	else if (a.f.limit && o.n == a.f.limit && !a.json)
		fprintf(stderr, a.english ? "(the first %llu shown: --limit N for more)\n"
					  : "(先頭の %llu 件を表示: 続きは --limit N で)\n",
			(unsigned long long)o.n);
	return analyst_finish_output(&a);
}

/* ---- tail -------------------------------------------------------------- */

/* The store's newest id, whatever matches (0 when empty). */
static int analyst_max_id_row(void *ctx, const struct query_row *row)
{
	*(int64_t *)ctx = row->id;
	return 1;
}

static int analyst_max_id(struct store *s, int64_t *out, char *err, size_t errlen)
{
	struct query_filter f;

	query_filter_init(&f);
	f.sort = QUERY_SORT_ID;
	f.limit = 1;
	*out = 0;
	return store_query(s, &f, analyst_max_id_row, out, err, errlen) < 0 ? -1 : 0;
}

struct analyst_tail {
	struct analyst_out o;
	int64_t upto;            /* rows past this id are the next poll's */
	uint64_t want;           /* rows to collect (initial) */
	char **held;             /* initial rows, newest first: json or cells */
	size_t nheld;
	bool oom;
	uint64_t printed;        /* new rows printed (--count) */
};

/* Initial rows come newest first: held, then printed oldest first. */
static int analyst_tail_hold(void *ctx, const struct query_row *row)
{
	struct analyst_tail *t = ctx;
	char bufs[AC_N][ANALYST_CELL_MAX], *h;
	const char *cells[AC_N];
	size_t len = 0;

	if (*t->o.a->env->stop)
		return 1;
	if (row->id > t->upto)
		return 0;
	if (t->o.a->json) {
		h = malloc(row->rec.json_len + 1);
		if (!h) {
			t->oom = true;
			return -1;
		}
		memcpy(h, row->rec.json, row->rec.json_len);
		h[row->rec.json_len] = '\0';
	} else {
		char *p;
		analyst_alert_cells(t->o.a, row, bufs, cells);
		for (int i = 0; i < AC_N; i++)
			len += strlen(cells[i]) + 1;
		h = malloc(len);
		if (!h) {
			t->oom = true;
			return -1;
		}
		p = h;
		for (int i = 0; i < AC_N; i++) {
			size_t n = strlen(cells[i]) + 1;
			memcpy(p, cells[i], n);
			p += n;
		}
	}
	t->held[t->nheld++] = h;
	return t->nheld >= t->want ? 1 : 0;
}

static int analyst_tail_new(void *ctx, const struct query_row *row)
{
	struct analyst_tail *t = ctx;
	const struct analyst *a = t->o.a;

	if (*a->env->stop || row->id > t->upto)
		return 1;
	analyst_query_row(&t->o, row);
	t->printed++;
	if (a->count && t->printed >= a->count)
		return 1;
	return 0;
}

/* Sleep up to us, waking early when asked to stop. */
static void analyst_sleep(const struct analyst *a, int64_t us)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	for (int64_t left = us; left > 0 && !*a->env->stop; left -= 100000)
		nanosleep(&ts, NULL);
}

int analyst_tail(const struct cmd_env *env, int argc, char **argv)
{
	struct analyst a;
	struct analyst_col cols[AC_N];
	struct analyst_tail t;
	struct store *s;
	char err[512];
	int64_t cursor;
	int rc;

	rc = analyst_start(&a, ANALYST_TAIL, env, argc, argv, &s);
	if (rc >= 0)
		return rc;
	memset(&t, 0, sizeof(t));
	analyst_alert_cols(&a, cols);
	analyst_out_init(&t.o, &a, cols, AC_N, true);
	rc = 0;
	if (analyst_max_id(s, &cursor, err, sizeof(err)) < 0)
		goto fail;
	/* the last N up to cursor, newest first; later ones come with the polls */
	if (a.lines) {
		a.f.sort = QUERY_SORT_ID;
		a.f.limit = 0;
		t.upto = cursor;
		t.want = a.lines;
		t.held = calloc(a.lines < ANALYST_TABLE_ROWS ? a.lines : ANALYST_TABLE_ROWS, sizeof(*t.held));
		if (!t.held) {
			snprintf(err, sizeof(err), "out of memory");
			goto fail;
		}
		if (t.want > ANALYST_TABLE_ROWS)
			t.want = ANALYST_TABLE_ROWS;
		if (store_query(s, &a.f, analyst_tail_hold, &t, err, sizeof(err)) < 0) {
			if (t.oom)
				snprintf(err, sizeof(err), "out of memory");
			goto fail;
		}
		for (size_t i = t.nheld; i-- > 0;) {
			if (a.json) {
				analyst_json_line(t.held[i], strlen(t.held[i]));
			} else {
				const char *cells[AC_N];
				analyst_table_split(&t.o.t, t.held[i], cells);
				analyst_table_add(&t.o.t, cells);
			}
		}
	}
	if (!a.json)
		analyst_table_flush(&t.o.t);
	fflush(stdout);
	a.f.sort = QUERY_SORT_ID;
	a.f.ascending = true;
	a.f.limit = 0;
	while (!*env->stop && !(a.count && t.printed >= a.count)) {
		int64_t newest;
		analyst_sleep(&a, ANALYST_POLL_US);
		if (*env->stop)
			break;
		if (analyst_max_id(s, &newest, err, sizeof(err)) < 0)
			goto fail;
		if (newest > cursor) {
			/* rows in (cursor, newest]: all committed, ids given in commit order */
			a.f.after_id = cursor;
			t.upto = newest;
			if (store_query(s, &a.f, analyst_tail_new, &t, err, sizeof(err)) < 0)
				goto fail;
			cursor = newest;
		}
		if (fflush(stdout) != 0 || ferror(stdout))
			break;
	}
	goto out;
fail:
	rc = -1;
out:
	for (size_t i = 0; i < t.nheld; i++)
		free(t.held[i]);
	free(t.held);
	/* (the table was flushed before the polls: no row is held) */
	if (analyst_out_end(&t.o, s, rc, err))
		return 1;
	return analyst_finish_output(&a);
}

/* ---- top ------------------------------------------------------------------ */

struct analyst_key_head {
	const char *ja, *en;
	const char *label_ja, *label_en;   /* the label column, or NULL */
};

static const struct analyst_key_head analyst_key_heads[QUERY_KEY_COUNT_] = {
	[QUERY_KEY_SID] = { "SID", "sid", "シグネチャ", "signature" },
	[QUERY_KEY_SRC] = { "送信元", "source", NULL, NULL },
	[QUERY_KEY_DEST] = { "宛先", "destination", NULL, NULL },
	[QUERY_KEY_SENSOR] = { "センサー", "sensor", NULL, NULL },
	[QUERY_KEY_SRC_COUNTRY] = { "送信元の国", "source country", NULL, NULL },
	[QUERY_KEY_DEST_COUNTRY] = { "宛先の国", "destination country", NULL, NULL },
	[QUERY_KEY_CLAUSE] = { "条項", "clause", NULL, NULL },
	[QUERY_KEY_SRC_ZONE] = { "送信元ゾーン", "source zone", "ゾーン名", "zone name" },
	[QUERY_KEY_DEST_ZONE] = { "宛先ゾーン", "destination zone", "ゾーン名", "zone name" },
	[QUERY_KEY_DAY] = { "日付", "day", NULL, NULL },
	[QUERY_KEY_SEVERITY] = { "重要度", "severity", NULL, NULL },
	[QUERY_KEY_CATEGORY] = { "分類", "category", NULL, NULL },
	[QUERY_KEY_APP] = { "アプリ", "app", NULL, NULL },
	[QUERY_KEY_DETECTOR] = { "検知器", "detector", NULL, NULL },
	[QUERY_KEY_IFACE] = { "IF", "iface", NULL, NULL },
};

enum { TC_RANK, TC_KEY, TC_LABEL, TC_COUNT, TC_SHARE, TC_SEV, TC_FIRST, TC_LAST, TC_N };

struct analyst_top {
	struct analyst_out out;
	uint64_t total;
	bool has_label;
};

static int analyst_top_total(void *ctx, const struct query_count *c)
{
	*(uint64_t *)ctx += c->count;
	return 0;
}

static int analyst_top_row(void *ctx, const struct query_count *c)
{
	struct analyst_top *o = ctx;
	const struct analyst *a = o->out.a;
	struct jsonw *w = &o->out.w;
	const char *label = a->english && c->label_en ? c->label_en : c->label;
	double share = o->total ? (double)c->count / (double)o->total : 0.0;
	char rank[24], key[ANALYST_CELL_MAX], count[24], pct[24], first[48], last[48];

	if (*a->env->stop)
		return 1;
	o->out.n++;
	if (a->json) {
		jsonw_reset(w);
		jsonw_obj_begin(w);
		jsonw_kv_str(w, "by", query_key_name(a->by));
		jsonw_kv_str(w, "key", c->key);
		if (c->label)
			jsonw_kv_str(w, "label", c->label);
		if (c->label_en)
			jsonw_kv_str(w, "label_en", c->label_en);
		jsonw_kv_u64(w, "count", c->count);
		jsonw_key(w, "share");
		jsonw_double(w, share);
		jsonw_kv_u64(w, "severity", c->severity_min);
		query_time_format(c->first_us, a->f.tz_offset_s, 6, first, sizeof(first));
		query_time_format(c->last_us, a->f.tz_offset_s, 6, last, sizeof(last));
		jsonw_kv_str(w, "first", first);
		jsonw_kv_str(w, "last", last);
		jsonw_obj_end(w);
		analyst_out_json(&o->out);
		return 0;
	}
	snprintf(rank, sizeof(rank), "%llu", (unsigned long long)o->out.n);
	if (a->by == QUERY_KEY_SEVERITY)
		snprintf(key, sizeof(key), "%s %s", c->key, analyst_severity((uint8_t)atoi(c->key), a->english));
	else
		snprintf(key, sizeof(key), "%s", *c->key ? c->key : "-");
	snprintf(count, sizeof(count), "%llu", (unsigned long long)c->count);
	snprintf(pct, sizeof(pct), "%.1f%%", share * 100.0);
	analyst_time(c->first_us, a->f.tz_offset_s, first, sizeof(first));
	analyst_time(c->last_us, a->f.tz_offset_s, last, sizeof(last));
	{
		const char *cells[TC_N] = { rank, key, label ? label : "", count, pct,
					    analyst_severity(c->severity_min, a->english), first, last };
		const char *row[TC_N];
		int k = 0;
		for (int i = 0; i < TC_N; i++)
			if (i != TC_LABEL || o->has_label)
				row[k++] = cells[i];
		analyst_table_add(&o->out.t, row);
	}
	return 0;
}

int analyst_top(const struct cmd_env *env, int argc, char **argv)
{
	struct analyst a;
	struct analyst_top o;
	struct analyst_col cols[TC_N];
	const struct analyst_key_head *kh;
	uint64_t limit;
	struct store *s;
	char err[512];
	int rc, k = 0;

	rc = analyst_start(&a, ANALYST_TOP, env, argc, argv, &s);
	if (rc >= 0)
		return rc;
	analyst_default_range(&a);
	if (a.has_limit)
		limit = a.f.limit;
	else
		limit = a.by == QUERY_KEY_DAY || a.by == QUERY_KEY_SEVERITY ? 0 : 10;
	a.f.limit = 0;
	memset(&o, 0, sizeof(o));
	kh = &analyst_key_heads[a.by];
	o.has_label = kh->label_ja != NULL;
	cols[k++] = (struct analyst_col){ "#", 6, 0, true, 0 };
	cols[k++] = (struct analyst_col){ a.english ? kh->en : kh->ja, 47, 0, false, 0 };
	if (o.has_label)
		cols[k++] = (struct analyst_col){ a.english ? kh->label_en : kh->label_ja, 48, 0, false, 0 };
	cols[k++] = (struct analyst_col){ a.english ? "count" : "件数", 12, 0, true, 0 };
	cols[k++] = (struct analyst_col){ a.english ? "share" : "割合", 7, 0, true, 0 };
	cols[k++] = (struct analyst_col){ a.english ? "max severity" : "最大重要度", 12, 0, false, 0 };
	cols[k++] = (struct analyst_col){ a.english ? "first" : "最初", 19, 0, false, 0 };
	cols[k++] = (struct analyst_col){ a.english ? "last" : "最後", 19, 0, false, 0 };
	analyst_out_init(&o.out, &a, cols, k, false);
	/* the total (for shares): five groups at most, whatever the key */
	rc = store_count_by(s, &a.f, QUERY_KEY_SEVERITY, 0, analyst_top_total, &o.total, err, sizeof(err));
	if (rc == 0 && o.total)
		rc = store_count_by(s, &a.f, a.by, limit, analyst_top_row, &o, err, sizeof(err));
	if (analyst_out_end(&o.out, s, rc, err))
		return 1;
	if (!o.total)
		analyst_note(&a, "no alerts match", "該当するアラートはありません");
	else if (!a.json)
		printf(a.english ? "total %llu alerts\n" : "合計 %llu 件\n", (unsigned long long)o.total);
	return analyst_finish_output(&a);
}

/* ---- sensors -------------------------------------------------------------- */

enum { SC_SENSOR, SC_STATUS, SC_HB, SC_VERSION, SC_RULESET, SC_PACKETS, SC_KDROPS, SC_QDROPS,
       SC_ADROPPED, SC_SPOOLR, SC_SPOOLB, SC_STORED, SC_LAST, SC_N };

struct analyst_sensors {
	struct analyst_out out;
	uint64_t stale;
};

static void analyst_age(int64_t age_s, bool english, char *buf, size_t len)
{
	if (age_s < 0)
		age_s = 0;
	if (age_s < 120)
		snprintf(buf, len, english ? "%llds ago" : "%lld秒前", (long long)age_s);
	else if (age_s < 2 * 3600)
		snprintf(buf, len, english ? "%lldm ago" : "%lld分前", (long long)(age_s / 60));
	else if (age_s < 48 * 3600)
		snprintf(buf, len, english ? "%lldh ago" : "%lld時間前", (long long)(age_s / 3600));
	else
		snprintf(buf, len, english ? "%lldd ago" : "%lld日前", (long long)(age_s / 86400));
}

static void analyst_counter(int64_t v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%lld", (long long)v);
}

static void analyst_json_opt(struct jsonw *w, const char *key, int64_t v)
{
	if (v >= 0)
		jsonw_kv_i64(w, key, v);
}

static void analyst_json_time(struct jsonw *w, const char *key, int64_t us, int tz)
{
	char buf[48];

	if (us <= 0)
		return;
	query_time_format(us, tz, 6, buf, sizeof(buf));
	jsonw_kv_str(w, key, buf);
}

static int analyst_sensor_row(void *ctx, const struct store_sensor *sn)
{
	struct analyst_sensors *o = ctx;
	const struct analyst *a = o->out.a;
	int64_t age_s = sn->last_heartbeat_us ? (a->env->now_us - sn->last_heartbeat_us) / ANALYST_US : -1;
	bool stale = !sn->last_heartbeat_us || (a->stale_s && age_s > (int64_t)a->stale_s);
	char c[SC_N][STORE_SENSOR_TEXT_MAX + 8];
	const char *cells[SC_N];

	if (*a->env->stop)
		return 1;
	o->out.n++;
	o->stale += stale;
	if (a->json) {
		struct jsonw *w = &o->out.w;
		jsonw_reset(w);
		jsonw_obj_begin(w);
		jsonw_kv_str(w, "sensor", sn->sensor);
		jsonw_kv_str(w, "status", stale ? "stale" : "ok");
		analyst_json_time(w, "last_heartbeat", sn->last_heartbeat_us, a->f.tz_offset_s);
		analyst_json_opt(w, "heartbeat_age_s", age_s);
		if (sn->version[0])
			jsonw_kv_str(w, "version", sn->version);
		if (sn->ruleset[0])
			jsonw_kv_str(w, "ruleset", sn->ruleset);
		analyst_json_opt(w, "uptime_s", sn->uptime_s);
		analyst_json_opt(w, "packets", sn->packets);
		analyst_json_opt(w, "kernel_drops", sn->kernel_drops);
		analyst_json_opt(w, "queue_drops", sn->queue_drops);
		analyst_json_opt(w, "flows", sn->flows);
		analyst_json_opt(w, "flows_active", sn->flows_active);
		analyst_json_opt(w, "alerts", sn->alerts);
		analyst_json_opt(w, "alerts_dropped", sn->alerts_dropped);
		analyst_json_opt(w, "spool_records", sn->spool_records);
		analyst_json_opt(w, "spool_bytes", sn->spool_bytes);
		jsonw_kv_u64(w, "stored", sn->stored);
		analyst_json_time(w, "first_received", sn->first_received_us, a->f.tz_offset_s);
		analyst_json_time(w, "last_received", sn->last_received_us, a->f.tz_offset_s);
		analyst_json_time(w, "last_alert", sn->last_alert_us, a->f.tz_offset_s);
		jsonw_obj_end(w);
		analyst_out_json(&o->out);
		return 0;
	}
	snprintf(c[SC_STATUS], sizeof(c[0]), "%s", stale ? "STALE" : "OK");
	if (sn->last_heartbeat_us)
		analyst_age(age_s, a->english, c[SC_HB], sizeof(c[0]));
	else
		snprintf(c[SC_HB], sizeof(c[0]), "%s", a->english ? "never" : "なし");
	snprintf(c[SC_VERSION], sizeof(c[0]), "%s", sn->version[0] ? sn->version : "-");
	snprintf(c[SC_RULESET], sizeof(c[0]), "%s", sn->ruleset[0] ? sn->ruleset : "-");
	analyst_counter(sn->packets, c[SC_PACKETS], sizeof(c[0]));
	analyst_counter(sn->kernel_drops, c[SC_KDROPS], sizeof(c[0]));
	analyst_counter(sn->queue_drops, c[SC_QDROPS], sizeof(c[0]));
	analyst_counter(sn->alerts_dropped, c[SC_ADROPPED], sizeof(c[0]));
	analyst_counter(sn->spool_records, c[SC_SPOOLR], sizeof(c[0]));
	analyst_counter(sn->spool_bytes, c[SC_SPOOLB], sizeof(c[0]));
	snprintf(c[SC_STORED], sizeof(c[0]), "%llu", (unsigned long long)sn->stored);
	if (sn->last_received_us)
		analyst_time(sn->last_received_us, a->f.tz_offset_s, c[SC_LAST], sizeof(c[0]));
	else
		snprintf(c[SC_LAST], sizeof(c[0]), "-");
	for (int i = 0; i < SC_N; i++)
		cells[i] = c[i];
	cells[SC_SENSOR] = sn->sensor;
	analyst_table_add(&o->out.t, cells);
	return 0;
}

int analyst_sensors(const struct cmd_env *env, int argc, char **argv)
{
	struct analyst a;
	struct analyst_sensors o;
	struct store *s;
	char err[512];
	int rc;
	struct analyst_col cols[SC_N];
	static const struct analyst_col_def defs[SC_N] = {
		[SC_SENSOR] = { "センサー", "sensor", 32, 0, false },
		[SC_STATUS] = { "状態", "status", 5, 0, false },
		[SC_HB] = { "ハートビート", "heartbeat", 16, 0, false },
		[SC_VERSION] = { "バージョン", "version", 16, 0, false },
		[SC_RULESET] = { "ルールセット", "ruleset", 20, 0, false },
		[SC_PACKETS] = { "パケット", "packets", 20, 0, true },
		[SC_KDROPS] = { "カーネル破棄", "kernel_drops", 20, 0, true },
		[SC_QDROPS] = { "キュー破棄", "queue_drops", 20, 0, true },
		[SC_ADROPPED] = { "欠落アラート", "alerts_dropped", 20, 0, true },
		[SC_SPOOLR] = { "スプール件数", "spool_records", 20, 0, true },
		[SC_SPOOLB] = { "スプールバイト", "spool_bytes", 20, 0, true },
		[SC_STORED] = { "保存アラート", "stored", 20, 0, true },
		[SC_LAST] = { "最終受信", "last_received", 19, 0, false },
	};

	rc = analyst_start(&a, ANALYST_SENSORS, env, argc, argv, &s);
	if (rc >= 0)
		return rc;
	analyst_cols(&a, defs, SC_N, cols);
	memset(&o, 0, sizeof(o));
	analyst_out_init(&o.out, &a, cols, SC_N, false);
	rc = store_sensors(s, analyst_sensor_row, &o, err, sizeof(err));
	if (analyst_out_end(&o.out, s, rc, err))
		return 1;
	if (!o.out.n)
		analyst_note(&a, "no sensors in the store", "センサーの記録はありません");
	return analyst_finish_output(&a);
}

/* ---- import --------------------------------------------------------------- */

struct analyst_import {
	const struct analyst *a;
	struct store *s;
	struct alert_rec *recs;
	size_t n;
	uint64_t imported, duplicates, quarantined, lines;
	char *line;              /* ALERT_PARSE_MAX_LINE + 1 bytes */
};

static int analyst_import_flush(struct analyst_import *im, char *err, size_t errlen)
{
	struct store_put_result res;
	int rc = 0;

	if (im->n)
		rc = store_put_batch(im->s, im->recs, im->n, im->a->env->now_us, &res, err, errlen);
	for (size_t i = 0; i < im->n; i++)
		alert_rec_fini(&im->recs[i]);
	if (rc == 0 && im->n) {
		im->imported += res.inserted;
		im->duplicates += res.duplicates;
	}
	im->n = 0;
	return rc;
}

/* One line (without its newline), len bytes kept of full. */
static int analyst_import_line(struct analyst_import *im, const char *name, uint64_t lineno,
			       size_t len, size_t full, uint64_t *invalid, char *err, size_t errlen)
{
	char why[512], id[STORE_STREAM_ID_MAX + 32], num[24];   /* id: at most STORE_STREAM_ID_MAX used */
	size_t i, nlen, numlen;

	for (i = 0; i < len; i++)
		if (im->line[i] != ' ' && im->line[i] != '\t' && im->line[i] != '\r')
			break;
	if (i == len && full == len)
		return 0;                      /* a blank line */
	if (len && im->line[len - 1] == '\r' && full == len)
		len--, full--;                 /* a CRLF file */
	if (full > len)
		snprintf(why, sizeof(why), "line longer than %u bytes", ALERT_PARSE_MAX_LINE);
	else if (alert_parse(im->line, len, &im->recs[im->n], why, sizeof(why)) == 0) {
		im->n++;
		if (im->n == ANALYST_IMPORT_BATCH)
			return analyst_import_flush(im, err, errlen);
		return 0;
	}
	/* "FILE:LINENO", the end of a long FILE kept */
	numlen = (size_t)snprintf(num, sizeof(num), ":%llu", (unsigned long long)lineno);
	nlen = strlen(name);
	if (nlen + numlen > STORE_STREAM_ID_MAX)
		name += nlen + numlen - STORE_STREAM_ID_MAX;
	snprintf(id, sizeof(id), "%s%s", name, num);
	/* a cut line: its whole length is recorded, STORE_RAW_MAX bytes kept */
	if (store_quarantine(im->s, id, NULL, im->line, full > len && len >= STORE_RAW_MAX ? full : len, why,
			     im->a->env->now_us, err, errlen) < 0)
		return -1;
	im->quarantined++;
	(*invalid)++;
	return 0;
}

/* Reads one file line by line (each at most ALERT_PARSE_MAX_LINE bytes
 * kept; a longer one is quarantined, its rest skipped).  0; -1 store error
 * (err); 1 the file could not be read or had too many invalid lines (err). */
static int analyst_import_file(struct analyst_import *im, const char *path, char *err, size_t errlen)
{
	const struct analyst *a = im->a;
	bool stdin_ = !strcmp(path, "-");
	FILE *fp = stdin_ ? stdin : fopen(path, "rb");
	uint64_t lineno = 0, invalid = 0;
	size_t len = 0, full = 0;
	int c, rc = 0;

	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return 1;
	}
	for (;;) {
		c = getc_unlocked(fp);
		if (c != EOF && c != '\n') {
			if (len < ALERT_PARSE_MAX_LINE)
				im->line[len++] = (char)c;
			full++;
			continue;
		}
		if (c == EOF && full == 0)
			break;
		lineno++;
		rc = analyst_import_line(im, path, lineno, len, full, &invalid, err, errlen);
		len = full = 0;
		if (rc < 0)
			break;
		if (a->max_invalid && invalid >= a->max_invalid) {
			snprintf(err, errlen, "%s: %llu invalid lines (quarantined), stopped at line %llu"
				 " (--max-invalid)", path, (unsigned long long)invalid,
				 (unsigned long long)lineno);
			rc = 1;
			break;
		}
		if (c == EOF || *a->env->stop)
			break;
	}
	if (rc == 0 && ferror(fp)) {
		snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
		rc = 1;
	}
	if (!stdin_)
		fclose(fp);
	im->lines += lineno;
	return rc;
}

int analyst_import(const struct cmd_env *env, int argc, char **argv)
{
	struct analyst a;
	struct analyst_import im;
	char err[1024];
	int rc, status = 0;

	rc = analyst_start(&a, ANALYST_IMPORT, env, argc, argv, NULL);
	if (rc >= 0)
		return rc;
	memset(&im, 0, sizeof(im));
	im.a = &a;
	im.recs = calloc(ANALYST_IMPORT_BATCH, sizeof(*im.recs));
	im.line = malloc(ALERT_PARSE_MAX_LINE + 1);
	if (!im.recs || !im.line) {
		free(im.recs);
		free(im.line);
		return analyst_fail(&a, "out of memory");
	}
	im.s = analyst_open(&a, true);
	if (!im.s) {
		free(im.recs);
		free(im.line);
		return 1;
	}
	rc = 0;
	for (int i = 0; i < a.nfiles && !*env->stop; i++) {
		rc = analyst_import_file(&im, a.files[i], err, sizeof(err));
		if (rc > 0) {
			analyst_fail(&a, err);   /* the next file is still read */
			status = 1;
		} else if (rc < 0) {
			break;
		}
	}
	/* what was read is stored, also after a bad file or an interrupt */
	if (rc >= 0 && analyst_import_flush(&im, err, sizeof(err)) < 0)
		rc = -1;
	if (rc < 0) {
		analyst_fail(&a, err);
		status = 1;
	}
	for (size_t i = 0; i < im.n; i++)
		alert_rec_fini(&im.recs[i]);
	if (*env->stop) {
		analyst_fail(&a, "interrupted: what was imported before is stored");
		status = 1;
	}
	printf("imported %llu, duplicates %llu, quarantined %llu\n", (unsigned long long)im.imported,
	       (unsigned long long)im.duplicates, (unsigned long long)im.quarantined);
	store_close(im.s);
	free(im.recs);
	free(im.line);
	if (analyst_finish_output(&a))
		status = 1;
	return status;
}
