/* Unit tests: collector/settings.h — defaults, the shipped example config
 * (every key it documents parses, and equals the default), errors naming
 * file and line, and values checked beyond their type. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "settings.h"

#define EXAMPLE "collector/zw-collector.conf.example"

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

int main(void)
{
	struct settings d, e;
	char err[512], path[] = "/tmp/zw-test-settings.XXXXXX";
	int fd;

	/* defaults: no file (the default path does not exist in tests) */
	CHECK(settings_load(&d, NULL, err, sizeof(err)) == 0, "defaults: %s", err);
	CHECK(!strcmp(d.group, "zw-collectors") && !strcmp(d.prefix, "zw") && d.batch == 5000 &&
	      d.retention_days == 180 && d.trim == 1 && !strcmp(d.lang, "ja") && d.stale_s == 60,
	      "default values");

	/* the example says the defaults, key by key */
	CHECK(settings_load(&e, EXAMPLE, err, sizeof(err)) == 0, "example: %s", err);
	CHECK(!strcmp(e.store, d.store) && !strcmp(e.redis_url, d.redis_url) &&
	      !strcmp(e.prefix, d.prefix) && !strcmp(e.group, d.group) && !strcmp(e.consumer, d.consumer) &&
	      !strcmp(e.lang, d.lang) && !strcmp(e.log_level, d.log_level), "example strings = defaults");
	CHECK(e.connect_timeout_ms == d.connect_timeout_ms && e.command_timeout_ms == d.command_timeout_ms &&
	      e.batch == d.batch && e.block_ms == d.block_ms && e.claim_idle_s == d.claim_idle_s &&
	      e.claim_interval_s == d.claim_interval_s && e.trim == d.trim &&
	      e.trim_interval_s == d.trim_interval_s && e.sensor_poll_s == d.sensor_poll_s &&
	      e.purge_interval_s == d.purge_interval_s && e.retention_days == d.retention_days &&
	      e.stale_s == d.stale_s && e.utc == d.utc, "example numbers = defaults");
	settings_fini(&e);

	fd = mkstemp(path);
	CHECK(fd >= 0, "temp file");
	if (fd >= 0)
		close(fd);
	write_file(path, "store = /x.db\n\nredis.grup = a\n");
	CHECK(settings_load(&e, path, err, sizeof(err)) == -1 && strstr(err, ":3:") &&
	      strstr(err, "unknown key 'redis.grup'"), "unknown key, with its line: %s", err);
	settings_fini(&e);
	write_file(path, "display.lang = fr\n");
	CHECK(settings_load(&e, path, err, sizeof(err)) == -1 && strstr(err, "neither ja nor en"),
	      "bad lang: %s", err);
	settings_fini(&e);
	write_file(path, "collector.batch = 0\n");
	CHECK(settings_load(&e, path, err, sizeof(err)) == -1 && strstr(err, ":1:"), "batch 0: %s", err);
	settings_fini(&e);
	write_file(path, "collector.claim_idle = 5m\nredis.prefix = \"city a\"\n");
	CHECK(settings_load(&e, path, err, sizeof(err)) == 0 && e.claim_idle_s == 300 &&
	      !strcmp(e.prefix, "city a"), "durations and quoted values: %s", err);
	CHECK(settings_set(&e, "redis.group", "", err, sizeof(err)) == -1 && strstr(err, "empty"),
	      "empty group refused: %s", err);
	CHECK(settings_set(&e, "log.level", "loud", err, sizeof(err)) == -1, "bad log level refused");
	CHECK(settings_set(&e, "log.level", "debug", err, sizeof(err)) == 0 &&
	      settings_log_level(&e) == LOG_LEVEL_DEBUG, "log level");
	settings_fini(&e);
	settings_fini(&d);
	unlink(path);
	return check_done();
}
