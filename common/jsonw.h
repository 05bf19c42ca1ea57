/*
 * jsonw — a small JSON writer into a growable buffer with a hard size cap.
 *
 * Not thread-safe: one writer per thread.  Strings are escaped per RFC 8259;
 * bytes that are not valid UTF-8 are written as U+FFFD so output is always
 * valid JSON.  When a write would pass the cap, the writer stops writing and
 * remembers the overflow; the caller checks jsonw_ok() and drops the record.
 */
#ifndef ZW_JSONW_H
#define ZW_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSONW_MAX_DEPTH 16

struct jsonw {
	char *buf;
	size_t len;          /* bytes written */
	size_t alloc;        /* bytes allocated */
	size_t cap;          /* hard limit on len */
	int depth;
	bool first[JSONW_MAX_DEPTH];  /* nothing written yet at this level */
	bool after_key;
	bool failed;         /* overflow, allocation failure or depth error */
};

void jsonw_init(struct jsonw *w, size_t cap);
void jsonw_fini(struct jsonw *w);
/* Forget the content (keeps the allocation) and the error state. */
void jsonw_reset(struct jsonw *w);
/* Truncate back to a mark taken with w->len (drops a half-written record). */
void jsonw_truncate(struct jsonw *w, size_t mark);
bool jsonw_ok(const struct jsonw *w);

void jsonw_obj_begin(struct jsonw *w);
void jsonw_obj_end(struct jsonw *w);
void jsonw_arr_begin(struct jsonw *w);
void jsonw_arr_end(struct jsonw *w);
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_str(struct jsonw *w, const char *s);
void jsonw_strn(struct jsonw *w, const char *s, size_t n);
void jsonw_u64(struct jsonw *w, uint64_t v);
void jsonw_i64(struct jsonw *w, int64_t v);
void jsonw_double(struct jsonw *w, double v);
void jsonw_bool(struct jsonw *w, bool v);
/* Raw text, already valid JSON (e.g. a newline between records). */
void jsonw_raw(struct jsonw *w, const char *s, size_t n);

/* key + value shorthands */
void jsonw_kv_str(struct jsonw *w, const char *key, const char *s);
void jsonw_kv_u64(struct jsonw *w, const char *key, uint64_t v);
void jsonw_kv_i64(struct jsonw *w, const char *key, int64_t v);
void jsonw_kv_bool(struct jsonw *w, const char *key, bool v);

#endif
