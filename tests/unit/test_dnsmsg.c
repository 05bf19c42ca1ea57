/*
 * test_dnsmsg — unit tests of sensor/dnsmsg.c through dnsmsg.h.
 *
 * Messages are built byte by byte with the m_*() helpers, or copied from
 * real captures (the arrays near the end, with the tcpdump line they were
 * checked against).  Every message is handed to dnsmsg_parse() in a heap
 * buffer of exactly its length, so AddressSanitizer sees any read past the
 * end.  Prints only failures, then "N passed, N failed".
 */
#include "dnsmsg.h"

#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- message building ---- */

#define MSG_MAX 2048

struct msg {
	uint8_t b[MSG_MAX];
	size_t n;
};

static void m_u8(struct msg *m, unsigned v)
{
	if (m->n < MSG_MAX)
		m->b[m->n++] = (uint8_t)v;
}

static void m_u16(struct msg *m, unsigned v)
{
	m_u8(m, v >> 8);
	m_u8(m, v & 0xff);
}

static void m_u32(struct msg *m, uint32_t v)
{
	m_u16(m, v >> 16);
	m_u16(m, v & 0xffff);
}

static void m_bytes(struct msg *m, const void *p, size_t n)
{
	const uint8_t *s = p;
	size_t i;

	for (i = 0; i < n; i++)
		m_u8(m, s[i]);
}

static void m_hdr(struct msg *m, unsigned id, unsigned flags, unsigned qd, unsigned an,
		  unsigned ns, unsigned ar)
{
	memset(m, 0, sizeof(*m));
	m_u16(m, id);
	m_u16(m, flags);
	m_u16(m, qd);
	m_u16(m, an);
	m_u16(m, ns);
	m_u16(m, ar);
}

/* Labels of a dotted name, without the terminating zero ("" writes none). */
static void m_labels(struct msg *m, const char *name)
{
	while (*name) {
		size_t n = strcspn(name, ".");

		m_u8(m, (unsigned)n);
		m_bytes(m, name, n);
		name += n;
		if (*name == '.')
			name++;
	}
}

/* A whole uncompressed name. */
static void m_name(struct msg *m, const char *name)
{
	m_labels(m, name);
	m_u8(m, 0);
}

static void m_ptr(struct msg *m, unsigned off)
{
	m_u16(m, 0xc000 | off);
}

static void m_question(struct msg *m, const char *name, unsigned type)
{
	m_name(m, name);
	m_u16(m, type);
	m_u16(m, 1);
}

/* Fixed part of a record whose owner was just written; returns the offset
 * of RDLENGTH for m_rdlen(). */
static size_t m_rr(struct msg *m, unsigned type)
{
	size_t at;

	m_u16(m, type);
	m_u16(m, 1);
	m_u32(m, 300);
	at = m->n;
	m_u16(m, 0);
	return at;
}

/* Patch RDLENGTH = bytes written since it. */
static void m_rdlen(struct msg *m, size_t at)
{
	size_t n = m->n - at - 2;

	m->b[at] = (uint8_t)(n >> 8);
	m->b[at + 1] = (uint8_t)(n & 0xff);
}

static int parse_n(const uint8_t *b, size_t n, struct dnsmsg *d)
{
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	if (copy == NULL) {
		perror("malloc");
		exit(2);
	}
	memcpy(copy, b, n);
	rc = dnsmsg_parse(copy, n, d);
	free(copy);
	return rc;
}

static int parse(const struct msg *m, struct dnsmsg *d)
{
	return parse_n(m->b, m->n, d);
}

static int near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

/* ---- header and question ---- */

static void test_plain_query(void)
{
	struct dnsmsg d;
	struct msg m;

	m_hdr(&m, 0x1234, 0x0100, 1, 0, 0, 0);
	m_question(&m, "www.Example.COM", 1);
	CHECK(parse(&m, &d) == DNSMSG_OK, "plain query parses");
	CHECK(d.id == 0x1234 && d.qr == 0 && d.opcode == 0 && d.rcode == 0 && d.truncated == 0,
	      "plain query header: id %#x qr %u", d.id, d.qr);
	CHECK(d.qdcount == 1 && d.ancount == 0 && d.nscount == 0 && d.arcount == 0, "plain query counts");
	CHECK(strcmp(d.qname, "www.example.com") == 0, "upper case folded: '%s'", d.qname);
	CHECK(d.qname_len == 15 && d.qlabels == 3 && d.longest_label == 7,
	      "plain query measures: len %u labels %u longest %u", d.qname_len, d.qlabels,
	      d.longest_label);
	CHECK(d.qname_upper == 4 && d.qname_odd == 0, "upper %u odd %u", d.qname_upper, d.qname_odd);
	CHECK(d.qtype == 1 && d.qclass == 1, "qtype %u qclass %u", d.qtype, d.qclass);
	CHECK(d.answers_walked == 0 && d.answers_partial == 0 && d.answer_rdata_bytes == 0,
	      "a query walks no answers");

	/* opcode, rcode and TC come from the flags word */
	m_hdr(&m, 1, 0x8000 | (2u << 11) | 0x0200 | 0x5, 1, 0, 0, 0);
	m_question(&m, "example.com", 16);
	CHECK(parse(&m, &d) == DNSMSG_OK && d.qr == 1 && d.opcode == 2 && d.truncated == 1 &&
	      d.rcode == 5, "flags: qr %u opcode %u tc %u rcode %u", d.qr, d.opcode, d.truncated,
	      d.rcode);

	/* a query that claims answers: not walked */
	m_hdr(&m, 1, 0x0100, 1, 1, 0, 0);
	m_question(&m, "example.com", 1);
	m_ptr(&m, 12);
	m_rr(&m, 1);
	CHECK(parse(&m, &d) == DNSMSG_OK && d.answers_walked == 0 && d.answer_a == 0,
	      "query with ancount 1: answers not walked");
}

static void test_root_and_odd_bytes(void)
{
	static const uint8_t odd[] = { 'a', ' ', 'B', '.', 'c', 0xff, '=', '_', '-', '9', '*', 0 };
	struct dnsmsg d;
	struct msg m;

	m_hdr(&m, 7, 0, 1, 0, 0, 0);
	m_question(&m, "", 2);
	CHECK(parse(&m, &d) == DNSMSG_OK, "root question parses");
	CHECK(d.qname[0] == '\0' && d.qname_len == 0 && d.qlabels == 0 && d.longest_label == 0 &&
	      d.qtype == 2, "root: '%s' len %u labels %u", d.qname, d.qname_len, d.qlabels);

	m_hdr(&m, 7, 0, 1, 0, 0, 0);
	m_u8(&m, sizeof(odd) - 1);
	m_bytes(&m, odd, sizeof(odd) - 1);
	m_name(&m, "Com");
	m_u16(&m, 1);
	m_u16(&m, 1);
	CHECK(parse(&m, &d) == DNSMSG_OK, "odd bytes parse");
	CHECK(strcmp(d.qname, "a?b?c??_-9?.com") == 0, "odd bytes written '?': '%s'", d.qname);
	CHECK(d.qname_len == strlen(d.qname) && d.qlabels == 2 && d.longest_label == 11,
	      "odd bytes: len %u labels %u longest %u", d.qname_len, d.qlabels, d.longest_label);
	CHECK(d.qname_odd == 5 && d.qname_upper == 2, "odd %u upper %u", d.qname_odd, d.qname_upper);
}

static void test_header_errors(void)
{
	struct dnsmsg d;
	struct msg m;
	size_t n;
	int bad = 0;

	m_hdr(&m, 1, 0, 1, 0, 0, 0);
	m_question(&m, "a.example", 1);
	for (n = 0; n < 12; n++)
		bad += parse_n(m.b, n, &d) != DNSMSG_ERR_SHORT;
	CHECK(bad == 0, "every header shorter than 12 bytes: short (%d wrong)", bad);

	bad = 0;
	for (n = 12; n < m.n; n++)
		bad += parse_n(m.b, n, &d) != DNSMSG_ERR_TRUNCATED;
	CHECK(bad == 0, "every cut question: truncated (%d wrong)", bad);
	CHECK(parse(&m, &d) == DNSMSG_OK, "the whole question parses");

	m_hdr(&m, 1, 0x8180, 0, 1, 0, 0);
	m_question(&m, "a.example", 1);
	CHECK(parse(&m, &d) == DNSMSG_ERR_NO_QUESTION, "qdcount 0: no_question");
}

static void test_label_and_name_limits(void)
{
	char big[64];
	struct dnsmsg d;
	struct msg m;
	size_t i;

	memset(big, 'x', sizeof(big));

	m_hdr(&m, 1, 0, 1, 0, 0, 0);
	m_u8(&m, 63);
	m_bytes(&m, big, 63);
	m_name(&m, "com");
	m_u16(&m, 1);
	m_u16(&m, 1);
	CHECK(parse(&m, &d) == DNSMSG_OK && d.longest_label == 63 && d.qname_len == 67,
	      "63-byte label: ok (longest %u)", d.longest_label);

	m_hdr(&m, 1, 0, 1, 0, 0, 0);
	m_u8(&m, 64);
	m_bytes(&m, big, 64);
	m_name(&m, "com");
	m_u16(&m, 1);
	m_u16(&m, 1);
	CHECK(parse(&m, &d) == DNSMSG_ERR_LABEL_TOO_LONG, "64-byte label: label_too_long");
	m.b[12] = 0x80;
	CHECK(parse(&m, &d) == DNSMSG_ERR_LABEL_TOO_LONG, "length byte 0x80: label_too_long");
	m.b[12] = 0xbf;
	CHECK(parse(&m, &d) == DNSMSG_ERR_LABEL_TOO_LONG, "length byte 0xbf: label_too_long");

	/* 63+63+63+61: 255 octets on the wire, 253 characters */
	m_hdr(&m, 1, 0, 1, 0, 0, 0);
	for (i = 0; i < 3; i++) {
		m_u8(&m, 63);
		m_bytes(&m, big, 63);
	}
	m_u8(&m, 61);
	m_bytes(&m, big, 61);
	m_u8(&m, 0);
	m_u16(&m, 1);
	m_u16(&m, 1);
	CHECK(parse(&m, &d) == DNSMSG_OK && d.qname_len == 253 && d.qname_len == strlen(d.qname) &&
	      d.qlabels == 4, "255-octet name: ok, %u characters", d.qname_len);
	m.b[12 + 3 * 64] = 62;        /* 256 octets (the rest shifts: irrelevant) */
	CHECK(parse(&m, &d) == DNSMSG_ERR_NAME_TOO_LONG, "256-octet name: name_too_long");

	m_hdr(&m, 1, 0, 1, 0, 0, 0);
	for (i = 0; i < 5; i++) {
		m_u8(&m, 63);
		m_bytes(&m, big, 63);
	}
	m_u8(&m, 0);
	m_u16(&m, 1);
	m_u16(&m, 1);
	CHECK(parse(&m, &d) == DNSMSG_ERR_NAME_TOO_LONG, "5 x 63-byte labels: name_too_long");

	/* 128 one-byte labels: 257 octets */
	m_hdr(&m, 1, 0, 1, 0, 0, 0);
	for (i = 0; i < 128; i++)
		m_labels(&m, "a");
	m_u8(&m, 0);
	m_u16(&m, 1);
	m_u16(&m, 1);
	CHECK(parse(&m, &d) == DNSMSG_ERR_NAME_TOO_LONG, "128 labels: name_too_long");
}

/* ---- compression ---- */

static void test_compression(void)
{
	struct dnsmsg d;
	struct msg m;
	size_t p1, p2, at;

	/* question "x" -> forward pointer to "y" -> forward pointer to
	 * "example.com", both placed after the question */
	m_hdr(&m, 1, 0, 1, 0, 0, 0);
	m_labels(&m, "x");
	m_ptr(&m, 12 + 2 + 2 + 4);            /* p1 */
	m_u16(&m, 1);
	m_u16(&m, 1);
	p1 = m.n;
	m_labels(&m, "y");
	m_ptr(&m, (unsigned)(p1 + 4));        /* p2 */
	p2 = m.n;
	m_name(&m, "example.com");
	CHECK(p1 == 20 && p2 == 24, "chain layout (p1 %zu p2 %zu)", p1, p2);
	CHECK(parse(&m, &d) == DNSMSG_OK && strcmp(d.qname, "x.y.example.com") == 0 &&
	      d.qtype == 1 && d.qlabels == 4, "forward pointer chain: '%s'", d.qname);

	/* response: owner names point back at the question, a CNAME target
	 * ends in a pointer, and the next owner points at that target (a
	 * backward chain of two) */
	m_hdr(&m, 2, 0x8180, 1, 3, 0, 0);
	m_question(&m, "www.example.com", 1);
	m_ptr(&m, 12);
	at = m_rr(&m, 5);
	p1 = m.n;
	m_labels(&m, "cdn");
	m_ptr(&m, 12 + 4);                    /* "example.com" of the question */
	m_rdlen(&m, at);
	m_ptr(&m, (unsigned)p1);              /* cdn.example.com */
	at = m_rr(&m, 1);
	m_u32(&m, 0x0a000001);
	m_rdlen(&m, at);
	m_ptr(&m, (unsigned)p1);
	at = m_rr(&m, 1);
	m_u32(&m, 0x0a000002);
	m_rdlen(&m, at);
	CHECK(parse(&m, &d) == DNSMSG_OK && d.answers_walked == 3 && d.answers_partial == 0 &&
	      d.answer_cname == 1 && d.answer_a == 2 && d.answer_rdata_bytes == 6 + 8,
	      "backward pointer chains in answers: walked %u partial %u rdata %u",
	      d.answers_walked, d.answers_partial, d.answer_rdata_bytes);
}

static void test_compression_errors(void)
{
	struct dnsmsg d;
	struct msg m;
	size_t i;
	char big[63];

	m_hdr(&m, 1, 0, 1, 0, 0, 0);
	m_ptr(&m, 12);                        /* itself */
	m_u16(&m, 1);
	m_u16(&m, 1);
	CHECK(parse(&m, &d) == DNSMSG_ERR_LOOP, "pointer to itself: loop");

	m_hdr(&m, 1, 0, 1, 0, 0, 0);
	m_labels(&m, "a");
	m_ptr(&m, 12);                        /* "a" forever */
	m_u16(&m, 1);
	m_u16(&m, 1);
	CHECK(parse(&m, &d) == DNSMSG_ERR_LOOP, "label then pointer back: loop");

	m_hdr(&m, 1, 0, 1, 0, 0, 0);
	m_ptr(&m, 18);                        /* 12 -> 18 -> 12 */
	m_u16(&m, 1);
	m_u16(&m, 1);
	m_ptr(&m, 12);
	CHECK(parse(&m, &d) == DNSMSG_ERR_LOOP, "two pointers in a cycle: loop");

	memset(big, 'z', sizeof(big));
	m_hdr(&m, 1, 0, 1, 0, 0, 0);
	m_u8(&m, 63);
	m_bytes(&m, big, 63);
	m_ptr(&m, 12);                        /* grows by 64 per turn */
	m_u16(&m, 1);
	m_u16(&m, 1);
	CHECK(parse(&m, &d) == DNSMSG_ERR_NAME_TOO_LONG, "long label in a cycle: name_too_long");

	/* a chain of exactly DNSMSG_MAX_JUMPS pointers is fine, one more is not */
	m_hdr(&m, 1, 0, 1, 0, 0, 0);
	m_ptr(&m, 12 + 2 + 4);
	m_u16(&m, 1);
	m_u16(&m, 1);
	for (i = 1; i < DNSMSG_MAX_JUMPS; i++)
		m_ptr(&m, (unsigned)(m.n + 2));
	m_name(&m, "end");
	CHECK(parse(&m, &d) == DNSMSG_OK && strcmp(d.qname, "end") == 0,
	      "%d pointers: ok", DNSMSG_MAX_JUMPS);
	m_hdr(&m, 1, 0, 1, 0, 0, 0);
	m_ptr(&m, 12 + 2 + 4);
	m_u16(&m, 1);
	m_u16(&m, 1);
	for (i = 0; i < DNSMSG_MAX_JUMPS; i++)
		m_ptr(&m, (unsigned)(m.n + 2));
	m_name(&m, "end");
	CHECK(parse(&m, &d) == DNSMSG_ERR_LOOP, "%d pointers: loop", DNSMSG_MAX_JUMPS + 1);

	m_hdr(&m, 1, 0, 1, 0, 0, 0);
	m_labels(&m, "a");
	m_ptr(&m, 0x3fff);
	m_u16(&m, 1);
	m_u16(&m, 1);
	CHECK(parse(&m, &d) == DNSMSG_ERR_POINTER_RANGE, "pointer far beyond the message");
	m_hdr(&m, 1, 0, 1, 0, 0, 0);
	m_ptr(&m, 12 + 2 + 4);                /* == length */
	m_u16(&m, 1);
	m_u16(&m, 1);
	CHECK(parse(&m, &d) == DNSMSG_ERR_POINTER_RANGE, "pointer to the byte after the end");
	m.n--;                                /* the pointer's second byte is still there */
	CHECK(parse(&m, &d) == DNSMSG_ERR_POINTER_RANGE, "pointer just beyond, cut message");
	m_hdr(&m, 1, 0, 1, 0, 0, 0);
	m_u8(&m, 0xc0);                       /* first byte of a pointer, then the end */
	CHECK(parse(&m, &d) == DNSMSG_ERR_TRUNCATED, "half a pointer: truncated");
}

/* ---- answers ---- */

/* A response with one answer of each counted type (and AAAA, SOA). */
static void build_all_types(struct msg *m)
{
	static const uint8_t txt[] = { 5, 'h', 'e', 'l', 'l', 'o', 3, 'a', 'b', 'c' };
	static const uint8_t null_rd[] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01 };
	size_t at;

	m_hdr(m, 0xbeef, 0x8180, 1, 7, 0, 0);
	m_question(m, "t.example.com", 255);
	m_ptr(m, 12);
	at = m_rr(m, DNSMSG_TYPE_A);
	m_u32(m, 0xc0000201);
	m_rdlen(m, at);
	m_ptr(m, 12);
	at = m_rr(m, DNSMSG_TYPE_TXT);
	m_bytes(m, txt, sizeof(txt));
	m_rdlen(m, at);
	m_ptr(m, 12);
	at = m_rr(m, DNSMSG_TYPE_NULL);
	m_bytes(m, null_rd, sizeof(null_rd));
	m_rdlen(m, at);
	m_ptr(m, 12);
	at = m_rr(m, DNSMSG_TYPE_CNAME);
	m_labels(m, "c");
	m_ptr(m, 12 + 2);
	m_rdlen(m, at);
	m_ptr(m, 12);
	at = m_rr(m, DNSMSG_TYPE_MX);
	m_u16(m, 10);
	m_name(m, "mail.example.org");
	m_rdlen(m, at);
	m_name(m, "t.example.com");            /* uncompressed owner */
	at = m_rr(m, DNSMSG_TYPE_AAAA);
	m_u32(m, 0x20010db8);
	m_u32(m, 0);
	m_u32(m, 0);
	m_u32(m, 1);
	m_rdlen(m, at);
	m_ptr(m, 12);
	at = m_rr(m, 6);                       /* SOA: other */
	m_u8(m, 0);
	m_u8(m, 0);
	m_u32(m, 1);
	m_u32(m, 2);
	m_u32(m, 3);
	m_u32(m, 4);
	m_u32(m, 5);
	m_rdlen(m, at);
}

#define ALL_TYPES_RDATA (4 + 10 + 6 + 4 + 20 + 16 + 22)

static void test_answers(void)
{
	struct dnsmsg d;
	struct msg m;
	size_t n, first6 = 0;
	int bad = 0;

	build_all_types(&m);
	CHECK(parse(&m, &d) == DNSMSG_OK, "response with 7 answers parses");
	CHECK(d.qr == 1 && d.ancount == 7 && d.answers_walked == 7 && d.answers_partial == 0 &&
	      d.answers_error == 0, "walked %u partial %u", d.answers_walked, d.answers_partial);
	CHECK(d.answer_a == 1 && d.answer_txt == 1 && d.answer_null == 1 && d.answer_cname == 1 &&
	      d.answer_mx == 1 && d.answer_aaaa == 1 && d.answer_other == 1,
	      "one of each type: a %u txt %u null %u cname %u mx %u aaaa %u other %u",
	      d.answer_a, d.answer_txt, d.answer_null, d.answer_cname, d.answer_mx, d.answer_aaaa,
	      d.answer_other);
	CHECK(d.answer_rdata_bytes == ALL_TYPES_RDATA, "rdata bytes %u", d.answer_rdata_bytes);
	CHECK(strcmp(d.qname, "t.example.com") == 0 && d.qtype == 255, "question kept: '%s'", d.qname);

	/* Every cut after the question: still parsed, the walk partial, the
	 * records that fit counted; the whole message is not partial. */
	for (n = 12 + 15 + 4; n < m.n; n++) {
		if (parse_n(m.b, n, &d) != DNSMSG_OK || !d.answers_partial ||
		    d.answers_error != DNSMSG_ERR_TRUNCATED || d.answers_walked >= 7 ||
		    strcmp(d.qname, "t.example.com") != 0)
			bad++;
		if (d.answers_walked == 6 && first6 == 0)
			first6 = n;
	}
	CHECK(bad == 0, "every cut answer section: ok, partial, truncated (%d wrong)", bad);
	CHECK(first6 == m.n - 34, "six records counted from the start of the seventh "
	      "(%zu, want %zu)", first6, m.n - 34);
	CHECK(parse_n(m.b, 12 + 15 + 4 + 2 + 10 + 2, &d) == DNSMSG_OK && d.answers_walked == 0 &&
	      d.answers_partial == 1, "first A record cut in its RDATA: 0 walked, partial");

	/* more answers claimed than present */
	m.b[7] = 9;
	CHECK(parse(&m, &d) == DNSMSG_OK && d.answers_walked == 7 && d.answers_partial == 1 &&
	      d.answers_error == DNSMSG_ERR_TRUNCATED, "ancount 9 with 7 records: partial after 7");

	/* a malformed owner name stops the walk */
	build_all_types(&m);
	m.b[12 + 15 + 4 + 1] = 0xff;          /* first owner: pointer past the end */
	CHECK(parse(&m, &d) == DNSMSG_OK && d.answers_walked == 0 && d.answers_partial == 1 &&
	      d.answers_error == DNSMSG_ERR_POINTER_RANGE, "bad owner pointer: partial (%s)",
	      dnsmsg_error_name(d.answers_error));
	build_all_types(&m);
	m.b[12 + 15 + 4 + 1] = 12 + 15 + 4;    /* first owner points at itself */
	CHECK(parse(&m, &d) == DNSMSG_OK && d.answers_walked == 0 && d.answers_partial == 1 &&
	      d.answers_error == DNSMSG_ERR_LOOP, "owner pointer loop: partial (%s)",
	      dnsmsg_error_name(d.answers_error));
}

static void test_answer_budget(void)
{
	struct dnsmsg d;
	struct msg m;
	size_t at;
	int i;

	m_hdr(&m, 1, 0x8180, 1, 40, 0, 0);
	m_question(&m, "many.example", 1);
	for (i = 0; i < 40; i++) {
		m_ptr(&m, 12);
		at = m_rr(&m, 1);
		m_u32(&m, (uint32_t)i);
		m_rdlen(&m, at);
	}
	CHECK(parse(&m, &d) == DNSMSG_OK && d.answers_walked == DNSMSG_MAX_RR &&
	      d.answer_a == DNSMSG_MAX_RR && d.answers_partial == 0 &&
	      d.answer_rdata_bytes == 4 * DNSMSG_MAX_RR, "40 answers: %u walked, not partial",
	      d.answers_walked);

	/* a second question is skipped and counts in the budget */
	m_hdr(&m, 1, 0x8180, 2, 2, 0, 0);
	m_question(&m, "one.example", 1);
	m_ptr(&m, 12);
	m_u16(&m, 28);
	m_u16(&m, 1);
	m_ptr(&m, 12);
	at = m_rr(&m, 1);
	m_u32(&m, 1);
	m_rdlen(&m, at);
	m_ptr(&m, 12);
	at = m_rr(&m, 16);
	m_u8(&m, 0);
	m_rdlen(&m, at);
	CHECK(parse(&m, &d) == DNSMSG_OK && strcmp(d.qname, "one.example") == 0 && d.qtype == 1 &&
	      d.answers_walked == 2 && d.answer_a == 1 && d.answer_txt == 1 && !d.answers_partial,
	      "two questions: the first reported, answers walked (%u)", d.answers_walked);
	m.n = 12 + 13 + 4 + 3;               /* cut inside the second question */
	CHECK(parse(&m, &d) == DNSMSG_OK && d.answers_walked == 0 && d.answers_partial == 1,
	      "second question cut: partial");
	m.n = 12 + 13 + 4 + 2 + 4;
	m.b[12 + 13 + 4 + 1] = 12 + 13 + 4;  /* second question's name: a loop */
	CHECK(parse(&m, &d) == DNSMSG_OK && d.answers_walked == 0 && d.answers_partial == 1 &&
	      d.answers_error == DNSMSG_ERR_LOOP && strcmp(d.qname, "one.example") == 0,
	      "second question's name loops: partial (%s)", dnsmsg_error_name(d.answers_error));
}

/* ---- real messages ---- */

/* dnscat2.pcap frame 1:
 * 8648+ MX? 147901b8d3df9cc46c59d600078b3316ce.biillpi.com. (64) */
static const uint8_t dnscat2_mx_query[] = {
	0x21, 0xc8, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x22, 0x31, 0x34, 0x37, 0x39, 0x30, 0x31, 0x62, 0x38, 0x64, 0x33, 0x64,
	0x66, 0x39, 0x63, 0x63, 0x34, 0x36, 0x63, 0x35, 0x39, 0x64, 0x36, 0x30,
	0x30, 0x30, 0x37, 0x38, 0x62, 0x33, 0x33, 0x31, 0x36, 0x63, 0x65, 0x07,
	0x62, 0x69, 0x69, 0x6c, 0x6c, 0x70, 0x69, 0x03, 0x63, 0x6f, 0x6d, 0x00,
	0x00, 0x0f, 0x00, 0x01,
};

/* dnscat2.pcap frame 2:
 * 8648 1/0/0 MX 611801b8d3ce2318e351d8ffffd59e7416.biillpi.com. 10 (126) */
static const uint8_t dnscat2_mx_response[] = {
	0x21, 0xc8, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x22, 0x31, 0x34, 0x37, 0x39, 0x30, 0x31, 0x62, 0x38, 0x64, 0x33, 0x64,
	0x66, 0x39, 0x63, 0x63, 0x34, 0x36, 0x63, 0x35, 0x39, 0x64, 0x36, 0x30,
	0x30, 0x30, 0x37, 0x38, 0x62, 0x33, 0x33, 0x31, 0x36, 0x63, 0x65, 0x07,
	0x62, 0x69, 0x69, 0x6c, 0x6c, 0x70, 0x69, 0x03, 0x63, 0x6f, 0x6d, 0x00,
	0x00, 0x0f, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x3c, 0x00, 0x32, 0x00, 0x0a, 0x22, 0x36, 0x31, 0x31, 0x38, 0x30,
	0x31, 0x62, 0x38, 0x64, 0x33, 0x63, 0x65, 0x32, 0x33, 0x31, 0x38, 0x65,
	0x33, 0x35, 0x31, 0x64, 0x38, 0x66, 0x66, 0x66, 0x66, 0x64, 0x35, 0x39,
	0x65, 0x37, 0x34, 0x31, 0x36, 0x07, 0x62, 0x69, 0x69, 0x6c, 0x6c, 0x70,
	0x69, 0x03, 0x63, 0x6f, 0x6d, 0x00,
};

/* dnscat2.pcap frame 6:
 * 6045 1/0/0 TXT "480e01b8d3040655d23e05ffffd59e7416" (111) */
static const uint8_t dnscat2_txt_response[] = {
	0x17, 0x9d, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x22, 0x62, 0x63, 0x34, 0x34, 0x30, 0x31, 0x62, 0x38, 0x64, 0x33, 0x36,
	0x31, 0x30, 0x31, 0x61, 0x33, 0x30, 0x64, 0x31, 0x63, 0x61, 0x31, 0x30,
	0x30, 0x30, 0x39, 0x39, 0x30, 0x34, 0x65, 0x37, 0x62, 0x66, 0x39, 0x07,
	0x62, 0x69, 0x69, 0x6c, 0x6c, 0x70, 0x69, 0x03, 0x63, 0x6f, 0x6d, 0x00,
	0x00, 0x10, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x3c, 0x00, 0x23, 0x22, 0x34, 0x38, 0x30, 0x65, 0x30, 0x31, 0x62,
	0x38, 0x64, 0x33, 0x30, 0x34, 0x30, 0x36, 0x35, 0x35, 0x64, 0x32, 0x33,
	0x65, 0x30, 0x35, 0x66, 0x66, 0x66, 0x66, 0x64, 0x35, 0x39, 0x65, 0x37,
	0x34, 0x31, 0x36,
};

/* dnscat2.pcap frame 22:
 * 33687 1/0/0 CNAME d02801b8d3febb7721a988ffffd59e7416.biillpi.com. (124) */
static const uint8_t dnscat2_cname_response[] = {
	0x83, 0x97, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x22, 0x38, 0x62, 0x38, 0x64, 0x30, 0x31, 0x62, 0x38, 0x64, 0x33, 0x30,
	0x35, 0x30, 0x63, 0x62, 0x39, 0x35, 0x61, 0x34, 0x36, 0x62, 0x37, 0x30,
	0x30, 0x31, 0x31, 0x30, 0x33, 0x65, 0x38, 0x66, 0x35, 0x65, 0x63, 0x07,
	0x62, 0x69, 0x69, 0x6c, 0x6c, 0x70, 0x69, 0x03, 0x63, 0x6f, 0x6d, 0x00,
	0x00, 0x05, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x3c, 0x00, 0x30, 0x22, 0x64, 0x30, 0x32, 0x38, 0x30, 0x31, 0x62,
	0x38, 0x64, 0x33, 0x66, 0x65, 0x62, 0x62, 0x37, 0x37, 0x32, 0x31, 0x61,
	0x39, 0x38, 0x38, 0x66, 0x66, 0x66, 0x66, 0x64, 0x35, 0x39, 0x65, 0x37,
	0x34, 0x31, 0x36, 0x07, 0x62, 0x69, 0x69, 0x6c, 0x6c, 0x70, 0x69, 0x03,
	0x63, 0x6f, 0x6d, 0x00,
};

/* dns2tcp.pcap frame 3: 37864+ TXT?
 * oneFgAABADc0QUU3NjcyN0I4OUEzRENFQzg3OEE4QzEzQUI1NjJBOEEwNjY0QUY.=auth.dns2tcp.hsc.fr. (102) */
static const uint8_t dns2tcp_txt_query[] = {
	0x93, 0xe8, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x3f, 0x6f, 0x6e, 0x65, 0x46, 0x67, 0x41, 0x41, 0x42, 0x41, 0x44, 0x63,
	0x30, 0x51, 0x55, 0x55, 0x33, 0x4e, 0x6a, 0x63, 0x79, 0x4e, 0x30, 0x49,
	0x34, 0x4f, 0x55, 0x45, 0x7a, 0x52, 0x45, 0x4e, 0x46, 0x51, 0x7a, 0x67,
	0x33, 0x4f, 0x45, 0x45, 0x34, 0x51, 0x7a, 0x45, 0x7a, 0x51, 0x55, 0x49,
	0x31, 0x4e, 0x6a, 0x4a, 0x42, 0x4f, 0x45, 0x45, 0x77, 0x4e, 0x6a, 0x59,
	0x30, 0x51, 0x55, 0x59, 0x05, 0x3d, 0x61, 0x75, 0x74, 0x68, 0x07, 0x64,
	0x6e, 0x73, 0x32, 0x74, 0x63, 0x70, 0x03, 0x68, 0x73, 0x63, 0x02, 0x66,
	0x72, 0x00, 0x00, 0x10, 0x00, 0x01,
};

/* dns2tcp.pcap frame 4: 37864* 1/0/0 TXT "AoneFgAABAA" "" (127) */
static const uint8_t dns2tcp_txt_response[] = {
	0x93, 0xe8, 0x85, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x3f, 0x6f, 0x6e, 0x65, 0x46, 0x67, 0x41, 0x41, 0x42, 0x41, 0x44, 0x63,
	0x30, 0x51, 0x55, 0x55, 0x33, 0x4e, 0x6a, 0x63, 0x79, 0x4e, 0x30, 0x49,
	0x34, 0x4f, 0x55, 0x45, 0x7a, 0x52, 0x45, 0x4e, 0x46, 0x51, 0x7a, 0x67,
	0x33, 0x4f, 0x45, 0x45, 0x34, 0x51, 0x7a, 0x45, 0x7a, 0x51, 0x55, 0x49,
	0x31, 0x4e, 0x6a, 0x4a, 0x42, 0x4f, 0x45, 0x45, 0x77, 0x4e, 0x6a, 0x59,
	0x30, 0x51, 0x55, 0x59, 0x05, 0x3d, 0x61, 0x75, 0x74, 0x68, 0x07, 0x64,
	0x6e, 0x73, 0x32, 0x74, 0x63, 0x70, 0x03, 0x68, 0x73, 0x63, 0x02, 0x66,
	0x72, 0x00, 0x00, 0x10, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x03, 0x00, 0x0d, 0x0b, 0x41, 0x6f, 0x6e, 0x65, 0x46,
	0x67, 0x41, 0x41, 0x42, 0x41, 0x41, 0x00,
};

/* test-pcaps/ndpi/dns-tunnel-iodine.pcap frame 2: 4784*- 1/0/0 NULL (61) */
static const uint8_t iodine_null_response[] = {
	0x12, 0xb0, 0x84, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x0b, 0x76, 0x61, 0x61, 0x61, 0x61, 0x6b, 0x61, 0x72, 0x64, 0x6c, 0x69,
	0x06, 0x70, 0x69, 0x72, 0x61, 0x74, 0x65, 0x03, 0x73, 0x65, 0x61, 0x00,
	0x00, 0x0a, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x0a, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x09, 0x56, 0x41, 0x43, 0x4b, 0x44, 0x03, 0xc5, 0xe9,
	0x01,
};

struct real_case {
	const char *what;
	const uint8_t *b;
	size_t n;
	uint16_t id;
	uint8_t qr;
	const char *qname;
	uint16_t qtype;
	uint16_t ancount;
	uint16_t upper, odd;
	uint32_t rdata;
	uint16_t txt, null_n, cname, mx;
};

#define REAL(arr) #arr, arr, sizeof(arr)

static const struct real_case real_cases[] = {
	{ REAL(dnscat2_mx_query), 8648, 0, "147901b8d3df9cc46c59d600078b3316ce.biillpi.com", 15,
	  0, 0, 0, 0, 0, 0, 0, 0 },
	{ REAL(dnscat2_mx_response), 8648, 1, "147901b8d3df9cc46c59d600078b3316ce.biillpi.com",
	  15, 1, 0, 0, 50, 0, 0, 0, 1 },
	{ REAL(dnscat2_txt_response), 6045, 1, "bc4401b8d36101a30d1ca10009904e7bf9.biillpi.com",
	  16, 1, 0, 0, 35, 1, 0, 0, 0 },
	{ REAL(dnscat2_cname_response), 33687, 1,
	  "8b8d01b8d3050cb95a46b7001103e8f5ec.biillpi.com", 5, 1, 0, 0, 48, 0, 0, 1, 0 },
	{ REAL(dns2tcp_txt_query), 37864, 0,
	  "onefgaabadc0quu3njcyn0i4ouezrenfqzg3oee4qzezqui1njjboeewnjy0quy.?auth.dns2tcp.hsc.fr",
	  16, 0, 39, 1, 0, 0, 0, 0, 0 },
	{ REAL(dns2tcp_txt_response), 37864, 1,
	  "onefgaabadc0quu3njcyn0i4ouezrenfqzg3oee4qzezqui1njjboeewnjy0quy.?auth.dns2tcp.hsc.fr",
	  16, 1, 39, 1, 13, 1, 0, 0, 0 },
	{ REAL(iodine_null_response), 4784, 1, "vaaaakardli.pirate.sea", 10, 1, 0, 0, 9, 0, 1,
	  0, 0 },
};

static void test_real(void)
{
	size_t i, n;

	for (i = 0; i < sizeof(real_cases) / sizeof(real_cases[0]); i++) {
		const struct real_case *c = &real_cases[i];
		struct dnsmsg d;
		int rc = parse_n(c->b, c->n, &d), bad = 0;

		CHECK(rc == DNSMSG_OK, "%s parses (%s)", c->what, dnsmsg_error_name(rc));
		CHECK(d.id == c->id && d.qr == c->qr && d.qdcount == 1 && d.ancount == c->ancount,
		      "%s header: id %u qr %u an %u", c->what, d.id, d.qr, d.ancount);
		CHECK(strcmp(d.qname, c->qname) == 0 && d.qname_len == strlen(c->qname),
		      "%s qname '%s'", c->what, d.qname);
		CHECK(d.qtype == c->qtype && d.qclass == 1, "%s qtype %u", c->what, d.qtype);
		CHECK(d.qname_upper == c->upper && d.qname_odd == c->odd, "%s upper %u odd %u",
		      c->what, d.qname_upper, d.qname_odd);
		CHECK(d.answers_walked == (c->qr ? c->ancount : 0) && !d.answers_partial &&
		      d.answer_rdata_bytes == c->rdata && d.answer_txt == c->txt &&
		      d.answer_null == c->null_n && d.answer_cname == c->cname && d.answer_mx == c->mx,
		      "%s answers: walked %u rdata %u txt %u null %u cname %u mx %u", c->what,
		      d.answers_walked, d.answer_rdata_bytes, d.answer_txt, d.answer_null,
		      d.answer_cname, d.answer_mx);
		for (n = 0; n < c->n; n++) {
			rc = parse_n(c->b, n, &d);
			if (rc == DNSMSG_OK ? !(c->qr && d.answers_partial) : rc >= 0)
				bad++;
		}
		CHECK(bad == 0, "%s: every cut is an error or a partial answer walk (%d wrong)",
		      c->what, bad);
	}
}

/* ---- name measures ---- */

static void test_entropy(void)
{
	CHECK(dnsmsg_entropy("", 0) == 0.0, "entropy of nothing");
	CHECK(dnsmsg_entropy("aaaa", 4) == 0.0, "entropy aaaa = %g", dnsmsg_entropy("aaaa", 4));
	CHECK(near(dnsmsg_entropy("abcd", 4), 2.0), "entropy abcd = %g", dnsmsg_entropy("abcd", 4));
	CHECK(near(dnsmsg_entropy("aab", 3), 0.9182958340544896), "entropy aab = %.12f",
	      dnsmsg_entropy("aab", 3));
	CHECK(near(dnsmsg_entropy("0123456789abcdef", 16), 4.0), "entropy of 16 distinct hex digits");
	CHECK(near(dnsmsg_entropy("deadbeefdeadbeef", 16), 2.1556390622295662),
	      "entropy deadbeefdeadbeef = %.12f", dnsmsg_entropy("deadbeefdeadbeef", 16));
	CHECK(near(dnsmsg_entropy("abcdXXXX", 4), 2.0), "entropy reads only n bytes");
	CHECK(near(dnsmsg_entropy("\xff\x00\xff\x00", 4), 1.0), "entropy of any bytes");
}

struct base_case {
	const char *name;
	size_t off;
};

static const struct base_case base_cases[] = {
	{ "example.com", 0 },
	{ "www.example.com", 4 },
	{ "x.y.example.com", 4 },
	{ "a.b.example.co.jp", 4 },
	{ "example.co.jp", 0 },
	{ "co.jp", 0 },
	{ "jp", 0 },
	{ "example.lg.jp", 0 },
	{ "city.example.lg.jp", 5 },
	{ "www.bbc.co.uk", 4 },
	{ "www.Example.CO.UK", 4 },           /* case does not matter */
	{ "shop.example.com.au", 5 },
	{ "com.au", 0 },
	{ "a.example.co", 2 },                /* "co" is a TLD here, not a second level */
	{ "a.co.12", 2 },                     /* "12" is no country code */
	{ "a.b.c.d.e.f", 8 },
	{ "localhost", 0 },
	{ "", 0 },
	{ ".", 0 },
	{ "www.example.com.", 4 },            /* trailing dot ignored */
	{ "example.com.", 0 },
	{ ".com", 0 },
	{ "project.github.io", 0 },
	{ "a.project.github.io", 2 },
	{ "github.io", 0 },
	{ "a.notgithub.io", 2 },               /* suffixes match whole labels */
	{ "d1a2b3c4d5e6f7.cloudfront.net", 0 },
	{ "x.d1a2b3c4d5e6f7.cloudfront.net", 2 },
	{ "147901b8d3df9cc46c59d600078b3316ce.biillpi.com", 35 },
	{ "aaaaah7wqa.?auth.dns2tcp.hsc.fr", 25 },
};

static void test_base_domain(void)
{
	size_t i;

	for (i = 0; i < sizeof(base_cases) / sizeof(base_cases[0]); i++) {
		const struct base_case *c = &base_cases[i];
		size_t off = dnsmsg_base_domain(c->name, strlen(c->name));

		CHECK(off == c->off, "base domain of '%s' at %zu, want %zu", c->name, off, c->off);
	}
	CHECK(dnsmsg_base_domain("www.example.comXYZ", 15) == 4, "base domain reads only len bytes");
}

static void test_name_score(void)
{
	static const char dnscat[] = "147901b8d3df9cc46c59d600078b3316ce.biillpi.com";
	struct dnsmsg_name_score s;

	dnsmsg_name_score(dnscat, strlen(dnscat), &s);
	CHECK(s.sub_len == 34 && s.sub_labels == 1 && s.longest_label == 34 &&
	      near(s.entropy, 3.6823323262263004), "dnscat2 name: sub %zu labels %zu longest %zu "
	      "entropy %.6f", s.sub_len, s.sub_labels, s.longest_label, s.entropy);
	dnsmsg_name_score("www.example.com", 15, &s);
	CHECK(s.sub_len == 3 && s.sub_labels == 1 && s.longest_label == 3 && s.entropy == 0.0,
	      "www.example.com: sub %zu", s.sub_len);
	dnsmsg_name_score("a.bb.example.co.uk", 18, &s);
	CHECK(s.sub_len == 4 && s.sub_labels == 2 && s.longest_label == 2 &&
	      near(s.entropy, 0.9182958340544896), "a.bb.example.co.uk: sub %zu labels %zu "
	      "entropy %.6f (dots left out)", s.sub_len, s.sub_labels, s.entropy);
	dnsmsg_name_score("example.com", 11, &s);
	CHECK(s.sub_len == 0 && s.sub_labels == 0 && s.longest_label == 0 && s.entropy == 0.0,
	      "example.com: no subdomain");
	dnsmsg_name_score("", 0, &s);
	CHECK(s.sub_len == 0 && s.entropy == 0.0, "empty name: no subdomain");
	dnsmsg_name_score("x..example.com", 14, &s);
	CHECK(s.sub_len == 2 && s.sub_labels == 2 && s.longest_label == 1,
	      "empty label counted: sub %zu labels %zu", s.sub_len, s.sub_labels);
}

static void test_error_names(void)
{
	int e;

	for (e = DNSMSG_ERR_MIN; e <= DNSMSG_OK; e++)
		CHECK(strcmp(dnsmsg_error_name(e), "unknown") != 0, "error %d has a name", e);
	CHECK(strcmp(dnsmsg_error_name(DNSMSG_ERR_LOOP), "loop") == 0, "loop is 'loop'");
	CHECK(strcmp(dnsmsg_error_name(1), "unknown") == 0, "1 is unknown");
	CHECK(strcmp(dnsmsg_error_name(DNSMSG_ERR_MIN - 1), "unknown") == 0, "below min is unknown");
}

int main(void)
{
	test_plain_query();
	test_root_and_odd_bytes();
	test_header_errors();
	test_label_and_name_limits();
	test_compression();
	test_compression_errors();
	test_answers();
	test_answer_budget();
	test_real();
	test_entropy();
	test_base_domain();
	test_name_score();
	test_error_names();
	return check_done();
}
