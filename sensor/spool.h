/*
 * spool — a bounded on-disk FIFO of records (alert JSON lines) that survives
 * a restart: what the output thread could not deliver yet.
 *
 * Layout: a directory of segment files "seg-<16 hex digits>.zws", numbered
 * in order, each a header then records; a record is a fixed header (magic,
 * length, sequence number, CRC-32C or CRC-32 of the payload and of the
 * header fields) followed by the payload.  A small "cursor" file holds the
 * (segment, offset, sequence) of the first record not yet consumed; it is
 * rewritten (write to a temporary file, fsync, rename) by spool_commit.
 * Fully consumed segments are deleted.
 *
 * On open, existing segments are scanned: a record that is truncated or
 * whose checksum fails is skipped (the reader resynchronises on the next
 * magic) and counted in `corrupt`; never a crash, never a record returned
 * twice after a spool_commit.
 *
 * Caps: max_bytes over all segments (spool_append refuses, counted in
 * `refused`); records at most SPOOL_MAX_RECORD bytes.
 * fsync policy (config): NONE (the OS decides), SEGMENT (fsync a segment
 * when it is closed and the cursor when committed: a crash of the machine
 * loses at most the open segment's tail), ALWAYS (fsync after every append:
 * slow; nothing acknowledged by spool_append is lost).
 *
 * One thread only (the output thread).  Pointers from spool_peek stay valid
 * until the next call on the spool.
 */
#ifndef ZW_SPOOL_H
#define ZW_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_MAX_RECORD (1u << 20)

enum spool_fsync { SPOOL_FSYNC_NONE = 0, SPOOL_FSYNC_SEGMENT, SPOOL_FSYNC_ALWAYS };

struct spool_config {
	const char *dir;            /* created if missing (mode 0700) */
	uint64_t max_bytes;         /* all segments together */
	uint64_t segment_bytes;     /* a segment is closed past this size */
	enum spool_fsync fsync;
};

struct spool_stats {
	uint64_t appended, refused;         /* refused: full, or record too large */
	uint64_t consumed;                  /* records committed as delivered */
	uint64_t corrupt;                   /* records skipped: checksum, truncation */
	uint64_t records, bytes;            /* held now (not yet consumed) */
	uint64_t segments;                  /* files now */
	uint64_t io_errors;                 /* write/fsync/rename failures */
};

struct spool;

/* Open (and recover) the spool in cfg->dir.  NULL with a reason naming the
 * file in err. */
struct spool *spool_open(const struct spool_config *cfg, char *err, size_t errlen);
void spool_close(struct spool *s);

/* Append one record with its sequence number (the caller's, kept with the
 * record and returned by spool_peek).  0, or -1 when refused (full, too
 * large, I/O error: counted). */
int spool_append(struct spool *s, uint64_t seq, const void *rec, size_t len);

/* The n-th record not yet consumed, counting from the oldest (n = 0 is the
 * oldest): lets the caller send a batch before committing it.  1 with
 * *rec, *len and *seq filled, 0 when there are not that many records. */
int spool_peek(struct spool *s, size_t n, const void **rec, size_t *len, uint64_t *seq);

/* The oldest n records were delivered: drop them and persist the cursor.
 * 0, or -1 on an I/O error (counted; the records stay consumed in memory). */
int spool_commit(struct spool *s, size_t n);

void spool_stats_get(const struct spool *s, struct spool_stats *out);

/* The largest sequence number ever appended, found in a record on open, or
 * kept in the cursor file (0 if none): lets the caller keep its numbering
 * increasing across restarts, even when every segment was deleted. */
uint64_t spool_last_seq(const struct spool *s);

#endif
