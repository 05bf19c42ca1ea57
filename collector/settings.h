/*
 * settings — zw-collector's settings: defaults, then the config file
 * (collector/zw-collector.conf.example documents every key), then the
 * command line (each command's options call settings_set with the same key
 * names).  Main thread, at start-up; strings owned by the struct.
 */
#ifndef ZW_SETTINGS_H
#define ZW_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

#define SETTINGS_DEFAULT_PATH "/etc/zonewatch/zw-collector.conf"

struct settings {
	char *store;                  /* store: "sqlite:PATH" or a path */
	char *redis_url;              /* redis.url */
	char *prefix;                 /* redis.prefix ("zw"), as the sensors' */
	char *group;                  /* redis.group: the consumer group */
	char *consumer;               /* redis.consumer: unique per process;
				       * "" = <hostname>-<pid> */
	uint64_t connect_timeout_ms;  /* redis.connect_timeout_ms */
	uint64_t command_timeout_ms;  /* redis.command_timeout_ms (over block_ms) */
	uint64_t batch;               /* collector.batch: entries per read/transaction */
	uint64_t block_ms;            /* collector.block_ms: XREADGROUP BLOCK */
	uint64_t claim_idle_s;        /* collector.claim_idle: reclaim entries pending longer */
	uint64_t claim_interval_s;    /* collector.claim_interval */
	int trim;                     /* collector.trim: trim what every group has read */
	uint64_t trim_interval_s;     /* collector.trim_interval */
	uint64_t sensor_poll_s;       /* collector.sensor_poll: copy sensors' heartbeats */
	uint64_t purge_interval_s;    /* store.purge_interval: retention runs */
	uint64_t retention_days;      /* store.retention_days; 0 = keep all */
	uint64_t stale_s;             /* sensors.stale: heartbeat older = stale */
	int utc;                      /* display.utc: times in UTC, not JST */
	char *lang;                   /* display.lang: "ja" or "en" */
	char *log_level;              /* log.level */
	char *config_path;            /* the file read, or NULL */
};

/* Defaults, then path's keys (NULL: SETTINGS_DEFAULT_PATH if it exists).
 * -1 with "file:line: reason" in err. */
int settings_load(struct settings *st, const char *path, char *err, size_t errlen);
/* One key = value, as in the file; -1 with a reason naming the key. */
int settings_set(struct settings *st, const char *key, const char *value, char *err, size_t errlen);
void settings_fini(struct settings *st);
/* log.level as a level. */
enum log_level settings_log_level(const struct settings *st);

#endif
