/*
 * dnsmsg — a summary of one DNS message, for the DNS tunnelling detector.
 *
 * Input is one DNS message from untrusted bytes: a UDP payload to or from
 * port 53, or one TCP DNS message with its 2-byte length prefix already
 * removed.  Pure and re-entrant: any thread may call any function here; none
 * allocates or keeps state between calls, and every read is bounds-checked
 * against the length given.  struct dnsmsg holds copies, never pointers into
 * the message, so it stays valid after the packet is gone.
 */
#ifndef ZW_DNSMSG_H
#define ZW_DNSMSG_H

#include <stddef.h>
#include <stdint.h>

#define DNSMSG_NAME_MAX 253    /* presentation form without the trailing dot:
				* the 255-octet wire limit of RFC 1035 */
#define DNSMSG_MAX_RR 32       /* records walked after the first question
				* (answers, and any later questions) */
#define DNSMSG_MAX_JUMPS 16    /* compression pointers followed in one name */

/* Why a message cannot be read.  dnsmsg_parse() returns DNSMSG_OK or one of
 * the negative values. */
enum dnsmsg_error {
	DNSMSG_OK = 0,
	DNSMSG_ERR_SHORT = -1,          /* shorter than the 12-byte header */
	DNSMSG_ERR_NO_QUESTION = -2,    /* QDCOUNT is 0 */
	DNSMSG_ERR_TRUNCATED = -3,      /* a name or record runs past the end */
	DNSMSG_ERR_LABEL_TOO_LONG = -4, /* length byte 64..191: over 63, or the
					 * extended/reserved label types */
	DNSMSG_ERR_NAME_TOO_LONG = -5,  /* over 255 octets in wire form */
	DNSMSG_ERR_POINTER_RANGE = -6,  /* compression pointer beyond the message */
	DNSMSG_ERR_LOOP = -7,           /* more than DNSMSG_MAX_JUMPS pointers */
	DNSMSG_ERR_MIN = -7             /* the lowest value above */
};

/* DNS record types counted in the answer section. */
enum {
	DNSMSG_TYPE_A = 1,
	DNSMSG_TYPE_CNAME = 5,
	DNSMSG_TYPE_NULL = 10,
	DNSMSG_TYPE_MX = 15,
	DNSMSG_TYPE_TXT = 16,
	DNSMSG_TYPE_AAAA = 28
};

struct dnsmsg {
	/* header */
	uint16_t id;
	uint8_t  qr;              /* 1: response */
	uint8_t  opcode, rcode;   /* rcode: the 4 header bits only */
	uint8_t  truncated;       /* TC bit */
	uint16_t qdcount, ancount, nscount, arcount;

	/* the first question */
	char     qname[DNSMSG_NAME_MAX + 1];  /* lower-case ASCII; any byte
					       * outside [a-z0-9-_] after
					       * folding is written '?'; labels
					       * joined by '.', no trailing dot;
					       * "" for the root */
	uint16_t qname_len;       /* strlen(qname) */
	uint8_t  qlabels;         /* number of labels, 0 for the root */
	uint8_t  longest_label;   /* length of the longest label, <= 63 */
	uint16_t qname_upper;     /* letters upper case on the wire (base64
				   * tunnels mix case; so does DNS 0x20) */
	uint16_t qname_odd;       /* bytes written as '?' */
	uint16_t qtype, qclass;

	/* answer section, responses only (all 0 for a query) */
	uint16_t answers_walked;  /* records read: min(ancount, DNSMSG_MAX_RR
				   * less the questions after the first) unless
				   * the walk stopped early */
	uint8_t  answers_partial; /* 1: the walk stopped at a record that is cut
				   * short or malformed (or at a later question
				   * that is); answers_error says why */
	int8_t   answers_error;   /* enum dnsmsg_error that stopped it, else 0 */
	uint32_t answer_rdata_bytes;  /* sum of RDLENGTH over walked records */
	uint16_t answer_a, answer_aaaa, answer_cname, answer_mx;
	uint16_t answer_txt, answer_null, answer_other;  /* by type, walked only */
};

/* Parse the message msg[0 .. len).  Returns DNSMSG_OK with *out filled, or a
 * negative enum dnsmsg_error (then *out is unspecified).  A response whose
 * answer section cannot be walked to the end still gives DNSMSG_OK, with the
 * question filled and answers_partial set. */
int dnsmsg_parse(const uint8_t *msg, size_t len, struct dnsmsg *out);

/* Short stable name of an enum dnsmsg_error, e.g. "loop"; "unknown" for any
 * other value. */
const char *dnsmsg_error_name(int err);

/* Shannon entropy of the bytes s[0 .. n), in bits per byte; 0 when n is 0. */
double dnsmsg_entropy(const char *s, size_t n);

/* Offset in name[0 .. len) where its registrable domain starts: the last two
 * labels, or the last three when the name ends in a two-letter country code
 * preceded by a common second-level label ("co.jp", "com.au"), or in one of
 * a few listed multi-label suffixes ("github.io").  0 when the name has no
 * more labels than that.  A trailing dot is ignored; so is ASCII case. */
size_t dnsmsg_base_domain(const char *name, size_t len);

/* Measures of the part of a name before its registrable domain (without
 * the dot that joins them), the part a tunnel encodes its data in. */
struct dnsmsg_name_score {
	size_t sub_len;         /* length of the subdomain, dots included */
	size_t sub_labels;      /* its labels */
	size_t longest_label;   /* its longest label */
	double entropy;         /* dnsmsg_entropy() of its bytes without the dots */
};

void dnsmsg_name_score(const char *name, size_t len, struct dnsmsg_name_score *out);

#endif
