/*
 * config — zw-sensor's settings: defaults, the config file (-c) and the
 * command line, in that order of precedence (the command line wins).
 * Every key is documented in sensor/zw-sensor.conf.example.
 *
 * Main thread only, at start-up.  Strings are owned by the struct and freed
 * by config_fini.
 */
#ifndef ZW_CONFIG_H
#define ZW_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "affinity.h"
#include "classify.h"
#include "detect.h"
#include "flow_table.h"

#define CONFIG_MAX_FILES   4096
#define CONFIG_MAX_WORKERS 64
#define CONFIG_MAX_IFACES  8     /* interfaces captured at once */
#define CONFIG_MAX_CAPTURE 16    /* capture threads: interfaces x capture.fanout */

struct config {
	char *sensor_id;

	/* input */
	char *files[CONFIG_MAX_FILES];   /* -r, in order */
	unsigned nfiles;
	char *interfaces[CONFIG_MAX_IFACES];   /* -i (repeatable), capture.interface */
	unsigned ninterfaces;
	int interfaces_cli;              /* the command line has replaced the file's list */
	uint64_t fanout;                 /* capture threads per interface (PACKET_FANOUT) */
	uint64_t snaplen, buffer_size;
	int promisc;
	char *filter;                    /* BPF, -f */

	/* CPU affinity (capture.cpus, workers.cpus); n == 0: not pinned */
	struct cpu_list capture_cpus, worker_cpus;

	/* processing */
	uint64_t workers;
	uint64_t queue_size;             /* bytes per worker ring */
	uint64_t max_flows;              /* whole sensor; split evenly across workers */
	uint64_t timeout_s[FLOW_TCLASS_COUNT];
	uint64_t active_timeout_s;

	/* output */
	char *flows_path;
	char *stats_path;
	uint64_t stats_interval_s;       /* 0: only at exit */
	int quiet;

	char *user;                      /* -u: drop root to this user */

	/* policy (reloaded on SIGHUP) */
	char *rules_dir;                 /* rules.dir: *.rules and lists/ */
	char *alerts_path;               /* output.alerts, --alerts */
	char *geo_country, *geo_asn;     /* geoip.country_db, geoip.asn_db */
	char *protos_file, *categories_file;   /* ndpi.protocols_file, ndpi.categories_file */
	char *risky_domains_file, *malicious_ja3_file, *malicious_sha1_file;   /* ndpi.* */
	char *gateways, *proxies, *resolvers;  /* site.sanitizing_gateways, site.proxies, site.dns_resolvers */
	struct config_pair *zones;       /* zone.<key>.name / zone.<key>.networks, in file order */
	struct config_pair *lists;       /* lists.<name> = path */
	char *config_path;               /* -c, for reloads */

	/* Redis output (output.c) */
	char *redis_url;                 /* output.redis, --redis */
	char *redis_prefix;
	uint64_t redis_maxlen, redis_batch;
	uint64_t redis_connect_timeout_ms, redis_command_timeout_ms, redis_keepalive_s;
	uint64_t redis_heartbeat_s, redis_heartbeat_ttl_s, redis_queue_bytes;
	int redis_flows;                 /* flow records to <prefix>:flows too */
	uint64_t redis_flows_queue_bytes;
	char *spool_dir;
	uint64_t spool_max_bytes, spool_segment_bytes;
	char *spool_fsync;               /* none | segment | always */

	/* health alerts (health.c); percentages in millionths, 0 = off */
	uint64_t health_drop_ppm, health_drop_min, health_drop_window_s;
	uint64_t health_capture_idle_s, health_spool_ppm, health_redis_down_s;

	/* behavioural detectors (detect.c) */
	struct detect_config detect;
};

/* A key with a name chosen by the user (zone.core.networks, lists.tor). */
struct config_pair {
	struct config_pair *next;
	char *name;                      /* "core" / "tor" */
	char *attr;                      /* "name" / "networks"; NULL for lists */
	char *value;
};

void config_init(struct config *cfg);
void config_fini(struct config *cfg);

/* Load a config file; keys override what is set.  0 or -1 with
 * "file:line: reason" in err. */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);

/* Set one key (config file syntax), e.g. from the command line. */
int config_set(struct config *cfg, const char *key, const char *value, char *err, size_t errlen);

/* -i NAME: the first one replaces the config file's capture.interface, the
 * others add to it.  0, or -1 with a reason in err. */
int config_add_interface(struct config *cfg, const char *name, char *err, size_t errlen);

/* The nDPI files of cfg (pointers into cfg). */
void config_ndpi_files(const struct config *cfg, struct classify_files *out);

/* Cross-checks after everything is loaded. */
int config_check(const struct config *cfg, char *err, size_t errlen);

#endif
