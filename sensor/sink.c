/* sink — see sink.h. */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

int sink_open(struct sink *s, const char *path, const struct log *lg, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->log = lg;
	pthread_mutex_init(&s->mu, NULL);
	if (!path)
		return 0;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (!strcmp(path, "-")) {
		s->fd = STDOUT_FILENO;
		return 0;
	}
	s->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (s->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	s->own_fd = 1;
	return 0;
}

void sink_close(struct sink *s)
{
	if (s->own_fd && s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	pthread_mutex_destroy(&s->mu);
}

void sink_set_tee(struct sink *s, sink_tee_fn fn, void *ctx)
{
	s->tee = fn;
	s->tee_ctx = ctx;
}

int sink_write(struct sink *s, const void *buf, size_t len)
{
	const char *p = buf;
	int rc = 0;

	if (!sink_enabled(s) || len == 0)
		return 0;
	pthread_mutex_lock(&s->mu);
	if (s->tee)
		s->tee(s->tee_ctx, buf, len);
	while (s->fd >= 0 && len > 0) {
		ssize_t n = write(s->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (s->write_errors++ == 0)
				log_error(s->log, "%s: write failed: %s (further errors only counted)", s->path,
					  n < 0 ? strerror(errno) : "no progress");
			rc = -1;
			break;
		}
		p += n;
		len -= (size_t)n;
		s->bytes += (uint64_t)n;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}
