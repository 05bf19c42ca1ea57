/*
 * detect — see detect.h.  The detectors are det_*.c; this file feeds them,
 * shares the memory cap out, formats their alerts and adds up counters.
 */
#include "detect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "detect_impl.h"
#include "jsonw.h"
#include "record.h"

#define DETECT_ALERT_CAP (16u * 1024)     /* one alert larger than this is dropped */
#define DETECT_GEO_CACHE 1024u
/* How far behind its clock the stage promises alertq: an unanswered scan
 * attempt is stamped when its time ran out, found by a tick up to the
 * table's second of slack and a tick (plus a retransmission's second of
 * LRU slack) after that. */
#define DETECT_LAG_US 3000000u

static const struct det_ops *const detect_all[] = {
	&det_scan_ops, &det_flood_ops, &det_beacon_ops, &det_dns_ops,
	&det_transfer_ops, &det_brute_ops, &det_firstseen_ops,
};
#define DETECT_NDET (sizeof(detect_all) / sizeof(detect_all[0]))

struct detect {
	struct detect_config cfg;
	char *sensor_id;
	const char *iface;               /* the packet's in detect_packet, else NULL */
	struct alertq *alerts;
	unsigned producer;
	uint32_t epoch;
	uint64_t now_us;
	uint64_t promised_us;            /* told alertq: nothing earlier will come (this epoch) */
	const struct zones *zones;       /* of the packet being handled */
	struct geo_cache *geo;
	bool has_geo;
	void *state[DETECT_NDET];        /* NULL: that detector is off */
	struct jsonw buf;
	uint64_t packets, alerts_dropped;
};

void detect_config_defaults(struct detect_config *c)
{
	memset(c, 0, sizeof(*c));
	c->enabled = 1;
	c->memory = 16u << 20;
	c->realert_s = 3600;

	c->scan_on = 1;
	c->scan_window_s = 60;
	c->scan_ports = 20;
	c->scan_hosts = 20;
	c->scan_protocols = 10;
	c->scan_timeout_s = 5;

	c->flood_on = 1;
	c->flood_window_s = 10;
	c->flood_syn_rate = 500;
	c->flood_udp_rate = 20000;
	c->flood_icmp_rate = 1000;
	c->amp_ratio = 10;
	c->amp_bytes = 10u << 20;
	c->amp_legacy_bytes = 512;
	c->amp_window_s = 60;

	c->beacon_on = 1;
	c->beacon_connections = 12;
	c->beacon_min_period_s = 10;
	c->beacon_max_period_s = 3600;
	c->beacon_jitter_ppm = 100000;      /* 10 % */

	c->dns_on = 1;
	c->dns_window_s = 300;
	c->dns_long_queries = 8;
	c->dns_label_len = 28;
	c->dns_entropy_ppm = 3300000;       /* 3.3 bits per character */
	c->dns_subdomains = 300;
	c->dns_bytes = 4u << 20;
	c->dns_txt_answers = 50;

	c->xfer_on = 1;
	c->xfer_window_s = 3600;
	c->xfer_pair_bytes = UINT64_C(1) << 30;
	c->xfer_host_bytes = UINT64_C(4) << 30;

	c->brute_on = 1;
	c->brute_window_s = 60;
	c->brute_connections = 20;

	c->first_on = 0;
	c->first_learning_s = 7u * 86400u;
}

static bool detect_is_on(const struct detect_config *c, const struct det_ops *ops)
{
	if (ops == &det_scan_ops)
		return c->scan_on;
	if (ops == &det_flood_ops)
		return c->flood_on;
	if (ops == &det_beacon_ops)
		return c->beacon_on;
	if (ops == &det_dns_ops)
		return c->dns_on;
	if (ops == &det_transfer_ops)
		return c->xfer_on;
	if (ops == &det_brute_ops)
		return c->brute_on;
	return c->first_on;
}

struct detect *detect_new(const struct detect_config *cfg, const char *sensor_id,
			  struct alertq *alerts, unsigned producer, const struct geo_db *geo,
			  char *err, size_t errlen)
{
	struct detect *d = calloc(1, sizeof(*d));
	unsigned weights = 0;

	if (!d || !(d->sensor_id = strdup(sensor_id))) {
		snprintf(err, errlen, "out of memory");
		free(d);
		return NULL;
	}
	d->cfg = *cfg;
	d->alerts = alerts;
	d->producer = producer;
	jsonw_init(&d->buf, DETECT_ALERT_CAP);
	if (geo && (geo_db_has_country(geo) || geo_db_has_asn(geo))) {
		d->geo = geo_cache_new(geo, DETECT_GEO_CACHE);
		d->has_geo = d->geo != NULL;
	}
	if (!d->geo)
		d->geo = geo_cache_new(NULL, 16);
	if (!d->geo) {
		snprintf(err, errlen, "out of memory");
		detect_free(d);
		return NULL;
	}
	for (unsigned i = 0; i < DETECT_NDET; i++)
		if (detect_is_on(cfg, detect_all[i]))
			weights += detect_all[i]->mem_weight;
	for (unsigned i = 0; i < DETECT_NDET && weights; i++) {
		const struct det_ops *ops = detect_all[i];

		if (!detect_is_on(cfg, ops))
			continue;
		d->state[i] = ops->create(d, cfg->memory / weights * ops->mem_weight, err, errlen);
		if (!d->state[i]) {
			detect_free(d);
			return NULL;
		}
	}
	return d;
}

void detect_free(struct detect *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < DETECT_NDET; i++)
		if (d->state[i])
			detect_all[i]->destroy(d->state[i]);
	geo_cache_free(d->geo);
	jsonw_fini(&d->buf);
	free(d->sensor_id);
	free(d);
}

const struct detect_config *detect_cfg(const struct detect *d)
{
	return &d->cfg;
}

/* ---- helpers for the detectors ---------------------------------------- */

void det_addr_set(struct det_addr *k, uint8_t ipv, const uint8_t *a)
{
	memset(k, 0, sizeof(*k));
	k->ipv = ipv;
	memcpy(k->a, a, ipv == 4 ? 4 : 16);
}

void det_addr_text(char *buf, size_t len, uint8_t ipv, const uint8_t *a)
{
	record_addr(buf, len, ipv, a);
}

bool det_addr_is_special(uint8_t ipv, const uint8_t *a)
{
	static const uint8_t zero[16];

	if (ipv == 4)
		return a[0] >= 224 || (a[0] == 0) ||
		       (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255);
	return a[0] == 0xff || memcmp(a, zero, 16) == 0;
}

static bool detect_is_private(uint8_t ipv, const uint8_t *a)
{
	if (ipv == 4)
		return a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		       (a[0] == 192 && a[1] == 168) || a[0] == 127 ||
		       (a[0] == 169 && a[1] == 254);
	return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
	       (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0);
}

const char *detect_direction(bool src_in, bool dst_in)
{
	if (src_in && dst_in)
		return "internal";
	if (src_in)
		return "outbound";
	if (dst_in)
		return "inbound";
	return "external";
}

const struct geo_info *detect_geo(struct detect *d, uint8_t ipv, const uint8_t *addr)
{
	return geo_lookup(d->geo, ipv, addr);
}

bool detect_has_geo(const struct detect *d)
{
	return d->has_geo;
}

void det_counters_add_stats(struct det_counters *out, const struct dtab_stats *s)
{
	out->tab.entries += s->entries;
	out->tab.max_entries += s->max_entries;
	out->tab.inserted += s->inserted;
	out->tab.evicted += s->evicted;
	out->tab.expired += s->expired;
	out->tab.bytes += s->bytes;
}

void det_counters_add(struct det_counters *out, const struct dtab *t)
{
	struct dtab_stats s;

	dtab_stats_get(t, &s);
	det_counters_add_stats(out, &s);
}

void *det_base_new(size_t size, struct detect *d)
{
	struct det_base *b = calloc(1, size);

	if (b) {
		b->d = d;
		b->cfg = &d->cfg;
	}
	return b;
}

struct dtab *det_base_table(struct det_base *b, size_t key_size, size_t val_size,
			    uint64_t bytes, dtab_leave_fn leave, void *ctx)
{
	struct dtab *t;

	if (b->ntab == DET_MAX_TABLES)
		return NULL;
	t = dtab_new(key_size, val_size, dtab_entries_for(key_size, val_size, bytes), leave, ctx);
	if (t)
		b->tab[b->ntab++] = t;
	return t;
}

void det_base_raise(struct det_base *b, const struct det_alert *a)
{
	if (detect_emit(b->d, a) == 0)
		b->alerts++;
}

void det_base_destroy(void *s)
{
	struct det_base *b = s;

	if (!b)
		return;
	for (unsigned i = 0; i < b->ntab; i++)
		dtab_free(b->tab[i]);
	free(b);
}

void det_base_flush(void *s)
{
	struct det_base *b = s;

	for (unsigned i = 0; i < b->ntab; i++)
		dtab_clear(b->tab[i]);
	b->now_us = 0;
}

void det_base_counters(void *s, struct det_counters *out)
{
	struct det_base *b = s;

	out->alerts = b->alerts;
	for (unsigned i = 0; i < b->ntab; i++)
		det_counters_add(out, b->tab[i]);
}

void det_alert_init(struct det_alert *a, const struct det_sig *sig, uint64_t ts_us)
{
	memset(a, 0, sizeof(*a));
	a->sid = sig->sid;
	a->severity = sig->severity;
	a->msg = sig->msg;
	a->msg_en = sig->msg_en;
	a->threat = sig->threat;
	a->clause = sig->clause;
	a->detector = sig->detector;
	a->dport = -1;
	a->period_s = a->jitter = -1;
	a->ts_us = ts_us;
}

bool det_episode(const struct detect *d, uint64_t *since_us, uint64_t *alerted_us,
		 uint64_t at_us)
{
	if (*alerted_us && at_us >= *alerted_us + d->cfg.realert_s * 1000000u)
		*alerted_us = 0, *since_us = 0;
	if (!*since_us || at_us < *since_us)
		*since_us = at_us;
	return *alerted_us == 0;
}

/* ---- alerts --------------------------------------------------------------- */

/* "src_zone"/"dest_zone" of an address, looked up now (zone indexes kept
 * in state could belong to zones replaced by a reload). */
static void detect_zone(struct detect *d, const char *key, uint8_t ipv, const uint8_t *addr)
{
	struct jsonw *w = &d->buf;

	if (!addr)
		return;
	if (d->zones) {
		record_zone(w, key, d->zones, zones_lookup(d->zones, ipv, addr));
		return;
	}
	jsonw_key(w, key);
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "key", "external");
	jsonw_kv_str(w, "name", "external");
	jsonw_obj_end(w);
}

static void detect_geo_end(struct detect *d, const char *key, uint8_t ipv, const uint8_t *addr)
{
	static const struct geo_info none;
	struct geo_info g = addr ? *detect_geo(d, ipv, addr) : none;

	record_geo(&d->buf, key, &g);
}

static void detect_format(struct detect *d, const struct det_alert *a, const char *id)
{
	struct jsonw *w = &d->buf;
	char buf[64];

	jsonw_obj_begin(w);
	record_time(buf, sizeof(buf), a->ts_us);
	jsonw_kv_str(w, "timestamp", buf);
	jsonw_kv_str(w, "event_type", "behaviour");
	jsonw_kv_u64(w, "schema_version", ALERT_SCHEMA_VERSION);
	jsonw_kv_str(w, "sensor", d->sensor_id);
	jsonw_kv_str(w, "alert_id", id);
	if (d->iface)
		jsonw_kv_str(w, "in_iface", d->iface);
	if (a->proto)
		jsonw_kv_str(w, "proto", record_proto_name(a->proto, buf, sizeof(buf)));
	if (a->src) {
		record_addr(buf, sizeof(buf), a->ipv, a->src);
		jsonw_kv_str(w, "src_ip", buf);
	}
	if (a->dst) {
		record_addr(buf, sizeof(buf), a->ipv, a->dst);
		jsonw_kv_str(w, "dest_ip", buf);
	}
	if (a->dport >= 0)
		jsonw_kv_u64(w, "dest_port", (uint64_t)a->dport);

	alert_format_sig(w, &(struct alert_sig){ .sid = a->sid, .rev = 1, .msg = a->msg,
						 .msg_en = a->msg_en, .severity = a->severity,
						 .threat = a->threat, .clause = a->clause });

	detect_zone(d, "src_zone", a->ipv, a->src);
	detect_zone(d, "dest_zone", a->ipv, a->dst);
	jsonw_key(w, "geo");
	jsonw_obj_begin(w);
	detect_geo_end(d, "src", a->ipv, a->src);
	detect_geo_end(d, "dest", a->ipv, a->dst);
	jsonw_obj_end(w);

	jsonw_key(w, "behaviour");
	jsonw_obj_begin(w);
	jsonw_kv_str(w, "detector", a->detector);
	jsonw_kv_str(w, "kind", a->kind);
	jsonw_kv_str(w, "direction", a->direction);
	record_time(buf, sizeof(buf), a->since_us);
	jsonw_kv_str(w, "since", buf);
	jsonw_kv_u64(w, "window", a->window_s);
	jsonw_key(w, "value");
	jsonw_double(w, a->value);
	jsonw_key(w, "threshold");
	jsonw_double(w, a->threshold);
	jsonw_kv_str(w, "unit", a->unit);
	jsonw_kv_u64(w, "count", a->count);
	if (a->domain)
		jsonw_kv_str(w, "domain", a->domain);
	if (a->period_s >= 0) {
		jsonw_key(w, "period");
		jsonw_double(w, a->period_s);
	}
	if (a->jitter >= 0) {
		jsonw_key(w, "jitter");
		jsonw_double(w, a->jitter);
	}
	if (a->country)
		jsonw_kv_str(w, "country", a->country);
	if (a->asn)
		jsonw_kv_u64(w, "asn", a->asn);
	if (a->nsample) {
		jsonw_key(w, "sample");
		jsonw_arr_begin(w);
		for (unsigned i = 0; i < a->nsample && i < DET_SAMPLE_MAX; i++)
			jsonw_str(w, a->sample[i]);
		jsonw_arr_end(w);
	}
	jsonw_kv_str(w, "detail", a->detail);
	jsonw_obj_end(w);
	jsonw_obj_end(w);
}

int detect_emit(struct detect *d, const struct det_alert *a)
{
	struct alertq_item it;
	struct det_alert late;
	unsigned char idkey[DTAB_KEY_MAX + 16];
	size_t n = a->key_len < DTAB_KEY_MAX ? a->key_len : DTAB_KEY_MAX;

	if (!d->alerts)
		return 0;
	if (a->ts_us < d->promised_us) {
		/* never before what alertq was promised: the order holds */
		late = *a;
		late.ts_us = d->promised_us;
		a = &late;
	}
	memset(&it, 0, sizeof(it));
	/* the same episode of the same key gives the same id, so a re-sent
	 * alert is recognised; the sid keeps detectors apart */
	memcpy(idkey, a->key, n);
	memcpy(idkey + n, &a->since_us, 8);
	/* and the kind: one key's episode can raise several kinds at once */
	alert_id(it.id, d->sensor_id,
		 dsketch_hash(idkey, n + 8, dsketch_hash(a->kind, strlen(a->kind), 0x6265686176ULL)),
		 a->sid);
	jsonw_reset(&d->buf);
	detect_format(d, a, it.id);
	if (!jsonw_ok(&d->buf) || !(it.json = malloc(d->buf.len))) {
		d->alerts_dropped++;
		return -1;
	}
	/* alertq appends its fields where the closing brace was */
	memcpy(it.json, d->buf.buf, d->buf.len);
	it.len = d->buf.len - 1;
	it.epoch = d->epoch;
	it.ts_us = a->ts_us;
	it.sid = a->sid;
	it.severity = a->severity;
	it.ip_version = a->ipv;
	if (a->src)
		memcpy(it.src, a->src, 16);
	if (a->dst)
		memcpy(it.dst, a->dst, 16);
	alertq_push(d->alerts, d->producer, &it);
	return 0;
}

/* ---- packets ------------------------------------------------------------ */

void detect_packet(struct detect *d, const struct detect_pkt *in, const struct zones *zones)
{
	const struct decoded *dec = in->d;
	struct det_pkt p;

	d->zones = zones;
	d->iface = in->iface;
	d->packets++;
	memset(&p, 0, sizeof(p));
	p.ts_us = in->ts_us;
	p.ipv = dec->ip_version;
	p.proto = dec->l4_proto;
	p.src = dec->src;
	p.dst = dec->dst;
	p.fragment = in->fragment;
	p.ip_len = dec->ip_total_len;
	if (!in->fragment) {
		p.sport = dec->sport;
		p.dport = dec->dport;
		p.flags = dec->tcp_flags;
		p.flags_seen = dec->tcp_flags_seen;
		p.icmp_type = dec->icmp_type;
		p.icmp_code = dec->icmp_code;
		if (dec->payload_len) {
			p.payload = in->frame + dec->payload_offset;
			p.payload_len = dec->payload_len;
		}
		if ((p.proto != 6 || p.flags_seen) &&
		    dec->ip_total_len > dec->payload_offset - dec->ip_offset)
			p.claimed_len = dec->ip_total_len - (dec->payload_offset - dec->ip_offset);
	}
	p.seq = d->packets;
	/* inside the site: in a configured zone or, when no zone has networks,
	 * a private address (RFC 1918, RFC 4193, loopback, link-local) */
	if (zones && zones_has_networks(zones)) {
		p.src_in = zones_lookup(zones, p.ipv, p.src) != ZONES_EXTERNAL;
		p.dst_in = zones_lookup(zones, p.ipv, p.dst) != ZONES_EXTERNAL;
	} else {
		p.src_in = detect_is_private(p.ipv, p.src);
		p.dst_in = detect_is_private(p.ipv, p.dst);
	}
	/* packet time never goes back here: with several capture threads
	 * their packets come in slightly out of order */
	if (p.ts_us > d->now_us)
		d->now_us = p.ts_us;
	else
		p.ts_us = d->now_us;
	for (unsigned i = 0; i < DETECT_NDET; i++)
		if (d->state[i] && detect_all[i]->prefetch)
			detect_all[i]->prefetch(d->state[i], &p);
	for (unsigned i = 0; i < DETECT_NDET; i++)
		if (d->state[i])
			detect_all[i]->packet(d->state[i], &p);
}

void detect_tick(struct detect *d, uint64_t now_us, const struct zones *zones)
{
	d->zones = zones;
	d->iface = NULL;
	if (now_us > d->now_us)
		d->now_us = now_us;
	for (unsigned i = 0; i < DETECT_NDET; i++)
		if (d->state[i])
			detect_all[i]->tick(d->state[i], d->now_us);
	/* alerts are stamped with the packet that completed them, or, for an
	 * unanswered scan attempt, when its time ran out (DETECT_LAG_US) */
	if (d->alerts && d->now_us > DETECT_LAG_US && d->now_us - DETECT_LAG_US > d->promised_us) {
		d->promised_us = d->now_us - DETECT_LAG_US;
		alertq_advance(d->alerts, d->producer, d->epoch, d->promised_us);
	}
}

static void detect_end(struct detect *d)
{
	for (unsigned i = 0; i < DETECT_NDET; i++)
		if (d->state[i] && detect_all[i]->end)
			detect_all[i]->end(d->state[i], d->now_us);
}

void detect_flush(struct detect *d, const struct zones *zones)
{
	d->zones = zones;
	d->iface = NULL;
	detect_end(d);
	for (unsigned i = 0; i < DETECT_NDET; i++)
		if (d->state[i])
			detect_all[i]->flush(d->state[i]);
	d->epoch++;
	d->now_us = 0;
	d->promised_us = 0;
	if (d->alerts)
		alertq_advance(d->alerts, d->producer, d->epoch, 0);
}

void detect_close(struct detect *d, const struct zones *zones, bool decide)
{
	d->zones = zones;
	d->iface = NULL;
	if (decide)
		detect_end(d);
	if (d->alerts)
		alertq_close(d->alerts, d->producer);
}

/* ---- statistics ------------------------------------------------------------ */

void detect_stats_get(const struct detect *d, struct detect_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->packets = d->packets;
	out->alerts_dropped = d->alerts_dropped;
	for (unsigned i = 0; i < DETECT_NDET; i++) {
		struct det_counters c;

		if (!d->state[i])
			continue;
		memset(&c, 0, sizeof(c));
		detect_all[i]->counters(d->state[i], &c);
		out->alerts += c.alerts;
		out->entries += c.tab.entries;
		out->evicted += c.tab.evicted;
		out->expired += c.tab.expired;
		out->memory += c.tab.bytes;
	}
}

void detect_stats_json(const struct detect *d, struct jsonw *w)
{
	for (unsigned i = 0; i < DETECT_NDET; i++) {
		struct det_counters c;

		if (!d->state[i])
			continue;
		memset(&c, 0, sizeof(c));
		detect_all[i]->counters(d->state[i], &c);
		jsonw_key(w, detect_all[i]->name);
		jsonw_obj_begin(w);
		jsonw_kv_u64(w, "alerts", c.alerts);
		jsonw_kv_u64(w, "entries", c.tab.entries);
		jsonw_kv_u64(w, "max_entries", c.tab.max_entries);
		jsonw_kv_u64(w, "evicted", c.tab.evicted);
		jsonw_kv_u64(w, "expired", c.tab.expired);
		jsonw_kv_u64(w, "memory", c.tab.bytes);
		jsonw_obj_end(w);
	}
}
