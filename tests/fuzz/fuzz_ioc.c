/* Fuzz target: indicator list loading (plain lists and Zeek Intel files) and
 * lookups.  Feeds are third-party downloads: a bad line must give an error,
 * never a crash.
 *
 * Input: the bytes of a list.  A first byte 'Z' is replaced by a Zeek
 * "#fields" header, so the fuzzer reaches data lines without having to
 * spell the header.  Then a few lookups, and the invariant that whatever
 * ioc_set_add accepts as a domain or hash is found again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ioc.h"

#define FUZZ_IOC_CAP 64   /* small, so that the cap is reached too */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_ioc_header[] =
	"#fields\tindicator\tindicator_type\tmeta.source\tmeta.do_notice\tmeta.desc\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t addr[16] = { 0 };
	char text[300], err[512];
	struct ioc_set_stats st;
	struct ioc_set *s;
	char *buf = NULL;
	size_t len = size, n;
	int t;

	s = ioc_set_new("fuzz", FUZZ_IOC_CAP);
	if (s == NULL)
		return 0;
	if (size > 0 && data[0] == 'Z') {
		len = sizeof(fuzz_ioc_header) - 1 + size - 1;
		buf = malloc(len);
		if (buf == NULL)
			goto out;
		memcpy(buf, fuzz_ioc_header, sizeof(fuzz_ioc_header) - 1);
		memcpy(buf + sizeof(fuzz_ioc_header) - 1, data + 1, size - 1);
		ioc_set_load_buffer(s, "fuzz.intel", buf, len, err, sizeof(err));
	} else {
		ioc_set_load_buffer(s, "fuzz.txt", (const char *)data, size, err, sizeof(err));
	}

	/* lookups keyed by the input */
	memcpy(addr, data, size < sizeof(addr) ? size : sizeof(addr));
	ioc_set_match_ip(s, 4, addr);
	ioc_set_match_ip(s, 6, addr);
	n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, n);
	text[n] = '\0';
	ioc_set_match_domain(s, text);
	ioc_set_match_hash(s, IOC_JA3, text);
	ioc_set_match_hash(s, IOC_SHA1, text);

	/* what is accepted is found */
	for (t = 0; t <= IOC_TYPE_COUNT; t++) {
		int rc = ioc_set_add(s, (enum ioc_type)t, text, t, NULL, NULL, NULL, 0, err, sizeof(err));

		if (rc < 0)
			continue;
		if (t == IOC_DOMAIN && ioc_set_match_domain(s, text) == NULL)
			abort();
		if ((t == IOC_JA3 || t == IOC_SHA1) && ioc_set_match_hash(s, (enum ioc_type)t, text) == NULL)
			abort();
	}
	ioc_set_stats_get(s, &st);
	if (st.entries[0] + st.entries[1] + st.entries[2] + st.entries[3] > FUZZ_IOC_CAP)
		abort();
out:
	free(buf);
	ioc_set_free(s);
	return 0;
}
