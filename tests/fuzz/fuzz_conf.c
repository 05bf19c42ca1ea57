/* Fuzz target: the config file parser and the sensor's key/value checks
 * (config files are operator input, but a typo must never crash the sensor). */
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_conf_handler(void *ctx, const char *key, const char *value, char *err,
			     size_t errlen)
{
	return config_set(ctx, key, value, err, errlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[512];

	config_init(&cfg);
	if (conf_parse_buffer("fuzz.conf", (const char *)data, size, fuzz_conf_handler, &cfg, err,
			      sizeof(err)) == 0)
		config_check(&cfg, err, sizeof(err));
	config_fini(&cfg);
	return 0;
}
