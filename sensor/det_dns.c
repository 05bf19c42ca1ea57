/*
 * det_dns — DNS tunnelling and exfiltration (doc/detectors.md "DNS
 * tunnelling"), sid 9131.
 *
 * A DNS tunnel (dnscat2, iodine, dns2tcp, ...) writes its data into the
 * names it asks for, under one domain whose name server it runs, and reads
 * the answers (often TXT, NULL, MX or CNAME).  So, per client and
 * registrable domain (dnsmsg_base_domain: example.com, example.co.jp), over
 * detect.dns.window:
 *
 *   suspicious   queries whose subdomain has a label of at least
 *                detect.dns.label_length characters with an entropy of at
 *                least detect.dns.entropy bits per character (encoded data;
 *                ordinary names are words and short tokens) - at
 *                detect.dns.suspicious_queries of them;
 *   subdomains   distinct subdomains asked for: detect.dns.unique_subdomains;
 *   volume       query and answer bytes: detect.dns.bytes;
 *   txt_answers  answers carrying TXT or NULL records (the tunnels' favourite
 *                downstream): detect.dns.txt_answers.
 *
 * Each raises its own alert (kind), once per client and domain and episode.
 * Every UDP packet from or to port 53 is parsed (dnsmsg.c, bounds-checked);
 * TCP is left out (its messages can span segments).  The client is the
 * sender of a query and the receiver of an answer, so a resolver that
 * forwards a tunnel is reported too, as a client of the tunnel's server.
 */
#include "detect_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"

#define DNS_SID 9131u
#define DNS_CLAUSE "第6(6)"
#define DNS_THREAT "malware"
#define DNS_DOMAIN_MAX 96          /* longer registrable domains are cut in the alert */

enum dns_kind { DNS_SUSPICIOUS, DNS_SUBDOMAINS, DNS_VOLUME, DNS_TXT, DNS_NKINDS };

static const char *const dns_kind_names[DNS_NKINDS] = {
	"suspicious_names", "unique_subdomains", "volume", "txt_answers"
};

struct dns_key {
	struct det_addr client;
	uint64_t domain_hash;
};

struct dns_entry {
	struct dwin suspicious, bytes, txt;
	struct dcount subdomains;
	uint64_t since_us[DNS_NKINDS], alerted_us[DNS_NKINDS];
	uint64_t queries, answers, txt_null;
	bool client_in, server_in;
	uint8_t server[16];
	uint8_t nsample;
	char domain[DNS_DOMAIN_MAX + 1];
	char sample[2][72];             /* first suspicious names, cut */
};

/* What det_dns_packet needs of p, worked out once per packet. */
struct dns_prep {
	bool ok;                        /* a query to 53 or an answer from it, to track */
	struct dnsmsg m;
	struct dns_key k;
	size_t base;                    /* where the registrable domain starts in m.qname */
	const uint8_t *server;
	bool client_in, server_in;
};

struct det_dns {
	struct det_base base;
	struct dtab *domains;
	uint64_t pre_seq;               /* the packet of pre */
	struct dns_prep pre;
};

static const struct det_sig dns_sig = {
	DNS_SID, 2, "DNSトンネリングの疑い", "Possible DNS tunnel", DNS_THREAT, DNS_CLAUSE, "dns_tunnel"
};

static void dns_alert(struct det_dns *s, const struct dns_key *k, struct dns_entry *e,
		      enum dns_kind kind, double value, double threshold, const char *unit)
{
	char client[48], detail[320];
	struct det_alert a;

	det_alert_init(&a, &dns_sig, s->base.now_us);
	det_addr_text(client, sizeof(client), k->client.ipv, k->client.a);
	snprintf(detail, sizeof(detail),
		 "%s: %llu queries under %s in %.0f s (%.0f %s; %llu TXT/NULL answers)",
		 client, (unsigned long long)e->queries, e->domain,
		 (double)(s->base.now_us - e->since_us[kind]) / 1e6, value, unit,
		 (unsigned long long)e->txt_null);
	for (unsigned i = 0; i < e->nsample; i++)
		a.sample[i] = e->sample[i];
	a.nsample = e->nsample;
	a.kind = dns_kind_names[kind];
	a.proto = 17;
	a.ipv = k->client.ipv;
	a.src = k->client.a;
	a.dst = e->server;
	a.direction = detect_direction(e->client_in, e->server_in);
	a.dport = 53;
	a.since_us = e->since_us[kind];
	a.window_s = s->base.cfg->dns_window_s;
	a.value = value;
	a.threshold = threshold;
	a.unit = unit;
	a.count = e->queries;
	a.domain = e->domain;
	a.detail = detail;
	a.key = k;
	a.key_len = sizeof(*k);
	det_base_raise(&s->base, &a);
}

/* Start or restart an episode of kind k; false when it is alerted already. */
static bool dns_episode(struct det_dns *s, struct dns_entry *e, enum dns_kind k)
{
	return det_episode(s->base.d, &e->since_us[k], &e->alerted_us[k], s->base.now_us);
}

/* fresh_sub: a subdomain not seen in the window was just added (the only
 * time the distinct count can reach its threshold). */
static void dns_check(struct det_dns *s, const struct dns_key *k, struct dns_entry *e,
		      bool fresh_sub)
{
	uint64_t win = s->base.cfg->dns_window_s * 1000000u, now = s->base.now_us, n;
	double sub;

	if (!e->alerted_us[DNS_SUSPICIOUS] &&
	    (n = dwin_sum(&e->suspicious, now, win)) >= s->base.cfg->dns_long_queries) {
		e->alerted_us[DNS_SUSPICIOUS] = now;
		dns_alert(s, k, e, DNS_SUSPICIOUS, (double)n, (double)s->base.cfg->dns_long_queries,
			  "queries");
	}
	if (fresh_sub && !e->alerted_us[DNS_SUBDOMAINS] &&
	    (sub = dcount_estimate(&e->subdomains, now, win)) >= (double)s->base.cfg->dns_subdomains) {
		e->alerted_us[DNS_SUBDOMAINS] = now;
		dns_alert(s, k, e, DNS_SUBDOMAINS, (double)(uint64_t)(sub + 0.5),
			  (double)s->base.cfg->dns_subdomains, "subdomains");
	}
	if (!e->alerted_us[DNS_TXT] &&
	    (n = dwin_sum(&e->txt, now, win)) >= s->base.cfg->dns_txt_answers) {
		e->alerted_us[DNS_TXT] = now;
		dns_alert(s, k, e, DNS_TXT, (double)n, (double)s->base.cfg->dns_txt_answers, "answers");
	}
	if (!e->alerted_us[DNS_VOLUME] &&
	    (n = dwin_sum(&e->bytes, now, win)) >= s->base.cfg->dns_bytes) {
		e->alerted_us[DNS_VOLUME] = now;
		dns_alert(s, k, e, DNS_VOLUME, (double)n, (double)s->base.cfg->dns_bytes, "bytes");
	}
}

static const struct dns_prep *dns_prepare(struct det_dns *s, const struct det_pkt *p)
{
	struct dns_prep *r = &s->pre;
	const uint8_t *client;

	if (s->pre_seq == p->seq)
		return r;                   /* done by det_dns_prefetch */
	s->pre_seq = p->seq;
	r->ok = false;
	if (p->proto != 17 || p->fragment || !p->payload || (p->sport != 53 && p->dport != 53))
		return r;
	if (dnsmsg_parse(p->payload, p->payload_len, &r->m) != DNSMSG_OK || r->m.qname_len == 0)
		return r;
	if ((r->m.qr && p->sport != 53) || (!r->m.qr && p->dport != 53))
		return r;                   /* neither a query to 53 nor an answer from it */
	client = r->m.qr ? p->dst : p->src;
	r->server = r->m.qr ? p->src : p->dst;
	r->client_in = r->m.qr ? p->dst_in : p->src_in;
	r->server_in = r->m.qr ? p->src_in : p->dst_in;
	if (det_addr_is_special(p->ipv, client) || det_addr_is_special(p->ipv, r->server))
		return r;                   /* mDNS and the like */
	r->base = dnsmsg_base_domain(r->m.qname, r->m.qname_len);
	memset(&r->k, 0, sizeof(r->k));
	det_addr_set(&r->k.client, p->ipv, client);
	r->k.domain_hash = dsketch_hash(r->m.qname + r->base, r->m.qname_len - r->base,
					0x646f6d61696eULL);
	r->ok = true;
	return r;
}

static void det_dns_prefetch(void *state, const struct det_pkt *p)
{
	struct det_dns *s = state;
	const struct dns_prep *r = dns_prepare(s, p);

	if (r->ok)
		dtab_prefetch(s->domains, &r->k);
}

static void det_dns_packet(void *state, const struct det_pkt *p)
{
	struct det_dns *s = state;
	uint64_t win = s->base.cfg->dns_window_s * 1000000u;
	const struct dns_prep *r = dns_prepare(s, p);
	const struct dnsmsg *mp = &r->m;
	struct dnsmsg_name_score sc;
	struct dns_entry *e;
	struct dns_key k;
	size_t base;
	bool fresh = false, suspicious = false;
	int created;

	if (!r->ok)
		return;
	s->base.now_us = p->ts_us;
	k = r->k;
	base = r->base;
	if (mp->qr) {
		/* answers only add to what their queries began */
		if (!(e = dtab_get(s->domains, &k)))
			return;
		dtab_touch(s->domains, e, p->ts_us);
		e->answers++;
		if (mp->answer_txt || mp->answer_null) {
			e->txt_null++;
			dwin_add(&e->txt, 1, p->ts_us, win);
			dns_episode(s, e, DNS_TXT);
		}
		dwin_add(&e->bytes, p->ip_len, p->ts_us, win);
		dns_episode(s, e, DNS_VOLUME);
		dns_check(s, &k, e, false);
		return;
	}
	e = dtab_put(s->domains, &k, p->ts_us, &created);
	if (created) {
		size_t n = mp->qname_len - base;

		if (n > DNS_DOMAIN_MAX)
			n = DNS_DOMAIN_MAX;
		memcpy(e->domain, mp->qname + base, n);
		e->domain[n] = '\0';
		e->client_in = r->client_in;
		e->server_in = r->server_in;
		memcpy(e->server, r->server, 16);
	}
	e->queries++;
	dwin_add(&e->bytes, p->ip_len, p->ts_us, win);
	for (unsigned kk = 0; kk < DNS_NKINDS; kk++)
		dns_episode(s, e, (enum dns_kind)kk);
	if (base > 0) {
		fresh = dcount_add(&e->subdomains, dsketch_hash(mp->qname, base, 0x737562ULL), p->ts_us,
				   win);
		/* the name's longest label bounds its subdomain's: most names are
		 * not scored at all */
		if (mp->longest_label >= s->base.cfg->dns_label_len) {
			dnsmsg_name_score(mp->qname, mp->qname_len, &sc);
			suspicious = sc.longest_label >= s->base.cfg->dns_label_len &&
				     sc.entropy * 1e6 >= (double)s->base.cfg->dns_entropy_ppm;
		}
		if (suspicious) {
			dwin_add(&e->suspicious, 1, p->ts_us, win);
			if (e->nsample < 2)
				snprintf(e->sample[e->nsample++], sizeof(e->sample[0]), "%.71s", mp->qname);
		}
	}
	dns_check(s, &k, e, fresh);
}

static void det_dns_tick(void *state, uint64_t now_us)
{
	struct det_dns *s = state;
	uint64_t win = s->base.cfg->dns_window_s * 1000000u;

	s->base.now_us = now_us;
	if (now_us > win)
		dtab_expire(s->domains, now_us - win, 0);
}

static void *det_dns_create(struct detect *d, uint64_t mem, char *err, size_t errlen)
{
	struct det_dns *s = det_base_new(sizeof(*s), d);

	if (!s || !(s->domains = det_base_table(&s->base, sizeof(struct dns_key),
						sizeof(struct dns_entry), mem, NULL, NULL))) {
		det_base_destroy(s);
		snprintf(err, errlen, "detectors: out of memory (DNS table)");
		return NULL;
	}
	return s;
}

const struct det_ops det_dns_ops = {
	.name = "dns",
	.create = det_dns_create,
	.destroy = det_base_destroy,
	.prefetch = det_dns_prefetch,
	.packet = det_dns_packet,
	.tick = det_dns_tick,
	.end = NULL,
	.flush = det_base_flush,
	.counters = det_base_counters,
	.mem_weight = 2,
};
