/*
 * decode.c — link, network and transport decoding of one captured frame.
 *
 * How it works
 *   A cursor (frame, end, position) is the only way to touch the frame: every
 *   read goes through cur_rd8/16/32, which fail instead of reading past the
 *   end.  The end shrinks as length fields are learnt (802.3 length, PPPoE
 *   length, IP total length, UDP length), so Ethernet padding and trailers
 *   are never taken for payload, and an inner packet can never read past its
 *   outer packet.  Offsets stay frame offsets, which is what struct decoded
 *   reports.
 *
 *   decode_frame() runs a loop over an explicit "next layer" state: each layer
 *   function reads its header, advances the cursor and names the next layer
 *   (or DECODE_ST_DONE).  Nothing recurses.  Every encapsulation (VLAN tag,
 *   MPLS stack, PPPoE, tunnel) is counted by decode_enter(); past
 *   DECODE_MAX_DEPTH the frame is refused.  The step count is capped as well,
 *   as a second guard that does not depend on that accounting being right.
 *
 *   A layer function returns DECODE_OK to go on (x->next set) or another
 *   enum decode_result to stop with that reason.
 *
 * Choices worth knowing
 *   - snaplen: a packet cut by caplen is still decoded with what is present;
 *     TCP/UDP/SCTP are refused (truncated_l4) only when the ports are missing.
 *   - IPv4 total length 0 is taken as "unknown" (TSO/GSO packets captured on
 *     the sending host carry 0, as Wireshark also assumes) and the captured
 *     bytes are used; ip_total_len then reports the bytes present.
 *   - IPv4 AH (proto 51) is an L4 protocol, as in ndpiReader; in IPv6 AH is
 *     walked as an extension header (RFC 8200 section 4, RFC 4302).
 *   - Tunnels recognised by UDP port (VXLAN, GTP-U, TZSP, CAPWAP) are only a
 *     guess: when the payload does not parse as that tunnel, the outer UDP
 *     packet is the flow.  Once the tunnel header parses, the inner packet's
 *     result stands (a VXLAN-carried ARP gives not_ip).
 *   - GRE (proto 47) is decapsulated for the protocol types we know; any
 *     other GRE packet (unknown version or protocol type, PPTP without an IP
 *     payload) is itself the flow, l4_proto 47.
 *
 * References
 *   link types          https://www.tcpdump.org/linktypes.html
 *   Ethernet/802.3/LLC  IEEE 802.3, IEEE 802.2, SNAP: RFC 1042
 *   VLAN                IEEE 802.1Q, 802.1ad (0x9100: pre-standard QinQ)
 *   MPLS                RFC 3032; PW control word RFC 4385, Ethernet PW RFC 4448
 *   PPP, PPPoE          RFC 1661 (protocol field compression), RFC 1662,
 *                       RFC 2516; Cisco HDLC as documented by libpcap
 *   IPv4, IPv6          RFC 791, RFC 8200, jumbograms RFC 2675, AH RFC 4302,
 *                       Mobility RFC 6275, HIP RFC 7401, shim6 RFC 5533
 *   TCP, UDP, SCTP      RFC 9293, RFC 768, RFC 9260
 *   GRE                 RFC 2784, RFC 2890, RFC 1701 (routing), PPTP RFC 2637,
 *                       ERSPAN draft-foschiano-erspan-03
 *   VXLAN               RFC 7348
 *   GTP-U               3GPP TS 29.281 section 5
 *   TZSP                no RFC; the format documented by Wireshark
 *   CAPWAP              RFC 5415 section 4.3, RFC 5416; IEEE 802.11 frames
 */
#include "decode.h"

#include <string.h>

/* pcap link types.  pcap.h is included by the capture module only. */
enum {
	DECODE_DLT_NULL = 0,
	DECODE_DLT_EN10MB = 1,
	DECODE_DLT_PPP = 9,
	DECODE_DLT_RAW = 12,
	DECODE_DLT_PPP_SERIAL = 50,
	DECODE_LINKTYPE_RAW = 101,
	DECODE_DLT_C_HDLC = 104,
	DECODE_DLT_LOOP = 108,
	DECODE_DLT_LINUX_SLL = 113,
	DECODE_DLT_IPV4 = 228,
	DECODE_DLT_IPV6 = 229,
	DECODE_DLT_LINUX_SLL2 = 276
};

/* Ethertypes, also used as GRE protocol types. */
enum {
	DECODE_ET_IPV4 = 0x0800,
	DECODE_ET_IPV6 = 0x86dd,
	DECODE_ET_VLAN = 0x8100,
	DECODE_ET_QINQ = 0x88a8,
	DECODE_ET_QINQ_OLD = 0x9100,
	DECODE_ET_MPLS_UC = 0x8847,
	DECODE_ET_MPLS_MC = 0x8848,
	DECODE_ET_PPPOE_SESSION = 0x8864,
	DECODE_ET_TEB = 0x6558,         /* transparent Ethernet bridging */
	DECODE_ET_ERSPAN2 = 0x88be,     /* ERSPAN type I (no seq) and II */
	DECODE_ET_ERSPAN3 = 0x22eb,
	DECODE_ET_PPP = 0x880b,         /* PPTP's enhanced GRE */
	DECODE_ET_MIN = 0x0600,         /* below 1536: not an ethertype */
	DECODE_8023_MAX_LEN = 1500
};

/* PPP protocol numbers (RFC 1661 and the IANA PPP DLL registry). */
enum {
	DECODE_PPP_IPV4 = 0x0021,
	DECODE_PPP_IPV6 = 0x0057,
	DECODE_PPP_MPLS_UC = 0x0281,
	DECODE_PPP_MPLS_MC = 0x0283
};

/* IP protocol numbers. */
enum {
	DECODE_IPP_HOPOPTS = 0,
	DECODE_IPP_ICMP = 1,
	DECODE_IPP_IPIP = 4,
	DECODE_IPP_TCP = 6,
	DECODE_IPP_UDP = 17,
	DECODE_IPP_IPV6 = 41,
	DECODE_IPP_ROUTING = 43,
	DECODE_IPP_FRAGMENT = 44,
	DECODE_IPP_GRE = 47,
	DECODE_IPP_AH = 51,
	DECODE_IPP_ICMPV6 = 58,
	DECODE_IPP_DSTOPTS = 60,
	DECODE_IPP_SCTP = 132,
	DECODE_IPP_MOBILITY = 135,
	DECODE_IPP_HIP = 139,
	DECODE_IPP_SHIM6 = 140
};

/* UDP ports of the tunnels we decapsulate. */
enum {
	DECODE_PORT_GTPU = 2152,
	DECODE_PORT_VXLAN = 4789,
	DECODE_PORT_CAPWAP_DATA = 5247,
	DECODE_PORT_TZSP = 37008
};

/* BSD loopback address families (DLT_NULL, DLT_LOOP): AF_INET is 2
 * everywhere; AF_INET6 is 10 on Linux, 24 on NetBSD/OpenBSD, 28 on FreeBSD,
 * 30 on macOS. */
enum {
	DECODE_AF_INET = 2,
	DECODE_AF_INET6_LINUX = 10,
	DECODE_AF_INET6_BSD = 24,
	DECODE_AF_INET6_FREEBSD = 28,
	DECODE_AF_INET6_DARWIN = 30
};

/* Linux ARPHRD_* values seen in the SLL headers. */
enum {
	DECODE_ARPHRD_IPGRE = 778,      /* protocol field is a GRE protocol type */
	DECODE_ARPHRD_NETLINK = 824     /* protocol field is a netlink family */
};

enum {
	DECODE_SLL_P_802_2 = 0x0004,    /* payload starts with an 802.2 LLC header */
	DECODE_SLL_LEN = 16,
	DECODE_SLL2_LEN = 20
};

enum {
	DECODE_ETH_LEN = 14,
	DECODE_IPV4_MIN = 20,
	DECODE_IPV6_LEN = 40,
	DECODE_TCP_MIN = 20,
	DECODE_UDP_LEN = 8,
	DECODE_SCTP_LEN = 12,
	DECODE_ICMP_LEN = 8
};

/* Hard cap on loop iterations: a tunnel costs at most six steps (IP, L4,
 * tunnel, link, ethertype-level header, IP), so this is never reached while
 * DECODE_MAX_DEPTH holds. */
#define DECODE_MAX_STEPS (8 * (DECODE_MAX_DEPTH + 2))

enum decode_state {
	DECODE_ST_DONE = 0,
	DECODE_ST_ETHER,
	DECODE_ST_LLC,
	DECODE_ST_VLAN,
	DECODE_ST_MPLS,
	DECODE_ST_PPPOE,
	DECODE_ST_SLL,
	DECODE_ST_SLL2,
	DECODE_ST_NULL,
	DECODE_ST_LOOP,
	DECODE_ST_PPP,
	DECODE_ST_CHDLC,
	DECODE_ST_IP_GUESS,
	DECODE_ST_IPV4,
	DECODE_ST_IPV6,
	DECODE_ST_L4,
	DECODE_ST_WIFI
};

/* ------------------------------------------------------------------ */
/* Cursor: the only code that indexes the frame.                       */

struct decode_cursor {
	const uint8_t *p;   /* the whole frame */
	size_t len;         /* end of the readable region, a frame offset */
	size_t off;         /* current position, a frame offset; off <= len */
};

static size_t cur_left(const struct decode_cursor *c)
{
	return c->len - c->off;
}

/* Whether n bytes at position+at are readable. */
static int cur_has(const struct decode_cursor *c, size_t at, size_t n)
{
	size_t left = cur_left(c);

	return n <= left && at <= left - n;
}

static int cur_rd8(const struct decode_cursor *c, size_t at, uint8_t *v)
{
	if (!cur_has(c, at, 1))
		return -1;
	*v = c->p[c->off + at];
	return 0;
}

static int cur_rd16(const struct decode_cursor *c, size_t at, uint16_t *v)
{
	const uint8_t *b;

	if (!cur_has(c, at, 2))
		return -1;
	b = c->p + c->off + at;
	*v = (uint16_t)((b[0] << 8) | b[1]);
	return 0;
}

static int cur_rd32(const struct decode_cursor *c, size_t at, uint32_t *v)
{
	const uint8_t *b;

	if (!cur_has(c, at, 4))
		return -1;
	b = c->p + c->off + at;
	*v = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
	     ((uint32_t)b[2] << 8) | b[3];
	return 0;
}

static int cur_copy(const struct decode_cursor *c, size_t at, uint8_t *dst, size_t n)
{
	if (!cur_has(c, at, n))
		return -1;
	memcpy(dst, c->p + c->off + at, n);
	return 0;
}

static int cur_skip(struct decode_cursor *c, size_t n)
{
	if (n > cur_left(c))
		return -1;
	c->off += n;
	return 0;
}

/* Let at most n more bytes be read from the current position. */
static void cur_limit(struct decode_cursor *c, size_t n)
{
	if (n < cur_left(c))
		c->len = c->off + n;
}

/* ------------------------------------------------------------------ */
/* Decoder state shared by the layer functions.                        */

struct decode_ctx {
	struct decode_cursor c;
	struct decoded *out;
	unsigned depth;          /* encapsulation layers entered */
	uint8_t proto;           /* input of DECODE_ST_L4 */
	enum decode_state next;
};

/* Count one encapsulation layer. */
static int decode_enter(struct decode_ctx *x)
{
	if (++x->depth > DECODE_MAX_DEPTH)
		return DECODE_TOO_MANY_LAYERS;
	return DECODE_OK;
}

/* Count one tunnel layer; the first one records the outermost IP header,
 * which is the current IP header since no tunnel was removed before it. */
static int decode_tunnel_enter(struct decode_ctx *x, enum decode_tunnel type)
{
	struct decoded *d = x->out;
	int rc = decode_enter(x);

	if (rc != DECODE_OK)
		return rc;
	if (d->tunnel_depth == 0) {
		d->tunnel = (uint8_t)type;
		d->tunnel_ip_version = d->ip_version;
		memcpy(d->tunnel_src, d->src, sizeof(d->tunnel_src));
		memcpy(d->tunnel_dst, d->dst, sizeof(d->tunnel_dst));
	}
	if (d->tunnel_depth < UINT8_MAX)
		d->tunnel_depth++;
	return DECODE_OK;
}

/* The reason for an L4 or tunnel header that does not fit in its IP packet:
 * truncated_l4 when the packet was cut (snaplen, or an outer packet's
 * length), if_malformed when the IP packet is complete yet too short. */
static int decode_cut_reason(const struct decode_ctx *x, int if_malformed)
{
	const struct decoded *d = x->out;

	return d->ip_len < d->ip_total_len ? DECODE_TRUNCATED_L4 : if_malformed;
}

/* Payload = what follows an L4 header of hl bytes (nothing if cut). */
static void decode_set_payload(struct decode_ctx *x, size_t hl)
{
	struct decoded *d = x->out;

	if (cur_has(&x->c, 0, hl)) {
		d->payload_offset = (uint32_t)(x->c.off + hl);
		d->payload_len = (uint32_t)(cur_left(&x->c) - hl);
	} else {
		d->payload_offset = (uint32_t)x->c.len;
		d->payload_len = 0;
	}
}

/* Forget the previous IP header's fields when a new (inner) one starts. */
static void decode_reset_ip(struct decoded *d)
{
	d->ip_version = 0;
	d->l4_proto = 0;
	memset(d->src, 0, sizeof(d->src));
	memset(d->dst, 0, sizeof(d->dst));
	d->sport = d->dport = 0;
	d->tcp_flags = 0;
	d->tcp_flags_seen = 0;
	d->icmp_type = d->icmp_code = 0;
	d->is_first_fragment = 0;
	d->frag_id = 0;
	d->ip_offset = d->ip_len = d->ip_total_len = 0;
	d->payload_offset = d->payload_len = 0;
}

/* ------------------------------------------------------------------ */
/* Ethertype level: Ethernet, LLC/SNAP, VLAN, MPLS, PPPoE, PPP.        */

static int decode_ethertype(struct decode_ctx *x, uint16_t type)
{
	switch (type) {
	case DECODE_ET_IPV4:
		x->next = DECODE_ST_IPV4;
		return DECODE_OK;
	case DECODE_ET_IPV6:
		x->next = DECODE_ST_IPV6;
		return DECODE_OK;
	case DECODE_ET_VLAN:
	case DECODE_ET_QINQ:
	case DECODE_ET_QINQ_OLD:
		x->next = DECODE_ST_VLAN;
		return DECODE_OK;
	case DECODE_ET_MPLS_UC:
	case DECODE_ET_MPLS_MC:
		x->next = DECODE_ST_MPLS;
		return DECODE_OK;
	case DECODE_ET_PPPOE_SESSION:
		x->next = DECODE_ST_PPPOE;
		return DECODE_OK;
	default:
		return DECODE_NOT_IP;   /* ARP, LLDP, PPPoE discovery, ... */
	}
}

/* The 16-bit field after MAC addresses or a VLAN tag: an ethertype, or an
 * IEEE 802.3 length followed by an 802.2 LLC header. */
static int decode_type_or_len(struct decode_ctx *x, uint16_t v)
{
	if (v >= DECODE_ET_MIN)
		return decode_ethertype(x, v);
	if (v > DECODE_8023_MAX_LEN || v < 3)
		return DECODE_BAD_ENCAP;   /* 1501..1535 is undefined; LLC needs 3 */
	cur_limit(&x->c, v);               /* drops the padding */
	x->next = DECODE_ST_LLC;
	return DECODE_OK;
}

static int decode_ether(struct decode_ctx *x)
{
	uint16_t type;

	if (cur_rd16(&x->c, 12, &type) != 0)
		return DECODE_TRUNCATED_L2;
	(void)cur_skip(&x->c, DECODE_ETH_LEN);
	return decode_type_or_len(x, type);
}

/* 802.2 LLC.  Only SNAP with an ethertype OUI (RFC 1042 00-00-00, 802.1H
 * 00-00-F8) carries IP; spanning tree (42/42), NetBIOS, IPX, CDP, ... do not. */
static int decode_llc(struct decode_ctx *x)
{
	uint8_t dsap, ssap, ctl;
	uint32_t oui;
	uint16_t type;

	if (cur_rd8(&x->c, 0, &dsap) || cur_rd8(&x->c, 1, &ssap) ||
	    cur_rd8(&x->c, 2, &ctl))
		return DECODE_TRUNCATED_L2;
	if (dsap != 0xaa || ssap != 0xaa || ctl != 0x03)
		return DECODE_NOT_IP;
	if (cur_rd32(&x->c, 2, &oui) || cur_rd16(&x->c, 6, &type))
		return DECODE_TRUNCATED_L2;
	oui &= 0xffffff;
	if (oui != 0 && oui != 0xf8)
		return DECODE_NOT_IP;
	(void)cur_skip(&x->c, 8);
	return decode_ethertype(x, type);
}

/* One 802.1Q/802.1ad tag: TCI (PCP, DEI, 12-bit VLAN id), then a type. */
static int decode_vlan(struct decode_ctx *x)
{
	struct decoded *d = x->out;
	uint16_t tci, type;
	int rc = decode_enter(x);

	if (rc != DECODE_OK)
		return rc;
	if (cur_rd16(&x->c, 0, &tci) || cur_rd16(&x->c, 2, &type))
		return DECODE_TRUNCATED_L2;
	if (d->vlan_count < DECODE_MAX_VLANS)
		d->vlan[d->vlan_count++] = tci & 0x0fff;
	(void)cur_skip(&x->c, 4);
	return decode_type_or_len(x, type);
}

/* MPLS label stack (RFC 3032): 4-byte entries until the bottom-of-stack bit.
 * The payload type is not signalled: guess by the first nibble, 0 being the
 * pseudowire control word (RFC 4385) before an Ethernet frame (RFC 4448). */
static int decode_mpls(struct decode_ctx *x)
{
	uint32_t entry;
	uint8_t first;
	int rc = decode_enter(x);

	if (rc != DECODE_OK)
		return rc;
	do {
		if (cur_rd32(&x->c, 0, &entry) != 0)
			return DECODE_TRUNCATED_L2;
		(void)cur_skip(&x->c, 4);
	} while ((entry & 0x100) == 0);
	if (cur_rd8(&x->c, 0, &first) != 0)
		return DECODE_TRUNCATED_L2;
	switch (first >> 4) {
	case 4:
		x->next = DECODE_ST_IPV4;
		return DECODE_OK;
	case 6:
		x->next = DECODE_ST_IPV6;
		return DECODE_OK;
	case 0:
		if (cur_skip(&x->c, 4) != 0)
			return DECODE_TRUNCATED_L2;
		x->next = DECODE_ST_ETHER;
		return DECODE_OK;
	default:
		return DECODE_NOT_IP;   /* 1: associated channel (OAM) */
	}
}

/* PPP protocol field, 1 byte when compressed (RFC 1661 section 6.5: the
 * low bit of the last byte is 1, that of the first byte is 0). */
static int decode_ppp_read(struct decode_cursor *c, uint16_t *proto)
{
	uint8_t b;

	if (cur_rd8(c, 0, &b) != 0)
		return -1;
	if (b & 1) {
		*proto = b;
		return cur_skip(c, 1);
	}
	if (cur_rd16(c, 0, proto) != 0)
		return -1;
	return cur_skip(c, 2);
}

/* Next layer for a PPP protocol, DECODE_ST_DONE when it is not IP. */
static enum decode_state decode_ppp_next(uint16_t proto)
{
	switch (proto) {
	case DECODE_PPP_IPV4:
		return DECODE_ST_IPV4;
	case DECODE_PPP_IPV6:
		return DECODE_ST_IPV6;
	case DECODE_PPP_MPLS_UC:
	case DECODE_PPP_MPLS_MC:
		return DECODE_ST_MPLS;
	default:
		return DECODE_ST_DONE;
	}
}

static int decode_ppp_payload(struct decode_ctx *x)
{
	uint16_t proto;

	if (decode_ppp_read(&x->c, &proto) != 0)
		return DECODE_TRUNCATED_L2;
	x->next = decode_ppp_next(proto);
	return x->next == DECODE_ST_DONE ? DECODE_NOT_IP : DECODE_OK;
}

/* PPPoE session stage (RFC 2516 section 4): ver/type 0x11, code 0, session
 * id, length (of the PPP frame), then PPP. */
static int decode_pppoe(struct decode_ctx *x)
{
	uint8_t vt, code;
	uint16_t len;
	int rc = decode_enter(x);

	if (rc != DECODE_OK)
		return rc;
	if (cur_rd8(&x->c, 0, &vt) || cur_rd8(&x->c, 1, &code) ||
	    cur_rd16(&x->c, 4, &len))
		return DECODE_TRUNCATED_L2;
	if (vt != 0x11 || code != 0 || len < 1)
		return DECODE_BAD_ENCAP;
	(void)cur_skip(&x->c, 6);
	cur_limit(&x->c, len);
	return decode_ppp_payload(x);
}

/* ------------------------------------------------------------------ */
/* Link headers other than Ethernet.                                   */

/* Protocol field of the Linux cooked headers: an ethertype, except for the
 * Linux-internal values below 0x600 and a few device types. */
static int decode_sll_proto(struct decode_ctx *x, uint16_t hatype, uint16_t proto)
{
	if (hatype == DECODE_ARPHRD_NETLINK)
		return DECODE_NOT_IP;
	if (hatype == DECODE_ARPHRD_IPGRE && proto == DECODE_ET_TEB) {
		x->next = DECODE_ST_ETHER;
		return DECODE_OK;
	}
	if (proto == DECODE_SLL_P_802_2) {
		x->next = DECODE_ST_LLC;
		return DECODE_OK;
	}
	if (proto < DECODE_ET_MIN)
		return DECODE_NOT_IP;   /* 802.3 raw, CAN, ... */
	return decode_ethertype(x, proto);
}

/* DLT_LINUX_SLL: type(2) hatype(2) addrlen(2) addr(8) protocol(2). */
static int decode_sll(struct decode_ctx *x)
{
	uint16_t hatype, proto;

	if (!cur_has(&x->c, 0, DECODE_SLL_LEN))
		return DECODE_TRUNCATED_L2;
	(void)cur_rd16(&x->c, 2, &hatype);
	(void)cur_rd16(&x->c, 14, &proto);
	(void)cur_skip(&x->c, DECODE_SLL_LEN);
	return decode_sll_proto(x, hatype, proto);
}

/* DLT_LINUX_SLL2: protocol(2) reserved(2) ifindex(4) hatype(2) type(1)
 * addrlen(1) addr(8). */
static int decode_sll2(struct decode_ctx *x)
{
	uint16_t hatype, proto;

	if (!cur_has(&x->c, 0, DECODE_SLL2_LEN))
		return DECODE_TRUNCATED_L2;
	(void)cur_rd16(&x->c, 0, &proto);
	(void)cur_rd16(&x->c, 8, &hatype);
	(void)cur_skip(&x->c, DECODE_SLL2_LEN);
	return decode_sll_proto(x, hatype, proto);
}

static uint32_t decode_bswap32(uint32_t v)
{
	return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

/* BSD loopback: a 4-byte address family.  DLT_NULL has it in the capturing
 * host's byte order (families are small, so a value above 0xffff is the
 * other order); DLT_LOOP in network order. */
static int decode_loopback(struct decode_ctx *x, int host_order)
{
	uint32_t family;

	if (cur_rd32(&x->c, 0, &family) != 0)
		return DECODE_TRUNCATED_L2;
	if (host_order && family > 0xffff)
		family = decode_bswap32(family);
	(void)cur_skip(&x->c, 4);
	switch (family) {
	case DECODE_AF_INET:
		x->next = DECODE_ST_IPV4;
		return DECODE_OK;
	case DECODE_AF_INET6_LINUX:
	case DECODE_AF_INET6_BSD:
	case DECODE_AF_INET6_FREEBSD:
	case DECODE_AF_INET6_DARWIN:
		x->next = DECODE_ST_IPV6;
		return DECODE_OK;
	default:
		return DECODE_NOT_IP;
	}
}

/* Cisco HDLC: address (0x0f unicast, 0x8f broadcast), control, ethertype. */
static int decode_chdlc(struct decode_ctx *x)
{
	uint16_t type;

	if (cur_rd16(&x->c, 2, &type) != 0)
		return DECODE_TRUNCATED_L2;
	(void)cur_skip(&x->c, 4);
	return decode_ethertype(x, type);
}

/* DLT_PPP and DLT_PPP_SERIAL: PPP with or without the RFC 1662 address and
 * control bytes (ff 03); libpcap notes that Cisco HDLC frames also show up
 * under DLT_PPP_SERIAL, recognisable by their first byte. */
static int decode_ppp(struct decode_ctx *x)
{
	uint8_t addr, ctl;

	if (cur_rd8(&x->c, 0, &addr) != 0)
		return DECODE_TRUNCATED_L2;
	if (addr == 0x0f || addr == 0x8f)
		return decode_chdlc(x);
	if (addr == 0xff) {
		if (cur_rd8(&x->c, 1, &ctl) != 0)
			return DECODE_TRUNCATED_L2;
		if (ctl != 0x03)
			return DECODE_BAD_ENCAP;
		(void)cur_skip(&x->c, 2);
	}
	return decode_ppp_payload(x);
}

/* No link header: the version nibble says which IP. */
static int decode_ip_guess(struct decode_ctx *x)
{
	uint8_t b;

	if (cur_rd8(&x->c, 0, &b) != 0)
		return DECODE_TRUNCATED_IP;
	if (b >> 4 == 4)
		x->next = DECODE_ST_IPV4;
	else if (b >> 4 == 6)
		x->next = DECODE_ST_IPV6;
	else
		return DECODE_BAD_IP_VERSION;
	return DECODE_OK;
}

/* IEEE 802.11 data frame (inside CAPWAP): frame control, 24-byte header,
 * 30 with the fourth address (ToDS and FromDS), +2 QoS control, +4 HT
 * control (QoS and Order), then LLC/SNAP.  A-MSDU: the first subframe. */
static int decode_wifi(struct decode_ctx *x)
{
	uint8_t fc0, fc1, qos = 0;
	size_t hl = 24;

	if (cur_rd8(&x->c, 0, &fc0) || cur_rd8(&x->c, 1, &fc1))
		return DECODE_TRUNCATED_L2;
	if ((fc0 & 0x03) != 0) {
		/* Cisco controllers send the frame control bytes swapped
		 * (Wireshark's CAPWAP "swap frame control" preference); the
		 * protocol version, always 0, tells. */
		uint8_t t = fc0;

		fc0 = fc1;
		fc1 = t;
	}
	if ((fc0 & 0x03) != 0)
		return DECODE_BAD_ENCAP;                /* protocol version */
	if (((fc0 >> 2) & 0x03) != 2 || (fc0 & 0x40) != 0 || (fc1 & 0x40) != 0)
		return DECODE_NOT_IP;   /* not data, null data, or protected */
	if ((fc1 & 0x03) == 0x03)
		hl = 30;
	if (fc0 & 0x80) {                               /* QoS subtypes */
		if (cur_rd8(&x->c, hl, &qos) != 0)
			return DECODE_TRUNCATED_L2;
		hl += (fc1 & 0x80) ? 6 : 2;
	}
	if (qos & 0x80)
		hl += 14;                /* A-MSDU subframe header: DA SA length */
	if (cur_skip(&x->c, hl) != 0)
		return DECODE_TRUNCATED_L2;
	x->next = DECODE_ST_LLC;
	return DECODE_OK;
}

/* ------------------------------------------------------------------ */
/* IPv4, IPv6.                                                          */

static void decode_set_addrs(struct decoded *d, const struct decode_cursor *c,
			     size_t at, size_t n)
{
	(void)cur_copy(c, at, d->src, n);
	(void)cur_copy(c, at + n, d->dst, n);
}

/* IPv4 (RFC 791).  The total length bounds the packet; caplen may cut it. */
static int decode_ipv4(struct decode_ctx *x)
{
	struct decoded *d = x->out;
	struct decode_cursor *c = &x->c;
	uint8_t vihl, proto;
	uint16_t total, id, frag;
	size_t ihl;

	if (!cur_has(c, 0, DECODE_IPV4_MIN))
		return DECODE_TRUNCATED_IP;
	(void)cur_rd8(c, 0, &vihl);
	(void)cur_rd16(c, 2, &total);
	(void)cur_rd16(c, 4, &id);
	(void)cur_rd16(c, 6, &frag);
	(void)cur_rd8(c, 9, &proto);
	if (vihl >> 4 != 4)
		return DECODE_BAD_IP_VERSION;
	ihl = (size_t)(vihl & 0x0f) * 4;
	if (ihl < DECODE_IPV4_MIN || (total != 0 && total < ihl))
		return DECODE_BAD_IP_HEADER;
	decode_reset_ip(d);
	d->ip_version = 4;
	d->l4_proto = proto;
	decode_set_addrs(d, c, 12, 4);
	d->ip_offset = (uint32_t)c->off;
	if (total != 0)
		cur_limit(c, total);            /* Ethernet padding is not IP */
	d->ip_len = (uint32_t)cur_left(c);
	d->ip_total_len = total != 0 ? total : d->ip_len;
	if (cur_skip(c, ihl) != 0)
		return DECODE_TRUNCATED_IP;     /* options cut */
	x->proto = proto;
	d->frag_id = id;
	if ((frag & 0x1fff) != 0) {
		decode_set_payload(x, 0);
		return DECODE_FRAGMENT;
	}
	d->is_first_fragment = (frag & 0x2000) != 0;
	x->next = DECODE_ST_L4;
	return DECODE_OK;
}

/* One IPv6 extension header.  Returns 1 when *nh is not an extension header
 * (the chain ends), 0 when one was skipped, or a negative value on error:
 * -DECODE_BAD_IPV6_EXT or -DECODE_FRAGMENT. */
static int decode_ipv6_ext(struct decode_ctx *x, uint8_t *nh)
{
	struct decode_cursor *c = &x->c;
	uint8_t next, hlen;
	uint16_t fo;
	uint32_t id;
	size_t len;

	switch (*nh) {
	case DECODE_IPP_HOPOPTS: case DECODE_IPP_ROUTING: case DECODE_IPP_DSTOPTS:
	case DECODE_IPP_MOBILITY: case DECODE_IPP_HIP: case DECODE_IPP_SHIM6:
	case DECODE_IPP_AH:
		if (cur_rd8(c, 0, &next) || cur_rd8(c, 1, &hlen))
			return -DECODE_BAD_IPV6_EXT;
		/* RFC 8200: 8-octet units not counting the first 8;
		 * RFC 4302 (AH): 4-octet units minus 2. */
		len = *nh == DECODE_IPP_AH ? ((size_t)hlen + 2) * 4 : ((size_t)hlen + 1) * 8;
		break;
	case DECODE_IPP_FRAGMENT:
		if (cur_rd8(c, 0, &next) || cur_rd16(c, 2, &fo) || cur_rd32(c, 4, &id))
			return -DECODE_BAD_IPV6_EXT;
		x->out->frag_id = id;
		len = 8;
		if ((fo >> 3) != 0) {
			(void)cur_skip(c, len);
			*nh = next;
			return -DECODE_FRAGMENT;
		}
		x->out->is_first_fragment = 1;
		break;
	default:
		return 1;
	}
	if (cur_skip(c, len) != 0)
		return -DECODE_BAD_IPV6_EXT;
	*nh = next;
	return 0;
}

/* IPv6 (RFC 8200) and its extension header chain.  The chain is walked in a
 * loop that consumes at least 8 bytes per header, so it ends. */
static int decode_ipv6(struct decode_ctx *x)
{
	struct decoded *d = x->out;
	struct decode_cursor *c = &x->c;
	uint8_t v, nh;
	uint16_t plen;
	int rc;

	if (!cur_has(c, 0, DECODE_IPV6_LEN))
		return DECODE_TRUNCATED_IP;
	(void)cur_rd8(c, 0, &v);
	(void)cur_rd16(c, 4, &plen);
	(void)cur_rd8(c, 6, &nh);
	if (v >> 4 != 6)
		return DECODE_BAD_IP_VERSION;
	decode_reset_ip(d);
	d->ip_version = 6;
	decode_set_addrs(d, c, 8, 16);
	d->ip_offset = (uint32_t)c->off;
	/* Payload length 0 with hop-by-hop options: a jumbogram (RFC 2675),
	 * its length is in an option; use what was captured. */
	if (plen != 0 || nh != DECODE_IPP_HOPOPTS)
		cur_limit(c, (size_t)DECODE_IPV6_LEN + plen);
	d->ip_len = (uint32_t)cur_left(c);
	d->ip_total_len = (plen != 0 || nh != DECODE_IPP_HOPOPTS) ?
			  (uint32_t)DECODE_IPV6_LEN + plen : d->ip_len;
	(void)cur_skip(c, DECODE_IPV6_LEN);
	while ((rc = decode_ipv6_ext(x, &nh)) == 0)
		;
	d->l4_proto = nh;
	x->proto = nh;
	if (rc == -DECODE_FRAGMENT)
		decode_set_payload(x, 0);
	if (rc < 0)
		return -rc;
	x->next = DECODE_ST_L4;
	return DECODE_OK;
}

/* ------------------------------------------------------------------ */
/* Transport.                                                          */

static int decode_ports(struct decode_ctx *x)
{
	uint16_t sp, dp;

	if (cur_rd16(&x->c, 0, &sp) || cur_rd16(&x->c, 2, &dp))
		return DECODE_TRUNCATED_L4;
	x->out->sport = sp;
	x->out->dport = dp;
	return DECODE_OK;
}

/* TCP: a header cut after the ports still counts (payload_len 0). */
static int decode_tcp(struct decode_ctx *x)
{
	uint8_t doff, flags;
	int rc = decode_ports(x);

	if (rc != DECODE_OK)
		return rc;
	decode_set_payload(x, DECODE_TCP_MIN);
	if (cur_rd8(&x->c, 12, &doff) != 0)
		return DECODE_OK;
	if ((doff >> 4) < 5)
		return DECODE_BAD_L4_HEADER;
	if (cur_rd8(&x->c, 13, &flags) == 0) {
		x->out->tcp_flags = flags;
		x->out->tcp_flags_seen = 1;
	}
	decode_set_payload(x, (size_t)(doff >> 4) * 4);
	return DECODE_OK;
}

static int decode_sctp(struct decode_ctx *x)
{
	int rc = decode_ports(x);

	if (rc == DECODE_OK)
		decode_set_payload(x, DECODE_SCTP_LEN);
	return rc;
}

/* ICMP/ICMPv6 have no ports: the flow is known without the header, so a
 * cut header leaves type and code 0 rather than losing the packet. */
static int decode_icmp(struct decode_ctx *x)
{
	uint8_t type = 0, code = 0;

	(void)cur_rd8(&x->c, 0, &type);
	(void)cur_rd8(&x->c, 1, &code);
	x->out->icmp_type = type;
	x->out->icmp_code = code;
	decode_set_payload(x, DECODE_ICMP_LEN);
	return DECODE_OK;
}

/* ------------------------------------------------------------------ */
/* UDP tunnels.  Each works on a copy of the cursor at the UDP payload and
 * returns the next layer, or DECODE_ST_DONE (cursor untouched) when the
 * payload is not that tunnel. */

/* VXLAN (RFC 7348): flags (I = 0x08), 24 reserved bits, VNI, reserved. */
static enum decode_state decode_vxlan(struct decode_cursor *c)
{
	uint8_t flags;

	if (cur_rd8(c, 0, &flags) != 0 || (flags & 0x08) == 0 || cur_skip(c, 8) != 0)
		return DECODE_ST_DONE;
	return DECODE_ST_ETHER;
}

/* GTP-U extension header chain (TS 29.281 section 5.2): length in 4-octet
 * units including the length and next-type bytes, next type last. */
static int decode_gtpu_exts(const struct decode_cursor *c, size_t *hl, uint8_t next)
{
	uint8_t units;
	size_t len;

	while (next != 0) {
		if (cur_rd8(c, *hl, &units) != 0 || units == 0)
			return -1;
		len = (size_t)units * 4;
		if (cur_rd8(c, *hl + len - 1, &next) != 0)
			return -1;
		*hl += len;
	}
	return 0;
}

/* GTP-U v1 T-PDU (TS 29.281 section 5.1): flags (version 1, PT 1, E S PN),
 * type 0xff, length of what follows the first 8 bytes, TEID; with any of
 * E/S/PN: sequence, N-PDU, next extension type.  Inner IP by first nibble. */
static enum decode_state decode_gtpu(struct decode_cursor *c)
{
	uint8_t flags, type, next = 0, first;
	uint16_t len;
	size_t hl = 8;

	if (cur_rd8(c, 0, &flags) || cur_rd8(c, 1, &type) || cur_rd16(c, 2, &len))
		return DECODE_ST_DONE;
	if ((flags >> 5) != 1 || (flags & 0x10) == 0 || type != 0xff)
		return DECODE_ST_DONE;
	cur_limit(c, (size_t)8 + len);
	if (flags & 0x07) {
		if (cur_rd8(c, 11, &next) != 0)
			return DECODE_ST_DONE;
		hl = 12;
	}
	if ((flags & 0x04) && decode_gtpu_exts(c, &hl, next) != 0)
		return DECODE_ST_DONE;
	if (cur_rd8(c, hl, &first) != 0)
		return DECODE_ST_DONE;
	(void)cur_skip(c, hl);
	if (first >> 4 == 4)
		return DECODE_ST_IPV4;
	return first >> 4 == 6 ? DECODE_ST_IPV6 : DECODE_ST_DONE;
}

/* TZSP: version 1, type 0 (received), encapsulation 1 (Ethernet), then
 * tagged fields (0 padding and 1 end are one byte; others type, length,
 * value) up to the end tag. */
static enum decode_state decode_tzsp(struct decode_cursor *c)
{
	uint8_t ver, type, tag, tlen;
	uint16_t encap;
	size_t at = 4;

	if (cur_rd8(c, 0, &ver) || cur_rd8(c, 1, &type) || cur_rd16(c, 2, &encap))
		return DECODE_ST_DONE;
	if (ver != 1 || type != 0 || encap != 1)
		return DECODE_ST_DONE;
	do {
		if (cur_rd8(c, at, &tag) != 0)
			return DECODE_ST_DONE;
		if (tag <= 1) {
			at += 1;
		} else {
			if (cur_rd8(c, at + 1, &tlen) != 0)
				return DECODE_ST_DONE;
			at += 2 + (size_t)tlen;
		}
	} while (tag != 1);
	if (cur_skip(c, at) != 0)
		return DECODE_ST_DONE;
	return DECODE_ST_ETHER;
}

/* CAPWAP data channel (RFC 5415 section 4.3): preamble version 0 type 0
 * (type 1 is DTLS, encrypted), HLEN in 4-byte words, RID, WBID, T F L W M K
 * flags.  T=0: an 802.3 frame; T=1 with WBID 1: an IEEE 802.11 frame
 * (RFC 5416).  Keep-alives and non-first fragments carry no frame start. */
static enum decode_state decode_capwap(struct decode_cursor *c)
{
	uint8_t pre, b1, b2, b3;
	uint16_t frag;
	size_t hlen;

	if (cur_rd8(c, 0, &pre) || cur_rd8(c, 1, &b1) || cur_rd8(c, 2, &b2) ||
	    cur_rd8(c, 3, &b3) || cur_rd16(c, 6, &frag))
		return DECODE_ST_DONE;
	hlen = (size_t)(b1 >> 3) * 4;
	if (pre != 0 || hlen < 8 || (b3 & 0x08) != 0)
		return DECODE_ST_DONE;
	if ((b3 & 0x80) != 0 && (frag >> 3) != 0)
		return DECODE_ST_DONE;
	if (cur_skip(c, hlen) != 0)
		return DECODE_ST_DONE;
	if ((b2 & 0x01) == 0)
		return DECODE_ST_ETHER;
	return ((b2 >> 1) & 0x1f) == 1 ? DECODE_ST_WIFI : DECODE_ST_DONE;
}

/* Try the tunnel(s) whose port this packet uses; on success switch the
 * cursor to the inner frame. */
static int decode_udp_tunnel(struct decode_ctx *x, uint16_t sp, uint16_t dp)
{
	struct decode_cursor in;
	enum decode_state next = DECODE_ST_DONE;
	enum decode_tunnel type = DECODE_TUNNEL_NONE;

	in = x->c;
	(void)cur_skip(&in, DECODE_UDP_LEN);
	if (dp == DECODE_PORT_VXLAN) {
		next = decode_vxlan(&in);
		type = DECODE_TUNNEL_VXLAN;
	} else if (sp == DECODE_PORT_GTPU || dp == DECODE_PORT_GTPU) {
		next = decode_gtpu(&in);
		type = DECODE_TUNNEL_GTPU;
	} else if (sp == DECODE_PORT_TZSP || dp == DECODE_PORT_TZSP) {
		next = decode_tzsp(&in);
		type = DECODE_TUNNEL_TZSP;
	} else if (sp == DECODE_PORT_CAPWAP_DATA || dp == DECODE_PORT_CAPWAP_DATA) {
		next = decode_capwap(&in);
		type = DECODE_TUNNEL_CAPWAP;
	}
	if (next == DECODE_ST_DONE)
		return DECODE_OK;                   /* a plain UDP flow */
	x->c = in;
	x->next = next;
	return decode_tunnel_enter(x, type);
}

/* UDP (RFC 768).  The UDP length bounds the payload; length 0 is allowed
 * in IPv6 only (jumbograms, RFC 2675). */
static int decode_udp(struct decode_ctx *x)
{
	uint16_t ulen;
	int rc = decode_ports(x);

	if (rc != DECODE_OK)
		return rc;
	if (cur_rd16(&x->c, 4, &ulen) == 0) {
		if (ulen >= DECODE_UDP_LEN)
			cur_limit(&x->c, ulen);
		else if (ulen != 0 || x->out->ip_version != 6)
			return DECODE_BAD_L4_HEADER;
	}
	decode_set_payload(x, DECODE_UDP_LEN);
	if (!cur_has(&x->c, 0, DECODE_UDP_LEN))
		return DECODE_OK;
	return decode_udp_tunnel(x, x->out->sport, x->out->dport);
}

/* ------------------------------------------------------------------ */
/* GRE.                                                                */

enum {
	DECODE_GRE_C = 0x8000,   /* checksum (and offset) present */
	DECODE_GRE_R = 0x4000,   /* routing present (RFC 1701) */
	DECODE_GRE_K = 0x2000,   /* key present */
	DECODE_GRE_S = 0x1000,   /* sequence number present */
	DECODE_GRE_A = 0x0080    /* acknowledgment present (v1, RFC 2637) */
};

/* RFC 1701 source route entries: family(2) offset(1) length(1) data, the
 * list ending with family 0 and length 0.  Each entry is >= 4 bytes. */
static int decode_gre_routing(const struct decode_cursor *g, size_t *hl)
{
	uint16_t family;
	uint8_t len;

	do {
		if (cur_rd16(g, *hl, &family) || cur_rd8(g, *hl + 3, &len))
			return -1;
		*hl += 4 + (size_t)len;
	} while (family != 0 || len != 0);
	return cur_has(g, 0, *hl) ? 0 : -1;
}

/* ERSPAN type III header (12 bytes, +8 with the O flag): version 2, then
 * the frame type FT (0 Ethernet, 2 IP) in byte 10. */
static int decode_erspan3(const struct decode_ctx *x, struct decode_cursor *g,
			  enum decode_state *next)
{
	uint8_t ver, b10, b11;

	if (cur_rd8(g, 0, &ver) || cur_rd8(g, 10, &b10) || cur_rd8(g, 11, &b11))
		return decode_cut_reason(x, DECODE_BAD_TUNNEL);
	if (ver >> 4 != 2)
		return DECODE_BAD_TUNNEL;
	if (cur_skip(g, (b11 & 0x01) ? 20 : 12) != 0)
		return decode_cut_reason(x, DECODE_BAD_TUNNEL);
	switch ((b10 >> 2) & 0x1f) {
	case 0:
		*next = DECODE_ST_ETHER;
		break;
	case 2:
		*next = DECODE_ST_IP_GUESS;
		break;
	default:
		*next = DECODE_ST_DONE;
		break;
	}
	return DECODE_OK;
}

static int decode_gre0_is_known(uint16_t ptype)
{
	switch (ptype) {
	case DECODE_ET_IPV4: case DECODE_ET_IPV6: case DECODE_ET_TEB:
	case DECODE_ET_MPLS_UC: case DECODE_ET_MPLS_MC:
	case DECODE_ET_ERSPAN2: case DECODE_ET_ERSPAN3:
		return 1;
	default:
		return 0;
	}
}

/* What GRE v0 carries: the next layer after the GRE header, or DONE. */
static int decode_gre0_payload(const struct decode_ctx *x, struct decode_cursor *g,
			       uint16_t flags, uint16_t ptype, enum decode_state *next)
{
	uint8_t ver;

	switch (ptype) {
	case DECODE_ET_IPV4:    *next = DECODE_ST_IPV4;  return DECODE_OK;
	case DECODE_ET_IPV6:    *next = DECODE_ST_IPV6;  return DECODE_OK;
	case DECODE_ET_TEB:     *next = DECODE_ST_ETHER; return DECODE_OK;
	case DECODE_ET_MPLS_UC:
	case DECODE_ET_MPLS_MC: *next = DECODE_ST_MPLS;  return DECODE_OK;
	case DECODE_ET_ERSPAN3:
		return decode_erspan3(x, g, next);
	case DECODE_ET_ERSPAN2:
		*next = DECODE_ST_ETHER;
		if ((flags & DECODE_GRE_S) == 0)
			return DECODE_OK;      /* type I: no ERSPAN header */
		if (cur_rd8(g, 0, &ver) != 0 || cur_skip(g, 8) != 0)
			return decode_cut_reason(x, DECODE_BAD_TUNNEL);
		return ver >> 4 == 1 ? DECODE_OK : DECODE_BAD_TUNNEL;
	default:
		*next = DECODE_ST_DONE;
		return DECODE_OK;
	}
}

/* GRE version 0 (RFC 2784, RFC 2890; routing from RFC 1701). */
static int decode_gre0(struct decode_ctx *x, struct decode_cursor *g,
		       uint16_t flags, uint16_t ptype)
{
	enum decode_state next = DECODE_ST_DONE;
	size_t hl = 4;
	int rc;

	if (!decode_gre0_is_known(ptype))
		return DECODE_OK;       /* not decapsulated: the GRE packet is the flow */
	if (flags & (DECODE_GRE_C | DECODE_GRE_R))
		hl += 4;
	if (flags & DECODE_GRE_K)
		hl += 4;
	if (flags & DECODE_GRE_S)
		hl += 4;
	if ((flags & DECODE_GRE_R) && decode_gre_routing(g, &hl) != 0)
		return decode_cut_reason(x, DECODE_BAD_TUNNEL);
	if (cur_skip(g, hl) != 0)
		return decode_cut_reason(x, DECODE_BAD_TUNNEL);
	rc = decode_gre0_payload(x, g, flags, ptype, &next);
	if (rc != DECODE_OK || next == DECODE_ST_DONE)
		return rc;              /* e.g. ERSPAN III frame type we do not know */
	x->c = *g;
	x->next = next;
	return decode_tunnel_enter(x, DECODE_TUNNEL_GRE);
}

/* GRE version 1, PPTP (RFC 2637 section 4.1): K set, protocol 0x880b, key
 * = payload length + call id, optional sequence and acknowledgment, then a
 * PPP frame.  Without an IP payload (ack only, compressed or encrypted PPP)
 * the GRE packet itself is the flow. */
static int decode_gre1(struct decode_ctx *x, struct decode_cursor *g,
		       uint16_t flags, uint16_t ptype)
{
	size_t hl = 8;
	uint16_t plen, proto;
	uint8_t a, c;
	enum decode_state next;

	if (ptype != DECODE_ET_PPP || (flags & DECODE_GRE_K) == 0)
		return DECODE_OK;
	if (flags & DECODE_GRE_S)
		hl += 4;
	if (flags & DECODE_GRE_A)
		hl += 4;
	if (cur_rd16(g, 4, &plen) != 0 || plen == 0 || cur_skip(g, hl) != 0)
		return DECODE_OK;
	cur_limit(g, plen);
	if (cur_rd8(g, 0, &a) == 0 && a == 0xff && cur_rd8(g, 1, &c) == 0 && c == 0x03)
		(void)cur_skip(g, 2);
	if (decode_ppp_read(g, &proto) != 0)
		return DECODE_OK;
	next = decode_ppp_next(proto);
	if (next == DECODE_ST_DONE)
		return DECODE_OK;
	x->c = *g;
	x->next = next;
	return decode_tunnel_enter(x, DECODE_TUNNEL_GRE);
}

static int decode_gre(struct decode_ctx *x)
{
	struct decode_cursor g = x->c;
	uint16_t flags, ptype;

	decode_set_payload(x, 0);       /* the flow, if we do not decapsulate */
	if (cur_rd16(&g, 0, &flags) || cur_rd16(&g, 2, &ptype))
		return decode_cut_reason(x, DECODE_BAD_TUNNEL);
	switch (flags & 0x07) {
	case 0:
		return decode_gre0(x, &g, flags, ptype);
	case 1:
		return decode_gre1(x, &g, flags, ptype);
	default:
		return DECODE_OK;       /* unknown version: not decapsulated */
	}
}

/* ------------------------------------------------------------------ */
/* L4 dispatch, the loop and the public functions.                     */

static int decode_ipip(struct decode_ctx *x, enum decode_state next)
{
	decode_set_payload(x, 0);
	x->next = next;
	return decode_tunnel_enter(x, DECODE_TUNNEL_IPIP);
}

/* A complete IP packet with nothing after its header (nmap -sO probes).
 * TCP and UDP need their header to be what they say; every other protocol
 * (SCTP included: ndpiReader 4.2 keys SCTP without ports anyway) becomes a
 * flow of that protocol without ports, so protocol scans stay visible. */
static int decode_is_empty(const struct decode_ctx *x)
{
	return cur_left(&x->c) == 0 && x->out->ip_len >= x->out->ip_total_len;
}

static int decode_l4(struct decode_ctx *x)
{
	x->out->l4_proto = x->proto;
	if (decode_is_empty(x) && x->proto != DECODE_IPP_TCP && x->proto != DECODE_IPP_UDP) {
		decode_set_payload(x, 0);  /* a flow of that protocol, no ports */
		return DECODE_OK;
	}
	switch (x->proto) {
	case DECODE_IPP_TCP:
		return decode_tcp(x);
	case DECODE_IPP_UDP:
		return decode_udp(x);
	case DECODE_IPP_SCTP:
		return decode_sctp(x);
	case DECODE_IPP_ICMP:
	case DECODE_IPP_ICMPV6:
		return decode_icmp(x);
	case DECODE_IPP_IPIP:
		return decode_ipip(x, DECODE_ST_IPV4);
	case DECODE_IPP_IPV6:
		return decode_ipip(x, DECODE_ST_IPV6);
	case DECODE_IPP_GRE:
		return decode_gre(x);
	default:
		decode_set_payload(x, 0);  /* ESP, no-next-header, IGMP, ... */
		return DECODE_OK;
	}
}

static int decode_step(struct decode_ctx *x, enum decode_state st)
{
	switch (st) {
	case DECODE_ST_ETHER:    return decode_ether(x);
	case DECODE_ST_LLC:      return decode_llc(x);
	case DECODE_ST_VLAN:     return decode_vlan(x);
	case DECODE_ST_MPLS:     return decode_mpls(x);
	case DECODE_ST_PPPOE:    return decode_pppoe(x);
	case DECODE_ST_SLL:      return decode_sll(x);
	case DECODE_ST_SLL2:     return decode_sll2(x);
	case DECODE_ST_NULL:     return decode_loopback(x, 1);
	case DECODE_ST_LOOP:     return decode_loopback(x, 0);
	case DECODE_ST_PPP:      return decode_ppp(x);
	case DECODE_ST_CHDLC:    return decode_chdlc(x);
	case DECODE_ST_IP_GUESS: return decode_ip_guess(x);
	case DECODE_ST_IPV4:     return decode_ipv4(x);
	case DECODE_ST_IPV6:     return decode_ipv6(x);
	case DECODE_ST_L4:       return decode_l4(x);
	case DECODE_ST_WIFI:     return decode_wifi(x);
	case DECODE_ST_DONE:     break;
	}
	return DECODE_OK;
}

static enum decode_state decode_first_state(int dlt)
{
	switch (dlt) {
	case DECODE_DLT_EN10MB:      return DECODE_ST_ETHER;
	case DECODE_DLT_LINUX_SLL:   return DECODE_ST_SLL;
	case DECODE_DLT_LINUX_SLL2:  return DECODE_ST_SLL2;
	case DECODE_DLT_RAW:
	case DECODE_LINKTYPE_RAW:    return DECODE_ST_IP_GUESS;
	case DECODE_DLT_IPV4:        return DECODE_ST_IPV4;
	case DECODE_DLT_IPV6:        return DECODE_ST_IPV6;
	case DECODE_DLT_NULL:        return DECODE_ST_NULL;
	case DECODE_DLT_LOOP:        return DECODE_ST_LOOP;
	case DECODE_DLT_PPP:
	case DECODE_DLT_PPP_SERIAL:  return DECODE_ST_PPP;
	case DECODE_DLT_C_HDLC:      return DECODE_ST_CHDLC;
	default:                     return DECODE_ST_DONE;
	}
}

int decode_dlt_is_supported(int dlt)
{
	return decode_first_state(dlt) != DECODE_ST_DONE;
}

int decode_frame(int dlt, const uint8_t *frame, size_t caplen, struct decoded *out)
{
	struct decode_ctx x;
	enum decode_state st;
	unsigned steps;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	if (frame == NULL)
		caplen = 0;
	if (caplen > UINT32_MAX)
		caplen = UINT32_MAX;            /* offsets in struct decoded are 32-bit */
	x.c.p = frame;
	x.c.len = caplen;
	x.out = out;
	x.next = decode_first_state(dlt);
	if (x.next == DECODE_ST_DONE)
		return DECODE_UNSUPPORTED_DLT;
	for (steps = 0; x.next != DECODE_ST_DONE; steps++) {
		if (steps >= DECODE_MAX_STEPS)
			return DECODE_TOO_MANY_LAYERS;
		st = x.next;
		x.next = DECODE_ST_DONE;
		rc = decode_step(&x, st);
		if (rc != DECODE_OK)
			return rc;
	}
	return out->ip_version != 0 ? DECODE_OK : DECODE_NOT_IP;
}

static const char *const decode_result_names[DECODE_NREASONS] = {
	[DECODE_OK] = "ok",
	[DECODE_TRUNCATED_L2] = "truncated_l2",
	[DECODE_UNSUPPORTED_DLT] = "unsupported_dlt",
	[DECODE_NOT_IP] = "not_ip",
	[DECODE_BAD_ENCAP] = "bad_encap",
	[DECODE_TOO_MANY_LAYERS] = "too_many_layers",
	[DECODE_TRUNCATED_IP] = "truncated_ip",
	[DECODE_BAD_IP_VERSION] = "bad_ip_version",
	[DECODE_BAD_IP_HEADER] = "bad_ip_header",
	[DECODE_BAD_IPV6_EXT] = "bad_ipv6_ext",
	[DECODE_FRAGMENT] = "fragment",
	[DECODE_TRUNCATED_L4] = "truncated_l4",
	[DECODE_BAD_L4_HEADER] = "bad_l4_header",
	[DECODE_BAD_TUNNEL] = "bad_tunnel",
};

const char *decode_result_name(int result)
{
	if (result < 0 || result >= DECODE_NREASONS || decode_result_names[result] == NULL)
		return "unknown";
	return decode_result_names[result];
}

static const char *const decode_tunnel_names[DECODE_NTUNNELS] = {
	[DECODE_TUNNEL_NONE] = NULL,
	[DECODE_TUNNEL_GRE] = "GRE",
	[DECODE_TUNNEL_IPIP] = "IPIP",
	[DECODE_TUNNEL_VXLAN] = "VXLAN",
	[DECODE_TUNNEL_GTPU] = "GTP-U",
	[DECODE_TUNNEL_TZSP] = "TZSP",
	[DECODE_TUNNEL_CAPWAP] = "CAPWAP",
};

const char *decode_tunnel_name(int tunnel)
{
	if (tunnel < 0 || tunnel >= DECODE_NTUNNELS)
		return NULL;
	return decode_tunnel_names[tunnel];
}
