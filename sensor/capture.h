/*
 * capture — packets from a capture file (pcap/pcapng, "-" = stdin) or a live
 * interface, through libpcap.  The only file that includes pcap.h.
 *
 * A struct capture is used by one thread.  Packet bytes passed to the callback
 * are borrowed for the length of the call.
 */
#ifndef ZW_CAPTURE_H
#define ZW_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct capture_live_opts {
	int snaplen;            /* bytes kept per packet */
	int buffer_bytes;       /* kernel ring size */
	int promisc;            /* 1: promiscuous mode */
	int timeout_ms;         /* read timeout: how often an idle loop wakes */
	/* Linux PACKET_FANOUT in hash mode (both directions of a flow reach
	 * the same socket): 1 to join a group, fanout_group's, or a new one
	 * with an id the kernel picks when fanout_group < 0 (then read it with
	 * capture_fanout_group). */
	int fanout;
	int fanout_group;
};

struct capture_stats {
	uint64_t received;      /* pcap_stats ps_recv (live only) */
	uint64_t kernel_drops;  /* ps_drop: no room in the kernel buffer */
	uint64_t if_drops;      /* ps_ifdrop: dropped by the interface/driver */
};

enum capture_status {
	CAPTURE_EOF = -1,       /* end of a file */
	CAPTURE_ERROR = -2,     /* read error, message in err */
	CAPTURE_BROKEN = -3     /* capture_break() was called */
};

typedef void (*capture_cb)(void *ctx, uint64_t ts_us, const uint8_t *data, uint32_t caplen,
			   uint32_t wire_len);

struct capture;

/* NULL with a reason in err (naming the file or interface). */
struct capture *capture_open_file(const char *path, const char *filter, char *err, size_t errlen);
struct capture *capture_open_live(const char *iface, const struct capture_live_opts *opts,
				  const char *filter, char *err, size_t errlen);
void capture_close(struct capture *c);

/* The PACKET_FANOUT group a live capture is in, or -1. */
int capture_fanout_group(const struct capture *c);

/* pcap DLT of the source. */
int capture_datalink(const struct capture *c);
const char *capture_name(const struct capture *c);
int capture_is_live(const struct capture *c);

/* Deliver up to max packets.  Returns the number delivered (0: live read
 * timeout), or an enum capture_status. */
int capture_dispatch(struct capture *c, int max, capture_cb cb, void *ctx, char *err,
		     size_t errlen);

/* Ask a running capture_dispatch to return (async-signal-safe). */
void capture_break(struct capture *c);

/* Live statistics from the kernel; 0 or -1. */
int capture_get_stats(struct capture *c, struct capture_stats *out);

/* libpcap's version string. */
const char *capture_lib_version(void);

#endif
