/*
 * capture — see capture.h.
 *
 * Files are opened with microsecond timestamps whatever their resolution
 * (pcapng and nanosecond pcap are scaled by libpcap).  Live capture uses
 * pcap_create/pcap_activate so snaplen, buffer size, promiscuous mode and the
 * read timeout can be set; libpcap then uses TPACKET_V3 on Linux.
 */
#include "capture.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/if_packet.h>
#include <pcap/pcap.h>

struct capture {
	pcap_t *p;
	int live;
	int fanout_group;  /* -1: not in a PACKET_FANOUT group */
	int fd;            /* live: selectable descriptor, polled with the timeout */
	int timeout_ms;
	char name[256];
	capture_cb cb;
	void *ctx;
};

static int capture_set_filter(struct capture *c, const char *filter, char *err, size_t errlen)
{
	struct bpf_program prog;

	if (!filter || !*filter)
		return 0;
	if (pcap_compile(c->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "%s: bad filter \"%s\": %s", c->name, filter, pcap_geterr(c->p));
		return -1;
	}
	if (pcap_setfilter(c->p, &prog) < 0) {
		snprintf(err, errlen, "%s: cannot set filter: %s", c->name, pcap_geterr(c->p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

/* Join PACKET_FANOUT group `group` in hash mode, or (group < 0) make a new
 * group whose id the kernel picks, unique on this host (no other sensor's
 * group is joined by chance).  The kernel's flow hash is symmetric, so both
 * directions of a flow reach the same socket.  Packets that arrived before
 * the join (microseconds after activation) are in this socket's ring too. */
static int capture_join_fanout(struct capture *c, int group, char *err, size_t errlen)
{
	int fd = pcap_fileno(c->p);
	int v = group < 0 ? (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_UNIQUEID) << 16 :
		(group & 0xffff) | PACKET_FANOUT_HASH << 16;
	socklen_t len = sizeof(v);

	if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &v, sizeof(v)) < 0) {
		snprintf(err, errlen, "%s: cannot join a PACKET_FANOUT group (capture.fanout): %s",
			 c->name, strerror(errno));
		return -1;
	}
	if (getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &v, &len) < 0) {
		snprintf(err, errlen, "%s: cannot read the PACKET_FANOUT group: %s", c->name,
			 strerror(errno));
		return -1;
	}
	c->fanout_group = v & 0xffff;
	return 0;
}

int capture_fanout_group(const struct capture *c)
{
	return c->fanout_group;
}

struct capture *capture_open_file(const char *path, const char *filter, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct capture *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(c->name, sizeof(c->name), "%s", strcmp(path, "-") ? path : "(stdin)");
	c->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!c->p) {
		/* libpcap names the file itself in some messages */
		if (strstr(ebuf, path))
			snprintf(err, errlen, "%s", ebuf);
		else
			snprintf(err, errlen, "%s: %s", c->name, ebuf);
		free(c);
		return NULL;
	}
	if (capture_set_filter(c, filter, err, errlen) < 0) {
		capture_close(c);
		return NULL;
	}
	return c;
}

struct capture *capture_open_live(const char *iface, const struct capture_live_opts *o,
				  const char *filter, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct capture *c = calloc(1, sizeof(*c));
	int rc;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->live = 1;
	c->fanout_group = -1;
	snprintf(c->name, sizeof(c->name), "%s", iface);
	c->p = pcap_create(iface, ebuf);
	if (!c->p) {
		snprintf(err, errlen, "%s: %s", iface, ebuf);
		free(c);
		return NULL;
	}
	pcap_set_snaplen(c->p, o->snaplen);
	pcap_set_promisc(c->p, o->promisc);
	pcap_set_timeout(c->p, o->timeout_ms);
	pcap_set_buffer_size(c->p, o->buffer_bytes);
	pcap_set_tstamp_precision(c->p, PCAP_TSTAMP_PRECISION_MICRO);
	rc = pcap_activate(c->p);
	if (rc < 0) {
		/* pcap_geterr has the detail for the generic errors */
		snprintf(err, errlen, "%s: cannot start capture: %s%s%s", iface, pcap_statustostr(rc),
			 pcap_geterr(c->p)[0] ? ": " : "", pcap_geterr(c->p));
		capture_close(c);
		return NULL;
	}
	if (capture_set_filter(c, filter, err, errlen) < 0 ||
	    (o->fanout && capture_join_fanout(c, o->fanout_group, err, errlen) < 0)) {
		capture_close(c);
		return NULL;
	}
	/* With TPACKET_V3 a blocking read can wait for ever on an idle link
	 * (the kernel retires no empty block), and then neither the stop flag
	 * nor the idle-flow ticks are seen.  So: non-blocking reads, and our own
	 * poll() with the timeout. */
	c->timeout_ms = o->timeout_ms;
	c->fd = pcap_get_selectable_fd(c->p);
	if (c->fd < 0 || pcap_setnonblock(c->p, 1, ebuf) < 0) {
		snprintf(err, errlen, "%s: cannot make the capture non-blocking: %s", iface,
			 c->fd < 0 ? "no selectable descriptor" : ebuf);
		capture_close(c);
		return NULL;
	}
	return c;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	if (c->p)
		pcap_close(c->p);
	free(c);
}

int capture_datalink(const struct capture *c)
{
	return pcap_datalink(c->p);
}

const char *capture_name(const struct capture *c)
{
	return c->name;
}

int capture_is_live(const struct capture *c)
{
	return c->live;
}

static void capture_handler(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *c = (struct capture *)(void *)user;   /* our own pointer, back */
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;

	c->cb(c->ctx, ts, bytes, h->caplen, h->len);
}

int capture_dispatch(struct capture *c, int max, capture_cb cb, void *ctx, char *err,
		     size_t errlen)
{
	int n;

	c->cb = cb;
	c->ctx = ctx;
	if (c->live) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int rc = poll(&pfd, 1, c->timeout_ms);

		if (rc < 0 && errno != EINTR) {
			snprintf(err, errlen, "%s: poll: %s", c->name, strerror(errno));
			return CAPTURE_ERROR;
		}
		if (rc <= 0)
			return 0;   /* timeout or signal: let the caller look at its flags */
		if (pfd.revents & (POLLERR | POLLNVAL)) {
			snprintf(err, errlen, "%s: capture device error (interface gone?)", c->name);
			return CAPTURE_ERROR;
		}
	}
	n = pcap_dispatch(c->p, max, capture_handler, (u_char *)c);
	if (n == PCAP_ERROR_BREAK)
		return CAPTURE_BROKEN;
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", c->name, pcap_geterr(c->p));
		return CAPTURE_ERROR;
	}
	if (n == 0 && !c->live)
		return CAPTURE_EOF;
	return n;
}

void capture_break(struct capture *c)
{
	pcap_breakloop(c->p);
}

int capture_get_stats(struct capture *c, struct capture_stats *out)
{
	struct pcap_stat ps;

	memset(out, 0, sizeof(*out));
	if (!c->live || pcap_stats(c->p, &ps) < 0)
		return -1;
	out->received = ps.ps_recv;
	out->kernel_drops = ps.ps_drop;
	out->if_drops = ps.ps_ifdrop;
	return 0;
}

const char *capture_lib_version(void)
{
	return pcap_lib_version();
}
