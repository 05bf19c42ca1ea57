/* Unit tests: flow keys and their hashes, the flow table (cap, eviction, idle
 * expiry per class, TCP close and reuse), through the public headers. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "flow.h"
#include "flow_table.h"

struct ended {
	unsigned count;
	unsigned by_reason[FLOW_END_COUNT];
	struct flow_key last_key;
	enum flow_end last_reason;
};

static void on_end(void *ctx, struct flow *f, enum flow_end reason)
{
	struct ended *e = ctx;

	e->count++;
	e->by_reason[reason]++;
	e->last_key = f->key;
	e->last_reason = reason;
	f->dpi_state = NULL;
}

static struct decoded pkt(uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
	struct decoded d;

	memset(&d, 0, sizeof(d));
	d.ip_version = 4;
	d.l4_proto = proto;
	memcpy(d.src, &src, 4);
	memcpy(d.dst, &dst, 4);
	d.sport = sport;
	d.dport = dport;
	return d;
}

static void test_hash_symmetry(void)
{
	unsigned same_shard = 0;

	srand(7);
	for (int i = 0; i < 10000; i++) {
		struct decoded a = pkt((uint8_t)(i % 3 ? 6 : 17), (uint32_t)rand(), (uint16_t)rand(),
				       (uint32_t)rand(), (uint16_t)rand());
		struct decoded b = a;
		struct flow_key ka, kb;

		memcpy(b.src, a.dst, 16);
		memcpy(b.dst, a.src, 16);
		b.sport = a.dport;
		b.dport = a.sport;
		if (i % 5 == 0) {
			a.vlan_count = b.vlan_count = 1;
			a.vlan[0] = b.vlan[0] = (uint16_t)i;
		}
		flow_key_from_decoded(&ka, &a);
		flow_key_from_decoded(&kb, &b);
		if (flow_key_hash(&ka) != flow_key_hash(&kb) ||
		    flow_key_shard_hash(&ka) != flow_key_shard_hash(&kb)) {
			CHECK(0, "hashes differ by direction at i=%d", i);
			return;
		}
		CHECK(flow_key_match(&ka, &kb) == 2, "reverse packet matches as direction 2");
		CHECK(flow_key_match(&ka, &ka) == 1, "same packet matches as direction 1");
		same_shard += (flow_key_shard_hash(&ka) & 1) == 0;
	}
	/* the shard hash spreads: about half land on each of two workers */
	CHECK(same_shard > 4500 && same_shard < 5500, "shard balance %u/10000", same_shard);

	/* ports are part of the flow hash but not of the shard hash; VLAN is in both */
	struct decoded a = pkt(6, 1, 1000, 2, 80), b = pkt(6, 1, 1001, 2, 80);
	struct flow_key ka, kb;
	flow_key_from_decoded(&ka, &a);
	flow_key_from_decoded(&kb, &b);
	CHECK(flow_key_hash(&ka) != flow_key_hash(&kb), "different port, different flow hash");
	CHECK(flow_key_shard_hash(&ka) == flow_key_shard_hash(&kb), "same hosts, same shard");
	CHECK(flow_key_match(&ka, &kb) == 0, "different port does not match");
	b = a;
	b.vlan_count = 1;
	b.vlan[0] = 10;
	flow_key_from_decoded(&kb, &b);
	CHECK(flow_key_match(&ka, &kb) == 0, "different VLAN does not match");
	CHECK(flow_key_shard_hash(&ka) != flow_key_shard_hash(&kb), "VLAN in shard hash");
}

static struct flow *get(struct flow_table *t, struct decoded d, uint64_t now, bool syn, int *dir,
			bool *created)
{
	struct flow_key k;
	struct flow *f;

	flow_key_from_decoded(&k, &d);
	f = flow_table_get(t, &k, flow_key_hash(&k), now, syn, dir, created);
	if (f) {
		f->pkts[*dir]++;
		flow_table_touch(t, f, now);
	}
	return f;
}

static struct flow_table_config cfg_default(uint32_t max)
{
	struct flow_table_config c = { .max_flows = max };

	c.timeout_s[FLOW_TCLASS_TCP] = 300;
	c.timeout_s[FLOW_TCLASS_TCP_CLOSED] = 10;
	c.timeout_s[FLOW_TCLASS_UDP] = 60;
	c.timeout_s[FLOW_TCLASS_ICMP] = 30;
	c.timeout_s[FLOW_TCLASS_OTHER] = 60;
	return c;
}

static void test_bidirectional(void)
{
	struct flow_table_config c = cfg_default(100);
	struct ended e = { 0 };
	struct flow_table *t = flow_table_new(&c, on_end, &e);
	struct flow *f1, *f2;
	int dir;
	bool created;

	f1 = get(t, pkt(17, 1, 5000, 2, 53), 1000000, false, &dir, &created);
	CHECK(f1 && created && dir == 0, "first packet creates, direction 0");
	f2 = get(t, pkt(17, 2, 53, 1, 5000), 1000001, false, &dir, &created);
	CHECK(f2 == f1 && !created && dir == 1, "reply finds the same flow, direction 1");
	CHECK(f1->pkts[0] == 1 && f1->pkts[1] == 1, "counters per direction");
	CHECK(flow_table_stats_get(t)->active == 1, "one active flow");
	flow_table_flush(t, FLOW_END_SHUTDOWN);
	CHECK(e.count == 1 && e.last_reason == FLOW_END_SHUTDOWN, "flush reports it once");
	CHECK(flow_table_stats_get(t)->active == 0, "table empty after flush");
	flow_table_free(t);
}

static void test_cap_and_eviction(void)
{
	struct flow_table_config c = cfg_default(8);
	struct ended e = { 0 };
	struct flow_table *t = flow_table_new(&c, on_end, &e);
	int dir;
	bool created;

	for (uint16_t i = 0; i < 8; i++)
		get(t, pkt(6, 1, (uint16_t)(1000 + i), 2, 80), 1000000u + i, false, &dir, &created);
	/* refresh flow 0 so flow 1 is now the least recently seen */
	get(t, pkt(6, 1, 1000, 2, 80), 2000000, false, &dir, &created);
	CHECK(!created, "existing flow refreshed");
	get(t, pkt(6, 1, 2000, 2, 80), 2000001, false, &dir, &created);
	CHECK(created, "ninth flow created");
	CHECK(flow_table_stats_get(t)->active == 8, "cap holds: %llu active",
	      (unsigned long long)flow_table_stats_get(t)->active);
	CHECK(e.by_reason[FLOW_END_EVICTED] == 1, "one eviction counted");
	CHECK(e.last_key.port[0] == 1001, "the least recently seen flow was evicted (port %u)",
	      e.last_key.port[0]);
	for (uint16_t i = 0; i < 100; i++)
		get(t, pkt(17, 3, (uint16_t)(3000 + i), 4, 53), 3000000u + i, false, &dir, &created);
	CHECK(flow_table_stats_get(t)->active == 8, "cap holds under churn");
	CHECK(flow_table_stats_get(t)->ended[FLOW_END_EVICTED] == 101, "every eviction counted (%llu)",
	      (unsigned long long)flow_table_stats_get(t)->ended[FLOW_END_EVICTED]);
	CHECK(flow_table_stats_get(t)->peak == 8, "peak is the cap");
	flow_table_flush(t, FLOW_END_SHUTDOWN);
	flow_table_free(t);
}

static void test_expiry(void)
{
	struct flow_table_config c = cfg_default(100);
	struct ended e = { 0 };
	struct flow_table *t = flow_table_new(&c, on_end, &e);
	struct flow *f;
	int dir;
	bool created;
	const uint64_t s = 1000000, t0 = 1000 * s;

	get(t, pkt(17, 1, 1, 2, 2), t0, false, &dir, &created);    /* UDP: 60 s */
	get(t, pkt(1, 1, 0, 2, 0), t0, false, &dir, &created);     /* ICMP: 30 s */
	get(t, pkt(6, 1, 3, 2, 4), t0, false, &dir, &created);     /* TCP: 300 s */
	flow_table_expire(t, t0 + 30 * s);
	CHECK(e.count == 0, "nothing expires at exactly the timeout");
	flow_table_expire(t, t0 + 31 * s);
	CHECK(e.count == 1 && e.last_key.proto == 1 && e.last_reason == FLOW_END_TIMEOUT,
	      "ICMP expires after 30 s");
	flow_table_expire(t, t0 + 61 * s);
	CHECK(e.count == 2 && e.last_key.proto == 17, "UDP expires after 60 s");
	flow_table_expire(t, t0 + 299 * s);
	CHECK(e.count == 2, "TCP still there at 299 s");

	/* a packet after the idle timeout starts a new flow; the old one is reported */
	f = get(t, pkt(6, 1, 3, 2, 4), t0 + 400 * s, false, &dir, &created);
	CHECK(f && created && e.count == 3 && e.last_reason == FLOW_END_TIMEOUT,
	      "late packet: old flow reported, new flow created");

	/* RST moves a flow to the closed class (10 s) */
	f->tcp |= FLOW_TCP_RST;
	flow_table_touch(t, f, t0 + 401 * s);
	flow_table_expire(t, t0 + 412 * s);
	CHECK(e.count == 4 && e.last_reason == FLOW_END_RST, "RST flow ends 10 s later as rst");

	/* FIN both ways; then a SYN on the same tuple is a new connection */
	f = get(t, pkt(6, 5, 1000, 6, 80), t0 + 500 * s, true, &dir, &created);
	f->tcp |= FLOW_TCP_FIN0 | FLOW_TCP_FIN1;
	flow_table_touch(t, f, t0 + 501 * s);
	f = get(t, pkt(6, 5, 1000, 6, 80), t0 + 502 * s, true, &dir, &created);
	CHECK(created && e.last_reason == FLOW_END_REUSED, "SYN after FIN/FIN: old flow reported as reused");
	f = get(t, pkt(6, 5, 1000, 6, 80), t0 + 503 * s, false, &dir, &created);
	CHECK(!created, "following packets join the new flow");

	/* time going backwards is clamped, never expires anything early */
	flow_table_expire(t, t0);
	CHECK(flow_table_stats_get(t)->active == 1, "backwards time expires nothing");
	flow_table_flush(t, FLOW_END_SHUTDOWN);
	flow_table_free(t);
}

int main(void)
{
	test_hash_symmetry();
	test_bidirectional();
	test_cap_and_eviction();
	test_expiry();
	return check_done();
}
