/*
 * detect — the behavioural detectors (doc/detectors.md): port scans and
 * host sweeps, SYN/UDP/ICMP floods and amplification, beaconing, DNS
 * tunnelling, large outbound transfers, brute force and first-seen
 * countries/ASNs.  nDPI names protocols; these look at what hosts do over
 * time, across flows.
 *
 * They see every packet in capture order, before packets are spread over
 * the workers, so what they find does not depend on -w.  Each detector is
 * one file (det_*.c) behind the interface in detect_impl.h; they keep their
 * state in bounded tables (dtab) that share one memory cap, evict the least
 * recently used entry when full, and count what they evict.  Alerts
 * (event_type "behaviour", sids 9100-9199) go through alertq like the rules'
 * alerts, as one more producer.
 *
 * One thread (the capture thread) calls everything.  Time is the packet
 * time passed in.
 */
#ifndef ZW_DETECT_H
#define ZW_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alertq.h"
#include "decode.h"
#include "geo.h"
#include "zones.h"

#define DETECT_SID_MIN 9100u   /* sids 9100-9199 are reserved for these */
#define DETECT_SID_MAX 9199u

/* Settings (config keys detect.*, sensor/zw-sensor.conf.example).  Counts
 * and sizes are plain numbers; *_s seconds; *_ppm millionths (percent keys). */
struct detect_config {
	int enabled;                     /* detect.enabled */
	uint64_t memory;                 /* detect.memory: all detector state, bytes */
	uint64_t realert_s;              /* detect.realert */

	int scan_on;                     /* detect.scan.enabled */
	uint64_t scan_window_s;          /* detect.scan.window */
	uint64_t scan_ports;             /* detect.scan.ports */
	uint64_t scan_hosts;             /* detect.scan.hosts */
	uint64_t scan_protocols;         /* detect.scan.protocols */
	uint64_t scan_timeout_s;         /* detect.scan.attempt_timeout */

	int flood_on;                    /* detect.flood.enabled */
	uint64_t flood_window_s;         /* detect.flood.window */
	uint64_t flood_syn_rate;         /* detect.flood.syn_rate, per second */
	uint64_t flood_udp_rate;         /* detect.flood.udp_rate */
	uint64_t flood_icmp_rate;        /* detect.flood.icmp_rate */
	uint64_t amp_ratio;              /* detect.amplification.ratio */
	uint64_t amp_bytes;              /* detect.amplification.bytes (per victim and window) */
	uint64_t amp_legacy_bytes;       /* detect.amplification.legacy_bytes */
	uint64_t amp_window_s;           /* detect.amplification.window */

	int beacon_on;                   /* detect.beacon.enabled */
	uint64_t beacon_connections;     /* detect.beacon.connections */
	uint64_t beacon_min_period_s;    /* detect.beacon.min_period */
	uint64_t beacon_max_period_s;    /* detect.beacon.max_period */
	uint64_t beacon_jitter_ppm;      /* detect.beacon.max_jitter */

	int dns_on;                      /* detect.dns.enabled */
	uint64_t dns_window_s;           /* detect.dns.window */
	uint64_t dns_long_queries;       /* detect.dns.suspicious_queries */
	uint64_t dns_label_len;          /* detect.dns.label_length */
	uint64_t dns_entropy_ppm;        /* detect.dns.entropy, bits per char x 1e6 */
	uint64_t dns_subdomains;         /* detect.dns.unique_subdomains */
	uint64_t dns_bytes;              /* detect.dns.bytes (query + answer bytes per domain) */
	uint64_t dns_txt_answers;        /* detect.dns.txt_answers */

	int xfer_on;                     /* detect.transfer.enabled */
	uint64_t xfer_window_s;          /* detect.transfer.window */
	uint64_t xfer_pair_bytes;        /* detect.transfer.pair_bytes */
	uint64_t xfer_host_bytes;        /* detect.transfer.host_bytes */

	int brute_on;                    /* detect.brute_force.enabled */
	uint64_t brute_window_s;         /* detect.brute_force.window */
	uint64_t brute_connections;      /* detect.brute_force.connections */

	int first_on;                    /* detect.first_seen.enabled */
	uint64_t first_learning_s;       /* detect.first_seen.learning */
};

/* The defaults (doc/detectors.md gives the reasons). */
void detect_config_defaults(struct detect_config *c);

/* One packet as the detectors see it: a decoded frame (DECODE_OK, or
 * DECODE_FRAGMENT for a later IP fragment) and the frame it came from. */
struct detect_pkt {
	uint64_t ts_us;
	const struct decoded *d;
	const uint8_t *frame;            /* d's offsets are into this */
	bool fragment;                   /* a later IP fragment: no ports, no payload */
	const char *iface;               /* capture interface (in_iface of an alert
					  * it raises); NULL: none (replay) */
};

struct detect_stats {
	uint64_t packets;                /* looked at */
	uint64_t alerts;                 /* raised */
	uint64_t alerts_dropped;         /* lost: no memory or too large */
	uint64_t entries;                /* state entries held now */
	uint64_t evicted;                /* entries pushed out by the memory cap */
	uint64_t expired;                /* entries that aged out */
	uint64_t memory;                 /* bytes reserved for state (at most detect.memory) */
};

struct detect;

/* NULL with a reason in err (no detector on is not an error: check
 * detect_config.enabled first).  alerts is borrowed; producer is this
 * stage's index in alertq.  geo may be NULL. */
struct detect *detect_new(const struct detect_config *cfg, const char *sensor_id,
			  struct alertq *alerts, unsigned producer, const struct geo_db *geo,
			  char *err, size_t errlen);
void detect_free(struct detect *d);

/* One packet, in capture order.  zones: the policy's, for directions. */
void detect_packet(struct detect *d, const struct detect_pkt *p, const struct zones *zones);
/* Once a second or so of packet time: age state out, let alerts go. */
void detect_tick(struct detect *d, uint64_t now_us, const struct zones *zones);
/* Packet time is about to go backwards (an older capture follows): what
 * is pending is decided, all state is dropped and a new alert epoch starts,
 * as in the workers.  zones: the policy's now. */
void detect_flush(struct detect *d, const struct zones *zones);
/* No more packets: with decide, what is pending is decided first (the end
 * of a replay: an attempt still unanswered failed); without (a live sensor
 * stopping), it is dropped.  Then alertq hears this producer is done. */
void detect_close(struct detect *d, const struct zones *zones, bool decide);

void detect_stats_get(const struct detect *d, struct detect_stats *out);
/* Per-detector counters as "name": {...} members of an open JSON object
 * (the stats record); w is a struct jsonw. */
struct jsonw;
void detect_stats_json(const struct detect *d, struct jsonw *w);

#endif
