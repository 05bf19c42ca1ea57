/*
 * zw-bench-ioc — micro-benchmark of indicator sets (sensor/ioc.c), with
 * nDPI 4.2's Patricia tree (ndpi_ptree_*) as the peer for IP lookups.
 *
 *   zw-bench-ioc [-n ENTRIES] [-m LOOKUPS] [-s SEED] [-d DIR]
 *
 * Generates ENTRIES (default 1,000,000) indicators from a fixed-seed
 * xorshift generator: 70% IPv4 addresses, 10% IPv4 prefixes /16../30, 5%
 * IPv6 (half addresses, half prefixes /48../64) and 15% domain names.  It
 * writes them as a Zeek Intel file and as a plain list into DIR (default: a
 * new temporary directory, removed at the end), then times:
 *
 *   - ioc_set_load_file() of each file;
 *   - LOOKUPS (default 5,000,000) IPv4 lookups, half of them addresses
 *     inside a listed address or prefix, half random addresses;
 *   - LOOKUPS domain lookups, half listed names, half random names;
 *   - the same IP entries inserted into an ndpi_ptree, and the same IPv4
 *     lookups through ndpi_ptree_match_addr().
 *
 * Every IPv4 lookup's answer is then compared between the two (same hit, and
 * the same entry: nDPI's user data is the Zeek file's line number); any
 * difference prints MISMATCH and exits 1.  Memory is ioc_set_stats_get()'s
 * count for zonewatch and the malloc heap growth (mallinfo2) for both.
 *
 * Everything derives from the seed: the same command generates the same
 * files and lookups.  Single-threaded; no globals.
 */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/stat.h>

#include <ndpi_api.h>

#include "ioc.h"

#if !defined(NDPI_API_VERSION)
#error "nDPI headers not found"
#endif

#define BENCH_DEFAULT_ENTRIES 1000000u
#define BENCH_DEFAULT_LOOKUPS 5000000u
#define BENCH_MAX_ENTRIES     50000000u
#define BENCH_MAX_LOOKUPS     500000000u
#define BENCH_DEFAULT_SEED    0x5eed10c5eed10cull
#define BENCH_RANDOM_NAMES    65536u     /* pool of names for the missing half */
#define BENCH_NAME_MAX        64

enum bench_kind {
	BENCH_V4,
	BENCH_V4_NET,
	BENCH_V6,
	BENCH_DOMAIN,
};

struct bench_ind {
	uint8_t kind;
	uint8_t plen;
	uint8_t addr[16];    /* masked, network order */
	uint32_t name;       /* domains: offset in bench.names */
};

struct bench {
	uint64_t rng;
	uint32_t n, m;
	struct bench_ind *ind;
	char *names;                 /* NUL-terminated names, one after the other */
	size_t names_len, names_cap;
	uint32_t *v4_idx, nv4;       /* indices of IPv4 indicators */
	uint32_t *dom_idx, ndom;     /* indices of domains */
	uint32_t *lookup4;           /* addresses, network order */
	const char **lookup_names;
	uint32_t counts[4];
};

static uint64_t bench_rand(struct bench *b)
{
	/* xorshift64* */
	b->rng ^= b->rng >> 12;
	b->rng ^= b->rng << 25;
	b->rng ^= b->rng >> 27;
	return b->rng * 0x2545f4914f6cdd1dull;
}

static uint32_t bench_below(struct bench *b, uint32_t n)
{
	return (uint32_t)((bench_rand(b) >> 32) * n >> 32);
}

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t bench_heap(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* "12.3 MiB", or "n/a" where malloc is not glibc's (sanitizers). */
static const char *bench_mib(size_t bytes, char *out, size_t outlen)
{
	if (bytes == 0)
		snprintf(out, outlen, "n/a");
	else
		snprintf(out, outlen, "%.1f MiB", (double)bytes / 1048576.0);
	return out;
}

static void bench_mask(uint8_t *addr, unsigned plen, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++) {
		unsigned keep = plen >= 8 * (i + 1) ? 8 : plen > 8 * i ? plen - 8 * i : 0;

		addr[i] &= (uint8_t)(0xff00u >> keep);
	}
}

/* A random name: 1..3 labels of 3..12 characters and a common TLD. */
static int bench_name(struct bench *b, char *out, size_t outlen)
{
	static const char *const tlds[] = { "com", "net", "org", "io", "xyz", "info", "de", "jp" };
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned labels = 1 + bench_below(b, 3);
	size_t o = 0;

	for (unsigned l = 0; l < labels; l++) {
		unsigned len = 3 + bench_below(b, 10);

		for (unsigned i = 0; i < len && o + 1 < outlen; i++)
			out[o++] = chars[bench_below(b, sizeof(chars) - 1)];
		if (o + 1 < outlen)
			out[o++] = '.';
	}
	return snprintf(out + o, outlen - o, "%s", tlds[bench_below(b, 8)]) + (int)o;
}

static int bench_name_put(struct bench *b, const char *name, size_t len, uint32_t *off)
{
	if (b->names_len + len + 1 > b->names_cap) {
		size_t ncap = b->names_cap ? b->names_cap * 2 : 1 << 20;
		char *n = realloc(b->names, ncap);

		if (n == NULL)
			return -1;
		b->names = n;
		b->names_cap = ncap;
	}
	*off = (uint32_t)b->names_len;
	memcpy(b->names + b->names_len, name, len + 1);
	b->names_len += len + 1;
	return 0;
}

static int bench_generate(struct bench *b)
{
	char name[BENCH_NAME_MAX];

	b->ind = calloc(b->n, sizeof(*b->ind));
	b->v4_idx = malloc((size_t)b->n * sizeof(*b->v4_idx));
	b->dom_idx = malloc((size_t)b->n * sizeof(*b->dom_idx));
	if (!b->ind || !b->v4_idx || !b->dom_idx)
		return -1;
	for (uint32_t i = 0; i < b->n; i++) {
		struct bench_ind *x = &b->ind[i];
		uint32_t pick = bench_below(b, 100);
		uint64_t r = bench_rand(b);

		if (pick < 70) {
			x->kind = BENCH_V4;
			x->plen = 32;
			memcpy(x->addr, &r, 4);
		} else if (pick < 80) {
			x->kind = BENCH_V4_NET;
			x->plen = (uint8_t)(16 + bench_below(b, 15));
			memcpy(x->addr, &r, 4);
			bench_mask(x->addr, x->plen, 4);
		} else if (pick < 85) {
			uint64_t r2 = bench_rand(b);

			x->kind = BENCH_V6;
			x->plen = bench_below(b, 2) ? 128 : (uint8_t)(48 + bench_below(b, 17));
			x->addr[0] = 0x20;
			x->addr[1] = 0x01;
			memcpy(x->addr + 2, &r, 6);
			memcpy(x->addr + 8, &r2, 8);
			/* nDPI 4.2 takes an address whose bytes 4..15 are zero for
			 * IPv4: keep a bit set in bytes 4..5, inside any /48 */
			x->addr[4] |= 0x80;
			bench_mask(x->addr, x->plen, 16);
		} else {
			int len = bench_name(b, name, sizeof(name));

			x->kind = BENCH_DOMAIN;
			if (bench_name_put(b, name, (size_t)len, &x->name) < 0)
				return -1;
			b->dom_idx[b->ndom++] = i;
		}
		if (x->kind == BENCH_V4 || x->kind == BENCH_V4_NET)
			b->v4_idx[b->nv4++] = i;
		b->counts[x->kind]++;
	}
	return 0;
}

static void bench_format(const struct bench *b, const struct bench_ind *x, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN];

	switch (x->kind) {
	case BENCH_V4:
	case BENCH_V4_NET:
	case BENCH_V6:
		inet_ntop(x->kind == BENCH_V6 ? AF_INET6 : AF_INET, x->addr, a, sizeof(a));
		if (x->plen == (x->kind == BENCH_V6 ? 128 : 32))
			snprintf(out, outlen, "%s", a);
		else
			snprintf(out, outlen, "%s/%u", a, x->plen);
		break;
	default:
		snprintf(out, outlen, "%s", b->names + x->name);
		break;
	}
}

static int bench_write(const struct bench *b, const char *zeek, const char *plain)
{
	static const char *const types[] = { "Intel::ADDR", "Intel::SUBNET", "Intel::ADDR",
					     "Intel::DOMAIN" };
	FILE *fz = fopen(zeek, "w"), *fp = fopen(plain, "w");
	char text[128];
	int rc = -1;

	if (!fz || !fp) {
		fprintf(stderr, "zw-bench-ioc: %s: %s\n", fz ? plain : zeek, strerror(errno));
		goto out;
	}
	fprintf(fz, "#fields\tindicator\tindicator_type\tmeta.source\tmeta.do_notice\tmeta.desc\n");
	fprintf(fp, "# zw-bench-ioc: %u generated indicators\n", b->n);
	for (uint32_t i = 0; i < b->n; i++) {
		const struct bench_ind *x = &b->ind[i];
		const char *type = types[x->kind];

		bench_format(b, x, text, sizeof(text));
		if (x->kind == BENCH_V6 && x->plen < 128)
			type = "Intel::SUBNET";
		fprintf(fz, "%s\t%s\tzw-bench\tF\tgenerated\n", text, type);
		fprintf(fp, "%s\n", text);
	}
	if (ferror(fz) || ferror(fp)) {
		fprintf(stderr, "zw-bench-ioc: write error\n");
		goto out;
	}
	rc = 0;
out:
	if (fz && fclose(fz) != 0)
		rc = -1;
	if (fp && fclose(fp) != 0)
		rc = -1;
	return rc;
}

/* Lookups: half inside a listed IPv4 entry, half random; half listed
 * names, half from a pool of random names. */
static int bench_lookups(struct bench *b, char **pool_out)
{
	char name[BENCH_NAME_MAX], *pool;
	size_t pool_len = 0;
	const char **pool_ptr;

	b->lookup4 = malloc((size_t)b->m * sizeof(*b->lookup4));
	b->lookup_names = malloc((size_t)b->m * sizeof(*b->lookup_names));
	pool = malloc((size_t)BENCH_RANDOM_NAMES * BENCH_NAME_MAX);
	pool_ptr = malloc(BENCH_RANDOM_NAMES * sizeof(*pool_ptr));
	*pool_out = pool;
	if (!b->lookup4 || !b->lookup_names || !pool || !pool_ptr) {
		free(pool_ptr);
		return -1;
	}
	for (uint32_t i = 0; i < BENCH_RANDOM_NAMES; i++) {
		int len = bench_name(b, name, sizeof(name));

		pool_ptr[i] = pool + pool_len;
		memcpy(pool + pool_len, name, (size_t)len + 1);
		pool_len += (size_t)len + 1;
	}
	for (uint32_t i = 0; i < b->m; i++) {
		uint32_t a = (uint32_t)bench_rand(b);

		if ((i & 1) && b->nv4) {
			const struct bench_ind *x = &b->ind[b->v4_idx[bench_below(b, b->nv4)]];
			uint32_t net, host = x->plen < 32 ? (uint32_t)bench_rand(b) >> x->plen : 0;

			memcpy(&net, x->addr, 4);
			a = htonl(ntohl(net) | host);
		}
		b->lookup4[i] = a;
		if ((i & 1) && b->ndom)
			b->lookup_names[i] = b->names + b->ind[b->dom_idx[bench_below(b, b->ndom)]].name;
		else
			b->lookup_names[i] = pool_ptr[bench_below(b, BENCH_RANDOM_NAMES)];
	}
	free(pool_ptr);
	return 0;
}

static struct ioc_set *bench_load(const struct bench *b, const char *path, const char *what,
				  double *secs)
{
	struct ioc_set *s = ioc_set_new(what, b->n + 16);
	char err[512];
	double t0;

	if (s == NULL) {
		fprintf(stderr, "zw-bench-ioc: out of memory\n");
		return NULL;
	}
	t0 = bench_now();
	if (ioc_set_load_file(s, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "zw-bench-ioc: %s\n", err);
		ioc_set_free(s);
		return NULL;
	}
	*secs = bench_now() - t0;
	return s;
}

static void bench_usage(void)
{
	fprintf(stderr, "usage: zw-bench-ioc [-n ENTRIES] [-m LOOKUPS] [-s SEED] [-d DIR]\n");
}

static int bench_number(const char *arg, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || v == 0 || v > max || arg[0] == '-') {
		fprintf(stderr, "zw-bench-ioc: bad number '%s' (1..%" PRIu64 ")\n", arg, max);
		return -1;
	}
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	struct bench b = { .n = BENCH_DEFAULT_ENTRIES, .m = BENCH_DEFAULT_LOOKUPS,
			   .rng = BENCH_DEFAULT_SEED };
	char tmpdir[] = "/tmp/zw-bench-ioc.XXXXXX", zeek[4096], plain[4096], mib[32];
	const char *dir = NULL;
	struct ioc_set *s = NULL, *sp = NULL;
	struct ioc_set_stats st;
	ndpi_ptree_t *pt = NULL;
	char *pool = NULL;
	uint64_t v, hits = 0, dhits = 0, nhits = 0, mismatches = 0, ninserted = 0, ndup = 0;
	uint64_t sum = 0, nsum = 0;
	double t0, load_z, load_p, t_ip, t_dom, t_ins, t_nip, ours, theirs;
	size_t heap0, heap_ioc, heap_ndpi;
	int opt, rc = 1;
	struct stat sb;

	while ((opt = getopt(argc, argv, "n:m:s:d:h")) != -1) {
		switch (opt) {
		case 'n':
			if (bench_number(optarg, BENCH_MAX_ENTRIES, &v) < 0)
				return 2;
			b.n = (uint32_t)v;
			break;
		case 'm':
			if (bench_number(optarg, BENCH_MAX_LOOKUPS, &v) < 0)
				return 2;
			b.m = (uint32_t)v;
			break;
		case 's':
			if (bench_number(optarg, UINT64_MAX, &v) < 0)
				return 2;
			b.rng = v;
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			bench_usage();
			return 2;
		}
	}
	if (optind != argc) {
		bench_usage();
		return 2;
	}
	if (dir == NULL) {
		if (mkdtemp(tmpdir) == NULL) {
			fprintf(stderr, "zw-bench-ioc: mkdtemp: %s\n", strerror(errno));
			return 1;
		}
	} else if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "zw-bench-ioc: %s: not a directory\n", dir);
		return 2;
	}
	snprintf(zeek, sizeof(zeek), "%s/bench.intel", dir ? dir : tmpdir);
	snprintf(plain, sizeof(plain), "%s/bench.txt", dir ? dir : tmpdir);

	if (bench_generate(&b) < 0 || bench_lookups(&b, &pool) < 0) {
		fprintf(stderr, "zw-bench-ioc: out of memory\n");
		goto out;
	}
	if (bench_write(&b, zeek, plain) < 0)
		goto out;
	printf("ioc: generated %u indicators (%u ipv4, %u ipv4 prefixes, %u ipv6, %u domains) in %s\n",
	       b.n, b.counts[BENCH_V4], b.counts[BENCH_V4_NET], b.counts[BENCH_V6],
	       b.counts[BENCH_DOMAIN], dir ? dir : tmpdir);

	/* loading */
	sp = bench_load(&b, plain, "plain", &load_p);
	if (sp == NULL)
		goto out;
	ioc_set_free(sp);
	sp = NULL;
	heap0 = bench_heap();
	s = bench_load(&b, zeek, "zeek", &load_z);
	if (s == NULL)
		goto out;
	heap_ioc = bench_heap() > heap0 ? bench_heap() - heap0 : 0;
	ioc_set_stats_get(s, &st);
	printf("ioc: load %u entries: %.2f s (Zeek Intel file)\n", b.n, load_z);
	printf("ioc: load %u entries: %.2f s (plain list, types guessed)\n", b.n, load_p);
	printf("ioc: set: %" PRIu64 " ip, %" PRIu64 " domains, %" PRIu64 " duplicates, %" PRIu64
	       " refused; memory %.1f MiB (%.0f bytes/entry; heap growth %s)\n",
	       st.entries[IOC_IP], st.entries[IOC_DOMAIN], st.duplicates, st.refused,
	       (double)st.memory / 1048576.0,
	       (double)st.memory / (double)(st.entries[IOC_IP] + st.entries[IOC_DOMAIN]),
	       bench_mib(heap_ioc, mib, sizeof(mib)));

	/* IPv4 lookups */
	t0 = bench_now();
	for (uint32_t i = 0; i < b.m; i++) {
		const struct ioc_entry *e = ioc_set_match_ip(s, 4, (const uint8_t *)&b.lookup4[i]);

		if (e) {
			hits++;
			sum += e->line;
		}
	}
	t_ip = bench_now() - t0;
	ours = (double)b.m / t_ip;
	printf("ioc: ip lookups %u: %.3f s, %.2f M lookups/s, %.1f ns/lookup, %" PRIu64 " hits\n",
	       b.m, t_ip, ours / 1e6, t_ip * 1e9 / (double)b.m, hits);

	/* domain lookups */
	t0 = bench_now();
	for (uint32_t i = 0; i < b.m; i++)
		if (ioc_set_match_domain(s, b.lookup_names[i]))
			dhits++;
	t_dom = bench_now() - t0;
	printf("ioc: domain lookups %u: %.3f s, %.2f M lookups/s, %.1f ns/lookup, %" PRIu64 " hits\n",
	       b.m, t_dom, (double)b.m / t_dom / 1e6, t_dom * 1e9 / (double)b.m, dhits);

	/* the peer: nDPI's Patricia tree with the same IP entries */
	heap0 = bench_heap();
	t0 = bench_now();
	pt = ndpi_ptree_create();
	if (pt == NULL) {
		fprintf(stderr, "zw-bench-ioc: ndpi_ptree_create failed\n");
		goto out;
	}
	for (uint32_t i = 0; i < b.n; i++) {
		const struct bench_ind *x = &b.ind[i];
		ndpi_ip_addr_t a;
		int r;

		if (x->kind == BENCH_DOMAIN)
			continue;
		memset(&a, 0, sizeof(a));
		memcpy(&a, x->addr, x->kind == BENCH_V6 ? 16 : 4);
		/* user data: the line in the Zeek file, as ioc_entry.line */
		r = ndpi_ptree_insert(pt, &a, x->plen, (u_int64_t)i + 2);
		if (r == 0)
			ninserted++;
		else if (r == -2)
			ndup++;
	}
	t_ins = bench_now() - t0;
	heap_ndpi = bench_heap() > heap0 ? bench_heap() - heap0 : 0;
	printf("ndpi_ptree: insert %" PRIu64 " prefixes (%" PRIu64 " duplicates): %.2f s; heap growth %s\n",
	       ninserted, ndup, t_ins, bench_mib(heap_ndpi, mib, sizeof(mib)));

	t0 = bench_now();
	for (uint32_t i = 0; i < b.m; i++) {
		ndpi_ip_addr_t a;
		u_int64_t ud;

		memset(&a, 0, sizeof(a));
		a.ipv4 = b.lookup4[i];
		if (ndpi_ptree_match_addr(pt, &a, &ud) == 0) {
			nhits++;
			nsum += ud;
		}
	}
	t_nip = bench_now() - t0;
	theirs = (double)b.m / t_nip;
	printf("ndpi_ptree: ip lookups %u: %.3f s, %.2f M lookups/s, %.1f ns/lookup, %" PRIu64 " hits\n",
	       b.m, t_nip, theirs / 1e6, t_nip * 1e9 / (double)b.m, nhits);

	/* same answers, lookup by lookup (not timed) */
	for (uint32_t i = 0; i < b.m; i++) {
		const struct ioc_entry *e = ioc_set_match_ip(s, 4, (const uint8_t *)&b.lookup4[i]);
		ndpi_ip_addr_t a;
		u_int64_t ud = 0;
		int r;

		memset(&a, 0, sizeof(a));
		a.ipv4 = b.lookup4[i];
		r = ndpi_ptree_match_addr(pt, &a, &ud);
		if ((e != NULL) != (r == 0) || (e && e->line != ud)) {
			if (mismatches++ < 5) {
				char t[INET_ADDRSTRLEN];

				inet_ntop(AF_INET, &b.lookup4[i], t, sizeof(t));
				printf("MISMATCH %s: zonewatch %s (line %u), ndpi_ptree %s (line %" PRIu64 ")\n",
				       t, e ? e->indicator : "no match", e ? e->line : 0,
				       r == 0 ? "match" : "no match", (uint64_t)ud);
			}
		}
	}
	if (hits != nhits || sum != nsum || mismatches) {
		printf("MISMATCH: %" PRIu64 " lookups differ; hits zonewatch %" PRIu64 " ndpi_ptree %" PRIu64 "\n",
		       mismatches, hits, nhits);
		goto out;
	}
	printf("ioc: ip lookups agree with ndpi_ptree: %" PRIu64 " of %u hit, same entries\n", hits, b.m);
	printf("ratio ip lookups zonewatch/ndpi_ptree: %.1fx\n", ours / theirs);
	rc = 0;
out:
	if (pt)
		ndpi_ptree_destroy(pt);
	ioc_set_free(s);
	ioc_set_free(sp);
	if (dir == NULL) {
		unlink(zeek);
		unlink(plain);
		rmdir(tmpdir);
	}
	free(pool);
	free(b.ind);
	free(b.names);
	free(b.v4_idx);
	free(b.dom_idx);
	free(b.lookup4);
	free(b.lookup_names);
	return rc;
}
