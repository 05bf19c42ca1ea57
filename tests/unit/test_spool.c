/* Unit tests: the on-disk spool.  FIFO order and sequence numbers, batches,
 * segment rollover and deletion, the byte and record caps, reopening (the
 * cursor: nothing returned twice, nothing lost), recovery from a truncated
 * tail, bit flips and a damaged cursor, directories, I/O errors (a file size
 * limit), the bounded index window, a random model-checked run, and the
 * append throughput (printed). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "spool.h"

/* The on-disk format, for the tests that damage files on purpose. */
#define T_SEG_HDR 16u
#define T_REC_HDR 20u

struct t_dir {
	char path[64];
};

static bool t_mkdtemp(struct t_dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/zw-test-spool-XXXXXX");
	if (!mkdtemp(d->path)) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return false;
	}
	return true;
}

static void t_rm_tree(const char *dir)
{
	struct dirent *de;
	char p[512];
	DIR *d = opendir(dir);

	if (d) {
		while ((de = readdir(d)) != NULL) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			if (unlink(p) != 0)
				t_rm_tree(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

static struct spool_config t_cfg(const char *dir, uint64_t max_bytes, uint64_t segment_bytes,
				 enum spool_fsync fs)
{
	struct spool_config c = { dir, max_bytes, segment_bytes, fs };

	return c;
}

static struct spool *t_open(const struct spool_config *c)
{
	char err[512] = "";
	struct spool *s = spool_open(c, err, sizeof(err));

	CHECK(s != NULL, "open %s: %s", c->dir, err);
	return s;
}

/* The payload of record seq: len bytes decided by seq (any byte value, so
 * record magics occur inside payloads too). */
static void t_fill(uint8_t *b, uint64_t seq, size_t len)
{
	uint64_t x = seq * 0x9e3779b97f4a7c15ULL + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (uint8_t)x;
	}
}

static int t_put(struct spool *s, uint64_t seq, size_t len)
{
	uint8_t b[8192];

	if (len > sizeof(b))
		return -2;
	t_fill(b, seq, len);
	return spool_append(s, seq, b, len);
}

/* Open the spool, append records 0..n-1 of len bytes each, close it:
 * true when every step worked (an open that fails is already a CHECK). */
static bool t_write(const struct spool_config *c, unsigned n, size_t len)
{
	struct spool *s = t_open(c);
	bool ok = s != NULL;

	for (unsigned i = 0; s && i < n; i++)
		ok &= t_put(s, i, len) == 0;
	spool_close(s);
	return ok;
}

/* Record n is seq with len bytes, intact. */
static bool t_is(struct spool *s, size_t n, uint64_t seq, size_t len)
{
	uint8_t want[8192];
	const void *rec = NULL;
	size_t got_len = 0;
	uint64_t got_seq = 0;

	if (spool_peek(s, n, &rec, &got_len, &got_seq) != 1) {
		printf("  record %zu: none (want seq %llu)\n", n, (unsigned long long)seq);
		return false;
	}
	if (got_seq != seq || got_len != len) {
		printf("  record %zu: seq %llu len %zu, want seq %llu len %zu\n", n,
		       (unsigned long long)got_seq, got_len, (unsigned long long)seq, len);
		return false;
	}
	t_fill(want, seq, len);
	if (len && memcmp(rec, want, len)) {
		printf("  record %zu (seq %llu): payload differs\n", n, (unsigned long long)seq);
		return false;
	}
	return true;
}

static struct spool_stats t_stats(const struct spool *s)
{
	struct spool_stats st;

	spool_stats_get(s, &st);
	return st;
}

static unsigned t_count_segs(const char *dir)
{
	struct dirent *de;
	unsigned n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (!strncmp(de->d_name, "seg-", 4) && strlen(de->d_name) == 24 &&
		    !strcmp(de->d_name + 20, ".zws"))
			n++;
	closedir(d);
	return n;
}

static void t_seg_path(char *buf, size_t len, const char *dir, uint64_t id)
{
	snprintf(buf, len, "%s/seg-%016llx.zws", dir, (unsigned long long)id);
}

static long long t_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Overwrite bytes of a file at off. */
static bool t_poke(const char *path, long off, const void *bytes, size_t len)
{
	int fd = open(path, O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = pwrite(fd, bytes, len, off) == (ssize_t)len;
	close(fd);
	return ok;
}

static bool t_write_file(const char *path, const void *bytes, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, bytes, len) == (ssize_t)len;
	close(fd);
	return ok;
}

static bool t_flip(const char *path, long off, uint8_t mask)
{
	uint8_t b;
	int fd = open(path, O_RDWR);
	bool ok;

	if (fd < 0)
		return false;
	ok = pread(fd, &b, 1, off) == 1;
	b ^= mask;
	ok = ok && pwrite(fd, &b, 1, off) == 1;
	close(fd);
	return ok;
}

static void test_fifo(void)
{
	struct t_dir d;
	struct spool_stats st;
	struct spool *s;
	uint64_t bytes = 0;
	bool ok = true;
	const void *rec;
	size_t len;
	uint64_t seq;

	if (!t_mkdtemp(&d))
		return;
	struct spool_config c = t_cfg(d.path, 1 << 20, 1 << 20, SPOOL_FSYNC_NONE);
	s = t_open(&c);
	if (!s)
		goto out;
	CHECK(spool_peek(s, 0, &rec, &len, &seq) == 0, "empty spool: nothing to peek");
	for (unsigned i = 0; i < 100; i++) {
		size_t l = (i * 37u) % 300u;

		ok &= t_put(s, 1000 + i, l) == 0;
		bytes += T_REC_HDR + l;
	}
	CHECK(ok, "100 appends");
	st = t_stats(s);
	CHECK(st.records == 100 && st.bytes == bytes && st.appended == 100 && st.segments == 1,
	      "held 100 records, %llu bytes (%llu, %llu, seg %llu)", (unsigned long long)bytes,
	      (unsigned long long)st.records, (unsigned long long)st.bytes,
	      (unsigned long long)st.segments);
	ok = true;
	for (unsigned i = 0; i < 100; i++)
		ok &= t_is(s, i, 1000 + i, (i * 37u) % 300u);
	CHECK(ok, "peek returns every record, in order, seq and payload intact");
	CHECK(spool_peek(s, 100, &rec, &len, &seq) == 0, "peek past the end: 0");
	CHECK(t_is(s, 0, 1000, 0), "peek again: the oldest, zero-length");
	CHECK(spool_commit(s, 100) == 0, "commit all");
	st = t_stats(s);
	CHECK(st.records == 0 && st.bytes == 0 && st.consumed == 100, "nothing held after commit");
	CHECK(spool_peek(s, 0, &rec, &len, &seq) == 0, "nothing to peek after commit");
	CHECK(spool_last_seq(s) == 1099, "last seq %llu", (unsigned long long)spool_last_seq(s));
	spool_close(s);
out:
	t_rm_tree(d.path);
}

static void test_batches(void)
{
	struct t_dir d;
	struct spool *s;
	bool ok = true;

	if (!t_mkdtemp(&d))
		return;
	struct spool_config c = t_cfg(d.path, 1 << 20, 4096, SPOOL_FSYNC_SEGMENT);
	s = t_open(&c);
	if (!s)
		goto out;
	for (unsigned i = 0; i < 50; i++)
		ok &= t_put(s, i, 64) == 0;
	CHECK(ok, "50 appends");
	for (unsigned b = 0; b < 5; b++) {
		ok = true;
		for (unsigned i = 0; i < 10; i++)
			ok &= t_is(s, i, b * 10 + i, 64);
		CHECK(ok, "batch %u: peek 0..9", b);
		CHECK(spool_commit(s, 10) == 0, "commit batch %u", b);
		CHECK(t_stats(s).records == 40 - b * 10, "held after batch %u", b);
	}
	CHECK(spool_commit(s, 5) == 0 && t_stats(s).consumed == 50, "commit past the end: clamped");
	spool_close(s);
out:
	t_rm_tree(d.path);
}

static void test_rollover(void)
{
	struct t_dir d;
	struct spool_stats st;
	struct spool *s;
	char path[128];
	bool ok = true;

	if (!t_mkdtemp(&d))
		return;
	/* 200 bytes a record: 4 fit a 1000-byte segment (16 + 4 * 200) */
	struct spool_config c = t_cfg(d.path, 1 << 20, 1000, SPOOL_FSYNC_SEGMENT);
	s = t_open(&c);
	if (!s)
		goto out;
	for (unsigned i = 0; i < 40; i++)
		ok &= t_put(s, i, 180) == 0;
	CHECK(ok, "40 appends");
	st = t_stats(s);
	CHECK(st.segments == 10 && t_count_segs(d.path) == 10, "10 segments (%llu, %u files)",
	      (unsigned long long)st.segments, t_count_segs(d.path));
	t_seg_path(path, sizeof(path), d.path, 1);
	CHECK(t_file_size(path) == T_SEG_HDR + 4 * 200, "a segment holds 4 records (%lld)",
	      t_file_size(path));
	CHECK(spool_commit(s, 18) == 0, "commit 18");
	st = t_stats(s);
	CHECK(st.segments == 6 && t_count_segs(d.path) == 6,
	      "4 consumed segments deleted, the 5th half consumed kept (%llu, %u files)",
	      (unsigned long long)st.segments, t_count_segs(d.path));
	CHECK(t_is(s, 0, 18, 180), "next is 18");
	spool_close(s);

	/* a leftover of a crash between the cursor's rename and the deletion */
	t_seg_path(path, sizeof(path), d.path, 2);
	CHECK(t_write_file(path, "leftover", 8), "stale segment written");
	s = t_open(&c);
	if (!s)
		goto out;
	st = t_stats(s);
	CHECK(st.records == 22 && st.corrupt == 0 && t_count_segs(d.path) == 6,
	      "reopen: 22 held, the stale segment before the cursor deleted unread (%llu, %llu, %u)",
	      (unsigned long long)st.records, (unsigned long long)st.corrupt, t_count_segs(d.path));
	ok = true;
	for (unsigned i = 0; i < 22; i++)
		ok &= t_is(s, i, 18 + i, 180);
	CHECK(ok, "18..39 in order");
	CHECK(spool_commit(s, 22) == 0, "commit the rest");
	st = t_stats(s);
	CHECK(st.segments == 1 && t_count_segs(d.path) == 1 && st.records == 0,
	      "all consumed: only the append segment is left (%llu)", (unsigned long long)st.segments);
	CHECK(t_put(s, 40, 180) == 0 && t_is(s, 0, 40, 180), "append after draining");
	CHECK(t_stats(s).segments == 2, "it went to a new segment (the last one was full)");
	spool_close(s);
	s = t_open(&c);
	if (!s)
		goto out;
	CHECK(t_stats(s).records == 1 && t_is(s, 0, 40, 180), "reopen: just the new record");
	CHECK(spool_commit(s, 1) == 0 && t_stats(s).segments == 1, "consumed: one segment");
	spool_close(s);
out:
	t_rm_tree(d.path);
}

static void test_caps(void)
{
	struct t_dir d;
	struct spool *s;
	int accepted = 0;
	uint8_t *big = NULL;

	if (!t_mkdtemp(&d))
		return;
	/* exactly 10 records of 100 bytes (120 with the header) */
	struct spool_config c = t_cfg(d.path, 10 * 120, 1 << 20, SPOOL_FSYNC_NONE);
	s = t_open(&c);
	if (!s)
		goto out;
	for (unsigned i = 0; i < 15; i++)
		accepted += t_put(s, i, 100) == 0;
	CHECK(accepted == 10 && t_stats(s).refused == 5, "10 accepted, 5 refused (%d, %llu)", accepted,
	      (unsigned long long)t_stats(s).refused);
	CHECK(t_put(s, 99, 0) == -1, "even an empty record is refused when full (20 bytes)");
	CHECK(spool_commit(s, 3) == 0, "commit 3");
	accepted = 0;
	for (unsigned i = 15; i < 20; i++)
		accepted += t_put(s, i, 100) == 0;
	CHECK(accepted == 3 && t_stats(s).refused == 8, "3 more fit (%d)", accepted);
	CHECK(t_stats(s).bytes == 1200 && t_stats(s).records == 10, "bytes held at the cap");
	CHECK(t_is(s, 7, 15, 100) && t_is(s, 9, 17, 100), "the accepted ones are there");
	spool_close(s);
	t_rm_tree(d.path);

	/* the record size cap */
	if (!t_mkdtemp(&d))
		return;
	c = t_cfg(d.path, 8u << 20, 1 << 20, SPOOL_FSYNC_NONE);
	big = malloc(SPOOL_MAX_RECORD + 1);
	s = t_open(&c);
	if (!s || !big)
		goto out;
	t_fill(big, 7, SPOOL_MAX_RECORD + 1);
	CHECK(spool_append(s, 7, big, SPOOL_MAX_RECORD + 1) == -1 && t_stats(s).refused == 1,
	      "a record over SPOOL_MAX_RECORD is refused and counted");
	CHECK(spool_append(s, 7, big, SPOOL_MAX_RECORD) == 0, "a record of SPOOL_MAX_RECORD fits");
	CHECK(t_put(s, 8, 10) == 0, "and one after it");
	spool_close(s);
	s = t_open(&c);
	if (!s)
		goto out;
	const void *rec;
	size_t len = 0;
	uint64_t seq = 0;
	CHECK(spool_peek(s, 0, &rec, &len, &seq) == 1 && len == SPOOL_MAX_RECORD && seq == 7 &&
	      !memcmp(rec, big, len), "the largest record survives a reopen intact");
	CHECK(t_is(s, 1, 8, 10), "the next one too");
	CHECK(t_stats(s).corrupt == 0, "no corruption");
out:
	spool_close(s);
	free(big);
	t_rm_tree(d.path);
}

static void test_reopen(void)
{
	struct t_dir d;
	struct spool_stats st;
	struct spool *s;
	bool ok = true;

	if (!t_mkdtemp(&d))
		return;
	struct spool_config c = t_cfg(d.path, 1 << 20, 1000, SPOOL_FSYNC_SEGMENT);
	s = t_open(&c);
	if (!s)
		goto out;
	for (unsigned i = 0; i < 30; i++)
		ok &= t_put(s, i, 150) == 0;
	CHECK(ok && spool_commit(s, 10) == 0, "30 appended, 10 committed");
	CHECK(t_is(s, 0, 10, 150), "peeked but not committed: 10");
	spool_close(s);

	s = t_open(&c);
	if (!s)
		goto out;
	st = t_stats(s);
	CHECK(st.records == 20 && st.bytes == 20 * 170 && st.corrupt == 0,
	      "reopen: 20 held (%llu, %llu bytes)", (unsigned long long)st.records,
	      (unsigned long long)st.bytes);
	ok = true;
	for (unsigned i = 0; i < 20; i++)
		ok &= t_is(s, i, 10 + i, 150);
	CHECK(ok, "10..29 and nothing committed returned again");
	CHECK(spool_commit(s, 5) == 0, "commit 5");
	ok = true;
	for (unsigned i = 30; i < 33; i++)
		ok &= t_put(s, i, 150) == 0;
	CHECK(ok, "3 more");
	spool_close(s);

	s = t_open(&c);
	if (!s)
		goto out;
	CHECK(t_stats(s).records == 18, "reopen again: 18 (%llu)", (unsigned long long)t_stats(s).records);
	ok = true;
	for (unsigned i = 0; i < 18; i++)
		ok &= t_is(s, i, 15 + i, 150);
	CHECK(ok, "15..32");
	CHECK(spool_last_seq(s) == 32, "last seq 32");
	spool_close(s);
	/* closed without any commit: the same again */
	s = t_open(&c);
	if (!s)
		goto out;
	CHECK(t_stats(s).records == 18 && t_is(s, 0, 15, 150), "reopen without commit: unchanged");
	spool_close(s);
out:
	t_rm_tree(d.path);
}

/* Crash mid-write: the last record is cut short by `cut` bytes (120: it is
 * missing whole, nothing is corrupt). */
static void test_truncated_tail(unsigned cut)
{
	uint64_t want_corrupt = cut % 120 ? 1 : 0;
	struct t_dir d;
	struct spool_stats st;
	struct spool *s;
	char path[128];
	bool ok = true;

	if (!t_mkdtemp(&d))
		return;
	struct spool_config c = t_cfg(d.path, 1 << 20, 1 << 20, SPOOL_FSYNC_NONE);
	ok = t_write(&c, 5, 100);
	t_seg_path(path, sizeof(path), d.path, 1);
	CHECK(ok && truncate(path, T_SEG_HDR + 5 * 120 - cut) == 0, "cut %u bytes", cut);

	s = t_open(&c);
	if (!s)
		goto out;
	st = t_stats(s);
	CHECK(st.records == 4 && st.corrupt == want_corrupt,
	      "cut %u: 4 complete records, the partial one corrupt (%llu, %llu)",
	      cut, (unsigned long long)st.records, (unsigned long long)st.corrupt);
	CHECK(t_file_size(path) == T_SEG_HDR + 4 * 120, "cut %u: the partial record truncated away (%lld)",
	      cut, t_file_size(path));
	CHECK(t_put(s, 5, 100) == 0 && t_put(s, 6, 33) == 0, "cut %u: appends after it", cut);
	ok = t_is(s, 0, 0, 100) && t_is(s, 3, 3, 100) && t_is(s, 4, 5, 100) && t_is(s, 5, 6, 33);
	CHECK(ok, "cut %u: 0..3 then the new ones", cut);
	spool_close(s);
	s = t_open(&c);
	if (!s)
		goto out;
	st = t_stats(s);
	CHECK(st.records == 6 && st.corrupt == 0, "cut %u: reopen clean, 6 records", cut);
	CHECK(t_is(s, 5, 6, 33), "cut %u: the last new record intact", cut);
	spool_close(s);
out:
	t_rm_tree(d.path);
}

enum t_damage { T_PAYLOAD, T_MAGIC, T_LEN_HUGE, T_LEN_PLUS, T_CRC, T_SEQ };

/* Damage record 2 of 5 (100 bytes each) and reopen. */
static void test_bitflip(enum t_damage what)
{
	static const char *names[] = { "payload", "magic", "length huge", "length +1", "crc", "seq" };
	struct t_dir d;
	struct spool_stats st;
	struct spool *s;
	char path[128];
	long rec2 = T_SEG_HDR + 2 * 120;
	uint8_t huge[4] = { 0x00, 0xff, 0xff, 0x7f }, plus1[4] = { 101, 0, 0, 0 };
	bool ok = true;

	if (!t_mkdtemp(&d))
		return;
	struct spool_config c = t_cfg(d.path, 1 << 20, 1 << 20, SPOOL_FSYNC_NONE);
	ok = t_write(&c, 5, 100);
	t_seg_path(path, sizeof(path), d.path, 1);
	switch (what) {
	case T_PAYLOAD: ok &= t_flip(path, rec2 + T_REC_HDR + 50, 0x10); break;
	case T_MAGIC: ok &= t_flip(path, rec2, 0x01); break;
	case T_LEN_HUGE: ok &= t_poke(path, rec2 + 4, huge, 4); break;
	case T_LEN_PLUS: ok &= t_poke(path, rec2 + 4, plus1, 4); break;
	case T_CRC: ok &= t_flip(path, rec2 + 16, 0x80); break;
	case T_SEQ: ok &= t_flip(path, rec2 + 8, 0x02); break;
	}
	CHECK(ok, "%s: damaged", names[what]);
	s = t_open(&c);
	if (!s)
		goto out;
	st = t_stats(s);
	CHECK(st.records == 4 && st.corrupt == 1, "%s: 4 records, 1 corrupt (%llu, %llu)", names[what],
	      (unsigned long long)st.records, (unsigned long long)st.corrupt);
	ok = t_is(s, 0, 0, 100) && t_is(s, 1, 1, 100) && t_is(s, 2, 3, 100) && t_is(s, 3, 4, 100);
	CHECK(ok, "%s: neighbours intact", names[what]);
	CHECK(t_put(s, 5, 10) == 0 && t_is(s, 4, 5, 10), "%s: append after", names[what]);
	CHECK(spool_commit(s, 5) == 0, "%s: commit", names[what]);
	spool_close(s);
	s = t_open(&c);
	if (!s)
		goto out;
	CHECK(t_stats(s).records == 0 && t_stats(s).corrupt == 0,
	      "%s: after the commit the damage is behind the cursor", names[what]);
	spool_close(s);
out:
	t_rm_tree(d.path);
}

/* Damage in the last record, and in the segment header. */
static void test_damage_edges(void)
{
	struct t_dir d;
	struct spool_stats st;
	struct spool *s;
	char path[128];
	bool ok = true;

	if (!t_mkdtemp(&d))
		return;
	struct spool_config c = t_cfg(d.path, 1 << 20, 1 << 20, SPOOL_FSYNC_NONE);
	ok = t_write(&c, 5, 100);
	t_seg_path(path, sizeof(path), d.path, 1);
	CHECK(ok && t_flip(path, T_SEG_HDR + 4 * 120 + 30, 0x04), "last record damaged");
	s = t_open(&c);
	if (!s)
		goto out;
	st = t_stats(s);
	CHECK(st.records == 4 && st.corrupt == 1 && t_file_size(path) == T_SEG_HDR + 4 * 120,
	      "a damaged last record is cut off (%llu, %llu, %lld)", (unsigned long long)st.records,
	      (unsigned long long)st.corrupt, t_file_size(path));
	CHECK(t_put(s, 5, 100) == 0, "append after it");
	spool_close(s);

	CHECK(t_flip(path, 3, 0x20), "segment header damaged");
	s = t_open(&c);
	if (!s)
		goto out;
	st = t_stats(s);
	CHECK(st.records == 5 && st.corrupt == 1, "bad header: counted, records still found (%llu, %llu)",
	      (unsigned long long)st.records, (unsigned long long)st.corrupt);
	CHECK(t_put(s, 6, 100) == 0 && t_stats(s).segments == 2,
	      "no appends to a segment with a bad header: a new one");
	ok = t_is(s, 0, 0, 100) && t_is(s, 3, 3, 100) && t_is(s, 4, 5, 100) && t_is(s, 5, 6, 100);
	CHECK(ok, "0..3, 5, 6");
	CHECK(spool_commit(s, 6) == 0 && t_stats(s).segments == 1 && t_count_segs(d.path) == 1,
	      "the damaged segment deleted once consumed");
	spool_close(s);

	/* a segment file cut inside its header: an empty segment */
	t_seg_path(path, sizeof(path), d.path, 9);
	CHECK(t_write_file(path, "ZWSP", 4), "short segment written");
	s = t_open(&c);
	if (!s)
		goto out;
	st = t_stats(s);
	CHECK(st.records == 0 && st.corrupt == 1, "short header: corrupt 1, nothing held (%llu, %llu)",
	      (unsigned long long)st.records, (unsigned long long)st.corrupt);
	CHECK(t_put(s, 7, 1) == 0 && t_is(s, 0, 7, 1), "append goes to a fresh segment");
	CHECK(spool_commit(s, 1) == 0, "commit");
	spool_close(s);
	s = t_open(&c);
	if (!s)
		goto out;
	CHECK(t_stats(s).records == 0 && t_stats(s).corrupt == 0 && t_stats(s).segments == 1,
	      "reopen: nothing, clean, one segment");
	spool_close(s);
out:
	t_rm_tree(d.path);
}

static void test_corrupt_cursor(void)
{
	static const char *how[] = { "garbage", "bit flip", "empty" };
	struct t_dir d;
	struct spool_stats st;
	struct spool *s;
	char path[128];
	bool ok = true;

	for (int k = 0; k < 3; k++) {
		if (!t_mkdtemp(&d))
			return;
		struct spool_config c = t_cfg(d.path, 1 << 20, 1 << 20, SPOOL_FSYNC_SEGMENT);
		s = t_open(&c);
		if (!s)
			goto next;
		for (unsigned i = 0; i < 10; i++)
			ok &= t_put(s, i, 50) == 0;
		CHECK(ok && spool_commit(s, 4) == 0, "%s: 10 appended, 4 committed", how[k]);
		spool_close(s);
		snprintf(path, sizeof(path), "%s/cursor", d.path);
		CHECK(t_file_size(path) == 36, "cursor file written");
		if (k == 0)
			ok = t_poke(path, 0, "not a cursor", 12);
		else if (k == 1)
			ok = t_flip(path, 17, 0x01);
		else
			ok = truncate(path, 0) == 0;
		CHECK(ok, "%s: cursor damaged", how[k]);
		s = t_open(&c);
		if (!s)
			goto next;
		st = t_stats(s);
		CHECK(st.corrupt == 1 && st.records == 10,
		      "%s: counted, everything from the oldest segment again (%llu, %llu)", how[k],
		      (unsigned long long)st.corrupt, (unsigned long long)st.records);
		CHECK(t_is(s, 0, 0, 50) && t_is(s, 9, 9, 50), "%s: 0..9", how[k]);
		CHECK(spool_commit(s, 10) == 0, "%s: commit rewrites the cursor", how[k]);
		spool_close(s);
		s = t_open(&c);
		if (!s)
			goto next;
		CHECK(t_stats(s).corrupt == 0 && t_stats(s).records == 0, "%s: clean after", how[k]);
		spool_close(s);
next:
		t_rm_tree(d.path);
	}
}

static void test_dirs(void)
{
	struct t_dir d;
	struct spool *s;
	char sub[128], err[512], path[160];
	struct stat st;
	const void *rec;
	size_t len;
	uint64_t seq;

	if (!t_mkdtemp(&d))
		return;
	snprintf(sub, sizeof(sub), "%s/spool", d.path);
	struct spool_config c = t_cfg(sub, 1 << 20, 1 << 20, SPOOL_FSYNC_NONE);
	s = t_open(&c);
	if (!s)
		goto out;
	CHECK(stat(sub, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
	      "missing directory created 0700");
	CHECK(t_stats(s).records == 0 && t_stats(s).segments == 0 && spool_last_seq(s) == 0,
	      "empty: nothing held, no segment, last seq 0");
	CHECK(spool_peek(s, 0, &rec, &len, &seq) == 0, "empty: nothing to peek");
	CHECK(spool_commit(s, 3) == 0 && t_stats(s).consumed == 0, "empty: commit is a no-op");

	/* a second spool on the same directory is refused */
	err[0] = '\0';
	CHECK(spool_open(&c, err, sizeof(err)) == NULL && strstr(err, sub) && strstr(err, "in use"),
	      "second open refused: %s", err);
	spool_close(s);

	/* other files are left alone */
	const char *others[] = { "README", "seg-zz.zws", "seg-0000000000000001.zws.bak",
				 "seg-000000000000000A.zws", "cursor.tmp" };
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", sub, others[i]);
		CHECK(t_write_file(path, "x", 1), "%s written", others[i]);
	}
	s = t_open(&c);
	if (!s)
		goto out;
	CHECK(t_stats(s).segments == 0 && t_stats(s).corrupt == 0, "other names ignored");
	CHECK(t_put(s, 1, 5) == 0 && spool_commit(s, 1) == 0, "append and commit");
	spool_close(s);
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]) - 1; i++) {
		snprintf(path, sizeof(path), "%s/%s", sub, others[i]);
		CHECK(t_file_size(path) >= 0, "%s kept", others[i]);
	}

	/* directories that cannot be used: the error names them */
	snprintf(path, sizeof(path), "%s/file", d.path);
	CHECK(t_write_file(path, "x", 1), "file written");
	struct { const char *suffix; } bad[] = { { "/file/spool" }, { "/missing/a/b" }, { "/file" } };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char bdir[160];

		snprintf(bdir, sizeof(bdir), "%s%s", d.path, bad[i].suffix);
		c = t_cfg(bdir, 1 << 20, 1 << 20, SPOOL_FSYNC_NONE);
		err[0] = '\0';
		s = spool_open(&c, err, sizeof(err));
		CHECK(s == NULL && strstr(err, bdir) != NULL, "bad directory %s: '%s'", bdir, err);
		spool_close(s);
	}
	c = t_cfg(NULL, 1, 1, SPOOL_FSYNC_NONE);
	CHECK(spool_open(&c, err, sizeof(err)) == NULL, "no directory: %s", err);
out:
	t_rm_tree(d.path);
}

static void test_last_seq(void)
{
	struct t_dir d;
	struct spool *s;
	char path[128];
	bool ok = true;

	if (!t_mkdtemp(&d))
		return;
	struct spool_config c = t_cfg(d.path, 1 << 20, 300, SPOOL_FSYNC_NONE);
	s = t_open(&c);
	if (!s)
		goto out;
	for (uint64_t q = 100; q < 110; q++)
		ok &= t_put(s, q, 100) == 0;          /* 2 records a segment */
	CHECK(ok && spool_last_seq(s) == 109, "last seq after appends");
	spool_close(s);
	s = t_open(&c);
	if (!s)
		goto out;
	CHECK(spool_last_seq(s) == 109, "from the records on reopen");
	CHECK(spool_commit(s, 10) == 0, "commit all");
	spool_close(s);
	/* the segments are gone (an operator cleaned up): the cursor remembers */
	for (uint64_t id = 1; id <= 6; id++) {
		t_seg_path(path, sizeof(path), d.path, id);
		unlink(path);
	}
	CHECK(t_count_segs(d.path) == 0, "no segment left");
	s = t_open(&c);
	if (!s)
		goto out;
	CHECK(spool_last_seq(s) == 109, "from the cursor (%llu)", (unsigned long long)spool_last_seq(s));
	CHECK(t_put(s, 110, 10) == 0, "append");
	spool_close(s);
	s = t_open(&c);
	if (!s)
		goto out;
	CHECK(t_stats(s).records == 1 && t_is(s, 0, 110, 10),
	      "a new segment after the cursor's is not taken for consumed");
	CHECK(spool_last_seq(s) == 110, "last seq 110");
	spool_close(s);
out:
	t_rm_tree(d.path);
}

/* Write errors through a file size limit: a partial write is cut off, the
 * spool keeps going once the limit is lifted. */
static void test_io_errors(void)
{
	struct t_dir d;
	struct spool_stats st;
	struct rlimit old, lim;
	struct spool *s;
	char path[128];
	int r1, r2, r3, r4;
	bool ok = true;

	if (!t_mkdtemp(&d))
		return;
	struct spool_config c = t_cfg(d.path, 1 << 20, 600, SPOOL_FSYNC_SEGMENT);
	s = t_open(&c);
	if (!s || getrlimit(RLIMIT_FSIZE, &old) != 0)
		goto out;
	for (unsigned i = 0; i < 3; i++)
		ok &= t_put(s, i, 100) == 0;
	signal(SIGXFSZ, SIG_IGN);
	lim = old;
	/* nothing printed while the limit holds (stdout may be a file) */
	lim.rlim_cur = T_SEG_HDR + 3 * 120 + 50;
	setrlimit(RLIMIT_FSIZE, &lim);
	r1 = t_put(s, 3, 100);                  /* 50 bytes written of 120 */
	lim.rlim_cur = T_SEG_HDR + 3 * 120;
	setrlimit(RLIMIT_FSIZE, &lim);
	r2 = t_put(s, 4, 100);                  /* EFBIG */
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK(ok && r1 == -1 && r2 == -1, "appends over the limit fail (%d %d)", r1, r2);
	t_seg_path(path, sizeof(path), d.path, 1);
	st = t_stats(s);
	CHECK(st.io_errors == 2 && st.records == 3 && t_file_size(path) == T_SEG_HDR + 3 * 120,
	      "counted, the partial record cut off (%llu, %lld)", (unsigned long long)st.io_errors,
	      t_file_size(path));
	CHECK(t_put(s, 5, 100) == 0, "limit lifted: append works");
	/* the segment is full (16 + 4 * 120 > 600 - 120): the next starts a new one */
	lim.rlim_cur = 10;
	setrlimit(RLIMIT_FSIZE, &lim);
	r3 = t_put(s, 6, 100);                  /* the new segment's header fails */
	setrlimit(RLIMIT_FSIZE, &old);
	r4 = t_put(s, 7, 100);
	st = t_stats(s);
	CHECK(r3 == -1 && r4 == 0 && st.io_errors == 3, "a failed segment start, then one that works");
	CHECK(t_is(s, 0, 0, 100) && t_is(s, 2, 2, 100) && t_is(s, 3, 5, 100) && t_is(s, 4, 7, 100) &&
	      st.records == 5, "0, 1, 2, 5, 7");
	spool_close(s);
	s = t_open(&c);
	if (!s)
		goto out;
	st = t_stats(s);
	CHECK(st.records == 5 && st.corrupt == 0, "reopen: 5, nothing corrupt (%llu, %llu)",
	      (unsigned long long)st.records, (unsigned long long)st.corrupt);
	CHECK(t_is(s, 3, 5, 100) && t_is(s, 4, 7, 100), "the ones after the errors");
	signal(SIGXFSZ, SIG_DFL);
out:
	spool_close(s);
	t_rm_tree(d.path);
}

/* More records than the index window holds (4096): peeks far ahead,
 * batches across refills, a reopen in the middle, appends while the window
 * is full. */
static void test_window(void)
{
	const unsigned n = 10000;
	struct t_dir d;
	struct spool *s;
	uint64_t next = 0, appended = n;
	bool ok = true;

	if (!t_mkdtemp(&d))
		return;
	struct spool_config c = t_cfg(d.path, 64u << 20, 64u << 10, SPOOL_FSYNC_NONE);
	s = t_open(&c);
	if (!s)
		goto out;
	for (unsigned i = 0; i < n; i++)
		ok &= t_put(s, i, i % 50) == 0;
	CHECK(ok, "%u appends", n);
	CHECK(t_is(s, n - 1, n - 1, (n - 1) % 50), "peek the last one, far past the window");
	CHECK(t_is(s, 5000, 5000, 0), "peek 5000");
	const void *rec;
	size_t len;
	uint64_t seq;
	CHECK(spool_peek(s, n, &rec, &len, &seq) == 0, "peek past the end");
	for (int b = 0; b < 5; b++) {
		ok = true;
		for (unsigned i = 0; i < 700; i++)
			ok &= t_is(s, i, next + i, (next + i) % 50);
		CHECK(ok && spool_commit(s, 700) == 0, "batch %d of 700", b);
		next += 700;
	}
	spool_close(s);
	s = t_open(&c);
	if (!s)
		goto out;
	CHECK(t_stats(s).records == n - next, "reopen: %llu held", (unsigned long long)t_stats(s).records);
	for (int b = 0; t_stats(s).records > 0 && b < 100; b++) {
		size_t k = 999;

		ok = true;
		for (unsigned i = 0; i < k && next + i < appended; i++)
			ok &= t_is(s, i, next + i, (next + i) % 50);
		CHECK(ok, "batch from %llu", (unsigned long long)next);
		if (b == 2) {
			/* the window is full of older records: these are only counted */
			for (unsigned i = 0; i < 100; i++)
				ok &= t_put(s, appended + i, (appended + i) % 50) == 0;
			appended += 100;
			CHECK(ok, "100 appended in the middle");
		}
		if (k > appended - next)
			k = (size_t)(appended - next);
		CHECK(spool_commit(s, k) == 0, "commit");
		next += k;
	}
	CHECK(next == appended && t_stats(s).records == 0 && t_stats(s).consumed == appended - 3500,
	      "all %llu consumed once", (unsigned long long)appended);
	CHECK(t_stats(s).corrupt == 0 && t_stats(s).segments == 1, "clean, one segment left");
out:
	spool_close(s);
	t_rm_tree(d.path);
}

struct t_rng {
	uint64_t x;
};

static uint64_t t_rand(struct t_rng *r)
{
	r->x ^= r->x << 13;
	r->x ^= r->x >> 7;
	r->x ^= r->x << 17;
	return r->x;
}

struct t_model {
	uint64_t seq[4096];
	size_t len[4096];
	size_t head, count;
	uint64_t bytes;
};

/* Random appends, peeks, commits and reopens against an in-memory FIFO. */
static void test_property(enum spool_fsync fs, uint64_t seed)
{
	struct t_rng rng = { seed };
	struct t_model *m = calloc(1, sizeof(*m));
	const uint64_t max_bytes = 40000;
	uint64_t seq = 1;
	unsigned bad = 0, reopens = 0, refusals = 0, step;
	struct t_dir d;
	struct spool *s = NULL;

	if (!m || !t_mkdtemp(&d)) {
		free(m);
		return;
	}
	struct spool_config c = t_cfg(d.path, max_bytes, 2048, fs);
	s = t_open(&c);
	for (step = 0; s && step < 2000 && bad == 0; step++) {
		unsigned op = (unsigned)(t_rand(&rng) % 100);
		struct spool_stats st;

		if (op < 45) {
			size_t len = (size_t)(t_rand(&rng) % 4 == 0 ? t_rand(&rng) % 3000 : t_rand(&rng) % 200);
			bool fits = m->bytes + T_REC_HDR + len <= max_bytes;
			int rc;

			seq += 1 + t_rand(&rng) % 3;
			rc = t_put(s, seq, len);
			if (rc != (fits ? 0 : -1)) {
				printf("  step %u: append of %zu -> %d, model says %s\n", step, len, rc,
				       fits ? "fits" : "full");
				bad++;
			}
			if (rc == 0) {
				size_t at = (m->head + m->count++) % 4096;

				m->seq[at] = seq;
				m->len[at] = len;
				m->bytes += T_REC_HDR + len;
			} else {
				refusals++;
			}
		} else if (op < 70) {
			size_t n = m->count ? (size_t)(t_rand(&rng) % (m->count + 2)) : 0;
			const void *rec;
			size_t len;
			uint64_t q;

			if (n < m->count) {
				size_t at = (m->head + n) % 4096;

				if (!t_is(s, n, m->seq[at], m->len[at])) {
					printf("  step %u: peek %zu of %zu\n", step, n, m->count);
					bad++;
				}
			} else if (spool_peek(s, n, &rec, &len, &q) != 0) {
				printf("  step %u: peek %zu past %zu gave a record\n", step, n, m->count);
				bad++;
			}
		} else if (op < 93) {
			size_t k = (size_t)(t_rand(&rng) % (m->count < 12 ? m->count + 1 : 12));

			if (spool_commit(s, k) != 0)
				bad++;
			for (size_t i = 0; i < k; i++)
				m->bytes -= T_REC_HDR + m->len[(m->head + i) % 4096];
			m->head = (m->head + k) % 4096;
			m->count -= k;
		} else {
			spool_close(s);
			s = t_open(&c);
			reopens++;
			if (!s)
				break;
		}
		st = t_stats(s);
		if (st.records != m->count || st.bytes != m->bytes || st.corrupt != 0 || st.io_errors != 0 ||
		    st.segments != t_count_segs(d.path)) {
			printf("  step %u: records %llu/%zu bytes %llu/%llu corrupt %llu io %llu segs %llu/%u\n",
			       step, (unsigned long long)st.records, m->count, (unsigned long long)st.bytes,
			       (unsigned long long)m->bytes, (unsigned long long)st.corrupt,
			       (unsigned long long)st.io_errors, (unsigned long long)st.segments,
			       t_count_segs(d.path));
			bad++;
		}
	}
	/* and everything left comes out in order */
	for (size_t i = 0; s && bad == 0 && i < m->count; i++)
		if (!t_is(s, i, m->seq[(m->head + i) % 4096], m->len[(m->head + i) % 4096]))
			bad++;
	CHECK(s != NULL && bad == 0 && step == 2000,
	      "property (fsync %d, seed %llu): %u steps, %u reopens, %u refusals, %zu left", (int)fs,
	      (unsigned long long)seed, step, reopens, refusals, m->count);
	spool_close(s);
	free(m);
	t_rm_tree(d.path);
}

static double t_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Not a check: the numbers for the record (1.5 KB records, FSYNC_SEGMENT). */
static void test_throughput(void)
{
	const unsigned n = 20000;
	struct t_dir d;
	struct spool *s;
	double t0, t1, t2, t3;
	unsigned got = 0;
	bool ok = true;

	if (!t_mkdtemp(&d))
		return;
	struct spool_config c = t_cfg(d.path, 1ull << 30, 16u << 20, SPOOL_FSYNC_SEGMENT);
	s = t_open(&c);
	if (!s)
		goto out;
	t0 = t_now();
	for (unsigned i = 0; i < n; i++)
		ok &= t_put(s, i, 1500) == 0;
	t1 = t_now();
	spool_close(s);
	t2 = t_now();
	s = t_open(&c);
	t3 = t_now();
	if (!s)
		goto out;
	CHECK(ok && t_stats(s).records == n, "throughput run: %u records", n);
	double t4 = t_now();
	while (t_stats(s).records > 0) {
		const void *rec;
		size_t len, k;
		uint64_t q;

		for (k = 0; k < 100 && spool_peek(s, k, &rec, &len, &q) == 1; k++)
			got++;
		if (spool_commit(s, k) != 0 || k == 0)
			break;
	}
	double t5 = t_now();
	CHECK(got == n, "drained %u", got);
	printf("spool throughput (1500-byte records, FSYNC_SEGMENT, %s): append %.0f records/s "
	       "(%.1f MB/s), recovery scan of %u records %.3f s, drain (peek+commit by 100) %.0f "
	       "records/s\n", d.path, n / (t1 - t0), n * 1520.0 / (t1 - t0) / 1e6, n, t3 - t2,
	       n / (t5 - t4));
out:
	spool_close(s);
	t_rm_tree(d.path);
}

int main(void)
{
	test_fifo();
	test_batches();
	test_rollover();
	test_caps();
	test_reopen();
	test_truncated_tail(3);
	test_truncated_tail(110);       /* inside the header */
	test_truncated_tail(120);       /* exactly a record: nothing partial */
	for (int w = T_PAYLOAD; w <= T_SEQ; w++)
		test_bitflip((enum t_damage)w);
	test_damage_edges();
	test_corrupt_cursor();
	test_dirs();
	test_last_seq();
	test_io_errors();
	test_window();
	test_property(SPOOL_FSYNC_NONE, 0x5eed);
	test_property(SPOOL_FSYNC_ALWAYS, 0xfeedbeef);
	test_throughput();
	return check_done();
}
