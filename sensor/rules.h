/*
 * rules — zonewatch's signature language (doc/rules.md): parse *.rules files
 * into a rule set and match flows against it.
 *
 *   alert (sid:2001; rev:1; severity:high; threat:unauthorized-software;
 *          policy:"第6(3)③"; msg:"匿名化通信 Tor"; msg_en:"Anonymiser: Tor";
 *          protocol:Tor; src.zone:internet;)
 *   suppress (sid:3000-3099; hostname:*.example.jp;)
 *
 * A rule set is built by one thread (rules_parse_*, then rules_resolve_lists)
 * and is then read-only: rules_match may run in any number of threads.
 * Names of nDPI protocols, categories, breeds and risks are resolved through
 * a struct classify at parse time; zones through a struct zones, which must
 * outlive the set.  Lists (@name) are bound after parsing.
 */
#ifndef ZW_RULES_H
#define ZW_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "geo.h"
#include "ioc.h"
#include "zones.h"

#define RULES_MAX_RULES     100000u
#define RULES_MAX_EVIDENCE  8
#define RULES_ERR_MAX       512

enum rules_severity {
	RULES_SEV_CRITICAL = 1, RULES_SEV_HIGH, RULES_SEV_MEDIUM, RULES_SEV_LOW, RULES_SEV_INFO
};

enum rules_track { RULES_TRACK_NONE = 0, RULES_TRACK_SRC, RULES_TRACK_DST, RULES_TRACK_PAIR,
		   RULES_TRACK_RULE };
enum rules_thresh { RULES_THRESH_NONE = 0, RULES_THRESH_LIMIT, RULES_THRESH_THRESHOLD,
		    RULES_THRESH_BOTH };

struct rules_threshold {
	uint8_t  type;          /* enum rules_thresh */
	uint8_t  track;         /* enum rules_track */
	uint32_t count;
	uint32_t seconds;
};

/* The metadata of a rule, as alerts show it.  Strings live as long as the set. */
struct rules_rule {
	uint32_t sid, rev;
	uint8_t  severity;      /* enum rules_severity */
	const char *msg;        /* shown message (Japanese for shipped rules) */
	const char *msg_en;     /* English; may be NULL */
	const char *clause;     /* policy clause, e.g. "第6(3)③"; may be NULL */
	const char *threat;     /* threat class key (rules_threat_*) */
	const char *file;
	uint32_t line;
	struct rules_threshold threshold;
};

/* What a flow looks like to the rules; filled by the worker. [0] is the
 * initiator (src), [1] the responder (dst). */
struct rules_flow {
	int ip_version;
	uint8_t proto;
	const uint8_t *addr[2];
	uint16_t port[2];
	int zone[2];
	const struct geo_info *geo[2];   /* never NULL */
	uint16_t master, app, category;
	int breed;
	uint8_t confidence;
	uint64_t risk;
	const char *hostname;            /* NULL when none */
	const char *sni;                 /* hostname of a TLS/QUIC flow, else NULL */
	const char *ja3c, *ja3s, *cert_sha1;   /* NULL when none */
	uint64_t pkts[2], bytes[2];
	uint64_t duration_us;
};

/* Why a rule fired: one entry per positive condition that matched. */
struct rules_evidence {
	const char *field;               /* "dst.ip", "hostname", "risk", ... */
	char value[128];                 /* what the flow had */
	const char *list;                /* list name for @list matches, else NULL */
	const struct ioc_entry *entry;   /* the list entry; for a literal of the rule
					  * (ip:10.0.0.0/8) the literal, with the
					  * rule's file and line; else NULL */
};

struct rules_set;

struct rules_set *rules_set_new(struct classify *names, const struct zones *zones);
void rules_set_free(struct rules_set *rs);

/* Parse one file or a buffer; may be called several times.  On error
 * returns -1 with "file:line:col: expected ..." in err (the first error; the
 * set is then unusable, free it). */
int rules_parse_file(struct rules_set *rs, const char *path, char *err, size_t errlen);
int rules_parse_buffer(struct rules_set *rs, const char *name, const char *text, size_t len,
		       char *err, size_t errlen);

/* Lists: the names (without '@') the rules reference, and binding one.
 * Every referenced list must be bound before rules_match; rules_check_bound
 * says which is not, as "file:line:col: unknown list '@x' ..." */
size_t rules_list_count(const struct rules_set *rs);
const char *rules_list_name(const struct rules_set *rs, size_t i);
void rules_bind_list(struct rules_set *rs, size_t i, const struct ioc_set *set);
int rules_check_bound(const struct rules_set *rs, char *err, size_t errlen);

size_t rules_count(const struct rules_set *rs);
size_t rules_suppress_count(const struct rules_set *rs);

/* Match f against every rule; for each that matches call cb (in rule file
 * order), with silenced true when a suppress statement silences it (then
 * no alert is due).  Returns the number of silenced matches. */
typedef void (*rules_match_cb)(void *ctx, const struct rules_rule *r,
			       const struct rules_evidence *ev, unsigned nev, bool silenced);
unsigned rules_match(const struct rules_set *rs, const struct rules_flow *f,
		     rules_match_cb cb, void *ctx);

/* Threat classes of policy 第3: key → Japanese and English names. */
const char *rules_threat_name_ja(const char *key);
const char *rules_threat_name_en(const char *key);
const char *rules_severity_name(unsigned severity);

#endif
