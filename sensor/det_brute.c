/*
 * det_brute — password guessing against login services (doc/detectors.md
 * "Brute force"), sid 9151.
 *
 * Most guessing tools open one connection per attempt, or per few
 * attempts, because the service drops the connection after some failures
 * (OpenSSH after MaxAuthTries, an FTP server after each "530 Login
 * incorrect" when the client quits).  A person logs in once and keeps the
 * session.  So the signal is many connection starts from one source to one
 * login service of one host within detect.brute_force.window; the payload
 * is encrypted for most of these services and not needed.
 *
 * A start is a TCP SYN without ACK to one of the ports below.  The last
 * BRUTE_RING starts of each (source, target, port) are remembered by
 * source port, so that a retransmitted SYN (same source port within
 * BRUTE_SHORT_US, connection not yet closed) is not counted twice.  The
 * same ring also notes whether the target answered (SYN+ACK) and whether
 * the client closed the connection (FIN or RST) within BRUTE_SHORT_US of
 * its SYN: failed logins make short connections, and a source whose
 * connections are never answered is probing or flooding, not guessing.
 * These two counts only go into the alert's detail; they are lower bounds
 * when more than BRUTE_RING connections are open at once.
 *
 * The starts are summed in a dwin over the window; at
 * detect.brute_force.connections the alert is raised, and the same key
 * raises again at most every detect.realert.  Entries idle for a window
 * expire (so a source that pauses longer than that starts a new episode,
 * as in det_scan).
 */
#include "detect_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BRUTE_SID 9151u
#define BRUTE_RING 16             /* about a second of a fast guesser's connections */
#define BRUTE_SHORT_US (30u * 1000000u)

#define BRUTE_ANSWERED 0x01
#define BRUTE_CLOSED   0x02

struct brute_key {                 /* 36 bytes, no padding */
	uint8_t ipv, proto;
	uint16_t dport;
	uint8_t src[16], dst[16];
};

struct brute_conn {
	uint16_t sport;
	uint8_t flags;                  /* BRUTE_ANSWERED, BRUTE_CLOSED */
	uint8_t used;
	uint32_t syn_ms;                /* packet time in ms, modulo 2^32 */
};

struct brute_entry {
	struct dwin starts;
	uint64_t since_us, alerted_us;
	uint64_t count;                 /* starts in this episode */
	uint32_t answered, shorts;      /* of them, seen in the ring */
	struct brute_conn conn[BRUTE_RING];
	uint8_t next;
	bool src_in, dst_in;
};

struct det_brute {
	struct det_base base;
	struct dtab *keys;
};

static const struct det_sig brute_sig = {
	BRUTE_SID, 2, "ログインサービスへの総当たり攻撃を検知", "Brute force against a login service",
	"unauthorized-access", "第6(6)", "brute_force"
};

/* TCP login services and what the alert calls them; NULL: not one. */
static const char *brute_service(uint16_t port)
{
	switch (port) {
	case 21: return "ftp";
	case 22: return "ssh";
	case 23: return "telnet";
	case 25: case 465: case 587: return "smtp";
	case 110: case 995: return "pop3";
	case 143: case 993: return "imap";
	case 139: case 445: return "smb";
	case 1433: return "mssql";
	case 3306: return "mysql";
	case 3389: return "rdp";
	case 5432: return "postgresql";
	case 5900: return "vnc";
	default: return NULL;
	}
}

static uint64_t brute_window_us(const struct det_brute *s)
{
	return s->base.cfg->brute_window_s * 1000000u;
}

static uint32_t brute_ms(uint64_t ts_us)
{
	return (uint32_t)(ts_us / 1000u);
}

static void brute_key_set(struct brute_key *k, uint8_t ipv, const uint8_t *client,
			  const uint8_t *server, uint16_t port)
{
	k->ipv = ipv;
	k->proto = 6;
	k->dport = port;
	memcpy(k->src, client, 16);
	memcpy(k->dst, server, 16);
}

/* The ring slot of an open connection from sport, or NULL. */
static struct brute_conn *brute_conn_find(struct brute_entry *e, uint16_t sport)
{
	for (unsigned i = 0; i < BRUTE_RING; i++)
		if (e->conn[i].used && e->conn[i].sport == sport &&
		    !(e->conn[i].flags & BRUTE_CLOSED))
			return &e->conn[i];
	return NULL;
}

static void brute_alert(struct det_brute *s, const struct brute_key *k,
			const struct brute_entry *e, uint64_t n, const char *service)
{
	char src[48], dst[48], detail[320];
	double secs = (double)(s->base.now_us - e->since_us) / 1e6;
	struct det_alert a;

	if (secs > (double)s->base.cfg->brute_window_s)
		secs = (double)s->base.cfg->brute_window_s;
	det_alert_init(&a, &brute_sig, s->base.now_us);
	det_addr_text(src, sizeof(src), k->ipv, k->src);
	det_addr_text(dst, sizeof(dst), k->ipv, k->dst);
	snprintf(detail, sizeof(detail),
		 "%s opened %llu %s connections to %s in %.1f s (so far %u answered, "
		 "%u closed by the client within %u s)",
		 src, (unsigned long long)n, service, dst, secs, e->answered, e->shorts,
		 BRUTE_SHORT_US / 1000000u);
	a.kind = service;
	a.proto = k->proto;
	a.ipv = k->ipv;
	a.src = k->src;
	a.dst = k->dst;
	a.direction = detect_direction(e->src_in, e->dst_in);
	a.dport = k->dport;
	a.since_us = e->since_us;
	a.window_s = s->base.cfg->brute_window_s;
	a.value = (double)n;
	a.threshold = (double)s->base.cfg->brute_connections;
	a.unit = "connections";
	a.count = e->count;
	a.detail = detail;
	a.key = k;
	a.key_len = sizeof(*k);
	det_base_raise(&s->base, &a);
}

static void brute_start(struct det_brute *s, const struct det_pkt *p, const char *service)
{
	uint64_t now = p->ts_us, win = brute_window_us(s), n, since;
	uint32_t ms = brute_ms(now);
	struct brute_key k;
	struct brute_entry *e;
	struct brute_conn *c;
	int created;

	brute_key_set(&k, p->ipv, p->src, p->dst, p->dport);
	e = dtab_put(s->keys, &k, now, &created);
	if (created) {
		e->src_in = p->src_in;
		e->dst_in = p->dst_in;
	}
	c = brute_conn_find(e, p->sport);
	if (c && ms - c->syn_ms < BRUTE_SHORT_US / 1000u)
		return;                 /* retransmitted SYN */
	/* a new episode: after a quiet window (since cleared here), or after
	 * detect.realert (det_episode moves since) */
	if (!e->alerted_us && dwin_sum(&e->starts, now, win) == 0)
		e->since_us = 0;
	since = e->since_us;
	det_episode(s->base.d, &e->since_us, &e->alerted_us, now);
	if (!since || e->since_us != since) {
		e->count = 0;
		e->answered = e->shorts = 0;
	}
	if (!c) {               /* else: an old slot of the port, its close missed */
		c = &e->conn[e->next];
		e->next = (uint8_t)((e->next + 1) % BRUTE_RING);
	}
	c->sport = p->sport;
	c->flags = 0;
	c->used = 1;
	c->syn_ms = ms;
	e->count++;
	dwin_add(&e->starts, 1, now, win);
	if (e->alerted_us || (n = dwin_sum(&e->starts, now, win)) < s->base.cfg->brute_connections)
		return;
	e->alerted_us = now;
	brute_alert(s, &k, e, n, service);
}

/* The server answered the client's SYN. */
static void brute_answered(struct det_brute *s, const struct det_pkt *p)
{
	struct brute_key k;
	struct brute_entry *e;
	struct brute_conn *c;

	brute_key_set(&k, p->ipv, p->dst, p->src, p->sport);
	if (!(e = dtab_get(s->keys, &k)) || !(c = brute_conn_find(e, p->dport)))
		return;
	if (!(c->flags & BRUTE_ANSWERED)) {
		c->flags |= BRUTE_ANSWERED;
		e->answered++;
	}
}

/* The client closed or reset its connection. */
static void brute_closed(struct det_brute *s, const struct det_pkt *p)
{
	struct brute_key k;
	struct brute_entry *e;
	struct brute_conn *c;

	brute_key_set(&k, p->ipv, p->src, p->dst, p->dport);
	if (!(e = dtab_get(s->keys, &k)) || !(c = brute_conn_find(e, p->sport)))
		return;
	if (c->flags & BRUTE_CLOSED)
		return;                 /* a FIN, then a RST: one close */
	c->flags |= BRUTE_CLOSED;
	if (brute_ms(p->ts_us) - c->syn_ms <= BRUTE_SHORT_US / 1000u)
		e->shorts++;
}

static void det_brute_packet(void *state, const struct det_pkt *p)
{
	struct det_brute *s = state;
	uint8_t f = p->flags & (DET_SYN | DET_ACK | DET_FIN | DET_RST);
	const char *service;

	s->base.now_us = p->ts_us;
	if (p->proto != 6 || p->fragment)
		return;
	if ((f & (DET_SYN | DET_ACK)) == DET_SYN) {
		if ((service = brute_service(p->dport)) && !det_addr_is_special(p->ipv, p->dst))
			brute_start(s, p, service);
	} else if ((f & (DET_SYN | DET_ACK)) == (DET_SYN | DET_ACK)) {
		if (brute_service(p->sport))
			brute_answered(s, p);
	} else if ((f & (DET_FIN | DET_RST)) && !(f & DET_SYN)) {
		if (brute_service(p->dport))
			brute_closed(s, p);
	}
}

static void det_brute_tick(void *state, uint64_t now_us)
{
	struct det_brute *s = state;
	uint64_t win = brute_window_us(s);

	s->base.now_us = now_us;
	if (now_us > win)
		dtab_expire(s->keys, now_us - win, 0);
}

static void *det_brute_create(struct detect *d, uint64_t mem, char *err, size_t errlen)
{
	struct det_brute *s = det_base_new(sizeof(*s), d);

	if (!s || !(s->keys = det_base_table(&s->base, sizeof(struct brute_key),
					     sizeof(struct brute_entry), mem, NULL, NULL))) {
		det_base_destroy(s);
		snprintf(err, errlen, "detectors: out of memory (brute force table)");
		return NULL;
	}
	return s;
}

const struct det_ops det_brute_ops = {
	.name = "brute_force",
	.create = det_brute_create,
	.destroy = det_base_destroy,
	.packet = det_brute_packet,
	.tick = det_brute_tick,
	.end = NULL,
	.flush = det_base_flush,
	.counters = det_base_counters,
	.mem_weight = 1,
};
