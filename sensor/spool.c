/*
 * spool — see spool.h.
 *
 * On disk, every integer little-endian and written byte by byte:
 *
 *   segment header  "ZWSPOOL1", u32 version (1), u32 flags (0)         16 bytes
 *   record          magic d7 5a 57 52, u32 length, u64 seq, u32 crc    20 bytes
 *                   then `length` payload bytes.  crc: CRC-32C
 *                   (Castagnoli) of the first 16 header bytes and the
 *                   payload.
 *   cursor          "ZWCURSR1", u64 segment id, u64 offset, u64 seq,
 *                   u32 CRC-32C of the 32 bytes before it              36 bytes
 *
 * The record magic is 0xd7 followed by an ASCII byte: never valid UTF-8, so
 * it does not occur inside an alert's JSON text, and a resync (a search for
 * the magic, byte by byte) does not stop inside a payload.  The cursor's seq
 * is the largest sequence number known when it was written (at least the
 * last one consumed): spool_last_seq survives the deletion of every segment.
 *
 * Positions.  Everything before `done` (segment id, offset) is consumed; the
 * cursor file holds it.  The window is a ring of the next (up to
 * SPOOL_WINDOW) unconsumed records: position, length, seq.  `scan` is where
 * indexing stopped; records after it are counted but not indexed, and are
 * found again by scanning forward from it when the window runs dry.
 * Invariant: st.records = wcount + the valid records after `scan`.
 * spool_peek(n) is O(1) for n inside the window and a forward scan beyond.
 *
 * Bytes.  st.bytes and max_bytes count the records not yet consumed, header
 * and payload.  On disk there is in addition a header per segment, the
 * consumed head of the oldest segment (less than segment_bytes plus one
 * record), and any corrupt bytes recovery skipped (gone with their segment).
 *
 * Recovery (spool_open) scans every segment from the cursor once: it counts
 * the records, fills the window, counts corruption (once per damaged
 * stretch: a bad record and everything up to the next good one), and cuts a
 * damaged tail off the last segment so that new records follow the last
 * good one.  Later scans (refilling the window) read the same bytes and
 * count nothing.  Each candidate magic costs a check of its length and CRC:
 * a file crafted with a magic every few bytes is slow to scan, never
 * endless (the directory is the sensor's own, mode 0700).
 *
 * The segment being appended to is kept when it is fully consumed (no file
 * created and deleted per record for a consumer that keeps up); it is
 * deleted once a newer segment exists and the cursor has passed it.
 * A failed append leaves nothing behind: the partial bytes are cut off, or
 * when that fails too the segment is closed and the next append starts a
 * new one (its size in memory never includes the partial bytes).
 */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPOOL_SEG_MAGIC "ZWSPOOL1"
#define SPOOL_SEG_VERSION 1u
#define SPOOL_SEG_HDR 16u
#define SPOOL_REC_HDR 20u
#define SPOOL_CUR_MAGIC "ZWCURSR1"
#define SPOOL_CUR_SIZE 36u
#define SPOOL_CUR_NAME "cursor"
#define SPOOL_CUR_TMP "cursor.tmp"
#define SPOOL_NAME_LEN 24u                   /* seg-<16 hex digits>.zws */
#define SPOOL_WINDOW 4096u                   /* records indexed ahead; a power of 2 */
#define SPOOL_MAX_SEGMENTS (1u << 20)        /* segment files */
#define SPOOL_SBUF (SPOOL_REC_HDR + SPOOL_MAX_RECORD + 65536u)   /* any record fits */

enum { SPOOL_FD_SCAN, SPOOL_FD_PEEK, SPOOL_FD_N };

static const uint8_t spool_rec_magic[4] = { 0xd7, 0x5a, 0x57, 0x52 };

/* CRC-32C, reflected polynomial 0x82f63b78 */
static const uint32_t spool_crc_table[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4, 0xc79a971f, 0x35f1141c,
	0x26a1e7e8, 0xd4ca64eb, 0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24, 0x105ec76f, 0xe235446c,
	0xf165b798, 0x030e349b, 0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54, 0x5d1d08bf, 0xaf768bbc,
	0xbc267848, 0x4e4dfb4b, 0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35, 0xaa64d611, 0x580f5512,
	0x4b5fa6e6, 0xb93425e5, 0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45, 0xf779deae, 0x05125dad,
	0x1642ae59, 0xe4292d5a, 0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595, 0x417b1dbc, 0xb3109ebf,
	0xa0406d4b, 0x522bee48, 0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687, 0x0c38d26c, 0xfe53516f,
	0xed03a29b, 0x1f682198, 0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38, 0xdbfc821c, 0x2997011f,
	0x3ac7f2eb, 0xc8ac71e8, 0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096, 0xa65c047d, 0x5437877e,
	0x4767748a, 0xb50cf789, 0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46, 0x7198540d, 0x83f3d70e,
	0x90a324fa, 0x62c8a7f9, 0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36, 0x3cdb9bdd, 0xceb018de,
	0xdde0eb2a, 0x2f8b6829, 0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93, 0x082f63b7, 0xfa44e0b4,
	0xe9141340, 0x1b7f9043, 0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3, 0x55326b08, 0xa759e80b,
	0xb4091bff, 0x466298fc, 0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033, 0xa24bb5a6, 0x502036a5,
	0x4370c551, 0xb11b4652, 0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d, 0xef087a76, 0x1d63f975,
	0x0e330a81, 0xfc588982, 0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622, 0x38cc2a06, 0xcaa7a905,
	0xd9f75af1, 0x2b9cd9f2, 0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530, 0x0417b1db, 0xf67c32d8,
	0xe52cc12c, 0x1747422f, 0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0, 0xd3d3e1ab, 0x21b862a8,
	0x32e8915c, 0xc083125f, 0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90, 0x9e902e7b, 0x6cfbad78,
	0x7fab5e8c, 0x8dc0dd8f, 0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1, 0x69e9f0d5, 0x9b8273d6,
	0x88d28022, 0x7ab90321, 0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81, 0x34f4f86a, 0xc69f7b69,
	0xd5cf889d, 0x27a40b9e, 0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

struct spool_seg {
	uint64_t id;
	uint64_t size;      /* readable bytes: the file's size, or the append offset */
	bool hdr_ok;
};

struct spool_ent {
	uint64_t seg, off, seq;
	uint32_t len;
};

struct spool_pos {
	uint64_t seg, off;
	bool garbage;       /* inside a damaged stretch (already counted) */
};

struct spool_rfd {
	int fd;
	uint64_t id;
};

struct spool {
	char *dir;
	int dirfd;                      /* holds the flock */
	enum spool_fsync fsync;
	uint64_t max_bytes, segment_bytes;
	struct spool_seg *segs;         /* sorted by id */
	size_t nsegs, capsegs;
	int afd;                        /* the last segment, open for appends; -1: none */
	uint64_t next_id;
	struct spool_rfd rfd[SPOOL_FD_N];
	struct spool_ent *win;          /* SPOOL_WINDOW entries */
	size_t whead, wcount;
	struct spool_pos scan, done;
	uint8_t *sbuf;                  /* scan buffer: bytes [sbuf_off, +sbuf_len) of sbuf_seg */
	uint64_t sbuf_seg, sbuf_off;
	size_t sbuf_len;
	uint8_t *io;                    /* the record spool_peek returns, or being appended */
	size_t iocap;
	uint64_t last_seq;
	struct spool_stats st;
};

static uint32_t spool_crc(uint32_t crc, const uint8_t *p, size_t n)
{
	while (n--)
		crc = spool_crc_table[(crc ^ *p++) & 0xffu] ^ (crc >> 8);
	return crc;
}

static uint32_t spool_rec_crc(const uint8_t *hdr, const uint8_t *payload, size_t len)
{
	return ~spool_crc(spool_crc(0xffffffffu, hdr, 16), payload, len);
}

static void spool_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void spool_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t spool_get32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t spool_get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void spool_seg_name(char *buf, size_t len, uint64_t id)
{
	snprintf(buf, len, "seg-%016llx.zws", (unsigned long long)id);
}

/* Only the names spool_seg_name writes (lower-case hex): one name per id. */
static bool spool_seg_parse(const char *name, uint64_t *id)
{
	uint64_t v = 0;

	if (strlen(name) != SPOOL_NAME_LEN || strncmp(name, "seg-", 4) || strcmp(name + 20, ".zws"))
		return false;
	for (int i = 4; i < 20; i++) {
		char c = name[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else
			return false;
	}
	*id = v;
	return true;
}

/* The index of the first segment whose id is >= id (nsegs if none). */
static size_t spool_seg_lower(const struct spool *s, uint64_t id)
{
	size_t lo = 0, hi = s->nsegs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->segs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int spool_seg_cmp(const void *a, const void *b)
{
	const struct spool_seg *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int spool_segs_reserve(struct spool *s)
{
	struct spool_seg *p;
	size_t cap;

	if (s->nsegs < s->capsegs)
		return 0;
	cap = s->capsegs ? s->capsegs * 2 : 16;
	p = realloc(s->segs, cap * sizeof(*p));
	if (!p)
		return -1;
	s->segs = p;
	s->capsegs = cap;
	return 0;
}

static int spool_io_reserve(struct spool *s, size_t need)
{
	uint8_t *p;
	size_t cap;

	if (need <= s->iocap)
		return 0;
	cap = s->iocap ? s->iocap : 4096;
	while (cap < need)
		cap *= 2;
	if (cap > SPOOL_REC_HDR + SPOOL_MAX_RECORD)
		cap = SPOOL_REC_HDR + SPOOL_MAX_RECORD;
	p = realloc(s->io, cap);
	if (!p)
		return -1;
	s->io = p;
	s->iocap = cap;
	return 0;
}

/* A descriptor to read segment id: the append descriptor for the last
 * segment, else the one cached in slot (reopened when the id differs). */
static int spool_fd(struct spool *s, int slot, uint64_t id)
{
	struct spool_rfd *r = &s->rfd[slot];
	char name[32];

	if (s->afd >= 0 && s->segs[s->nsegs - 1].id == id)
		return s->afd;
	if (r->fd >= 0 && r->id == id)
		return r->fd;
	if (r->fd >= 0)
		close(r->fd);
	spool_seg_name(name, sizeof(name), id);
	r->fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
	r->id = id;
	return r->fd;
}

static void spool_fd_forget(struct spool *s, uint64_t id)
{
	for (int i = 0; i < SPOOL_FD_N; i++) {
		if (s->rfd[i].fd >= 0 && s->rfd[i].id == id) {
			close(s->rfd[i].fd);
			s->rfd[i].fd = -1;
		}
	}
	if (s->sbuf_seg == id)
		s->sbuf_len = 0;
}

/* Up to len bytes at off: fewer only at the end of the file; -1 on error. */
static ssize_t spool_pread(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (uint8_t *)buf + got, len - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Bytes [off, off + need) of segment id, whose readable end is end
 * (off + need <= end), through the scan buffer: a pointer to them with
 * *avail >= need bytes there up to end.  NULL with *io set on a read error;
 * NULL with *io clear when the file is shorter than end. */
static const uint8_t *spool_sbuf_get(struct spool *s, uint64_t id, uint64_t off, size_t need,
				     uint64_t end, size_t *avail, bool *io)
{
	size_t want;
	ssize_t n;
	int fd;

	*io = false;
	if (s->sbuf_len && s->sbuf_seg == id && off >= s->sbuf_off &&
	    off + need <= s->sbuf_off + s->sbuf_len) {
		*avail = (size_t)(s->sbuf_off + s->sbuf_len - off);
		if (*avail > end - off)
			*avail = (size_t)(end - off);
		return s->sbuf + (off - s->sbuf_off);
	}
	s->sbuf_len = 0;
	fd = spool_fd(s, SPOOL_FD_SCAN, id);
	if (fd < 0) {
		*io = true;
		return NULL;
	}
	want = end - off < SPOOL_SBUF ? (size_t)(end - off) : SPOOL_SBUF;
	n = spool_pread(fd, s->sbuf, want, off);
	if (n < 0) {
		*io = true;
		return NULL;
	}
	s->sbuf_seg = id;
	s->sbuf_off = off;
	s->sbuf_len = (size_t)n;
	if ((size_t)n < need)
		return NULL;
	*avail = (size_t)n;
	return s->sbuf;
}

/* The offset of the next record magic in [from, end) of segment id, or end;
 * -1 on a read error. */
static int spool_find_magic(struct spool *s, uint64_t id, uint64_t from, uint64_t end, uint64_t *at)
{
	uint64_t off = from;

	while (off < end && end - off >= sizeof(spool_rec_magic)) {
		const uint8_t *b, *m, *stop;
		size_t avail;
		bool io;

		b = spool_sbuf_get(s, id, off, sizeof(spool_rec_magic), end, &avail, &io);
		if (!b) {
			if (io)
				return -1;
			break;
		}
		m = b;
		stop = b + avail - (sizeof(spool_rec_magic) - 1);   /* candidates start before */
		while ((m = memchr(m, spool_rec_magic[0], (size_t)(stop - m))) != NULL) {
			if (!memcmp(m, spool_rec_magic, sizeof(spool_rec_magic))) {
				*at = off + (uint64_t)(m - b);
				return 0;
			}
			m++;
		}
		off += (uint64_t)(stop - b);
	}
	*at = end;
	return 0;
}

static void spool_damaged(struct spool *s, struct spool_pos *p, bool count)
{
	if (count && !p->garbage)
		s->st.corrupt++;
	p->garbage = true;
}

/* The next valid record at or after *p, going on to later segments: 1 with
 * *e (and *data, when asked: header and payload, in the scan buffer until
 * the next read), 0 at the end of the data (*p stays there, so records
 * appended later are found), -1 on a read error.  count: count damaged
 * stretches in st.corrupt (recovery only). */
static int spool_scan_next(struct spool *s, struct spool_pos *p, struct spool_ent *e,
			   const uint8_t **data, bool count)
{
	for (;;) {
		size_t i = spool_seg_lower(s, p->seg), avail;
		const uint8_t *h;
		uint64_t end;
		uint32_t len;
		bool io;

		if (i == s->nsegs)
			return 0;
		if (s->segs[i].id != p->seg) {
			p->seg = s->segs[i].id;
			p->off = SPOOL_SEG_HDR;
			p->garbage = !s->segs[i].hdr_ok;
		}
		if (p->off < SPOOL_SEG_HDR)
			p->off = SPOOL_SEG_HDR;
		end = s->segs[i].size;
		if (p->off >= end || end - p->off < SPOOL_REC_HDR) {
			if (p->off < end) {
				spool_damaged(s, p, count);      /* a truncated header */
				p->off = end;
			}
			if (i + 1 == s->nsegs)
				return 0;
			p->seg = s->segs[i + 1].id;
			p->off = SPOOL_SEG_HDR;
			p->garbage = !s->segs[i + 1].hdr_ok;
			continue;
		}
		h = spool_sbuf_get(s, p->seg, p->off, SPOOL_REC_HDR, end, &avail, &io);
		if (!h) {
			if (io)
				return -1;
			p->off = end;                            /* shorter than listed */
			continue;
		}
		len = spool_get32(h + 4);
		if (!memcmp(h, spool_rec_magic, sizeof(spool_rec_magic)) && len <= SPOOL_MAX_RECORD &&
		    len <= end - p->off - SPOOL_REC_HDR) {
			if (avail < SPOOL_REC_HDR + len) {
				h = spool_sbuf_get(s, p->seg, p->off, SPOOL_REC_HDR + len, end, &avail, &io);
				if (!h) {
					if (io)
						return -1;
					p->off = end;
					continue;
				}
			}
			if (spool_get32(h + 16) == spool_rec_crc(h, h + SPOOL_REC_HDR, len)) {
				e->seg = p->seg;
				e->off = p->off;
				e->len = len;
				e->seq = spool_get64(h + 8);
				if (data)
					*data = h;
				p->off += SPOOL_REC_HDR + len;
				p->garbage = false;
				return 1;
			}
		}
		spool_damaged(s, p, count);
		if (spool_find_magic(s, p->seg, p->off + 1, end, &p->off) < 0)
			return -1;
	}
}

static struct spool_ent *spool_win_at(struct spool *s, size_t n)
{
	return &s->win[(s->whead + n) & (SPOOL_WINDOW - 1)];
}

static void spool_win_push(struct spool *s, const struct spool_ent *e)
{
	*spool_win_at(s, s->wcount++) = *e;
}

/* Window entry n no longer reads back intact (the file changed under us). */
static void spool_win_drop(struct spool *s, size_t n)
{
	s->st.corrupt++;
	s->st.records--;
	s->st.bytes -= SPOOL_REC_HDR + spool_win_at(s, n)->len;
	for (size_t i = n; i > 0; i--)
		*spool_win_at(s, i) = *spool_win_at(s, i - 1);
	s->whead = (s->whead + 1) & (SPOOL_WINDOW - 1);
	s->wcount--;
}

/* Index more records, scanning forward from s->scan. */
static void spool_refill(struct spool *s)
{
	struct spool_ent e;

	while (s->wcount < SPOOL_WINDOW && s->st.records > s->wcount) {
		int r = spool_scan_next(s, &s->scan, &e, NULL, false);

		if (r < 0) {
			s->st.io_errors++;
			return;
		}
		if (r == 0) {
			/* fewer records than counted: the files changed under us */
			s->st.corrupt += s->st.records - s->wcount;
			s->st.records = s->wcount;
			s->st.bytes = 0;
			for (size_t i = 0; i < s->wcount; i++)
				s->st.bytes += SPOOL_REC_HDR + spool_win_at(s, i)->len;
			return;
		}
		spool_win_push(s, &e);
	}
}

/* Reads the record e into s->io and checks it: 1 intact, 0 damaged, -1 on a
 * read error. */
static int spool_load(struct spool *s, const struct spool_ent *e)
{
	size_t need = SPOOL_REC_HDR + e->len;
	ssize_t n;
	int fd;

	if (spool_io_reserve(s, need) < 0)
		return -1;
	fd = spool_fd(s, SPOOL_FD_PEEK, e->seg);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	n = spool_pread(fd, s->io, need, e->off);
	if (n < 0)
		return -1;
	if ((size_t)n < need || memcmp(s->io, spool_rec_magic, sizeof(spool_rec_magic)) ||
	    spool_get32(s->io + 4) != e->len || spool_get64(s->io + 8) != e->seq ||
	    spool_get32(s->io + 16) != spool_rec_crc(s->io, s->io + SPOOL_REC_HDR, e->len))
		return 0;
	return 1;
}

/* Record k after the window: a forward scan from s->scan, nothing kept. */
static int spool_peek_far(struct spool *s, size_t k, const void **rec, size_t *len, uint64_t *seq)
{
	struct spool_pos p = s->scan;
	const uint8_t *data = NULL;
	struct spool_ent e;

	for (;;) {
		int r = spool_scan_next(s, &p, &e, &data, false);

		if (r < 0)
			s->st.io_errors++;
		if (r <= 0)
			return 0;
		if (k-- == 0)
			break;
	}
	if (spool_io_reserve(s, SPOOL_REC_HDR + e.len) < 0) {
		s->st.io_errors++;
		return 0;
	}
	memcpy(s->io, data, SPOOL_REC_HDR + e.len);
	*rec = s->io + SPOOL_REC_HDR;
	*len = e.len;
	*seq = e.seq;
	return 1;
}

int spool_peek(struct spool *s, size_t n, const void **rec, size_t *len, uint64_t *seq)
{
	for (;;) {
		struct spool_ent *e;
		int r;

		if (n >= s->wcount && s->st.records > s->wcount)
			spool_refill(s);
		if (n >= s->st.records)
			return 0;
		if (n >= s->wcount)
			return spool_peek_far(s, n - s->wcount, rec, len, seq);
		e = spool_win_at(s, n);
		r = spool_load(s, e);
		if (r < 0) {
			s->st.io_errors++;
			return 0;
		}
		if (r > 0) {
			*rec = s->io + SPOOL_REC_HDR;
			*len = e->len;
			*seq = e->seq;
			return 1;
		}
		spool_win_drop(s, n);
	}
}

static int spool_cursor_write(struct spool *s)
{
	uint8_t b[SPOOL_CUR_SIZE];
	int fd, rc = -1;

	memcpy(b, SPOOL_CUR_MAGIC, 8);
	spool_put64(b + 8, s->done.seg);
	spool_put64(b + 16, s->done.off);
	spool_put64(b + 24, s->last_seq);
	spool_put32(b + 32, ~spool_crc(0xffffffffu, b, 32));
	fd = openat(s->dirfd, SPOOL_CUR_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out;
	if (write(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
		goto out;
	if (s->fsync != SPOOL_FSYNC_NONE && fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (renameat(s->dirfd, SPOOL_CUR_TMP, s->dirfd, SPOOL_CUR_NAME) != 0)
		goto out;
	if (s->fsync != SPOOL_FSYNC_NONE && fsync(s->dirfd) != 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		s->st.io_errors++;
	return rc;
}

/* Delete the segments before s->done, never the one open for appends. */
static void spool_gc(struct spool *s)
{
	size_t k = 0;
	char name[32];

	while (k < s->nsegs && s->segs[k].id < s->done.seg && !(s->afd >= 0 && k == s->nsegs - 1)) {
		spool_fd_forget(s, s->segs[k].id);
		spool_seg_name(name, sizeof(name), s->segs[k].id);
		if (unlinkat(s->dirfd, name, 0) != 0 && errno != ENOENT)
			s->st.io_errors++;
		k++;
	}
	if (k) {
		memmove(s->segs, s->segs + k, (s->nsegs - k) * sizeof(*s->segs));
		s->nsegs -= k;
	}
}

int spool_commit(struct spool *s, size_t n)
{
	struct spool_ent *e;
	int rc;

	if (n == 0)
		return 0;
	while (n > 0) {
		size_t k;

		if (s->wcount == 0)
			spool_refill(s);
		if (s->wcount == 0)
			break;
		k = n < s->wcount ? n : s->wcount;
		for (size_t i = 0; i < k; i++)
			s->st.bytes -= SPOOL_REC_HDR + spool_win_at(s, i)->len;
		s->st.records -= k;
		s->st.consumed += k;
		s->whead = (s->whead + k) & (SPOOL_WINDOW - 1);
		s->wcount -= k;
		n -= k;
	}
	if (s->wcount == 0 && s->st.records > 0)
		spool_refill(s);
	if (s->wcount > 0) {
		e = spool_win_at(s, 0);
		s->done.seg = e->seg;
		s->done.off = e->off;
	} else if (s->st.records == 0 && s->nsegs > 0) {
		s->done.seg = s->segs[s->nsegs - 1].id;
		s->done.off = s->segs[s->nsegs - 1].size;
		s->scan = s->done;
		s->scan.garbage = false;
	} else if (s->st.records == 0) {
		return 0;                       /* nothing held, no file: no cursor to move */
	} else {
		s->done = s->scan;              /* a read error stopped the refill */
	}
	rc = spool_cursor_write(s);
	spool_gc(s);
	return rc;
}

/* Close the append segment (fsync per policy). */
static void spool_seg_close(struct spool *s)
{
	if (s->afd < 0)
		return;
	if (s->fsync != SPOOL_FSYNC_NONE && fsync(s->afd) != 0)
		s->st.io_errors++;
	close(s->afd);
	s->afd = -1;
}

/* Close the append segment and start the next one.  -1 when refused (the
 * cap on files) or on an I/O error, counted. */
static int spool_seg_new(struct spool *s)
{
	uint8_t h[SPOOL_SEG_HDR];
	char name[32];
	uint64_t id;
	int fd;

	if (s->nsegs >= SPOOL_MAX_SEGMENTS) {
		s->st.refused++;
		return -1;
	}
	if (spool_segs_reserve(s) < 0 || s->next_id == UINT64_MAX) {
		s->st.io_errors++;
		return -1;
	}
	spool_seg_close(s);
	id = s->next_id++;                      /* not reused, even when this fails */
	spool_seg_name(name, sizeof(name), id);
	fd = openat(s->dirfd, name, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		s->st.io_errors++;
		return -1;
	}
	memcpy(h, SPOOL_SEG_MAGIC, 8);
	spool_put32(h + 8, SPOOL_SEG_VERSION);
	spool_put32(h + 12, 0);
	if (write(fd, h, sizeof(h)) != (ssize_t)sizeof(h)) {
		close(fd);
		unlinkat(s->dirfd, name, 0);
		s->st.io_errors++;
		return -1;
	}
	if (s->fsync != SPOOL_FSYNC_NONE && fsync(s->dirfd) != 0)
		s->st.io_errors++;
	s->segs[s->nsegs].id = id;
	s->segs[s->nsegs].size = SPOOL_SEG_HDR;
	s->segs[s->nsegs].hdr_ok = true;
	s->nsegs++;
	s->afd = fd;
	return 0;
}

/* A failed append may have left bytes after off: cut them, or stop
 * appending to this segment. */
static void spool_seg_undo(struct spool *s, uint64_t off)
{
	s->sbuf_len = 0;
	if (ftruncate(s->afd, (off_t)off) != 0) {
		close(s->afd);
		s->afd = -1;
	}
}

int spool_append(struct spool *s, uint64_t seq, const void *rec, size_t len)
{
	size_t need = SPOOL_REC_HDR + len;
	struct spool_seg *seg;
	struct spool_ent e;
	uint64_t off;
	ssize_t w;

	if (len > SPOOL_MAX_RECORD || need > s->max_bytes || s->st.bytes > s->max_bytes - need) {
		s->st.refused++;
		return -1;
	}
	if (s->afd >= 0) {
		seg = &s->segs[s->nsegs - 1];
		if (seg->size > SPOOL_SEG_HDR && (need > s->segment_bytes || seg->size > s->segment_bytes - need)
		    && spool_seg_new(s) < 0)
			return -1;
	} else if (spool_seg_new(s) < 0) {
		return -1;
	}
	if (spool_io_reserve(s, need) < 0) {
		s->st.io_errors++;
		return -1;
	}
	memcpy(s->io, spool_rec_magic, sizeof(spool_rec_magic));
	spool_put32(s->io + 4, (uint32_t)len);
	spool_put64(s->io + 8, seq);
	if (len)
		memcpy(s->io + SPOOL_REC_HDR, rec, len);
	spool_put32(s->io + 16, spool_rec_crc(s->io, s->io + SPOOL_REC_HDR, len));
	seg = &s->segs[s->nsegs - 1];
	off = seg->size;
	do
		w = write(s->afd, s->io, need);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)need) {
		s->st.io_errors++;
		if (w > 0)
			spool_seg_undo(s, off);
		return -1;
	}
	if (s->fsync == SPOOL_FSYNC_ALWAYS && fdatasync(s->afd) != 0) {
		s->st.io_errors++;
		spool_seg_undo(s, off);
		return -1;
	}
	seg->size += need;
	if (s->st.records == s->wcount && s->wcount < SPOOL_WINDOW) {
		/* everything before it is indexed: index it now */
		e.seg = seg->id;
		e.off = off;
		e.len = (uint32_t)len;
		e.seq = seq;
		spool_win_push(s, &e);
		s->scan.seg = seg->id;
		s->scan.off = seg->size;
		s->scan.garbage = false;
	}
	s->st.records++;
	s->st.bytes += need;
	s->st.appended++;
	if (seq > s->last_seq)
		s->last_seq = seq;
	return 0;
}

/* The cursor file: *have clear when there is none or it is damaged
 * (counted); -1 with err when it cannot be read. */
static int spool_cursor_load(struct spool *s, struct spool_pos *cur, bool *have, uint64_t *seq,
			     char *err, size_t errlen)
{
	uint8_t b[SPOOL_CUR_SIZE + 1];
	ssize_t n;
	int fd;

	*have = false;
	fd = openat(s->dirfd, SPOOL_CUR_NAME, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		snprintf(err, errlen, "%s/%s: %s", s->dir, SPOOL_CUR_NAME, strerror(errno));
		return -1;
	}
	n = spool_pread(fd, b, sizeof(b), 0);
	if (n < 0) {
		snprintf(err, errlen, "%s/%s: %s", s->dir, SPOOL_CUR_NAME, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (n != SPOOL_CUR_SIZE || memcmp(b, SPOOL_CUR_MAGIC, 8) ||
	    spool_get32(b + 32) != ~spool_crc(0xffffffffu, b, 32)) {
		s->st.corrupt++;
		return 0;
	}
	cur->seg = spool_get64(b + 8);
	cur->off = spool_get64(b + 16);
	cur->garbage = false;
	*seq = spool_get64(b + 24);
	*have = true;
	return 0;
}

/* The segment files of the directory, sorted (other names are ignored). */
static int spool_list(struct spool *s, char *err, size_t errlen)
{
	struct dirent *de;
	int fd, rc = -1;
	DIR *d;

	fd = dup(s->dirfd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		snprintf(err, errlen, "%s: %s", s->dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	for (;;) {
		struct stat st;
		uint64_t id;

		errno = 0;
		de = readdir(d);
		if (!de && errno) {
			snprintf(err, errlen, "%s: %s", s->dir, strerror(errno));
			goto out;
		}
		if (!de)
			break;
		if (!spool_seg_parse(de->d_name, &id))
			continue;
		if (fstatat(s->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (s->nsegs >= SPOOL_MAX_SEGMENTS) {
			snprintf(err, errlen, "%s: more than %u segment files", s->dir, SPOOL_MAX_SEGMENTS);
			goto out;
		}
		if (spool_segs_reserve(s) < 0) {
			snprintf(err, errlen, "%s: out of memory", s->dir);
			goto out;
		}
		s->segs[s->nsegs].id = id;
		s->segs[s->nsegs].size = (uint64_t)st.st_size;
		s->segs[s->nsegs].hdr_ok = false;
		s->nsegs++;
	}
	if (s->nsegs)
		qsort(s->segs, s->nsegs, sizeof(*s->segs), spool_seg_cmp);
	rc = 0;
out:
	closedir(d);
	return rc;
}

/* Reads a segment's header: a damaged one is counted, and its records are
 * still looked for after it. */
static int spool_seg_check(struct spool *s, struct spool_seg *g, char *err, size_t errlen)
{
	uint8_t h[SPOOL_SEG_HDR];
	char name[32];
	ssize_t n = -1;
	int fd;

	fd = spool_fd(s, SPOOL_FD_SCAN, g->id);
	if (fd >= 0)
		n = spool_pread(fd, h, sizeof(h), 0);
	if (n < 0) {
		spool_seg_name(name, sizeof(name), g->id);
		snprintf(err, errlen, "%s/%s: %s", s->dir, name, strerror(errno));
		return -1;
	}
	g->hdr_ok = n == SPOOL_SEG_HDR && !memcmp(h, SPOOL_SEG_MAGIC, 8) &&
		    spool_get32(h + 8) == SPOOL_SEG_VERSION;
	if (!g->hdr_ok && g->size > 0)
		s->st.corrupt++;
	return 0;
}

/* New records go to the last segment after its last good record (start:
 * where its unconsumed part starts; valid_end: the end of its last good
 * record): cut a damaged tail first.  When that is not possible the next
 * append starts a new segment. */
static void spool_seg_reopen(struct spool *s, uint64_t start, uint64_t valid_end)
{
	struct spool_seg *last = &s->segs[s->nsegs - 1];
	char name[32];
	int fd;

	if (!last->hdr_ok || start > last->size)
		return;                 /* a damaged header, or the cursor past the end */
	spool_seg_name(name, sizeof(name), last->id);
	fd = openat(s->dirfd, name, O_RDWR | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		s->st.io_errors++;
		return;
	}
	if (last->size > valid_end && ftruncate(fd, (off_t)valid_end) != 0) {
		s->st.io_errors++;
		close(fd);
		return;
	}
	s->sbuf_len = 0;
	last->size = valid_end;
	s->afd = fd;
	if (s->scan.seg == last->id && s->scan.off > valid_end) {
		s->scan.off = valid_end;
		s->scan.garbage = false;
	}
}

/* Rebuild the counts and the window from the cursor (or the oldest
 * segment) on. */
static int spool_recover(struct spool *s, const struct spool_pos *cur, char *err, size_t errlen)
{
	uint64_t start_last, valid_end;
	struct spool_pos p;
	struct spool_ent e;
	char name[32];
	size_t i;
	int r;

	s->next_id = 1;
	if (cur) {
		/* segments before the cursor's were consumed (a crash between
		 * the cursor's rename and their deletion) */
		s->done = *cur;
		s->next_id = cur->seg < UINT64_MAX ? cur->seg + 1 : UINT64_MAX;
		spool_gc(s);
	}
	if (s->nsegs && s->segs[s->nsegs - 1].id >= s->next_id)
		s->next_id = s->segs[s->nsegs - 1].id < UINT64_MAX ? s->segs[s->nsegs - 1].id + 1 : UINT64_MAX;
	for (i = 0; i < s->nsegs; i++)
		if (spool_seg_check(s, &s->segs[i], err, errlen) < 0)
			return -1;
	if (s->nsegs == 0) {
		s->scan = s->done;
		return 0;
	}
	p.seg = cur ? cur->seg : s->segs[0].id;
	p.off = cur && cur->off > SPOOL_SEG_HDR ? cur->off : SPOOL_SEG_HDR;
	i = spool_seg_lower(s, p.seg);
	p.garbage = i < s->nsegs && s->segs[i].id == p.seg && !s->segs[i].hdr_ok;
	start_last = p.seg == s->segs[s->nsegs - 1].id ? p.off : SPOOL_SEG_HDR;
	valid_end = start_last;
	s->scan = p;
	while ((r = spool_scan_next(s, &p, &e, NULL, true)) > 0) {
		s->st.records++;
		s->st.bytes += SPOOL_REC_HDR + e.len;
		if (e.seq > s->last_seq)
			s->last_seq = e.seq;
		if (e.seg == s->segs[s->nsegs - 1].id)
			valid_end = e.off + SPOOL_REC_HDR + e.len;
		if (s->wcount < SPOOL_WINDOW) {
			spool_win_push(s, &e);
			s->scan = p;
		}
	}
	if (r < 0) {
		spool_seg_name(name, sizeof(name), p.seg);
		snprintf(err, errlen, "%s/%s: %s", s->dir, name, strerror(errno));
		return -1;
	}
	if (s->wcount < SPOOL_WINDOW)
		s->scan = p;
	spool_seg_reopen(s, start_last, valid_end);
	if (s->wcount > 0) {
		s->done.seg = spool_win_at(s, 0)->seg;
		s->done.off = spool_win_at(s, 0)->off;
	} else {
		s->done = s->scan;
	}
	s->done.garbage = false;
	spool_gc(s);
	return 0;
}

struct spool *spool_open(const struct spool_config *cfg, char *err, size_t errlen)
{
	struct spool_pos cur = { 0, 0, false };
	struct spool *s;
	uint64_t cur_seq = 0;
	bool have_cur = false;
	int ok = 0;

	if (!cfg->dir || !cfg->dir[0]) {
		snprintf(err, errlen, "spool: no directory configured");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "%s: out of memory", cfg->dir);
		return NULL;
	}
	s->dirfd = s->afd = -1;
	for (int i = 0; i < SPOOL_FD_N; i++)
		s->rfd[i].fd = -1;
	s->fsync = cfg->fsync;
	s->max_bytes = cfg->max_bytes;
	s->segment_bytes = cfg->segment_bytes;
	s->dir = strdup(cfg->dir);
	s->win = malloc(SPOOL_WINDOW * sizeof(*s->win));
	s->sbuf = malloc(SPOOL_SBUF);
	if (!s->dir || !s->win || !s->sbuf) {
		snprintf(err, errlen, "%s: out of memory", cfg->dir);
		goto out;
	}
	if (mkdir(s->dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create the spool directory: %s", s->dir, strerror(errno));
		goto out;
	}
	s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		snprintf(err, errlen, "%s: %s", s->dir, strerror(errno));
		goto out;
	}
	if (flock(s->dirfd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, "%s: %s", s->dir,
			 errno == EWOULDBLOCK ? "in use by another spool (locked)" : strerror(errno));
		goto out;
	}
	if (spool_cursor_load(s, &cur, &have_cur, &cur_seq, err, errlen) < 0 ||
	    spool_list(s, err, errlen) < 0 ||
	    spool_recover(s, have_cur ? &cur : NULL, err, errlen) < 0)
		goto out;
	if (cur_seq > s->last_seq)
		s->last_seq = cur_seq;
	ok = 1;
out:
	if (!ok) {
		spool_close(s);
		return NULL;
	}
	return s;
}

void spool_close(struct spool *s)
{
	if (!s)
		return;
	spool_seg_close(s);
	for (int i = 0; i < SPOOL_FD_N; i++)
		if (s->rfd[i].fd >= 0)
			close(s->rfd[i].fd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->segs);
	free(s->win);
	free(s->sbuf);
	free(s->io);
	free(s->dir);
	free(s);
}

void spool_stats_get(const struct spool *s, struct spool_stats *out)
{
	*out = s->st;
	out->segments = s->nsegs;
}

uint64_t spool_last_seq(const struct spool *s)
{
	return s->last_seq;
}
