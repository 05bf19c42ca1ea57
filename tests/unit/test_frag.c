/* Unit tests: the fragment table (first fragment noted, later fragments find
 * its flow; expiry after the timeout; the oldest datagram evicted when full;
 * unknown datagrams counted). */
#include <string.h>

#include "check.h"
#include "frag.h"

static struct flow_key key(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sp, uint16_t dp)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.addr[0], &src, 4);
	memcpy(k.addr[1], &dst, 4);
	k.port[0] = sp;
	k.port[1] = dp;
	k.proto = proto;
	k.ip_version = 4;
	return k;
}

int main(void)
{
	const uint64_t s = 1000000;
	struct frag_table *t = frag_table_new(4, 30);
	struct flow_key first = key(1, 2, 17, 53, 4000), later = key(1, 2, 17, 0, 0), out;
	uint64_t h = 0;

	CHECK(t != NULL, "table created");
	frag_table_note(t, &first, 77, 1234, 10 * s);
	CHECK(frag_table_lookup(t, &later, 1234, 11 * s, &out, &h) == 0, "later fragment found");
	CHECK(h == 77 && out.port[0] == 53 && out.port[1] == 4000, "with the flow's key and ports");
	CHECK(frag_table_lookup(t, &later, 1234, 12 * s, &out, &h) == 0, "and again for a third");
	CHECK(frag_table_lookup(t, &later, 1235, 12 * s, &out, &h) < 0, "another id: unknown");
	struct flow_key reversed = key(2, 1, 17, 0, 0);
	CHECK(frag_table_lookup(t, &reversed, 1234, 12 * s, &out, &h) < 0,
	      "the other direction is another datagram");
	struct flow_key tcp = key(1, 2, 6, 0, 0);
	CHECK(frag_table_lookup(t, &tcp, 1234, 12 * s, &out, &h) < 0, "another protocol: unknown");
	struct flow_key vlan = later;
	vlan.vlan_count = 1;
	vlan.vlan[0] = 5;
	CHECK(frag_table_lookup(t, &vlan, 1234, 12 * s, &out, &h) < 0, "another VLAN: unknown");

	CHECK(frag_table_lookup(t, &later, 1234, 40 * s, &out, &h) == 0, "still there at 30 s");
	CHECK(frag_table_lookup(t, &later, 1234, 41 * s, &out, &h) < 0, "forgotten after 30 s");

	/* full: the oldest datagram goes */
	for (uint32_t id = 1; id <= 5; id++)
		frag_table_note(t, &first, 77, id, 100 * s + id);
	CHECK(frag_table_stats_get(t)->evicted == 1, "one eviction counted");
	CHECK(frag_table_lookup(t, &later, 1, 101 * s, &out, &h) < 0, "the oldest was evicted");
	CHECK(frag_table_lookup(t, &later, 5, 101 * s, &out, &h) == 0, "the newest is there");
	CHECK(frag_table_stats_get(t)->noted == 6, "six noted");
	CHECK(frag_table_stats_get(t)->matched == 4, "four matched (%llu)",
	      (unsigned long long)frag_table_stats_get(t)->matched);
	CHECK(frag_table_stats_get(t)->unmatched == 6, "six unmatched (%llu)",
	      (unsigned long long)frag_table_stats_get(t)->unmatched);
	frag_table_free(t);
	CHECK(frag_table_new(0, 30) == NULL, "a zero cap is refused");
	return check_done();
}
