/*
 * log — leveled messages to stderr, prefixed with the program name.
 *
 * The settings live in a struct log that the program owns (no global state)
 * and passes to whoever logs; any thread may log through a const pointer to
 * it.  Each message is one write(2), so lines from threads never interleave.
 */
#ifndef ZW_LOG_H
#define ZW_LOG_H

#include <stdint.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

struct log {
	const char *progname;
	enum log_level level;     /* messages above this level are dropped */
};

void log_msg(const struct log *lg, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(lg, ...) log_msg(lg, LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(lg, ...)  log_msg(lg, LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(lg, ...)  log_msg(lg, LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(lg, ...) log_msg(lg, LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Rate limiter for a repeated message: at most one line per interval.  The
 * caller owns the struct (one per message site and thread) and passes time. */
struct log_ratelimit {
	uint64_t next_us;     /* earliest time the next line may go out */
	uint64_t suppressed;  /* lines swallowed since the last one printed */
};

/* Returns true if the caller should log now; *suppressed_out gets the count of
 * lines swallowed before this one. */
int log_ratelimit_ok(struct log_ratelimit *rl, uint64_t now_us, uint64_t interval_us,
		     uint64_t *suppressed_out);

#endif
