/* Fuzz target: spool recovery.  Whatever a crash, a bad disk or an operator
 * left in the spool directory, spool_open must recover without crashing,
 * return only intact records, never loop, and keep working afterwards.
 *
 * Input: a control byte, then bytes that become files in a fresh directory.
 * Control bits 0-1, the layout:
 *   0  the bytes are segment 1 as they are
 *   1  segment 1 is a valid segment header followed by the bytes
 *   2  the first 36 bytes are the cursor file; the rest follows a valid
 *      header in segment 1
 *   3  two segments: the next byte says where the rest is split between
 *      segment 1 and segment 2 (each after a valid header)
 * bits 2-4: segment_bytes = 64 << n; bits 5-7: the peek batch size - 1.
 *
 * Then: drain (peek a batch, check each length, commit), append a record,
 * close, reopen, and exactly that record must come back, once. */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"

#define FUZZ_SPOOL_CURSOR 36u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fuzz_spool_seg_hdr[16] = { 'Z', 'W', 'S', 'P', 'O', 'O', 'L', '1',
						1,   0,   0,   0,   0,   0,   0,   0 };

static void fuzz_spool_file(const char *dir, const char *name, const uint8_t *hdr, size_t hlen,
			    const uint8_t *p, size_t n)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if ((hlen && write(fd, hdr, hlen) != (ssize_t)hlen) || (n && write(fd, p, n) != (ssize_t)n))
		abort();
	close(fd);
}

static void fuzz_spool_rm(const char *dir)
{
	struct dirent *de;
	char path[512];
	DIR *d = opendir(dir);

	if (d) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

/* Peek batches and commit them until nothing is left; more than `rounds`
 * batches is a loop. */
static void fuzz_spool_drain(struct spool *s, size_t batch, size_t rounds)
{
	struct spool_stats st;

	for (size_t r = 0;; r++) {
		size_t k;

		if (r > rounds)
			abort();
		for (k = 0; k < batch; k++) {
			const void *rec;
			size_t len;
			uint64_t seq;

			if (spool_peek(s, k, &rec, &len, &seq) != 1)
				break;
			if (len > SPOOL_MAX_RECORD)
				abort();
			if (len) {
				volatile uint8_t last = ((const uint8_t *)rec)[len - 1];

				(void)last;     /* read the last byte: a sanitizer checks it */
			}
		}
		if (k == 0)
			break;
		spool_commit(s, k);
	}
	spool_stats_get(s, &st);
	if (st.records != 0 || st.bytes != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[] = "/tmp/fuzz-spool-XXXXXX";
	const char *seg1 = "seg-0000000000000001.zws", *seg2 = "seg-0000000000000002.zws";
	uint8_t ctrl = size ? data[0] : 0;
	const uint8_t *p = size ? data + 1 : data;
	size_t n = size ? size - 1 : 0, batch = 1u + (ctrl >> 5);
	struct spool_config cfg;
	struct spool *s;
	const void *rec;
	uint64_t seq, got_seq;
	size_t len, c;
	char err[512];
	int rc;

	if (!mkdtemp(dir))
		return 0;
	switch (ctrl & 3) {
	case 0:
		fuzz_spool_file(dir, seg1, NULL, 0, p, n);
		break;
	case 1:
		fuzz_spool_file(dir, seg1, fuzz_spool_seg_hdr, sizeof(fuzz_spool_seg_hdr), p, n);
		break;
	case 2:
		c = n < FUZZ_SPOOL_CURSOR ? n : FUZZ_SPOOL_CURSOR;
		fuzz_spool_file(dir, "cursor", NULL, 0, p, c);
		fuzz_spool_file(dir, seg1, fuzz_spool_seg_hdr, sizeof(fuzz_spool_seg_hdr), p + c, n - c);
		break;
	default:
		c = n ? (size_t)p[0] * (n - 1) / 255 : 0;
		if (n) {
			p++;
			n--;
		}
		fuzz_spool_file(dir, seg1, fuzz_spool_seg_hdr, sizeof(fuzz_spool_seg_hdr), p, c);
		fuzz_spool_file(dir, seg2, fuzz_spool_seg_hdr, sizeof(fuzz_spool_seg_hdr), p + c, n - c);
		break;
	}
	cfg.dir = dir;
	cfg.max_bytes = 4u << 20;
	cfg.segment_bytes = 64u << ((ctrl >> 2) & 7);
	cfg.fsync = SPOOL_FSYNC_NONE;

	s = spool_open(&cfg, err, sizeof(err));
	if (!s)
		goto out;
	/* every record takes at least 20 bytes of the input */
	fuzz_spool_drain(s, batch, size / 20 / batch + 2);
	seq = spool_last_seq(s) + 1;
	rc = spool_append(s, seq, "fuzz", 4);
	spool_close(s);

	s = spool_open(&cfg, err, sizeof(err));
	if (!s)
		abort();                        /* our own files */
	if (rc == 0) {
		if (spool_peek(s, 0, &rec, &len, &got_seq) != 1 || len != 4 || memcmp(rec, "fuzz", 4) ||
		    got_seq != seq)
			abort();                /* lost, or another record came back */
		if (spool_peek(s, 1, &rec, &len, &got_seq) != 0)
			abort();                /* a record committed before came back */
		if (seq && spool_last_seq(s) < seq)
			abort();
	}
	fuzz_spool_drain(s, batch, 2);
	spool_close(s);
out:
	fuzz_spool_rm(dir);
	return 0;
}
