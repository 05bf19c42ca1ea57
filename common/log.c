/* log — see log.h.  Each message is formatted into a stack buffer and written
 * with one write(2), so lines from different threads never interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *log_level_name(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERROR: return "error";
	case LOG_LEVEL_WARN:  return "warning";
	case LOG_LEVEL_INFO:  return "info";
	case LOG_LEVEL_DEBUG: return "debug";
	}
	return "?";
}

/* Messages quote untrusted text (sensor ids, field values read from Redis,
 * file contents): control characters, C0 and DEL, and C1 (U+0080-U+009F,
 * as UTF-8 C2 80-9F) would reach a terminal or forge log lines.  Each
 * becomes '?'; the line's own newline is added after. */
static void log_defang(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			s[i] = '?';
		else if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
			 (unsigned char)s[i + 1] <= 0x9f) {
			s[i] = '?';
			s[i + 1] = '?';
			i++;
		}
	}
}

void log_msg(const struct log *lg, enum log_level level, const char *fmt, ...)
{
	char line[1024];
	int n, m;
	va_list ap;

	if (level > lg->level)
		return;
	n = snprintf(line, sizeof(line), "%s: %s: ", lg->progname, log_level_name(level));
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2; /* truncated: still end the line */
	log_defang(line, (size_t)n);
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return; /* nowhere left to report it */
}

int log_ratelimit_ok(struct log_ratelimit *rl, uint64_t now_us, uint64_t interval_us,
		     uint64_t *suppressed_out)
{
	if (now_us < rl->next_us) {
		rl->suppressed++;
		return 0;
	}
	*suppressed_out = rl->suppressed;
	rl->suppressed = 0;
	rl->next_us = now_us + interval_us;
	return 1;
}
