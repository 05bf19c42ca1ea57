/*
 * ioc — indicator sets: IP addresses and CIDR prefixes, domain names, JA3
 * fingerprints and certificate SHA-1 fingerprints, loaded from plain text
 * lists or Zeek Intel framework files.
 *
 * A set is filled by one thread (ioc_set_add / ioc_set_load_*), then only
 * read: lookups are safe from any number of threads as long as nobody adds.
 * Lookups cost O(1) hash probes (IP: at most one probe per prefix length
 * present in the set) and change nothing.  Returned entries live as long as
 * the set.
 *
 * Entry text is normalised: IPs as inet_ntop prints them (with "/len" for a
 * prefix shorter than the address), domains and hex fingerprints in lower
 * case without a trailing dot.
 */
#ifndef ZW_IOC_H
#define ZW_IOC_H

#include <stddef.h>
#include <stdint.h>

enum ioc_type {
	IOC_IP = 0,      /* address or CIDR prefix, IPv4 or IPv6 */
	IOC_DOMAIN,      /* "example.com" exact, "*.example.com" any name below it */
	IOC_JA3,         /* 32 hex digits (MD5) */
	IOC_SHA1,        /* 40 hex digits, colons allowed in input */
	IOC_TYPE_COUNT
};

struct ioc_entry {
	const char *indicator;   /* normalised text */
	const char *source;      /* Zeek meta.source, or NULL */
	const char *desc;        /* Zeek meta.desc, or NULL */
	const char *file;        /* where it was read ("" when added directly) */
	uint32_t line;
	enum ioc_type type;
	int32_t value;           /* caller's tag given to ioc_set_add (files: 0) */
};

struct ioc_set_stats {
	uint64_t entries[IOC_TYPE_COUNT];
	uint64_t duplicates;     /* lines whose indicator was already in the set */
	uint64_t skipped;        /* Zeek lines of indicator types we do not match on */
	uint64_t refused;        /* not added: the set was full (max_entries) */
	size_t   memory;         /* bytes held */
};

struct ioc_set;

/* max_entries caps the set (all types together; more than 2^28 is lowered
 * to 2^28, 0 makes a set that refuses everything).  NULL: out of memory. */
struct ioc_set *ioc_set_new(const char *name, uint32_t max_entries);
void ioc_set_free(struct ioc_set *s);
const char *ioc_set_name(const struct ioc_set *s);

/* Add one indicator.  With type IOC_TYPE_COUNT the type is guessed from the
 * text (address/prefix, 32 or 40 hex digits, else a domain).  Returns 0 when
 * added, 1 when the same indicator was already there (the first one stays),
 * -1 with a reason in err (no file/line) when the text is not valid for the
 * type or the set is full. */
int ioc_set_add(struct ioc_set *s, enum ioc_type type, const char *text, int32_t value,
		const char *source, const char *desc, const char *file, uint32_t line,
		char *err, size_t errlen);

/* Load a list.  A file whose first line starts with "#fields" is a Zeek Intel
 * file (tab-separated; columns indicator, indicator_type and optionally
 * meta.source, meta.desc; Intel::ADDR, Intel::SUBNET, Intel::DOMAIN,
 * Intel::CERT_HASH and Intel::JA3 are used, other types skipped and counted).
 * Anything else is a plain list: one indicator per line, type guessed, blank
 * lines and "#" comments (whole line or after blanks) ignored.  Stops at the
 * first bad line: -1 with "file:line:col: reason" in err.
 *
 * Details: '#' and blank lines may come before "#fields" (a Zeek log's
 * "#separator" preamble); a later "#fields" line sets new columns
 * (concatenated files).  Zeek fields are not trimmed; "-" and "(empty)" meta
 * fields are NULL; Intel::ADDR must be an address, Intel::SUBNET a prefix,
 * Intel::DOMAIN a name without wildcard.  CRLF line ends and a UTF-8 byte
 * order mark are accepted; lines are at most 4096 bytes, files 256 MiB.
 * Lines before a bad one stay in the set.  Indicators beyond max_entries are
 * counted in refused, not an error.  name is copied (once per set). */
int ioc_set_load_file(struct ioc_set *s, const char *path, char *err, size_t errlen);
int ioc_set_load_buffer(struct ioc_set *s, const char *name, const char *buf, size_t len,
			char *err, size_t errlen);

/* Lookups; NULL when nothing matches.  addr: 4 bytes (IPv4) or 16 (IPv6)
 * at the start of a 16-byte array.  An IP matches the longest prefix that
 * contains it.  A domain matches an exact entry, else the closest "*.suffix"
 * entry; the name may have a trailing dot and any case.  Hex lookups ignore
 * case. */
const struct ioc_entry *ioc_set_match_ip(const struct ioc_set *s, int ip_version,
					 const uint8_t *addr);
const struct ioc_entry *ioc_set_match_domain(const struct ioc_set *s, const char *name);
const struct ioc_entry *ioc_set_match_hash(const struct ioc_set *s, enum ioc_type type,
					   const char *hex);

void ioc_set_stats_get(const struct ioc_set *s, struct ioc_set_stats *out);

/* Items of a comma- or blank-separated value ("10.0.0.0/8, 192.0.2.1"), as
 * config keys give them: copies the next item into tok and returns the text
 * after it, NULL when no item is left.  An item longer than toklen - 1 is
 * returned cut, with *cut set. */
const char *ioc_list_next(const char *p, char *tok, size_t toklen, int *cut);
const char *ioc_type_name(enum ioc_type t);   /* "ip", "domain", "ja3", "sha1" */

#endif
