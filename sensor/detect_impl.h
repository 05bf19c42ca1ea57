/*
 * detect_impl — what detect.c offers the detectors (det_*.c) and what each
 * detector offers back.  Not for other modules: they use detect.h.
 *
 * The capture thread only, like detect.h.
 */
#ifndef ZW_DETECT_IMPL_H
#define ZW_DETECT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect.h"
#include "dsketch.h"
#include "dtab.h"

/* TCP flag bits */
#define DET_FIN 0x01
#define DET_SYN 0x02
#define DET_RST 0x04
#define DET_PSH 0x08
#define DET_ACK 0x10
#define DET_URG 0x20

/* A packet, with what several detectors need worked out once. */
struct det_pkt {
	uint64_t seq;                    /* this packet's number (detect.packets) */
	uint64_t ts_us;
	uint8_t ipv;                     /* 4 or 6 */
	uint8_t proto;
	const uint8_t *src, *dst;        /* 16 bytes each (IPv4: 4 + zeros) */
	uint16_t sport, dport;           /* 0 for fragments and portless protocols */
	uint8_t flags;                   /* TCP flags */
	bool flags_seen;                 /* TCP: the header was captured up to its flags */
	uint8_t icmp_type, icmp_code;
	bool fragment;                   /* later IP fragment: no ports, no payload */
	uint32_t ip_len;                 /* IP total length the header claims */
	const uint8_t *payload;          /* L4 payload present (NULL when none) */
	uint32_t payload_len;
	uint32_t claimed_len;            /* L4 payload the IP header claims (TCP with its
					  * header captured, UDP); a short snaplen cuts
					  * payload_len, not this */
	bool src_in, dst_in;             /* inside the site (see detect_packet) */
};

/* An address key: version and 16 bytes. */
struct det_addr {
	uint8_t ipv;
	uint8_t pad[3];
	uint8_t a[16];
};

/* What an alert says (doc/alerts.md "Behaviour alerts"). */
#define DET_SAMPLE_MAX 8
struct det_alert {
	uint32_t sid;
	uint8_t severity;                /* 1 critical .. 5 info */
	const char *msg, *msg_en;
	const char *threat, *clause;
	const char *detector, *kind;
	uint8_t proto;                   /* 0: no "proto" */
	uint8_t ipv;
	const uint8_t *src, *dst;        /* NULL: absent */
	const char *direction;           /* detect_direction() */
	int dport;                       /* -1: absent */
	uint64_t ts_us, since_us;
	uint64_t window_s;
	double value, threshold;
	const char *unit;
	uint64_t count;
	const char *domain;              /* NULL: absent */
	double period_s, jitter;         /* < 0: absent */
	const char *country;             /* NULL: absent */
	uint32_t asn;                    /* 0: absent */
	const char *sample[DET_SAMPLE_MAX];
	unsigned nsample;
	const char *detail;
	/* what makes the alert_id: the detector's key and the episode start */
	const void *key;
	size_t key_len;
};

/* What is fixed about one kind of alert. */
struct det_sig {
	uint32_t sid;
	uint8_t severity;
	const char *msg, *msg_en;
	const char *threat, *clause;
	const char *detector;
};

/* a = the alert of sig at ts_us, every optional field absent. */
void det_alert_init(struct det_alert *a, const struct det_sig *sig, uint64_t ts_us);

/* An episode of one key: a new one begins when the last alert is
 * detect.realert old (since and alerted are then reset); since becomes
 * at_us if that is earlier.  True while the episode may still alert. */
bool det_episode(const struct detect *d, uint64_t *since_us, uint64_t *alerted_us,
		 uint64_t at_us);

/* Counters every detector keeps; detect.c adds them up. */
struct det_counters {
	uint64_t alerts;
	struct dtab_stats tab;           /* summed over the detector's tables */
};

/* The start of every detector's state: its tables are made through
 * det_base_table and then flushed, counted and freed by the det_base_*
 * functions, which fit det_ops directly. */
#define DET_MAX_TABLES 4
struct det_base {
	struct detect *d;
	const struct detect_config *cfg;
	struct dtab *tab[DET_MAX_TABLES];
	unsigned ntab;
	uint64_t now_us;
	uint64_t alerts;                 /* raised */
};

/* calloc size bytes (a struct that starts with struct det_base) and set
 * its base; NULL when out of memory. */
void *det_base_new(size_t size, struct detect *d);
/* A table of entries that fit in bytes; NULL when out of memory. */
struct dtab *det_base_table(struct det_base *b, size_t key_size, size_t val_size,
			    uint64_t bytes, dtab_leave_fn leave, void *ctx);
/* Raise a (detect_emit) and count it. */
void det_base_raise(struct det_base *b, const struct det_alert *a);
void det_base_destroy(void *s);
void det_base_flush(void *s);
void det_base_counters(void *s, struct det_counters *out);

struct det_ops {
	const char *name;                /* "scan", "flood", ... (stats) */
	/* mem: this detector's share of detect.memory, bytes */
	void *(*create)(struct detect *d, uint64_t mem, char *err, size_t errlen);
	void (*destroy)(void *s);
	/* optional, called for every detector before any packet(): work out
	 * where p goes and prefetch it, so that the cache misses of all
	 * detectors overlap instead of following one another; packet() then
	 * uses what it worked out (same p->seq) */
	void (*prefetch)(void *s, const struct det_pkt *p);
	void (*packet)(void *s, const struct det_pkt *p);
	void (*tick)(void *s, uint64_t now_us);
	/* input ends (or time is about to jump back): decide what is pending */
	void (*end)(void *s, uint64_t now_us);
	void (*flush)(void *s);          /* drop all state */
	void (*counters)(void *s, struct det_counters *out);
	unsigned mem_weight;             /* share of detect.memory, relative */
};

extern const struct det_ops det_scan_ops, det_flood_ops, det_beacon_ops, det_dns_ops,
	det_transfer_ops, det_brute_ops, det_firstseen_ops;

const struct detect_config *detect_cfg(const struct detect *d);
/* Raise an alert.  Returns 0, or -1 when it was lost (counted). */
int detect_emit(struct detect *d, const struct det_alert *a);
/* "inbound", "outbound", "internal", "external" for a pair of sides. */
const char *detect_direction(bool src_in, bool dst_in);
/* Country/ASN of an address (never NULL; all empty without GeoIP). */
const struct geo_info *detect_geo(struct detect *d, uint8_t ipv, const uint8_t *addr);
bool detect_has_geo(const struct detect *d);

/* Address as text into buf (at least 46 bytes). */
void det_addr_text(char *buf, size_t len, uint8_t ipv, const uint8_t *a);
void det_addr_set(struct det_addr *k, uint8_t ipv, const uint8_t *a);
/* Broadcast, multicast, unspecified: never a scan target or a beacon end. */
bool det_addr_is_special(uint8_t ipv, const uint8_t *a);

/* Add one table's counters into out. */
void det_counters_add(struct det_counters *out, const struct dtab *t);
/* The same for a detector's own structure that keeps dtab-like counters. */
void det_counters_add_stats(struct det_counters *out, const struct dtab_stats *s);

#endif
