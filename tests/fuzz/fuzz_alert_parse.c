/* Fuzz target: the collector's parser of alert lines read from Redis.
 * Anyone who can write to the stream chooses these bytes: a line must be
 * accepted or refused with a reason, never crash, leak or over-read.
 *
 * Input: the bytes of one line.  Invariants checked: a refusal gives a
 * non-empty reason of printable ASCII and a zeroed record; an acceptance
 * gives the fields every alert has, and a copy of the line; in_iface only
 * on a rule or behaviour alert of version 4 or later, and a valid name. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alert_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alert_rec r;
	char why[256];
	size_t i;

	if (alert_parse((const char *)data, size, &r, why, sizeof(why)) < 0) {
		if (why[0] == '\0' || r.json != NULL || r.sensor != NULL || r.src_port != 0 ||
		    r.in_iface != NULL)
			abort();
		for (i = 0; why[i] != '\0'; i++)
			if ((unsigned char)why[i] < 0x20 || (unsigned char)why[i] >= 0x7f)
				abort();
	} else {
		if (r.json == NULL || r.json_len != size || memcmp(r.json, data, size) != 0 ||
		    r.sensor == NULL || r.signature == NULL || r.threat == NULL ||
		    strlen(r.alert_id) != 32 || r.severity < 1 || r.severity > 5)
			abort();
		if (r.kind == ALERT_REC_RULE &&
		    (r.src.text == NULL || r.dest.text == NULL || r.proto == NULL ||
		     (r.src.family != 4 && r.src.family != 6)))
			abort();
		if (r.kind == ALERT_REC_HEALTH && (r.health_state == NULL || r.src.text != NULL))
			abort();
		if (r.in_iface != NULL &&
		    (r.kind == ALERT_REC_HEALTH || r.schema_version < 4 ||
		     !alert_parse_iface_is_valid(r.in_iface, strlen(r.in_iface))))
			abort();
	}
	alert_rec_fini(&r);
	alert_rec_fini(&r);
	return 0;
}
