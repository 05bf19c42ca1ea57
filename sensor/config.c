/* config — see config.h.  One table maps each key to its field and parser. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define CK(k, t, field, lo, hi) { k, CONF_##t, offsetof(struct config, field), lo, hi }

static const struct conf_key config_keys[] = {
	CK("sensor.id", STRING, sensor_id, 0, 0),
	CK("capture.fanout", U64, fanout, 1, 8),
	CK("capture.snaplen", U64, snaplen, 64, 262144),
	CK("capture.buffer_size", SIZE, buffer_size, 1u << 20, 1u << 31),
	CK("capture.promiscuous", BOOL, promisc, 0, 0),
	CK("capture.filter", STRING, filter, 0, 0),
	CK("workers.count", U64, workers, 1, CONFIG_MAX_WORKERS),
	CK("workers.queue_size", SIZE, queue_size, 1u << 20, 1u << 30),
	CK("flow.max_flows", U64, max_flows, 1, 100000000),
	CK("flow.timeout.tcp", DURATION, timeout_s[FLOW_TCLASS_TCP], 1, 86400),
	CK("flow.timeout.tcp_closed", DURATION, timeout_s[FLOW_TCLASS_TCP_CLOSED], 1, 86400),
	CK("flow.timeout.udp", DURATION, timeout_s[FLOW_TCLASS_UDP], 1, 86400),
	CK("flow.timeout.icmp", DURATION, timeout_s[FLOW_TCLASS_ICMP], 1, 86400),
	CK("flow.timeout.other", DURATION, timeout_s[FLOW_TCLASS_OTHER], 1, 86400),
	CK("flow.active_timeout", DURATION, active_timeout_s, 0, 86400),
	CK("output.flows", STRING, flows_path, 0, 0),
	CK("output.stats", STRING, stats_path, 0, 0),
	CK("output.stats_interval", DURATION, stats_interval_s, 0, 86400),
	CK("privileges.user", STRING, user, 0, 0),
	CK("rules.dir", STRING, rules_dir, 0, 0),
	CK("output.alerts", STRING, alerts_path, 0, 0),
	CK("geoip.country_db", STRING, geo_country, 0, 0),
	CK("geoip.asn_db", STRING, geo_asn, 0, 0),
	CK("ndpi.protocols_file", STRING, protos_file, 0, 0),
	CK("ndpi.categories_file", STRING, categories_file, 0, 0),
	CK("ndpi.risky_domains_file", STRING, risky_domains_file, 0, 0),
	CK("ndpi.malicious_ja3_file", STRING, malicious_ja3_file, 0, 0),
	CK("ndpi.malicious_sha1_file", STRING, malicious_sha1_file, 0, 0),
	CK("site.sanitizing_gateways", STRING, gateways, 0, 0),
	CK("site.proxies", STRING, proxies, 0, 0),
	CK("site.dns_resolvers", STRING, resolvers, 0, 0),
	CK("output.redis", STRING, redis_url, 0, 0),
	CK("redis.prefix", STRING, redis_prefix, 0, 0),
	CK("redis.maxlen", U64, redis_maxlen, 0, 1000000000),
	CK("redis.batch", U64, redis_batch, 1, 4096),
	CK("redis.connect_timeout_ms", U64, redis_connect_timeout_ms, 10, 600000),
	CK("redis.command_timeout_ms", U64, redis_command_timeout_ms, 10, 600000),
	CK("redis.keepalive", DURATION, redis_keepalive_s, 0, 3600),
	CK("redis.heartbeat_interval", DURATION, redis_heartbeat_s, 1, 3600),
	CK("redis.heartbeat_ttl", DURATION, redis_heartbeat_ttl_s, 2, 86400),
	CK("redis.queue_size", SIZE, redis_queue_bytes, 1u << 20, 1u << 31),
	CK("redis.flows", BOOL, redis_flows, 0, 0),
	CK("redis.flows_queue_size", SIZE, redis_flows_queue_bytes, 1u << 20, 1u << 31),
	CK("spool.dir", STRING, spool_dir, 0, 0),
	CK("spool.max_size", SIZE, spool_max_bytes, 1u << 16, UINT64_C(1) << 40),
	CK("spool.segment_size", SIZE, spool_segment_bytes, 1u << 12, 1u << 30),
	CK("spool.fsync", STRING, spool_fsync, 0, 0),
	CK("health.drop_rate", PERCENT, health_drop_ppm, 0, 1000000),
	CK("health.drop_min", U64, health_drop_min, 0, UINT64_C(1) << 40),
	CK("health.drop_window", DURATION, health_drop_window_s, 1, 3600),
	CK("health.capture_idle", DURATION, health_capture_idle_s, 0, 86400),
	CK("health.spool_threshold", PERCENT, health_spool_ppm, 0, 1000000),
	CK("health.redis_down", DURATION, health_redis_down_s, 0, 86400),
	CK("detect.enabled", BOOL, detect.enabled, 0, 0),
	CK("detect.memory", SIZE, detect.memory, 1u << 20, UINT64_C(1) << 36),
	CK("detect.realert", DURATION, detect.realert_s, 1, 7u * 86400u),
	CK("detect.scan.enabled", BOOL, detect.scan_on, 0, 0),
	CK("detect.scan.window", DURATION, detect.scan_window_s, 1, 86400),
	CK("detect.scan.ports", U64, detect.scan_ports, 2, 100000),
	CK("detect.scan.hosts", U64, detect.scan_hosts, 2, 100000),
	CK("detect.scan.protocols", U64, detect.scan_protocols, 2, 256),
	CK("detect.scan.attempt_timeout", DURATION, detect.scan_timeout_s, 1, 600),
	CK("detect.flood.enabled", BOOL, detect.flood_on, 0, 0),
	CK("detect.flood.window", DURATION, detect.flood_window_s, 1, 3600),
	CK("detect.flood.syn_rate", U64, detect.flood_syn_rate, 1, 100000000),
	CK("detect.flood.udp_rate", U64, detect.flood_udp_rate, 1, 100000000),
	CK("detect.flood.icmp_rate", U64, detect.flood_icmp_rate, 1, 100000000),
	CK("detect.amplification.ratio", U64, detect.amp_ratio, 1, 100000),
	CK("detect.amplification.bytes", SIZE, detect.amp_bytes, 1, UINT64_C(1) << 40),
	CK("detect.amplification.legacy_bytes", SIZE, detect.amp_legacy_bytes, 1, UINT64_C(1) << 40),
	CK("detect.amplification.window", DURATION, detect.amp_window_s, 1, 86400),
	CK("detect.beacon.enabled", BOOL, detect.beacon_on, 0, 0),
	CK("detect.beacon.connections", U64, detect.beacon_connections, 4, 32),
	CK("detect.beacon.min_period", DURATION, detect.beacon_min_period_s, 1, 86400),
	CK("detect.beacon.max_period", DURATION, detect.beacon_max_period_s, 1, 7u * 86400u),
	CK("detect.beacon.max_jitter", PERCENT, detect.beacon_jitter_ppm, 0, 1000000),
	CK("detect.dns.enabled", BOOL, detect.dns_on, 0, 0),
	CK("detect.dns.window", DURATION, detect.dns_window_s, 1, 86400),
	CK("detect.dns.suspicious_queries", U64, detect.dns_long_queries, 1, 1000000),
	CK("detect.dns.label_length", U64, detect.dns_label_len, 8, 63),
	CK("detect.dns.entropy", DECIMAL, detect.dns_entropy_ppm, 0, 8000000),
	CK("detect.dns.unique_subdomains", U64, detect.dns_subdomains, 2, 1000000),
	CK("detect.dns.bytes", SIZE, detect.dns_bytes, 1, UINT64_C(1) << 40),
	CK("detect.dns.txt_answers", U64, detect.dns_txt_answers, 1, 1000000),
	CK("detect.transfer.enabled", BOOL, detect.xfer_on, 0, 0),
	CK("detect.transfer.window", DURATION, detect.xfer_window_s, 1, 7u * 86400u),
	CK("detect.transfer.pair_bytes", SIZE, detect.xfer_pair_bytes, 1, UINT64_C(1) << 50),
	CK("detect.transfer.host_bytes", SIZE, detect.xfer_host_bytes, 1, UINT64_C(1) << 50),
	CK("detect.brute_force.enabled", BOOL, detect.brute_on, 0, 0),
	CK("detect.brute_force.window", DURATION, detect.brute_window_s, 1, 86400),
	CK("detect.brute_force.connections", U64, detect.brute_connections, 2, 1000000),
	CK("detect.first_seen.enabled", BOOL, detect.first_on, 0, 0),
	CK("detect.first_seen.learning", DURATION, detect.first_learning_s, 0, 365u * 86400u),
};

static void config_pairs_free(struct config_pair *p)
{
	while (p) {
		struct config_pair *next = p->next;
		free(p->name);
		free(p->attr);
		free(p->value);
		free(p);
		p = next;
	}
}

/* Append (name, attr, value) to a list, keeping file order; a repeated
 * name+attr replaces the value (the later line wins, as for other keys). */
static int config_pair_set(struct config_pair **head, const char *name, size_t name_len,
			   const char *attr, const char *value, char *err, size_t errlen)
{
	struct config_pair **pp, *p;
	char *v;

	for (pp = head; *pp; pp = &(*pp)->next) {
		p = *pp;
		if (strlen(p->name) == name_len && !strncmp(p->name, name, name_len) &&
		    ((!attr && !p->attr) || (attr && p->attr && !strcmp(attr, p->attr)))) {
			v = strdup(value);
			if (!v)
				goto oom;
			free(p->value);
			p->value = v;
			return 0;
		}
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		goto oom;
	p->name = strndup(name, name_len);
	p->attr = attr ? strdup(attr) : NULL;
	p->value = strdup(value);
	if (!p->name || (attr && !p->attr) || !p->value) {
		config_pairs_free(p);
		goto oom;
	}
	*pp = p;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static void config_clear_interfaces(struct config *cfg)
{
	for (unsigned i = 0; i < cfg->ninterfaces; i++)
		free(cfg->interfaces[i]);
	cfg->ninterfaces = 0;
}

/* One interface name of len bytes at name, added to the list. */
static int config_push_interface(struct config *cfg, const char *name, size_t len, char *err,
				 size_t errlen)
{
	if (len == 0 || len > 15) {
		snprintf(err, errlen, "interface name '%.*s' is %s (1 to 15 bytes)", (int)len, name,
			 len ? "too long" : "empty");
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch <= ' ' || ch == '/' || ch == ',' || ch == 0x7f) {
			snprintf(err, errlen, "interface name '%.*s': character %zu is not allowed",
				 (int)len, name, i + 1);
			return -1;
		}
	}
	for (unsigned i = 0; i < cfg->ninterfaces; i++)
		if (strlen(cfg->interfaces[i]) == len && !memcmp(cfg->interfaces[i], name, len)) {
			snprintf(err, errlen, "interface '%.*s' is given twice", (int)len, name);
			return -1;
		}
	if (cfg->ninterfaces >= CONFIG_MAX_IFACES) {
		snprintf(err, errlen, "too many interfaces (at most %d)", CONFIG_MAX_IFACES);
		return -1;
	}
	if (!(cfg->interfaces[cfg->ninterfaces] = strndup(name, len))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cfg->ninterfaces++;
	return 0;
}

/* capture.interface: names separated by commas or blanks; replaces the list. */
static int config_set_interfaces(struct config *cfg, const char *value, char *err, size_t errlen)
{
	const char *p = value;

	config_clear_interfaces(cfg);
	for (;;) {
		size_t len;

		p += strspn(p, ", \t");
		if (!*p)
			return 0;
		len = strcspn(p, ", \t");
		if (config_push_interface(cfg, p, len, err, errlen) < 0)
			return -1;
		p += len;
	}
}

int config_add_interface(struct config *cfg, const char *name, char *err, size_t errlen)
{
	if (!cfg->interfaces_cli) {
		config_clear_interfaces(cfg);
		cfg->interfaces_cli = 1;
	}
	return config_push_interface(cfg, name, strlen(name), err, errlen);
}

/* capture.interface, zone.<key>.name, zone.<key>.networks, lists.<name>,
 * the CPU lists: 0, -1 (error in err), or 1 (not one of these keys) */
static int config_set_pair(struct config *cfg, const char *key, const char *value,
			   char *err, size_t errlen)
{
	if (!strcmp(key, "capture.interface")) {
		char why[200];

		if (config_set_interfaces(cfg, value, why, sizeof(why)) == 0)
			return 0;
		snprintf(err, errlen, "%s: %s", key, why);
		return -1;
	}
	if (!strncmp(key, "zone.", 5)) {
		const char *name = key + 5, *dot = strrchr(name, '.');

		if (!dot || dot == name || (strcmp(dot, ".name") && strcmp(dot, ".networks"))) {
			snprintf(err, errlen, "unknown key '%s' (zones are zone.<key>.name and "
				 "zone.<key>.networks)", key);
			return -1;
		}
		return config_pair_set(&cfg->zones, name, (size_t)(dot - name), dot + 1, value,
				       err, errlen);
	}
	if (!strncmp(key, "lists.", 6) && key[6])
		return config_pair_set(&cfg->lists, key + 6, strlen(key + 6), NULL, value, err, errlen);
	if (!strcmp(key, "capture.cpus") || !strcmp(key, "workers.cpus")) {
		char why[200];

		if (cpu_list_parse(value, key[0] == 'c' ? &cfg->capture_cpus : &cfg->worker_cpus, why,
				   sizeof(why)) == 0)
			return 0;
		snprintf(err, errlen, "%s: %s", key, why);
		return -1;
	}
	return 1;
}

void config_init(struct config *cfg)
{
	char host[256];

	memset(cfg, 0, sizeof(*cfg));
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "sensor");
	host[sizeof(host) - 1] = '\0';
	cfg->sensor_id = strdup(host);
	cfg->fanout = 1;
	cfg->snaplen = 65535;
	cfg->buffer_size = 128u << 20;
	cfg->promisc = 1;
	cfg->workers = 1;
	cfg->queue_size = 4u << 20;
	cfg->max_flows = 1000000;
	cfg->timeout_s[FLOW_TCLASS_TCP] = 300;
	cfg->timeout_s[FLOW_TCLASS_TCP_CLOSED] = 10;
	cfg->timeout_s[FLOW_TCLASS_UDP] = 60;
	cfg->timeout_s[FLOW_TCLASS_ICMP] = 30;
	cfg->timeout_s[FLOW_TCLASS_OTHER] = 60;
	cfg->active_timeout_s = 1800;
	cfg->redis_prefix = strdup("zw");
	cfg->redis_maxlen = 1000000;
	cfg->redis_batch = 256;
	cfg->redis_connect_timeout_ms = 2000;
	cfg->redis_command_timeout_ms = 2000;
	cfg->redis_keepalive_s = 30;
	cfg->redis_heartbeat_s = 5;
	cfg->redis_heartbeat_ttl_s = 30;
	cfg->redis_queue_bytes = 64u << 20;
	cfg->redis_flows_queue_bytes = 16u << 20;
	cfg->spool_dir = strdup("/var/lib/zonewatch/spool");
	cfg->spool_max_bytes = 1u << 30;
	cfg->spool_segment_bytes = 16u << 20;
	cfg->spool_fsync = strdup("segment");
	cfg->health_drop_ppm = 10000;         /* 1% */
	cfg->health_drop_min = 100;
	cfg->health_drop_window_s = 10;
	cfg->health_capture_idle_s = 60;
	cfg->health_spool_ppm = 500000;       /* 50% */
	cfg->health_redis_down_s = 30;
	detect_config_defaults(&cfg->detect);
}

void config_fini(struct config *cfg)
{
	conf_table_fini(config_keys, sizeof(config_keys) / sizeof(config_keys[0]), cfg);
	for (unsigned i = 0; i < cfg->nfiles; i++)
		free(cfg->files[i]);
	cfg->nfiles = 0;
	config_clear_interfaces(cfg);
	config_pairs_free(cfg->zones);
	config_pairs_free(cfg->lists);
	cfg->zones = cfg->lists = NULL;
	free(cfg->config_path);
	cfg->config_path = NULL;
}

int config_set(struct config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
	int rc = config_set_pair(cfg, key, value, err, errlen);

	if (rc <= 0)
		return rc;
	rc = conf_table_set(config_keys, sizeof(config_keys) / sizeof(config_keys[0]), cfg, key,
			    value, err, errlen);
	if (rc <= 0)
		return rc;
	snprintf(err, errlen, "unknown key '%s'", key);
	return -1;
}

static int config_handler(void *ctx, const char *key, const char *value, char *err, size_t errlen)
{
	return config_set(ctx, key, value, err, errlen);
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	return conf_parse_file(path, config_handler, cfg, err, errlen);
}

void config_ndpi_files(const struct config *cfg, struct classify_files *out)
{
	out->protocols = cfg->protos_file;
	out->categories = cfg->categories_file;
	out->risky_domains = cfg->risky_domains_file;
	out->malicious_ja3 = cfg->malicious_ja3_file;
	out->malicious_sha1 = cfg->malicious_sha1_file;
}

int config_check(const struct config *cfg, char *err, size_t errlen)
{
	if (cfg->nfiles && cfg->ninterfaces) {
		snprintf(err, errlen, "use either -r (replay files) or -i (live capture), not both");
		return -1;
	}
	if (!cfg->nfiles && !cfg->ninterfaces) {
		snprintf(err, errlen, "nothing to read: give -r FILE or -i INTERFACE");
		return -1;
	}
	if (cfg->ninterfaces * cfg->fanout > CONFIG_MAX_CAPTURE) {
		snprintf(err, errlen, "%u interfaces x capture.fanout %llu = %llu capture threads "
			 "(at most %d)", cfg->ninterfaces, (unsigned long long)cfg->fanout,
			 (unsigned long long)(cfg->ninterfaces * cfg->fanout), CONFIG_MAX_CAPTURE);
		return -1;
	}
	if (cfg->max_flows < cfg->workers) {
		snprintf(err, errlen, "flow.max_flows (%llu) must be at least workers.count (%llu)",
			 (unsigned long long)cfg->max_flows, (unsigned long long)cfg->workers);
		return -1;
	}
	if (cfg->spool_fsync && strcmp(cfg->spool_fsync, "none") && strcmp(cfg->spool_fsync, "segment") &&
	    strcmp(cfg->spool_fsync, "always")) {
		snprintf(err, errlen, "spool.fsync: '%s' is not none, segment or always", cfg->spool_fsync);
		return -1;
	}
	if (cfg->redis_heartbeat_ttl_s <= cfg->redis_heartbeat_s) {
		snprintf(err, errlen, "redis.heartbeat_ttl (%llu s) must be longer than "
			 "redis.heartbeat_interval (%llu s)", (unsigned long long)cfg->redis_heartbeat_ttl_s,
			 (unsigned long long)cfg->redis_heartbeat_s);
		return -1;
	}
	if (!cfg->sensor_id || !cfg->sensor_id[0]) {
		snprintf(err, errlen, "sensor.id must not be empty");
		return -1;
	}
	return 0;
}
