/*
 * sink — an output file shared by threads: whole chunks of JSON lines are
 * appended under a mutex, so lines never interleave.
 *
 * Any thread may call sink_write.  A write error is counted and logged once;
 * the sensor goes on (a full disk must not stop capture).
 */
#ifndef ZW_SINK_H
#define ZW_SINK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct log;

/* A second consumer of what is written (the Redis flows stream): called
 * under the sink's lock with each chunk of whole lines; must not block. */
typedef void (*sink_tee_fn)(void *ctx, const char *buf, size_t len);

struct sink {
	pthread_mutex_t mu;
	const struct log *log;   /* borrowed; where a write error is reported */
	int fd;              /* -1: disabled (no output requested) */
	int own_fd;          /* close on sink_close */
	char path[256];
	uint64_t bytes, write_errors;
	sink_tee_fn tee;     /* NULL: none */
	void *tee_ctx;
};

/* path NULL → disabled; "-" → stdout.  lg must outlive the sink.  Returns 0
 * or -1 with reason in err. */
int sink_open(struct sink *s, const char *path, const struct log *lg, char *err, size_t errlen);
void sink_close(struct sink *s);
/* Something consumes what is written: the file or the tee. */
static inline int sink_enabled(const struct sink *s) { return s->fd >= 0 || s->tee; }
/* Before any thread writes. */
void sink_set_tee(struct sink *s, sink_tee_fn fn, void *ctx);
/* Append len bytes (complete lines).  0 or -1 (counted). */
int sink_write(struct sink *s, const void *buf, size_t len);

#endif
