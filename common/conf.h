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

#endif
