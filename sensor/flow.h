/*
 * flow — the flow key, the symmetric hashes on it and the per-flow record
 * that a worker keeps.  Data only: the table that owns flows is flow_table,
 * the classifier that fills `dpi` is classify.
 *
 * A struct flow belongs to exactly one worker thread, for its whole life.
 */
#ifndef ZW_FLOW_H
#define ZW_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"

struct flow_key {
	uint8_t  addr[2][16];  /* [0] initiator (sent the first packet), [1] responder */
	uint16_t port[2];      /* host order; 0 for protocols without ports */
	uint16_t vlan[DECODE_MAX_VLANS];
	uint8_t  vlan_count;
	uint8_t  proto;        /* IP protocol number */
	uint8_t  ip_version;   /* 4 or 6 */
	uint8_t  iface;        /* capture interface (index, 0 for files): the same
				* flow seen on two interfaces is two flows */
};

/* Key of a decoded packet, oriented as the packet travels (src = [0]). */
void flow_key_from_decoded(struct flow_key *key, const struct decoded *d);

/* Hash that is the same for both directions of a flow. */
uint64_t flow_key_hash(const struct flow_key *key);

/* Hash of the address pair (and VLANs) only, the same in both directions:
 * picks the worker.  Ports are left out on purpose: nDPI keeps caches keyed by
 * host pairs (e.g. BitTorrent, mining, TLS certificates), so all flows between
 * two hosts must meet in one worker for results not to depend on -w. */
uint64_t flow_key_shard_hash(const struct flow_key *key);

/* Compare a stored key with a packet key.  Returns 1 if the packet goes from
 * initiator to responder, 2 if it goes the other way, 0 if no match. */
int flow_key_match(const struct flow_key *stored, const struct flow_key *pkt);

/* TLS/QUIC details, allocated only for flows that have them. */
struct flow_tls {
	uint16_t version;           /* 0 if none */
	char ja3c[33], ja3s[33];    /* "" when absent */
	char cert_sha1[41];         /* server certificate SHA-1, hex; "" when absent */
};

/* What the classifier learned; filled by classify, read by record. */
struct flow_dpi {
	uint16_t master, app;       /* nDPI protocol ids */
	uint16_t category;          /* nDPI category id */
	uint8_t  confidence;        /* ndpi_confidence_t */
	uint8_t  done;              /* dissection finished (given up or complete) */
	uint16_t risk_score;
	uint64_t risk;              /* nDPI risk bitmap */
	char    *hostname;          /* SNI / Host / DNS query; heap, may be NULL */
	struct flow_tls *tls;       /* heap, may be NULL */
};

struct flow_tunnel {
	uint8_t type;               /* enum decode_tunnel */
	uint8_t depth;
	uint8_t ip_version;
	uint8_t src[16], dst[16];
};

enum flow_end {
	FLOW_END_NONE = 0,
	FLOW_END_TIMEOUT,    /* idle timeout */
	FLOW_END_FIN,        /* TCP FIN both ways, then the closed-state timeout */
	FLOW_END_RST,        /* TCP RST, then the closed-state timeout */
	FLOW_END_ACTIVE,     /* interim report of a flow that goes on */
	FLOW_END_EVICTED,    /* table full: oldest idle flow pushed out */
	FLOW_END_REUSED,     /* TCP SYN on a closed flow's 5-tuple: a new connection */
	FLOW_END_SHUTDOWN,   /* end of input or SIGTERM/SIGINT */
	FLOW_END_TIME_JUMP,  /* packet time went backwards (an older capture file
			      * follows a newer one): every flow is reported */
	FLOW_END_COUNT
};

const char *flow_end_name(enum flow_end reason);

/* TCP state bits */
#define FLOW_TCP_FIN0 0x01   /* FIN seen from the initiator */
#define FLOW_TCP_FIN1 0x02   /* FIN seen from the responder */
#define FLOW_TCP_RST  0x04   /* RST seen either way */

struct flow {
	/* table links (flow_table) */
	struct flow *hnext;
	struct flow *lprev, *lnext;
	uint64_t hash;
	uint8_t  tclass;            /* timeout class = which LRU list */
	uint8_t  tcp;               /* FLOW_TCP_* */
	uint8_t  icmp_type, icmp_code;  /* of the first packet */

	struct flow_key key;
	uint64_t flow_id;
	uint64_t first_us, last_us; /* packet time, microseconds since the epoch */
	uint64_t report_us;         /* time of the last interim report (active timeout) */
	uint64_t lru_us;            /* last_us when last moved to its LRU tail */
	uint64_t pkts[2], bytes[2]; /* [0] toserver (from initiator), [1] toclient */

	struct flow_tunnel *tunnel; /* heap, NULL when not tunnelled */
	uint32_t *fired;            /* heap, NULL until a rule fires: [0] count, then sids */
	void *dpi_state;            /* classifier state while dissecting, else NULL */
	struct flow_dpi dpi;
};

#endif
