/* record — see record.h. */
#include "record.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* Civil date from days since 1970-01-01 (proleptic Gregorian; the
 * era-based method of H. Hinnant's "chrono-compatible low-level date
 * algorithms").  Formatting by hand: this runs three times per record. */
static void record_civil(int64_t days, int *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static char *record_put_num(char *p, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

void record_time(char *buf, size_t len, uint64_t us)
{
	uint64_t secs = us / 1000000u;
	unsigned sod = (unsigned)(secs % 86400u), m, d;
	int y;
	char tmp[40], *p = tmp;

	record_civil((int64_t)(secs / 86400u), &y, &m, &d);
	if (y < 0 || y > 9999)
		y = 0;
	p = record_put_num(p, (unsigned)y, 4);
	*p++ = '-';
	p = record_put_num(p, m, 2);
	*p++ = '-';
	p = record_put_num(p, d, 2);
	*p++ = 'T';
	p = record_put_num(p, sod / 3600, 2);
	*p++ = ':';
	p = record_put_num(p, sod / 60 % 60, 2);
	*p++ = ':';
	p = record_put_num(p, sod % 60, 2);
	*p++ = '.';
	p = record_put_num(p, (unsigned)(us % 1000000u), 6);
	memcpy(p, "+0000", 6);
	snprintf(buf, len, "%s", tmp);
}

const char *record_proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 1:   return "ICMP";
	case 2:   return "IGMP";
	case 6:   return "TCP";
	case 17:  return "UDP";
	case 47:  return "GRE";
	case 50:  return "ESP";
	case 51:  return "AH";
	case 58:  return "IPv6-ICMP";
	case 89:  return "OSPF";
	case 103: return "PIM";
	case 112: return "VRRP";
	case 132: return "SCTP";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

void record_addr(char *buf, size_t len, int ip_version, const uint8_t *addr)
{
	if (!inet_ntop(ip_version == 6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static int record_has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132;
}

void record_ndpi_names(struct jsonw *w, struct classify *c, const struct flow_dpi *d)
{
	jsonw_key(w, "ndpi");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "master", classify_proto_name(c, d->master));
	jsonw_kv_str(w, "app", classify_proto_name(c, d->app));
	jsonw_kv_str(w, "category", classify_category_name(c, d->category));
	jsonw_kv_str(w, "breed", classify_breed_name(c, d));
	jsonw_kv_str(w, "confidence", classify_confidence_name(d->confidence));
}

static void record_ndpi(struct jsonw *w, struct classify *c, const struct flow_dpi *d)
{
	char buf[64];
	const char *tls;

	record_ndpi_names(w, c, d);
	jsonw_key(w, "risks");
	jsonw_arr_begin(w);
	for (unsigned bit = 1; bit < 64; bit++) {
		const char *name;
		if (!(d->risk & (1ULL << bit)) || !(name = classify_risk_name(bit)))
			continue;
		jsonw_str(w, name);
	}
	jsonw_arr_end(w);
	jsonw_kv_u64(w, "risk_score", d->risk_score);
	if (d->hostname)
		jsonw_kv_str(w, "hostname", d->hostname);
	if (d->tls) {
		if (d->tls->ja3c[0])
			jsonw_kv_str(w, "ja3c", d->tls->ja3c);
		if (d->tls->ja3s[0])
			jsonw_kv_str(w, "ja3s", d->tls->ja3s);
		tls = classify_tls_version_name(d->tls->version, buf, sizeof(buf));
		if (tls)
			jsonw_kv_str(w, "tls_version", tls);
	}
	jsonw_obj_end(w);
}

void record_flow_counts(struct jsonw *w, const struct flow *f)
{
	char ts[40];

	jsonw_kv_u64(w, "pkts_toserver", f->pkts[0]);
	jsonw_kv_u64(w, "pkts_toclient", f->pkts[1]);
	jsonw_kv_u64(w, "bytes_toserver", f->bytes[0]);
	jsonw_kv_u64(w, "bytes_toclient", f->bytes[1]);
	record_time(ts, sizeof(ts), f->first_us);
	jsonw_kv_str(w, "start", ts);
}

static void record_counters(struct jsonw *w, const struct flow *f, enum flow_end reason)
{
	char ts[40];

	jsonw_key(w, "flow");
	jsonw_obj_begin(w);
	record_flow_counts(w, f);
	record_time(ts, sizeof(ts), f->last_us);
	jsonw_kv_str(w, "end", ts);
	jsonw_kv_u64(w, "age", (f->last_us - f->first_us) / 1000000u);
	jsonw_kv_str(w, "reason", flow_end_name(reason));
	jsonw_kv_str(w, "state", reason == FLOW_END_ACTIVE ? "active" : "closed");
	jsonw_obj_end(w);
}

void record_tuple(struct jsonw *w, const struct flow *f)
{
	char buf[16], addr[INET6_ADDRSTRLEN];
	int ports = record_has_ports(f->key.proto);

	jsonw_kv_str(w, "proto", record_proto_name(f->key.proto, buf, sizeof(buf)));
	record_addr(addr, sizeof(addr), f->key.ip_version, f->key.addr[0]);
	jsonw_kv_str(w, "src_ip", addr);
	if (ports)
		jsonw_kv_u64(w, "src_port", f->key.port[0]);
	record_addr(addr, sizeof(addr), f->key.ip_version, f->key.addr[1]);
	jsonw_kv_str(w, "dest_ip", addr);
	if (ports)
		jsonw_kv_u64(w, "dest_port", f->key.port[1]);
}

void record_zone(struct jsonw *w, const char *key, const struct zones *z, int idx)
{
	jsonw_key(w, key);
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "key", zones_key(z, idx));
	jsonw_kv_str(w, "name", zones_name(z, idx));
	jsonw_obj_end(w);
}

void record_geo(struct jsonw *w, const char *key, const struct geo_info *g)
{
	jsonw_key(w, key);
	jsonw_obj_begin(w);
	if (g->country[0])
		jsonw_kv_str(w, "country", g->country);
	if (g->asn)
		jsonw_kv_u64(w, "asn", g->asn);
	if (g->org[0])
		jsonw_kv_str(w, "org", g->org);
	jsonw_obj_end(w);
}

static void record_enrichment(struct jsonw *w, const struct record_enrich *en)
{
	if (!en)
		return;
	if (en->zones) {
		record_zone(w, "src_zone", en->zones, en->zone[0]);
		record_zone(w, "dest_zone", en->zones, en->zone[1]);
	}
	if (!en->has_geo)
		return;
	jsonw_key(w, "geo");
	jsonw_obj_begin(w);
	record_geo(w, "src", en->geo[0]);
	record_geo(w, "dest", en->geo[1]);
	jsonw_obj_end(w);
}

int record_flow(struct jsonw *w, struct classify *c, const char *sensor_id,
		const struct flow *f, enum flow_end reason, const struct record_enrich *en)
{
	size_t mark = w->len;
	char buf[64], addr[INET6_ADDRSTRLEN];

	jsonw_obj_begin(w);
	record_time(buf, sizeof(buf), f->last_us);
	jsonw_kv_str(w, "timestamp", buf);
	jsonw_kv_u64(w, "flow_id", f->flow_id);
	jsonw_kv_str(w, "event_type", "flow");
	if (sensor_id)
		jsonw_kv_str(w, "sensor", sensor_id);
	if (en->in_iface)
		jsonw_kv_str(w, "in_iface", en->in_iface);
	record_tuple(w, f);
	if (f->key.proto == 1 || f->key.proto == 58) {
		jsonw_kv_u64(w, "icmp_type", f->icmp_type);
		jsonw_kv_u64(w, "icmp_code", f->icmp_code);
	}
	if (f->key.vlan_count) {
		jsonw_key(w, "vlan");
		jsonw_arr_begin(w);
		for (unsigned i = 0; i < f->key.vlan_count; i++)
			jsonw_u64(w, f->key.vlan[i]);
		jsonw_arr_end(w);
	}
	if (f->tunnel) {
		jsonw_key(w, "tunnel");
		jsonw_obj_begin(w);
		jsonw_kv_str(w, "type", decode_tunnel_name(f->tunnel->type));
		record_addr(addr, sizeof(addr), f->tunnel->ip_version, f->tunnel->src);
		jsonw_kv_str(w, "src_ip", addr);
		record_addr(addr, sizeof(addr), f->tunnel->ip_version, f->tunnel->dst);
		jsonw_kv_str(w, "dest_ip", addr);
		jsonw_kv_u64(w, "depth", f->tunnel->depth);
		jsonw_obj_end(w);
	}
	classify_app_proto(c, &f->dpi, buf, sizeof(buf));
	jsonw_kv_str(w, "app_proto", buf);
	record_enrichment(w, en);
	record_ndpi(w, c, &f->dpi);
	record_counters(w, f, reason);
	jsonw_obj_end(w);
	jsonw_raw(w, "\n", 1);
	if (!jsonw_ok(w)) {
		jsonw_truncate(w, mark);
		return -1;
	}
	return 0;
}
