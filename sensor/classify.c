/*
 * classify — see classify.h.
 *
 * The dissection loop mirrors ndpiReader 4.2 (example/reader_util.c,
 * packet_processing()): a flow is complete when nDPI names an application
 * protocol and ndpi_extra_dissection_possible() says no more is to be had, or
 * when the flow has more than 80 TCP / 24 UDP packets; an unfinished flow is
 * given up with guessing.  Like ndpiReader at print time, an HTTP URL is run
 * through ndpi_validate_url() and its risk added.
 */
#include "classify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ndpi_api.h>

#if !defined(NDPI_API_VERSION)
#error "nDPI headers not found"
#endif

/* ndpiReader copies the URL into a 256-byte buffer before validating it. */
#define CLASSIFY_URL_MAX 256

struct classify {
	struct ndpi_detection_module_struct *ndpi;
	struct classify_stats stats;
};

const char *classify_ndpi_version(void)
{
	return ndpi_revision();
}

/* Load one of nDPI's files; nDPI only says "failed", so check we can read
 * it first and name the problem. */
static int classify_load(struct classify *c, const char *key, const char *path,
			 int (*load)(struct ndpi_detection_module_struct *, const char *),
			 char *err, size_t errlen)
{
	if (!path || !path[0])
		return 0;
	if (access(path, R_OK) < 0) {
		snprintf(err, errlen, "%s %s: %s", key, path, strerror(errno));
		return -1;
	}
	if (load(c->ndpi, path) < 0) {
		snprintf(err, errlen, "%s %s: nDPI refused the file", key, path);
		return -1;
	}
	return 0;
}

/* ndpi_load_protocols_file takes a non-const path. */
static int classify_load_protocols(struct ndpi_detection_module_struct *ndpi, const char *path)
{
	char copy[4096];

	snprintf(copy, sizeof(copy), "%s", path);
	return ndpi_load_protocols_file(ndpi, copy);
}

struct classify *classify_new(const struct classify_files *files, char *err, size_t errlen)
{
	static const struct classify_files none;
	struct classify *c;
	NDPI_PROTOCOL_BITMASK all;
	const char *v = ndpi_revision();

	if (!files)
		files = &none;
	/* The results are compared with ndpiReader 4.2: refuse another major.minor. */
	if (strncmp(v, "4.2", 3) != 0) {
		snprintf(err, errlen, "nDPI %s found, 4.2 needed (Debian 12 libndpi4.2)", v);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
	if (!c->ndpi) {
		snprintf(err, errlen, "nDPI initialisation failed");
		free(c);
		return NULL;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(c->ndpi, &all);
	if (classify_load(c, "ndpi.protocols_file", files->protocols, classify_load_protocols,
			  err, errlen) < 0 ||
	    classify_load(c, "ndpi.categories_file", files->categories, ndpi_load_categories_file,
			  err, errlen) < 0 ||
	    classify_load(c, "ndpi.risky_domains_file", files->risky_domains,
			  ndpi_load_risk_domain_file, err, errlen) < 0 ||
	    classify_load(c, "ndpi.malicious_ja3_file", files->malicious_ja3,
			  ndpi_load_malicious_ja3_file, err, errlen) < 0 ||
	    classify_load(c, "ndpi.malicious_sha1_file", files->malicious_sha1,
			  ndpi_load_malicious_sha1_file, err, errlen) < 0) {
		ndpi_exit_detection_module(c->ndpi);
		free(c);
		return NULL;
	}
	ndpi_finalize_initialization(c->ndpi);
	return c;
}

void classify_free(struct classify *c)
{
	if (!c)
		return;
	ndpi_exit_detection_module(c->ndpi);
	free(c);
}

static bool classify_is_proto(const struct flow_dpi *d, uint16_t id)
{
	return d->master == id || d->app == id;
}

/* nf->protos is a union: its TLS/QUIC member holds TLS data only when the
 * TLS or QUIC dissector wrote it.  The same test as ndpiReader 4.2's
 * process_ndpi_collected_info(): protocols whose own member of the union was
 * used (or that ndpiReader reports otherwise) are excluded. */
static bool classify_has_tls_data(const struct flow_dpi *d, const struct ndpi_flow_struct *nf)
{
	static const uint16_t other_member[] = {
		NDPI_PROTOCOL_DHCP, NDPI_PROTOCOL_DNS, NDPI_PROTOCOL_MDNS, NDPI_PROTOCOL_UBNTAC2,
		NDPI_PROTOCOL_FTP_CONTROL, NDPI_PROTOCOL_MAIL_IMAP, NDPI_PROTOCOL_MAIL_POP,
		NDPI_PROTOCOL_MAIL_SMTP, NDPI_PROTOCOL_KERBEROS, NDPI_PROTOCOL_HTTP,
		NDPI_PROTOCOL_TELNET, NDPI_PROTOCOL_SSH, NDPI_PROTOCOL_NTP,
	};

	if (classify_is_proto(d, NDPI_PROTOCOL_TLS) || classify_is_proto(d, NDPI_PROTOCOL_QUIC))
		return true;
	if (classify_is_proto(d, NDPI_PROTOCOL_BITTORRENT))
		return false;
	for (size_t i = 0; i < sizeof(other_member) / sizeof(other_member[0]); i++)
		if (classify_is_proto(d, other_member[i]))
			return false;
	return nf->protos.tls_quic.ja3_client[0] != '\0';
}

/* nDPI leaves the fingerprint all zero when it saw no certificate. */
static void classify_sha1_hex(const u_int8_t sha1[20], char out[41])
{
	static const char hex[] = "0123456789abcdef";
	u_int8_t any = 0;

	for (int i = 0; i < 20; i++) {
		any |= sha1[i];
		out[2 * i] = hex[sha1[i] >> 4];
		out[2 * i + 1] = hex[sha1[i] & 15];
	}
	out[any ? 40 : 0] = '\0';
}

/* Copy what the flow record needs out of nDPI's flow state. */
static void classify_collect(struct flow *f, ndpi_protocol proto)
{
	struct ndpi_flow_struct *nf = f->dpi_state;
	struct flow_dpi *d = &f->dpi;
	u_int16_t cli, srv;
	const char *host;

	d->master = proto.master_protocol;
	d->app = proto.app_protocol;
	d->category = (uint16_t)proto.category;
	d->confidence = (uint8_t)nf->confidence;
	d->risk = nf->risk;

	if (classify_is_proto(d, NDPI_PROTOCOL_HTTP) && nf->http.url) {
		char url[CLASSIFY_URL_MAX];
		ndpi_risk_enum r;

		snprintf(url, sizeof(url), "%s", nf->http.url);
		r = ndpi_validate_url(url);
		if (r != NDPI_NO_RISK)
			NDPI_SET_BIT(d->risk, r);
	}
	d->risk_score = d->risk ? ndpi_risk2score(d->risk, &cli, &srv) : 0;

	host = (const char *)nf->host_server_name;
	if (classify_is_proto(d, NDPI_PROTOCOL_SSH) && nf->protos.ssh.client_signature[0])
		host = nf->protos.ssh.client_signature;  /* as ndpiReader shows it */
	free(d->hostname);
	d->hostname = host[0] ? strdup(host) : NULL;

	if (classify_has_tls_data(d, nf) && !d->tls &&
	    (nf->protos.tls_quic.ssl_version || nf->protos.tls_quic.ja3_client[0] ||
	     nf->protos.tls_quic.ja3_server[0])) {
		d->tls = malloc(sizeof(*d->tls));
		if (d->tls) {   /* without memory the record just lacks the TLS fields */
			d->tls->version = nf->protos.tls_quic.ssl_version;
			snprintf(d->tls->ja3c, sizeof(d->tls->ja3c), "%s",
				 nf->protos.tls_quic.ja3_client);
			snprintf(d->tls->ja3s, sizeof(d->tls->ja3s), "%s",
				 nf->protos.tls_quic.ja3_server);
			classify_sha1_hex(nf->protos.tls_quic.sha1_certificate_fingerprint,
					  d->tls->cert_sha1);
		}
	}
}

static void classify_release(struct classify *c, struct flow *f)
{
	if (!f->dpi_state)
		return;
	ndpi_free_flow(f->dpi_state);
	f->dpi_state = NULL;
	c->stats.state_bytes -= SIZEOF_FLOW_STRUCT;
}

/* Unknown so far: let nDPI guess (by port, IP, partial evidence).  Once an
 * application is known, giveup returns it unchanged. */
static ndpi_protocol classify_give_up(struct classify *c, struct flow *f)
{
	u_int8_t guessed = 0;

	c->stats.flows_given_up++;
	return ndpi_detection_giveup(c->ndpi, f->dpi_state, 1, &guessed);
}

static void classify_done(struct classify *c, struct flow *f, ndpi_protocol proto)
{
	classify_collect(f, proto);
	f->dpi.done = 1;
	c->stats.flows_dissected++;
	classify_release(c, f);
}

bool classify_packet(struct classify *c, struct flow *f, const uint8_t *ip, uint32_t ip_len,
		     uint64_t time_us)
{
	ndpi_protocol proto;
	uint64_t pkts = f->pkts[0] + f->pkts[1];
	bool enough;

	if (f->dpi.done)
		return false;
	if (!f->dpi_state) {
		f->dpi_state = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
		if (!f->dpi_state) {
			c->stats.alloc_failed++;
			f->dpi.done = 1;   /* stays Unknown; counted */
			return true;
		}
		memset(f->dpi_state, 0, SIZEOF_FLOW_STRUCT);
		c->stats.state_bytes += SIZEOF_FLOW_STRUCT;
	}
	if (ip_len > 0xffff)
		ip_len = 0xffff;
	enough = (f->key.proto == IPPROTO_UDP && pkts > CLASSIFY_MAX_UDP_PACKETS) ||
		 (f->key.proto == IPPROTO_TCP && pkts > CLASSIFY_MAX_TCP_PACKETS);
	c->stats.packets_dissected++;
	proto = ndpi_detection_process_packet(c->ndpi, f->dpi_state, ip, (unsigned short)ip_len,
					      time_us / 1000);
	/* keep the last answer: it is what a flow that ends now reports */
	f->dpi.master = proto.master_protocol;
	f->dpi.app = proto.app_protocol;
	f->dpi.category = (uint16_t)proto.category;
	if (!enough && proto.app_protocol == NDPI_PROTOCOL_UNKNOWN)
		return false;
	if (!enough && ndpi_extra_dissection_possible(c->ndpi, f->dpi_state))
		return false;
	if (proto.app_protocol == NDPI_PROTOCOL_UNKNOWN)
		proto = classify_give_up(c, f);
	classify_done(c, f, proto);
	return true;
}

void classify_finish(struct classify *c, struct flow *f)
{
	if (f->dpi.done || !f->dpi_state) {
		classify_release(c, f);
		return;
	}
	/* as ndpiReader does for flows still open at the end of a capture */
	classify_done(c, f, classify_give_up(c, f));
}

void classify_app_proto(struct classify *c, const struct flow_dpi *d, char *buf, size_t len)
{
	ndpi_protocol p = { .master_protocol = d->master, .app_protocol = d->app,
			    .category = (ndpi_protocol_category_t)d->category };

	if (len > 0xffff)
		len = 0xffff;
	ndpi_protocol2name(c->ndpi, p, buf, (u_int)len);
}

const char *classify_proto_name(struct classify *c, uint16_t id)
{
	const char *n = ndpi_get_proto_name(c->ndpi, id);
	return n ? n : "Unknown";
}

const char *classify_category_name(struct classify *c, uint16_t category)
{
	const char *n = ndpi_category_get_name(c->ndpi, (ndpi_protocol_category_t)category);
	return n ? n : "Unspecified";
}

const char *classify_breed_name(struct classify *c, const struct flow_dpi *d)
{
	uint16_t id = d->app != NDPI_PROTOCOL_UNKNOWN ? d->app : d->master;
	ndpi_protocol_breed_t b = ndpi_get_proto_breed(c->ndpi, id);
	const char *n = ndpi_get_proto_breed_name(c->ndpi, b);
	return n ? n : "Unrated";
}

const char *classify_confidence_name(uint8_t confidence)
{
	const char *n = ndpi_confidence_get_name((ndpi_confidence_t)confidence);
	return n ? n : "Unknown";
}

const char *classify_risk_name(unsigned bit)
{
	if (bit == 0 || bit >= NDPI_MAX_RISK)
		return NULL;
	return ndpi_risk2str((ndpi_risk_enum)bit);
}

const char *classify_tls_version_name(uint16_t v, char *buf, size_t len)
{
	u_int8_t known = 0;

	if (v == 0)
		return NULL;
	if (len > 0xffff)
		len = 0xffff;
	return ndpi_ssl_version2str(buf, (int)len, v, &known);
}

const struct classify_stats *classify_stats_get(const struct classify *c)
{
	return &c->stats;
}

/* Names in rules compare without case, and ' ', '_', '-', '/' are alike:
 * "potentially_dangerous" names the breed "Potentially Dangerous". */
static bool classify_name_eq(const char *a, const char *b)
{
	for (;; a++, b++) {
		int x = (unsigned char)*a, y = (unsigned char)*b;

		if (x == ' ' || x == '-' || x == '/')
			x = '_';
		if (y == ' ' || y == '-' || y == '/')
			y = '_';
		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return false;
		if (!x)
			return true;
	}
}

int classify_proto_by_name(struct classify *c, const char *name)
{
	u_int n = ndpi_get_num_supported_protocols(c->ndpi);

	for (u_int id = 0; id < n && id < 0xffff; id++) {
		const char *p = ndpi_get_proto_name(c->ndpi, (u_int16_t)id);
		if (p && classify_name_eq(p, name))
			return (int)id;
	}
	return -1;
}

int classify_category_by_name(struct classify *c, const char *name)
{
	for (int id = 0; id < NDPI_PROTOCOL_NUM_CATEGORIES; id++) {
		const char *p = ndpi_category_get_name(c->ndpi, (ndpi_protocol_category_t)id);
		if (p && classify_name_eq(p, name))
			return id;
	}
	return -1;
}

int classify_breed(struct classify *c, const struct flow_dpi *d)
{
	uint16_t id = d->app != NDPI_PROTOCOL_UNKNOWN ? d->app : d->master;

	return (int)ndpi_get_proto_breed(c->ndpi, id);
}

int classify_breed_by_name(struct classify *c, const char *name)
{
	for (int b = NDPI_PROTOCOL_SAFE; b <= NDPI_PROTOCOL_UNRATED; b++) {
		const char *p = ndpi_get_proto_breed_name(c->ndpi, (ndpi_protocol_breed_t)b);
		if (p && classify_name_eq(p, name))
			return b;
	}
	return -1;
}

int classify_confidence_by_name(const char *name)
{
	for (int i = 0; i < NDPI_CONFIDENCE_MAX; i++) {
		const char *p = ndpi_confidence_get_name((ndpi_confidence_t)i);
		if (p && classify_name_eq(p, name))
			return i;
	}
	return -1;
}

/* Stable names for rules: nDPI's enum names without the NDPI_ prefix.  Its
 * display strings (ndpi_risk2str) change between releases. */
static const char *const classify_risk_keys[NDPI_MAX_RISK] = {
	[NDPI_URL_POSSIBLE_XSS] = "url_possible_xss",
	[NDPI_URL_POSSIBLE_SQL_INJECTION] = "url_possible_sql_injection",
	[NDPI_URL_POSSIBLE_RCE_INJECTION] = "url_possible_rce_injection",
	[NDPI_BINARY_APPLICATION_TRANSFER] = "binary_application_transfer",
	[NDPI_KNOWN_PROTOCOL_ON_NON_STANDARD_PORT] = "known_protocol_on_non_standard_port",
	[NDPI_TLS_SELFSIGNED_CERTIFICATE] = "tls_selfsigned_certificate",
	[NDPI_TLS_OBSOLETE_VERSION] = "tls_obsolete_version",
	[NDPI_TLS_WEAK_CIPHER] = "tls_weak_cipher",
	[NDPI_TLS_CERTIFICATE_EXPIRED] = "tls_certificate_expired",
	[NDPI_TLS_CERTIFICATE_MISMATCH] = "tls_certificate_mismatch",
	[NDPI_HTTP_SUSPICIOUS_USER_AGENT] = "http_suspicious_user_agent",
	[NDPI_HTTP_NUMERIC_IP_HOST] = "http_numeric_ip_host",
	[NDPI_HTTP_SUSPICIOUS_URL] = "http_suspicious_url",
	[NDPI_HTTP_SUSPICIOUS_HEADER] = "http_suspicious_header",
	[NDPI_TLS_NOT_CARRYING_HTTPS] = "tls_not_carrying_https",
	[NDPI_SUSPICIOUS_DGA_DOMAIN] = "suspicious_dga_domain",
	[NDPI_MALFORMED_PACKET] = "malformed_packet",
	[NDPI_SSH_OBSOLETE_CLIENT_VERSION_OR_CIPHER] = "ssh_obsolete_client_version_or_cipher",
	[NDPI_SSH_OBSOLETE_SERVER_VERSION_OR_CIPHER] = "ssh_obsolete_server_version_or_cipher",
	[NDPI_SMB_INSECURE_VERSION] = "smb_insecure_version",
	[NDPI_TLS_SUSPICIOUS_ESNI_USAGE] = "tls_suspicious_esni_usage",
	[NDPI_UNSAFE_PROTOCOL] = "unsafe_protocol",
	[NDPI_DNS_SUSPICIOUS_TRAFFIC] = "dns_suspicious_traffic",
	[NDPI_TLS_MISSING_SNI] = "tls_missing_sni",
	[NDPI_HTTP_SUSPICIOUS_CONTENT] = "http_suspicious_content",
	[NDPI_RISKY_ASN] = "risky_asn",
	[NDPI_RISKY_DOMAIN] = "risky_domain",
	[NDPI_MALICIOUS_JA3] = "malicious_ja3",
	[NDPI_MALICIOUS_SHA1_CERTIFICATE] = "malicious_sha1_certificate",
	[NDPI_DESKTOP_OR_FILE_SHARING_SESSION] = "desktop_or_file_sharing_session",
	[NDPI_TLS_UNCOMMON_ALPN] = "tls_uncommon_alpn",
	[NDPI_TLS_CERT_VALIDITY_TOO_LONG] = "tls_cert_validity_too_long",
	[NDPI_TLS_SUSPICIOUS_EXTENSION] = "tls_suspicious_extension",
	[NDPI_TLS_FATAL_ALERT] = "tls_fatal_alert",
	[NDPI_SUSPICIOUS_ENTROPY] = "suspicious_entropy",
	[NDPI_CLEAR_TEXT_CREDENTIALS] = "clear_text_credentials",
	[NDPI_DNS_LARGE_PACKET] = "dns_large_packet",
	[NDPI_DNS_FRAGMENTED] = "dns_fragmented",
	[NDPI_INVALID_CHARACTERS] = "invalid_characters",
	[NDPI_POSSIBLE_EXPLOIT] = "possible_exploit",
	[NDPI_TLS_CERTIFICATE_ABOUT_TO_EXPIRE] = "tls_certificate_about_to_expire",
};

const char *classify_risk_key(unsigned bit)
{
	if (bit == 0 || bit >= NDPI_MAX_RISK)
		return NULL;
	return classify_risk_keys[bit];
}

int classify_risk_by_name(const char *name)
{
	for (unsigned bit = 1; bit < NDPI_MAX_RISK; bit++) {
		const char *disp = ndpi_risk2str((ndpi_risk_enum)bit);

		if ((classify_risk_keys[bit] && classify_name_eq(classify_risk_keys[bit], name)) ||
		    (disp && classify_name_eq(disp, name)))
			return (int)bit;
	}
	return -1;
}
