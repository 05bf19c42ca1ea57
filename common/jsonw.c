/* jsonw — see jsonw.h.  Escaping follows RFC 8259 section 7; UTF-8 is
 * validated per RFC 3629 (no overlongs, no surrogates, max U+10FFFF). */
#include "jsonw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jsonw_init(struct jsonw *w, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->cap = cap;
	w->first[0] = true;
}

void jsonw_fini(struct jsonw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

void jsonw_reset(struct jsonw *w)
{
	jsonw_truncate(w, 0);
}

void jsonw_truncate(struct jsonw *w, size_t mark)
{
	if (mark < w->len)
		w->len = mark;
	w->depth = 0;
	w->first[0] = true;
	w->after_key = false;
	w->failed = false;
}

bool jsonw_ok(const struct jsonw *w)
{
	return !w->failed && w->depth == 0;
}

static bool jsonw_reserve(struct jsonw *w, size_t n)
{
	size_t want, alloc;
	char *p;

	if (w->failed)
		return false;
	if (n > w->cap - w->len) {
		w->failed = true;
		return false;
	}
	want = w->len + n;
	if (want <= w->alloc)
		return true;
	alloc = w->alloc ? w->alloc : 1024;
	while (alloc < want)
		alloc *= 2;
	if (alloc > w->cap)
		alloc = w->cap;
	p = realloc(w->buf, alloc);
	if (!p) {
		w->failed = true;
		return false;
	}
	w->buf = p;
	w->alloc = alloc;
	return true;
}

static void jsonw_put(struct jsonw *w, const char *s, size_t n)
{
	if (!jsonw_reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void jsonw_putc(struct jsonw *w, char c)
{
	jsonw_put(w, &c, 1);
}

/* Comma handling: called before every value or key. */
static void jsonw_sep(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	/* top-level values are records of their own: no separator */
	if (w->depth > 0 && !w->first[w->depth])
		jsonw_putc(w, ',');
	w->first[w->depth] = false;
}

static void jsonw_open(struct jsonw *w, char c)
{
	jsonw_sep(w);
	if (w->depth + 1 >= JSONW_MAX_DEPTH) {
		w->failed = true;
		return;
	}
	jsonw_putc(w, c);
	w->depth++;
	w->first[w->depth] = true;
}

static void jsonw_close(struct jsonw *w, char c)
{
	if (w->depth == 0) {
		w->failed = true;
		return;
	}
	jsonw_putc(w, c);
	w->depth--;
}

void jsonw_obj_begin(struct jsonw *w) { jsonw_open(w, '{'); }
void jsonw_obj_end(struct jsonw *w)   { jsonw_close(w, '}'); }
void jsonw_arr_begin(struct jsonw *w) { jsonw_open(w, '['); }
void jsonw_arr_end(struct jsonw *w)   { jsonw_close(w, ']'); }

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void jsonw_escaped(struct jsonw *w, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, seq;

	jsonw_putc(w, '"');
	while (i < n) {
		unsigned char c = s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			run++, i++;
			continue;
		}
		jsonw_put(w, (const char *)s + i - run, run);
		run = 0;
		if (c >= 0x80) {
			seq = utf8_seq_len(s + i, n - i);
			if (seq) {
				jsonw_put(w, (const char *)s + i, seq);
				i += seq;
			} else {
				jsonw_put(w, "\xef\xbf\xbd", 3);
				i++;
			}
			continue;
		}
		switch (c) {
		case '"':  jsonw_put(w, "\\\"", 2); break;
		case '\\': jsonw_put(w, "\\\\", 2); break;
		case '\n': jsonw_put(w, "\\n", 2); break;
		case '\r': jsonw_put(w, "\\r", 2); break;
		case '\t': jsonw_put(w, "\\t", 2); break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			jsonw_put(w, u, sizeof(u));
		}
		}
		i++;
	}
	jsonw_put(w, (const char *)s + i - run, run);
	jsonw_putc(w, '"');
}

void jsonw_key(struct jsonw *w, const char *key)
{
	jsonw_sep(w);
	jsonw_escaped(w, key, strlen(key));
	jsonw_putc(w, ':');
	w->after_key = true;
}

void jsonw_strn(struct jsonw *w, const char *s, size_t n)
{
	jsonw_sep(w);
	jsonw_escaped(w, s, n);
}

void jsonw_str(struct jsonw *w, const char *s)
{
	jsonw_strn(w, s, strlen(s));
}

/* Decimal digits of v, written backwards from end; returns the start. */
static char *jsonw_digits(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

void jsonw_u64(struct jsonw *w, uint64_t v)
{
	char tmp[24], *p = jsonw_digits(tmp + sizeof(tmp), v);

	jsonw_sep(w);
	jsonw_put(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

void jsonw_i64(struct jsonw *w, int64_t v)
{
	char tmp[24], *p = jsonw_digits(tmp + sizeof(tmp), v < 0 ? 0 - (uint64_t)v : (uint64_t)v);

	if (v < 0)
		*--p = '-';
	jsonw_sep(w);
	jsonw_put(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

void jsonw_double(struct jsonw *w, double v)
{
	char tmp[32];
	int n;

	if (v != v || v > 1e300 || v < -1e300)  /* NaN/inf are not JSON */
		v = 0;
	n = snprintf(tmp, sizeof(tmp), "%.6g", v);
	jsonw_sep(w);
	jsonw_put(w, tmp, (size_t)n);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	jsonw_sep(w);
	jsonw_put(w, v ? "true" : "false", v ? 4 : 5);
}

void jsonw_raw(struct jsonw *w, const char *s, size_t n)
{
	jsonw_put(w, s, n);
}

void jsonw_kv_str(struct jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	jsonw_str(w, s);
}

void jsonw_kv_u64(struct jsonw *w, const char *key, uint64_t v)
{
	jsonw_key(w, key);
	jsonw_u64(w, v);
}

void jsonw_kv_i64(struct jsonw *w, const char *key, int64_t v)
{
	jsonw_key(w, key);
	jsonw_i64(w, v);
}

void jsonw_kv_bool(struct jsonw *w, const char *key, bool v)
{
	jsonw_key(w, key);
	jsonw_bool(w, v);
}
