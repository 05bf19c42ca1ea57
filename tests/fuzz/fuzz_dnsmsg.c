/*
 * fuzz_dnsmsg — libFuzzer target for dnsmsg_parse() and the name measures.
 *
 * Input: one DNS message (a UDP payload, or a TCP message without its length
 * prefix).  Besides the sanitizers, the target checks the contract of
 * dnsmsg.h and aborts when it is broken: a known result; for DNSMSG_OK a
 * qname of the promised alphabet and shape whose length, labels, longest
 * label, '?' count agree with the fields, answer counts that add up and stay
 * within the budget, and sane name measures.  The input is also handed to
 * dnsmsg_base_domain(), dnsmsg_name_score() and dnsmsg_entropy() as a raw
 * name.
 *
 * Corpus tests/fuzz/corpus/dnsmsg/, named after where each file came from:
 *   real-<capture>-<frame>  the DNS payload of that frame (frame numbers as
 *                           tcpdump counts them, from 1) of a capture in
 *                           test-pcaps/attacks/ (dnscat2, dns2tcp) or
 *                           test-pcaps/ndpi/ (the rest)
 *   edge-<what>             hand-made, like the messages of
 *                           tests/unit/test_dnsmsg.c: pointer loops (to
 *                           itself, between two), a forward pointer chain, a
 *                           pointer out of range, a 64-byte label, a
 *                           256-octet name, QDCOUNT 0, an answer section cut
 *                           short, bytes outside [a-z0-9-_]
 *
 * Built by `make fuzz` (libFuzzer) and, with tests/fuzz/replay_main.c, as a
 * plain program that replays the corpus.
 */
#include "dnsmsg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_dnsmsg_allowed(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '?';
}

/* The question fields agree with the qname string. */
static void fuzz_dnsmsg_check_qname(const struct dnsmsg *d)
{
	size_t i, label = 0, longest = 0, labels = 0, odd = 0;

	if (d->qname_len > DNSMSG_NAME_MAX || strlen(d->qname) != d->qname_len)
		abort();
	for (i = 0; i < d->qname_len; i++) {
		char c = d->qname[i];

		if (c == '.') {
			if (label == 0)          /* leading dot or empty label */
				abort();
			labels++;
			label = 0;
			continue;
		}
		if (!fuzz_dnsmsg_allowed(c))
			abort();
		odd += c == '?';
		if (++label > longest)
			longest = label;
	}
	if (d->qname_len > 0) {
		if (label == 0)                  /* trailing dot */
			abort();
		labels++;
	}
	if (labels != d->qlabels || longest != d->longest_label || longest > 63 ||
	    odd != d->qname_odd || d->qname_upper > d->qname_len)
		abort();
}

static void fuzz_dnsmsg_check_answers(const struct dnsmsg *d, size_t size)
{
	unsigned budget = DNSMSG_MAX_RR, skipped, want;
	unsigned sum = (unsigned)d->answer_a + d->answer_aaaa + d->answer_cname + d->answer_mx +
		       d->answer_txt + d->answer_null + d->answer_other;

	if (sum != d->answers_walked || d->answer_rdata_bytes > size)
		abort();
	if ((d->answers_partial != 0) != (d->answers_error != 0) ||
	    (d->answers_partial != 0 && d->answers_partial != 1) ||
	    d->answers_error < DNSMSG_ERR_MIN || d->answers_error > 0)
		abort();
	if (!d->qr) {
		if (d->answers_walked != 0 || d->answers_partial || d->answer_rdata_bytes != 0)
			abort();
		return;
	}
	skipped = d->qdcount - 1u < budget ? d->qdcount - 1u : budget;
	budget -= skipped;
	want = d->ancount < budget ? d->ancount : budget;
	if (d->answers_walked > want || (!d->answers_partial && d->answers_walked != want))
		abort();
}

static void fuzz_dnsmsg_check_score(const char *name, size_t len)
{
	struct dnsmsg_name_score s;
	size_t base = dnsmsg_base_domain(name, len);

	if (base > len || (base > 0 && name[base - 1] != '.'))
		abort();
	dnsmsg_name_score(name, len, &s);
	if ((base == 0 && (s.sub_len != 0 || s.sub_labels != 0)) ||
	    (base > 0 && s.sub_len != base - 1) || s.longest_label > s.sub_len ||
	    s.sub_labels > s.sub_len + 1)
		abort();
	if (!(s.entropy >= 0.0 && s.entropy <= 8.0) ||
	    (s.sub_len > 0 && s.entropy > log2((double)s.sub_len) + 1e-9))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnsmsg d;
	double h;
	int rc = dnsmsg_parse(data, size, &d);

	if (rc > 0 || rc < DNSMSG_ERR_MIN || strcmp(dnsmsg_error_name(rc), "unknown") == 0)
		abort();
	if (rc == DNSMSG_OK) {
		if (size < 12 || d.qdcount == 0)
			abort();
		fuzz_dnsmsg_check_qname(&d);
		fuzz_dnsmsg_check_answers(&d, size);
		fuzz_dnsmsg_check_score(d.qname, d.qname_len);
		if (d.longest_label > 0 && dnsmsg_base_domain(d.qname, d.qname_len) == 0 &&
		    d.qlabels > 3)
			abort();                 /* a base domain has at most 3 labels */
	}

	/* the input as a raw name: any bytes, any length */
	fuzz_dnsmsg_check_score((const char *)data, size);
	h = dnsmsg_entropy((const char *)data, size);
	if (!(h >= 0.0 && h <= 8.0))
		abort();
	return 0;
}
