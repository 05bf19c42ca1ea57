/* Unit tests: record time formatting against libc's gmtime_r for a million
 * random instants over years 1970-9999, and the EVE protocol names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "record.h"

static void libc_time(char buf[64], size_t len, uint64_t us)
{
	time_t s = (time_t)(us / 1000000u);
	struct tm tm;
	char base[24];

	gmtime_r(&s, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06u+0000", base, (unsigned)(us % 1000000u));
}

int main(void)
{
	static const uint64_t fixed[] = {
		0, 951782400000123ULL /* 2000-02-29 */, 4102444799999999ULL,
		1582934400000000ULL /* 2020-02-29 */, 946684799000001ULL, 253402300799999999ULL,
	};
	char a[40], b[64], buf[8];
	unsigned bad = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		record_time(a, sizeof(a), fixed[i]);
		libc_time(b, sizeof(b), fixed[i]);
		CHECK(!strcmp(a, b), "%s vs libc %s", a, b);
	}
	srand(11);
	for (int i = 0; i < 1000000; i++) {
		uint64_t s = (((uint64_t)rand() << 31) ^ (uint64_t)rand()) % 253402300800ULL;
		uint64_t us = s * 1000000u + (uint64_t)rand() % 1000000u;

		record_time(a, sizeof(a), us);
		libc_time(b, sizeof(b), us);
		if (strcmp(a, b) && bad++ < 5)
			printf("differs: %s vs libc %s\n", a, b);
	}
	CHECK(bad == 0, "%u of a million random times differ from libc", bad);
	record_time(a, 10, 0);
	CHECK(strlen(a) == 9, "short buffer truncates safely");

	CHECK(!strcmp(record_proto_name(6, buf, sizeof(buf)), "TCP"), "TCP");
	CHECK(!strcmp(record_proto_name(58, buf, sizeof(buf)), "IPv6-ICMP"), "ICMPv6 as EVE");
	CHECK(!strcmp(record_proto_name(253, buf, sizeof(buf)), "253"), "unnamed protocol as number");
	return check_done();
}
