/*
 * log — leveled messages to stderr, prefixed with the program name.
 *
 * Thread-safe (one write(2) per message).  The level and program name are set
 * once at start-up with log_init(), before any thread starts; they are the
 * only process-wide settings and are never changed afterwards.
 */
#ifndef ZW_LOG_H
#define ZW_LOG_H

#include <stdint.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Call once, before threads start. */
void log_init(const char *progname, enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

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
