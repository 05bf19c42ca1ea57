/*
 * classify — nDPI 4.2 classification of flows.  The only file that includes
 * nDPI's headers (and checks its version).
 *
 * One struct classify per worker thread: nDPI's detection module is not
 * thread-safe.  Dissection follows ndpiReader 4.2's defaults so results can be
 * compared flow by flow: dissect until the protocol is known and nDPI wants no
 * extra packets, or until more than 80 TCP / 24 UDP packets, then give up with
 * guessing.  The per-flow nDPI state is freed as soon as dissection ends;
 * the results stay in flow->dpi.
 *
 * Name functions return pointers to static strings or nDPI's tables, valid for
 * the life of the struct classify.
 */
#ifndef ZW_CLASSIFY_H
#define ZW_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

#define CLASSIFY_MAX_TCP_PACKETS 80
#define CLASSIFY_MAX_UDP_PACKETS 24

struct classify;

struct classify_stats {
	uint64_t flows_dissected;   /* flows whose dissection ended */
	uint64_t flows_given_up;    /* ... through ndpi_detection_giveup() */
	uint64_t packets_dissected; /* packets handed to nDPI */
	uint64_t alloc_failed;      /* flows left Unknown: no memory for nDPI state */
	uint64_t state_bytes;       /* nDPI flow state held now */
};

/* nDPI's own files (any may be NULL): custom protocols and categories teach
 * it local applications; the risky-domain, malicious-JA3 and
 * malicious-certificate lists set the risky_domain, malicious_ja3 and
 * malicious_sha1_certificate risks.  Every classify of one sensor must get
 * the same files so protocol ids agree. */
struct classify_files {
	const char *protocols, *categories;
	const char *risky_domains, *malicious_ja3, *malicious_sha1;
};

/* NULL with a reason in err. */
struct classify *classify_new(const struct classify_files *files, char *err, size_t errlen);
void classify_free(struct classify *c);

/* Give one packet of flow f to nDPI.  ip/ip_len is the IP packet (header
 * first); f->pkts must already count it.  Does nothing once f->dpi.done.
 * Returns true when dissection has just ended (results are in f->dpi). */
bool classify_packet(struct classify *c, struct flow *f, const uint8_t *ip, uint32_t ip_len,
		     uint64_t time_us);

/* The flow is leaving: end dissection if needed (give up, with guessing) and
 * release the nDPI state.  Safe to call twice. */
void classify_finish(struct classify *c, struct flow *f);

/* "Master.App" as ndpiReader prints it ("TLS.Tor", "DNS", "Unknown"). */
void classify_app_proto(struct classify *c, const struct flow_dpi *d, char *buf, size_t len);
const char *classify_proto_name(struct classify *c, uint16_t id);
const char *classify_category_name(struct classify *c, uint16_t category);
const char *classify_breed_name(struct classify *c, const struct flow_dpi *d);
const char *classify_confidence_name(uint8_t confidence);
/* Name of risk bit i, NULL when i is not a risk: nDPI's display string, and
 * our stable key ("url_possible_sql_injection") used by rules and alerts. */
const char *classify_risk_name(unsigned bit);
const char *classify_risk_key(unsigned bit);

/* Name → id for the rule parser, -1 when unknown.  Case, ' ', '_', '-' and
 * '/' do not matter.  Risks accept the key or the display string. */
int classify_proto_by_name(struct classify *c, const char *name);
int classify_category_by_name(struct classify *c, const char *name);
int classify_breed_by_name(struct classify *c, const char *name);
int classify_confidence_by_name(const char *name);
int classify_risk_by_name(const char *name);
/* Breed (ndpi_protocol_breed_t) of the flow's app protocol, else master. */
int classify_breed(struct classify *c, const struct flow_dpi *d);
/* "TLSv1.2" etc., NULL when v is 0. */
const char *classify_tls_version_name(uint16_t v, char *buf, size_t len);

const struct classify_stats *classify_stats_get(const struct classify *c);

/* nDPI's version string, e.g. "4.2.0". */
const char *classify_ndpi_version(void);

#endif
