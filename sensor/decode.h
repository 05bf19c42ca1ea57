/*
 * decode — link, network and transport decoding of one captured frame.
 *
 * Pure and re-entrant: any thread may call it; it allocates nothing and keeps
 * no state between calls.  Every read is bounds-checked against caplen.  The
 * result holds offsets into the caller's frame (never pointers), so it stays
 * meaningful only together with that frame.
 */
#ifndef ZW_DECODE_H
#define ZW_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* Outcome of decode_frame(); DECODE_OK is the only one that yields a flow key.
 * Every other value is a reason counted in the sensor's statistics. */
enum decode_result {
	DECODE_OK = 0,
	DECODE_TRUNCATED_L2,      /* frame shorter than its link header */
	DECODE_UNSUPPORTED_DLT,   /* link type we do not decode */
	DECODE_NOT_IP,            /* ARP, STP, LLDP, ... : valid but not IP */
	DECODE_BAD_ENCAP,         /* VLAN/MPLS/PPPoE/LLC header malformed */
	DECODE_TOO_MANY_LAYERS,   /* encapsulation nested beyond DECODE_MAX_DEPTH */
	DECODE_TRUNCATED_IP,      /* IP header cut by caplen */
	DECODE_BAD_IP_VERSION,
	DECODE_BAD_IP_HEADER,     /* IHL < 5, total length < IHL, ... */
	DECODE_BAD_IPV6_EXT,      /* malformed or truncated extension header chain */
	DECODE_FRAGMENT,          /* non-first IP fragment: no L4 header.  src, dst,
				   * l4_proto, frag_id and the lengths are set */
	DECODE_TRUNCATED_L4,      /* TCP/UDP/SCTP header cut by caplen or IP length */
	DECODE_BAD_L4_HEADER,     /* TCP data offset < 5, UDP length < 8, ... */
	DECODE_BAD_TUNNEL,        /* tunnel header recognised but malformed */
	DECODE_NREASONS
};

enum decode_tunnel {
	DECODE_TUNNEL_NONE = 0,
	DECODE_TUNNEL_GRE,
	DECODE_TUNNEL_IPIP,       /* IPv4 or IPv6 inside IPv4 or IPv6 (4in4, 6in4, 4in6, 6in6) */
	DECODE_TUNNEL_VXLAN,
	DECODE_TUNNEL_GTPU,
	DECODE_TUNNEL_TZSP,
	DECODE_TUNNEL_CAPWAP,
	DECODE_NTUNNELS
};

#define DECODE_MAX_VLANS 2     /* outermost first; more tags are skipped, not stored */
#define DECODE_MAX_DEPTH 8     /* encapsulation layers followed before giving up */

struct decoded {
	/* innermost IP packet: the one that keys the flow and goes to nDPI */
	uint8_t  ip_version;       /* 4 or 6 */
	uint8_t  l4_proto;         /* IP protocol number after IPv6 extension headers */
	uint8_t  src[16], dst[16]; /* IPv4: first 4 bytes, rest zero */
	uint16_t sport, dport;     /* host order; 0 when the protocol has no ports */
	uint8_t  tcp_flags;        /* TCP flags byte, 0 otherwise */
	uint8_t  tcp_flags_seen;   /* 1: the TCP header was captured up to its flags
				    * (a header cut after the ports leaves tcp_flags 0) */
	uint8_t  icmp_type, icmp_code;   /* ICMP / ICMPv6, else 0 */
	uint8_t  is_first_fragment;      /* 1: MF set with offset 0 (v4) or frag hdr offset 0 (v6) */
	uint32_t frag_id;          /* datagram id (IPv4 identification, IPv6 fragment
				    * header identification) of a first fragment, or
				    * of a non-first one (result DECODE_FRAGMENT) */
	uint32_t ip_offset;        /* offset of the innermost IP header in the frame */
	uint32_t ip_len;           /* bytes of that IP packet present: min(IP length, caplen - ip_offset) */
	uint32_t ip_total_len;     /* length the IP header claims (v6: 40 + payload length) */
	uint32_t payload_offset;   /* first byte after the L4 header (frame offset) */
	uint32_t payload_len;      /* L4 payload bytes present in the frame */

	/* L2 */
	uint16_t vlan[DECODE_MAX_VLANS];
	uint8_t  vlan_count;

	/* outermost tunnel, when the packet was decapsulated */
	uint8_t  tunnel;           /* enum decode_tunnel */
	uint8_t  tunnel_depth;     /* number of tunnel layers removed */
	uint8_t  tunnel_ip_version;
	uint8_t  tunnel_src[16], tunnel_dst[16];  /* outermost IP header's addresses */
};

/* Decode one frame of link type dlt (a pcap DLT_* value).  Returns DECODE_OK
 * with *out filled, or another enum decode_result naming why the frame gives
 * no flow.  Never reads outside frame[0 .. caplen). */
int decode_frame(int dlt, const uint8_t *frame, size_t caplen, struct decoded *out);

/* Short stable name of a result, e.g. "truncated_ip" (for stats and JSON). */
const char *decode_result_name(int result);

/* "GRE", "IPIP", "VXLAN", "GTP-U", "TZSP", "CAPWAP"; NULL for NONE. */
const char *decode_tunnel_name(int tunnel);

/* Whether decode_frame() can decode this link type. */
int decode_dlt_is_supported(int dlt);

#endif
