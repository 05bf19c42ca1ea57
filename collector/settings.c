/* settings — see settings.h.  One table maps each key to its field. */
#include "settings.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "store.h"

#define SK(k, t, field, lo, hi) { k, CONF_##t, offsetof(struct settings, field), lo, hi }

static const struct conf_key settings_keys[] = {
	SK("store", STRING, store, 0, 0),
	SK("store.retention_days", U64, retention_days, 0, 36500),
	SK("store.purge_interval", DURATION, purge_interval_s, 1, 86400),
	SK("redis.url", STRING, redis_url, 0, 0),
	SK("redis.prefix", STRING, prefix, 0, 0),
	SK("redis.group", STRING, group, 0, 0),
	SK("redis.consumer", STRING, consumer, 0, 0),
	SK("redis.connect_timeout_ms", U64, connect_timeout_ms, 10, 600000),
	SK("redis.command_timeout_ms", U64, command_timeout_ms, 10, 600000),
	SK("collector.batch", U64, batch, 1, STORE_BATCH_MAX),
	SK("collector.block_ms", U64, block_ms, 1, 60000),
	SK("collector.claim_idle", DURATION, claim_idle_s, 1, 86400),
	SK("collector.claim_interval", DURATION, claim_interval_s, 1, 3600),
	SK("collector.trim", BOOL, trim, 0, 0),
	SK("collector.trim_interval", DURATION, trim_interval_s, 1, 86400),
	SK("collector.sensor_poll", DURATION, sensor_poll_s, 1, 3600),
	SK("sensors.stale", DURATION, stale_s, 1, 7 * 86400),
	SK("display.utc", BOOL, utc, 0, 0),
	SK("display.lang", STRING, lang, 0, 0),
	SK("log.level", STRING, log_level, 0, 0),
};

#define SETTINGS_NKEYS (sizeof(settings_keys) / sizeof(settings_keys[0]))

static int settings_defaults(struct settings *st)
{
	memset(st, 0, sizeof(*st));
	st->store = strdup("sqlite:/var/lib/zonewatch/collector.db");
	st->redis_url = strdup("redis://127.0.0.1:6379");
	st->prefix = strdup("zw");
	st->group = strdup("zw-collectors");
	st->consumer = strdup("");
	st->lang = strdup("ja");
	st->log_level = strdup("info");
	st->connect_timeout_ms = 2000;
	st->command_timeout_ms = 5000;
	st->batch = 5000;
	st->block_ms = 1000;
	st->claim_idle_s = 60;
	st->claim_interval_s = 10;
	st->trim = 1;
	st->trim_interval_s = 10;
	st->sensor_poll_s = 10;
	st->purge_interval_s = 3600;
	st->retention_days = 180;
	st->stale_s = 60;
	if (!st->store || !st->redis_url || !st->prefix || !st->group || !st->consumer ||
	    !st->lang || !st->log_level)
		return -1;
	return 0;
}

/* Names and values the parser cannot check alone. */
static int settings_check(const char *key, const char *value, char *err, size_t errlen)
{
	if (!strcmp(key, "display.lang") && strcmp(value, "ja") && strcmp(value, "en")) {
		snprintf(err, errlen, "display.lang: '%s' is neither ja nor en", value);
		return -1;
	}
	if (!strcmp(key, "log.level") && strcmp(value, "error") && strcmp(value, "warn") &&
	    strcmp(value, "info") && strcmp(value, "debug")) {
		snprintf(err, errlen, "log.level: '%s' is not error, warn, info or debug", value);
		return -1;
	}
	if ((!strcmp(key, "redis.prefix") || !strcmp(key, "redis.group")) &&
	    (!*value || strlen(value) > 128)) {
		snprintf(err, errlen, "%s: empty or longer than 128 bytes", key);
		return -1;
	}
	if (!strcmp(key, "redis.consumer") && strlen(value) > 128) {
		snprintf(err, errlen, "redis.consumer: longer than 128 bytes");
		return -1;
	}
	if (!strcmp(key, "store") && !*value) {
		snprintf(err, errlen, "store: empty");
		return -1;
	}
	return 0;
}

int settings_set(struct settings *st, const char *key, const char *value, char *err, size_t errlen)
{
	int rc;

	if (settings_check(key, value, err, errlen) < 0)
		return -1;
	rc = conf_table_set(settings_keys, SETTINGS_NKEYS, st, key, value, err, errlen);
	if (rc == 1) {
		snprintf(err, errlen, "unknown key '%s'", key);
		return -1;
	}
	return rc;
}

static int settings_handler(void *ctx, const char *key, const char *value, char *err, size_t errlen)
{
	return settings_set(ctx, key, value, err, errlen);
}

int settings_load(struct settings *st, const char *path, char *err, size_t errlen)
{
	if (settings_defaults(st) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!path) {
		if (access(SETTINGS_DEFAULT_PATH, F_OK) < 0)
			return 0;
		path = SETTINGS_DEFAULT_PATH;
	}
	st->config_path = strdup(path);
	if (!st->config_path) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return conf_parse_file(path, settings_handler, st, err, errlen);
}

void settings_fini(struct settings *st)
{
	conf_table_fini(settings_keys, SETTINGS_NKEYS, st);
	free(st->config_path);
	st->config_path = NULL;
}

enum log_level settings_log_level(const struct settings *st)
{
	if (!strcmp(st->log_level, "error"))
		return LOG_LEVEL_ERROR;
	if (!strcmp(st->log_level, "warn"))
		return LOG_LEVEL_WARN;
	if (!strcmp(st->log_level, "debug"))
		return LOG_LEVEL_DEBUG;
	return LOG_LEVEL_INFO;
}
