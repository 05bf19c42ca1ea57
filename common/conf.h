/*
 * conf — the line-oriented config file format shared by zonewatch programs.
 *
 *     # comment                      (also after a value: " # ...")
 *     key = value
 *     key = "value with # or spaces"
 *
 * Keys are [A-Za-z0-9_.-]+.  Values end at end of line; surrounding blanks are
 * trimmed; a double-quoted value may contain \" and \\.  Lines may be at most
 * CONF_MAX_LINE bytes.  The parser does no I/O besides reading the file and
 * knows no keys: it hands each pair to a handler, which validates it.
 * Any thread; no state between calls.
 */
#ifndef ZW_CONF_H
#define ZW_CONF_H

#include <stddef.h>
#include <stdint.h>

#define CONF_MAX_LINE 4096u
#define CONF_MAX_FILE (4u << 20)   /* a config larger than this is refused */

/* Called for each key/value.  Return 0 to go on; on error write a reason into
 * err (no file/line: the parser adds them) and return -1. */
typedef int (*conf_handler)(void *ctx, const char *key, const char *value,
			    char *err, size_t errlen);

/* Parse text (need not be NUL-terminated).  name is used in messages.  On
 * error returns -1 with "name:line: reason" in err. */
int conf_parse_buffer(const char *name, const char *text, size_t len,
		      conf_handler handler, void *ctx, char *err, size_t errlen);
int conf_parse_file(const char *path, conf_handler handler, void *ctx,
		    char *err, size_t errlen);

/* Value helpers: 0 on success, -1 with a reason in err. */
int conf_value_u64(const char *value, uint64_t min, uint64_t max, uint64_t *out,
		   char *err, size_t errlen);
int conf_value_bool(const char *value, int *out, char *err, size_t errlen);
/* "90", "90s", "15m", "2h", "1d" → seconds */
int conf_value_duration(const char *value, uint64_t min_s, uint64_t max_s, uint64_t *out_s,
			char *err, size_t errlen);
/* "65536", "64k", "16M", "1G" (binary multiples) → bytes */
int conf_value_size(const char *value, uint64_t min, uint64_t max, uint64_t *out,
		    char *err, size_t errlen);

/* "0.5%", "0.5" or "50%": a percentage, kept in millionths (ppm), in [lo, hi]. */
int conf_value_percent(const char *value, uint64_t lo, uint64_t hi, uint64_t *out,
		       char *err, size_t errlen);

/* "3.5": a plain decimal number, kept in millionths, in [lo, hi] (millionths). */
int conf_value_decimal(const char *value, uint64_t lo, uint64_t hi, uint64_t *out,
		       char *err, size_t errlen);

/* A program's keys as a table: each key's field in its settings struct (at
 * offset from base), its type and range.  CONF_STRING fields are char *
 * (strdup'd, the old value freed), CONF_BOOL int, the rest uint64_t. */
enum conf_type { CONF_STRING, CONF_U64, CONF_BOOL, CONF_DURATION, CONF_SIZE, CONF_PERCENT,
		 CONF_DECIMAL };

struct conf_key {
	const char *key;
	enum conf_type type;
	size_t offset;
	uint64_t min, max;
};

/* Set key from value in base.  0 set, -1 bad value (err says why), 1 key
 * not in the table (err untouched). */
int conf_table_set(const struct conf_key *keys, size_t n, void *base, const char *key,
		   const char *value, char *err, size_t errlen);
/* Free the table's CONF_STRING fields in base and set them to NULL. */
void conf_table_fini(const struct conf_key *keys, size_t n, void *base);

#endif
