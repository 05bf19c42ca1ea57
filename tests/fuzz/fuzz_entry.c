/* Fuzz target: the collector's checks of a stream entry's fields and of a
 * sensor's heartbeat hash (collector/entry.h), then the alert parser on the
 * entry's json and the cross-check of the two.  Anyone who can write to
 * Redis chooses these strings.
 *
 * Input: the strings (names and values in turn) separated by '\n'.
 * Invariants: a decoded entry's pointers lie inside the input and its json
 * is within the cap; a refusal has a reason; heartbeat texts are printable
 * ASCII and numbers are -1 or more. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alert_parse.h"
#include "entry.h"

#define FUZZ_STRINGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			abort();
}

static void fuzz_inside(const char *p, size_t len, const uint8_t *data, size_t size)
{
	if (p && (p < (const char *)data || p + len > (const char *)data + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *fv[FUZZ_STRINGS];
	size_t fvlen[FUZZ_STRINGS], n = 0, start = 0;
	struct entry_view v;
	struct store_sensor hb;
	struct alert_rec rec;
	char why[256];

	for (size_t i = 0; i <= size && n < FUZZ_STRINGS; i++) {
		if (i == size || data[i] == '\n') {
			fv[n] = (const char *)data + start;
			fvlen[n++] = i - start;
			start = i + 1;
		}
	}
	memset(&hb, 0, sizeof(hb));
	entry_heartbeat(fv, fvlen, n, &hb);
	fuzz_check_text(hb.version);
	fuzz_check_text(hb.ruleset);
	if (hb.packets < -1 || hb.uptime_s < -1 || hb.spool_bytes < -1 || hb.kernel_drops < -1)
		abort();

	why[0] = '\0';
	if (entry_decode(fv, fvlen, n, &v, why, sizeof(why)) < 0) {
		if (!why[0])
			abort();
		return 0;
	}
	if (!v.json || v.json_len > ALERT_PARSE_MAX_LINE)
		abort();
	fuzz_inside(v.json, v.json_len, data, size);
	fuzz_inside(v.sensor, v.sensor_len, data, size);
	fuzz_inside(v.alert_id, v.alert_id_len, data, size);
	if (alert_parse(v.json, v.json_len, &rec, why, sizeof(why)) == 0) {
		why[0] = '\0';
		if (entry_check(&v, &rec, why, sizeof(why)) < 0 && !why[0])
			abort();
		alert_rec_fini(&rec);
	}
	return 0;
}
