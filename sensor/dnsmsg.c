/*
 * dnsmsg.c — a summary of one DNS message, for the DNS tunnelling detector.
 *
 * How it works
 *   Every byte of the message is read through dnsmsg_rd8/rd16/rd32, which
 *   fail instead of reading past len.  The header gives the counts; the first
 *   question is decoded into presentation form; for a response, the answer
 *   section is walked record by record (owner name, fixed fields, RDATA
 *   skipped by RDLENGTH) to count types and RDATA bytes.
 *
 *   One function, dnsmsg_name(), reads every domain name, either writing it
 *   out (the question) or only checking it (later names).  Compression
 *   pointers (RFC 1035 section 4.1.4) may point forwards or backwards, at any
 *   offset inside the message; a pointer to an offset >= len is refused, and
 *   a name that needs more than DNSMSG_MAX_JUMPS pointers is a loop.  The
 *   loop is bounded without that count too: each label adds at least 2 to
 *   the wire length, which may not pass 255.
 *
 * Choices worth knowing
 *   - The wire-form limit of RFC 1035 section 2.3.4 (255 octets, length
 *     bytes and the root included) is applied to the name as decoded, across
 *     pointers, so a presentation name is at most 253 characters.
 *   - Length bytes 0x40-0xbf are refused as "label too long": 64..191 is over
 *     the limit of 63, and the types they would encode instead (0x40 extended
 *     label, RFC 6891 section 5; 0x80 reserved) are not in use.
 *   - The question is folded to lower case and anything other than
 *     [a-z0-9-_] (a '.' inside a label, a space, a byte >= 0x80, '=' as used
 *     by dns2tcp) is written '?', so a name can be printed and split on '.'
 *     safely.  How many letters were upper case is kept: base32/base64
 *     tunnels mix case; so do resolvers that use DNS 0x20 randomisation
 *     (draft-vixie-dnsext-dns0x20), between resolver and authority.
 *   - Answers are walked for responses only, DNSMSG_MAX_RR records at most,
 *     counting the questions after the first (skipped, rarely present) in
 *     that budget, so the work per message is bounded whatever the counts
 *     say.  A record cut short or with a malformed name stops the walk but
 *     not the parse: the question is what the detector mostly needs.
 *   - The registrable domain is a heuristic, not the Public Suffix List:
 *     the last two labels, or three under a two-letter country code whose
 *     second-level label is a common one (RFC 1591 left second levels to
 *     each registry; JP, UK, AU, BR, ... use these), or one more label than
 *     a few multi-label suffixes under which each customer gets a name
 *     (dnsmsg_suffixes below).  Those suffixes carry CDN and hosting names
 *     whose first label looks random (d1a2b3c4.cloudfront.net): treating the
 *     whole name as the domain keeps them from looking like encoded data.
 *
 * References
 *   RFC 1035 (message format, compression), RFC 2181 section 11 (any byte in
 *   a label), RFC 1591, RFC 3596 (AAAA), RFC 6891 section 5 (label types).
 */
#include "dnsmsg.h"

#include <math.h>
#include <string.h>

enum {
	DNSMSG_HDR_LEN = 12,
	DNSMSG_WIRE_MAX = 255,      /* RFC 1035 section 2.3.4 */
	DNSMSG_LABEL_MAX = 63,
	DNSMSG_PTR_BITS = 0xc0,
	DNSMSG_QFIXED = 4,          /* QTYPE, QCLASS */
	DNSMSG_RRFIXED = 10         /* TYPE, CLASS, TTL, RDLENGTH */
};

/* ------------------------------------------------------------------ */
/* Bounds-checked reads: the only code that indexes the message.        */

static int dnsmsg_rd8(const uint8_t *m, size_t len, size_t at, uint8_t *v)
{
	if (at >= len)
		return -1;
	*v = m[at];
	return 0;
}

static int dnsmsg_rd16(const uint8_t *m, size_t len, size_t at, uint16_t *v)
{
	if (len < 2 || at > len - 2)
		return -1;
	*v = (uint16_t)((m[at] << 8) | m[at + 1]);
	return 0;
}

/* Whether n bytes at offset at are inside the message. */
static int dnsmsg_has(size_t len, size_t at, size_t n)
{
	return at <= len && n <= len - at;
}

/* ------------------------------------------------------------------ */
/* Names.                                                              */

/* Whether a lower-case byte is kept as is in a presentation name. */
static int dnsmsg_is_plain(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Append the label m[at .. at+n) to the question in q. */
static void dnsmsg_put_label(struct dnsmsg *q, const uint8_t *m, size_t at, uint8_t n)
{
	size_t i;

	/* dnsmsg_name() has checked the wire length: this always fits. */
	if (q->qlabels > 0)
		q->qname[q->qname_len++] = '.';
	for (i = 0; i < n; i++) {
		uint8_t c = m[at + i];

		if (c >= 'A' && c <= 'Z') {
			c = (uint8_t)(c - 'A' + 'a');
			q->qname_upper++;
		}
		if (!dnsmsg_is_plain(c)) {
			c = '?';
			q->qname_odd++;
		}
		q->qname[q->qname_len++] = (char)c;
	}
	q->qname[q->qname_len] = '\0';
	q->qlabels++;
	if (n > q->longest_label)
		q->longest_label = n;
}

/* Read the name at offset off.  *next is set to the offset after it in the
 * record (after the first pointer, if any).  With q, the name is written to
 * q's question fields; without, it is only checked. */
static int dnsmsg_name(const uint8_t *m, size_t len, size_t off, size_t *next,
		       struct dnsmsg *q)
{
	size_t pos = off, end = 0, wire = 0;
	unsigned jumps = 0;
	uint8_t b, b2;

	for (;;) {
		if (dnsmsg_rd8(m, len, pos, &b) != 0)
			return DNSMSG_ERR_TRUNCATED;
		if ((b & DNSMSG_PTR_BITS) == DNSMSG_PTR_BITS) {
			size_t target;

			if (dnsmsg_rd8(m, len, pos + 1, &b2) != 0)
				return DNSMSG_ERR_TRUNCATED;
			target = ((size_t)(b & 0x3f) << 8) | b2;
			if (target >= len)
				return DNSMSG_ERR_POINTER_RANGE;
			if (++jumps > DNSMSG_MAX_JUMPS)
				return DNSMSG_ERR_LOOP;
			if (jumps == 1)
				end = pos + 2;
			pos = target;
			continue;
		}
		if (b > DNSMSG_LABEL_MAX)
			return DNSMSG_ERR_LABEL_TOO_LONG;
		if (b == 0)
			break;
		/* this label, and at least the root after it */
		wire += 1 + (size_t)b;
		if (wire + 1 > DNSMSG_WIRE_MAX)
			return DNSMSG_ERR_NAME_TOO_LONG;
		if (!dnsmsg_has(len, pos + 1, b))
			return DNSMSG_ERR_TRUNCATED;
		if (q != NULL)
			dnsmsg_put_label(q, m, pos + 1, b);
		pos += 1 + (size_t)b;
	}
	*next = jumps ? end : pos + 1;
	return DNSMSG_OK;
}

/* ------------------------------------------------------------------ */
/* Sections.                                                           */

static void dnsmsg_count_type(struct dnsmsg *d, uint16_t type)
{
	switch (type) {
	case DNSMSG_TYPE_A:
		d->answer_a++;
		break;
	case DNSMSG_TYPE_AAAA:
		d->answer_aaaa++;
		break;
	case DNSMSG_TYPE_CNAME:
		d->answer_cname++;
		break;
	case DNSMSG_TYPE_MX:
		d->answer_mx++;
		break;
	case DNSMSG_TYPE_TXT:
		d->answer_txt++;
		break;
	case DNSMSG_TYPE_NULL:
		d->answer_null++;
		break;
	default:
		d->answer_other++;
		break;
	}
}

/* Skip one question at *pos. */
static int dnsmsg_skip_question(const uint8_t *m, size_t len, size_t *pos)
{
	int rc = dnsmsg_name(m, len, *pos, pos, NULL);

	if (rc != DNSMSG_OK)
		return rc;
	if (!dnsmsg_has(len, *pos, DNSMSG_QFIXED))
		return DNSMSG_ERR_TRUNCATED;
	*pos += DNSMSG_QFIXED;
	return DNSMSG_OK;
}

/* Read one resource record at *pos into the answer counters. */
static int dnsmsg_answer(const uint8_t *m, size_t len, size_t *pos, struct dnsmsg *d)
{
	uint16_t type, rdlen;
	int rc = dnsmsg_name(m, len, *pos, pos, NULL);

	if (rc != DNSMSG_OK)
		return rc;
	/* RDLENGTH last: once read, all ten fixed bytes are there */
	if (dnsmsg_rd16(m, len, *pos, &type) != 0 ||
	    dnsmsg_rd16(m, len, *pos + 8, &rdlen) != 0)
		return DNSMSG_ERR_TRUNCATED;
	*pos += DNSMSG_RRFIXED;
	if (!dnsmsg_has(len, *pos, rdlen))
		return DNSMSG_ERR_TRUNCATED;
	*pos += rdlen;
	dnsmsg_count_type(d, type);
	d->answer_rdata_bytes += rdlen;
	d->answers_walked++;
	return DNSMSG_OK;
}

/* Walk the later questions and the answer section from pos, within the
 * DNSMSG_MAX_RR budget.  Problems end the walk; they are not errors. */
static void dnsmsg_answers(const uint8_t *m, size_t len, size_t pos, struct dnsmsg *d)
{
	unsigned budget = DNSMSG_MAX_RR, i;
	int rc = DNSMSG_OK;

	for (i = 1; i < d->qdcount && budget > 0 && rc == DNSMSG_OK; i++, budget--)
		rc = dnsmsg_skip_question(m, len, &pos);
	for (i = 0; i < d->ancount && budget > 0 && rc == DNSMSG_OK; i++, budget--)
		rc = dnsmsg_answer(m, len, &pos, d);
	if (rc != DNSMSG_OK) {
		d->answers_partial = 1;
		d->answers_error = (int8_t)rc;
	}
}

int dnsmsg_parse(const uint8_t *msg, size_t len, struct dnsmsg *out)
{
	uint16_t flags;
	size_t pos;
	int rc;

	memset(out, 0, sizeof(*out));
	if (dnsmsg_rd16(msg, len, 0, &out->id) != 0 ||
	    dnsmsg_rd16(msg, len, 2, &flags) != 0 ||
	    dnsmsg_rd16(msg, len, 4, &out->qdcount) != 0 ||
	    dnsmsg_rd16(msg, len, 6, &out->ancount) != 0 ||
	    dnsmsg_rd16(msg, len, 8, &out->nscount) != 0 ||
	    dnsmsg_rd16(msg, len, 10, &out->arcount) != 0)
		return DNSMSG_ERR_SHORT;
	out->qr = (uint8_t)(flags >> 15);
	out->opcode = (uint8_t)((flags >> 11) & 0x0f);
	out->truncated = (uint8_t)((flags >> 9) & 1);
	out->rcode = (uint8_t)(flags & 0x0f);
	if (out->qdcount == 0)
		return DNSMSG_ERR_NO_QUESTION;

	rc = dnsmsg_name(msg, len, DNSMSG_HDR_LEN, &pos, out);
	if (rc != DNSMSG_OK)
		return rc;
	if (dnsmsg_rd16(msg, len, pos, &out->qtype) != 0 ||
	    dnsmsg_rd16(msg, len, pos + 2, &out->qclass) != 0)
		return DNSMSG_ERR_TRUNCATED;
	pos += DNSMSG_QFIXED;

	if (out->qr)
		dnsmsg_answers(msg, len, pos, out);
	return DNSMSG_OK;
}

static const char *const dnsmsg_error_names[] = {
	[-DNSMSG_OK] = "ok",
	[-DNSMSG_ERR_SHORT] = "short",
	[-DNSMSG_ERR_NO_QUESTION] = "no_question",
	[-DNSMSG_ERR_TRUNCATED] = "truncated",
	[-DNSMSG_ERR_LABEL_TOO_LONG] = "label_too_long",
	[-DNSMSG_ERR_NAME_TOO_LONG] = "name_too_long",
	[-DNSMSG_ERR_POINTER_RANGE] = "pointer_range",
	[-DNSMSG_ERR_LOOP] = "loop",
};

const char *dnsmsg_error_name(int err)
{
	if (err > 0 || err < DNSMSG_ERR_MIN || dnsmsg_error_names[-err] == NULL)
		return "unknown";
	return dnsmsg_error_names[-err];
}

/* ------------------------------------------------------------------ */
/* Name measures.                                                      */

/* Entropy of n bytes whose value counts are count[]: log2(n) - sum(c log2 c)/n. */
static double dnsmsg_entropy_counts(const size_t count[256], size_t n)
{
	double sum = 0.0, h;
	int i;

	if (n == 0)
		return 0.0;
	for (i = 0; i < 256; i++)
		if (count[i] > 1)
			sum += (double)count[i] * log2((double)count[i]);
	h = log2((double)n) - sum / (double)n;
	return h > 0.0 ? h : 0.0;    /* no -0.0 or -1e-16 from rounding */
}

double dnsmsg_entropy(const char *s, size_t n)
{
	size_t count[256] = { 0 };
	size_t i;

	for (i = 0; i < n; i++)
		count[(unsigned char)s[i]]++;
	return dnsmsg_entropy_counts(count, n);
}

/* Second-level labels that registries under two-letter country codes hand
 * out names beneath: JP's co/ne/or/ac/go/lg/ed/gr/ad, and the gTLD-like
 * ones of UK, AU, BR, CN, MX, ... */
static const char *const dnsmsg_cc_slds[] = {
	"ac", "ad", "co", "ed", "go", "gr", "lg", "ne", "or",
	"com", "edu", "gob", "gov", "ltd", "mil", "net", "nom", "org", "plc", "sch",
};

/* Multi-label suffixes under which each customer gets one label, often a
 * random-looking one: the whole customer name is the domain.  Kept short on
 * purpose; add one only for names seen to trip the detector. */
static const char *const dnsmsg_suffixes[] = {
	"appspot.com",         /* Google App Engine */
	"azurewebsites.net",   /* Azure App Service */
	"blogspot.com",
	"cloudfront.net",      /* AWS CDN: d<13 random chars>.cloudfront.net */
	"github.io",
	"herokuapp.com",
};

static char dnsmsg_fold(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether s[0 .. n) equals the NUL-terminated word w, ASCII case ignored. */
static int dnsmsg_equal(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i] == '\0' || dnsmsg_fold(s[i]) != w[i])
			return 0;
	return w[n] == '\0';
}

/* Labels of the listed suffix name[0 .. len) ends in (at a label boundary),
 * or 0. */
static size_t dnsmsg_suffix_labels(const char *name, size_t len)
{
	size_t i, j, n, labels;

	for (i = 0; i < sizeof(dnsmsg_suffixes) / sizeof(dnsmsg_suffixes[0]); i++) {
		const char *sfx = dnsmsg_suffixes[i];

		n = strlen(sfx);
		if (n > len || (n < len && name[len - n - 1] != '.') ||
		    !dnsmsg_equal(name + len - n, n, sfx))
			continue;
		for (j = 0, labels = 1; j < n; j++)
			labels += sfx[j] == '.';
		return labels;
	}
	return 0;
}

static int dnsmsg_is_cc_sld(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(dnsmsg_cc_slds) / sizeof(dnsmsg_cc_slds[0]); i++)
		if (dnsmsg_equal(s, n, dnsmsg_cc_slds[i]))
			return 1;
	return 0;
}

static int dnsmsg_is_letter(char c)
{
	c = dnsmsg_fold(c);
	return c >= 'a' && c <= 'z';
}

#define DNSMSG_BASE_MAX_LABELS 4   /* a base domain has at most 3 labels */

size_t dnsmsg_base_domain(const char *name, size_t len)
{
	size_t start[DNSMSG_BASE_MAX_LABELS];   /* start[k]: k-th label from the end */
	size_t stop[DNSMSG_BASE_MAX_LABELS];    /* its end */
	size_t nl = 0, want = 2, sfx, i;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0)
		return 0;
	i = len;
	while (nl < DNSMSG_BASE_MAX_LABELS) {
		stop[nl] = i;
		while (i > 0 && name[i - 1] != '.')
			i--;
		start[nl++] = i;
		if (i == 0)
			break;
		i--;                            /* the dot */
	}
	sfx = dnsmsg_suffix_labels(name, len);
	if (sfx > 0)
		want = sfx + 1;
	else if (nl >= 2 && stop[0] - start[0] == 2 &&
		 dnsmsg_is_letter(name[start[0]]) && dnsmsg_is_letter(name[start[0] + 1]) &&
		 dnsmsg_is_cc_sld(name + start[1], stop[1] - start[1]))
		want = 3;
	if (want > nl)
		return 0;
	return start[want - 1];
}

void dnsmsg_name_score(const char *name, size_t len, struct dnsmsg_name_score *out)
{
	size_t count[256] = { 0 };
	size_t base = dnsmsg_base_domain(name, len);
	size_t i, label = 0, chars = 0;

	memset(out, 0, sizeof(*out));
	if (base == 0)
		return;
	out->sub_len = base - 1;             /* without the dot before the domain */
	out->sub_labels = 1;
	for (i = 0; i < out->sub_len; i++) {
		if (name[i] == '.') {
			out->sub_labels++;
			label = 0;
			continue;
		}
		count[(unsigned char)name[i]]++;
		chars++;
		if (++label > out->longest_label)
			out->longest_label = label;
	}
	out->entropy = dnsmsg_entropy_counts(count, chars);
}
