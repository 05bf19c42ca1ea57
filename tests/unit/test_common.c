/* Unit tests: the JSON writer (escaping, UTF-8 repair, cap) and the config
 * parser (syntax, errors with file:line, value helpers). */
#include <string.h>

#include "check.h"
#include "conf.h"
#include "jsonw.h"

static void test_jsonw(void)
{
	struct jsonw w;

	jsonw_init(&w, 4096);
	jsonw_obj_begin(&w);
	jsonw_kv_str(&w, "a", "x\"y\\z\n\t\x01");
	jsonw_kv_u64(&w, "n", 18446744073709551615ULL);
	jsonw_kv_i64(&w, "m", -5);
	jsonw_key(&w, "l");
	jsonw_arr_begin(&w);
	jsonw_u64(&w, 1);
	jsonw_str(&w, "\xe6\x97\xa5\xe6\x9c\xac");      /* valid UTF-8: kept */
	jsonw_str(&w, "bad\xff\xc0\xaf" "end");              /* invalid: U+FFFD each */
	jsonw_arr_end(&w);
	jsonw_kv_bool(&w, "t", true);
	jsonw_obj_end(&w);
	jsonw_raw(&w, "\n", 1);
	jsonw_obj_begin(&w);
	jsonw_obj_end(&w);
	CHECK(jsonw_ok(&w), "writer ok");
	const char *want = "{\"a\":\"x\\\"y\\\\z\\n\\t\\u0001\",\"n\":18446744073709551615,\"m\":-5,"
			   "\"l\":[1,\"\xe6\x97\xa5\xe6\x9c\xac\",\"bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			   "end\"],\"t\":true}\n{}";
	CHECK(w.len == strlen(want) && !memcmp(w.buf, want, w.len), "output: %.*s", (int)w.len, w.buf);

	/* the cap: a record that does not fit is refused, truncate restores */
	jsonw_reset(&w);
	jsonw_fini(&w);
	jsonw_init(&w, 16);
	jsonw_obj_begin(&w);
	jsonw_kv_str(&w, "key", "a value that is far too long");
	jsonw_obj_end(&w);
	CHECK(!jsonw_ok(&w) && w.len <= 16, "overflow detected, cap kept (len %zu)", w.len);
	jsonw_truncate(&w, 0);
	CHECK(jsonw_ok(&w) && w.len == 0, "truncate clears the error");
	/* unbalanced nesting is an error, not silent */
	jsonw_obj_begin(&w);
	CHECK(!jsonw_ok(&w), "open object is not ok");
	jsonw_fini(&w);
}

struct kv_seen {
	char keys[8][64], values[8][256];
	int n;
	int fail_on;   /* return an error for this key index */
};

static int collect(void *ctx, const char *key, const char *value, char *err, size_t errlen)
{
	struct kv_seen *s = ctx;

	if (s->n == s->fail_on) {
		snprintf(err, errlen, "rejected '%s'", key);
		return -1;
	}
	if (s->n < 8) {
		snprintf(s->keys[s->n], 64, "%s", key);
		snprintf(s->values[s->n], 256, "%s", value);
	}
	s->n++;
	return 0;
}

static void test_conf(void)
{
	struct kv_seen s = { .fail_on = -1 };
	char err[256] = "";
	const char *text = "# comment\n"
			   "  a.b = 1   \n"
			   "\n"
			   "c = two words # trailing comment\n"
			   "d = \"quoted # not a comment \\\" here\"\n"
			   "e=x#y\r\n"
			   "f =\n";
	int rc = conf_parse_buffer("t.conf", text, strlen(text), collect, &s, err, sizeof(err));

	CHECK(rc == 0, "valid text parses: %s", err);
	CHECK(s.n == 5, "five pairs (%d)", s.n);
	CHECK(!strcmp(s.keys[0], "a.b") && !strcmp(s.values[0], "1"), "trimmed");
	CHECK(!strcmp(s.values[1], "two words"), "comment after blank cut: '%s'", s.values[1]);
	CHECK(!strcmp(s.values[2], "quoted # not a comment \" here"), "quoted: '%s'", s.values[2]);
	CHECK(!strcmp(s.values[3], "x#y"), "# inside a word kept: '%s'", s.values[3]);
	CHECK(!strcmp(s.keys[4], "f") && s.values[4][0] == '\0', "empty value");

	struct { const char *text, *want; } bad[] = {
		{ "ok = 1\n= 2\n", "t.conf:2: expected a key" },
		{ "key 2\n", "t.conf:1: expected '=' after key 'key'" },
		{ "k = \"open\n", "t.conf:1: unterminated quoted value" },
		{ "k = \"a\" b\n", "t.conf:1: unexpected text after quoted value" },
		{ "a = 1\nb = 2\nc = 3\n", "t.conf:3: rejected 'c'" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kv_seen s2 = { .fail_on = i == 4 ? 2 : -1 };
		err[0] = '\0';
		rc = conf_parse_buffer("t.conf", bad[i].text, strlen(bad[i].text), collect, &s2, err,
				       sizeof(err));
		CHECK(rc < 0 && !strncmp(err, bad[i].want, strlen(bad[i].want)),
		      "error for case %zu: got '%s'", i, err);
	}

	uint64_t v;
	int b;
	CHECK(conf_value_duration("90", 0, 1000, &v, err, sizeof(err)) == 0 && v == 90, "90 s");
	CHECK(conf_value_duration("15m", 0, 10000, &v, err, sizeof(err)) == 0 && v == 900, "15m");
	CHECK(conf_value_duration("2h", 0, 3600, &v, err, sizeof(err)) < 0, "2h out of range");
	CHECK(conf_value_duration("5x", 0, 10000, &v, err, sizeof(err)) < 0, "bad unit");
	CHECK(conf_value_size("64M", 0, 1ULL << 40, &v, err, sizeof(err)) == 0 && v == 64u << 20, "64M");
	CHECK(conf_value_size("99999999999999999999G", 0, UINT64_MAX, &v, err, sizeof(err)) < 0,
	      "overflow refused");
	CHECK(conf_value_u64("-1", 0, 10, &v, err, sizeof(err)) < 0, "negative refused");
	CHECK(conf_value_u64("12a", 0, 100, &v, err, sizeof(err)) < 0, "trailing junk refused");
	CHECK(conf_value_bool("yes", &b, err, sizeof(err)) == 0 && b == 1, "yes");
	CHECK(conf_value_bool("off", &b, err, sizeof(err)) == 0 && b == 0, "off");
	CHECK(conf_value_bool("maybe", &b, err, sizeof(err)) < 0, "maybe refused");
}

int main(void)
{
	test_jsonw();
	test_conf();
	return check_done();
}
