/*
 * zw-collector — the prefecture security cloud's side: options common to
 * every command (the config file), signals, and the table of commands.
 * Each command is in its own file (cmd.h).
 */
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "log.h"
#include "settings.h"

/* The only mutable global: set by the signal handlers. */
static volatile sig_atomic_t collector_stop;

static void collector_on_signal(int sig)
{
	(void)sig;
	collector_stop = 1;
}

struct collector_cmd {
	const char *name;
	int (*fn)(const struct cmd_env *env, int argc, char **argv);
	const char *what;
};

static const struct collector_cmd collector_cmds[] = {
	{ "run", run_main, "read the alert stream from Redis and store it (the daemon)" },
	{ "query", analyst_query, "alerts matching filters, as a table or JSON lines" },
	{ "tail", analyst_tail, "follow new alerts as they are stored" },
	{ "top", analyst_top, "counts by rule, source, destination, sensor, country, ..." },
	{ "sensors", analyst_sensors, "every known sensor: last heartbeat, drops, spool, version" },
	{ "report", report_main, "the self-inspection report (policy clause 7): HTML, Markdown, CSV" },
	{ "import", analyst_import, "store alerts from sensor --alerts files (JSON lines)" },
};

#define COLLECTOR_NCMDS (sizeof(collector_cmds) / sizeof(collector_cmds[0]))

static void collector_usage(FILE *out)
{
	fputs("usage: zw-collector [-c FILE] COMMAND [options]\n"
	      "       zw-collector COMMAND --help\n"
	      "       zw-collector --version\n\n"
	      "commands:\n", out);
	for (size_t i = 0; i < COLLECTOR_NCMDS; i++)
		fprintf(out, "  %-8s %s\n", collector_cmds[i].name, collector_cmds[i].what);
	fputs("\n  -c, --config FILE   config file (default " SETTINGS_DEFAULT_PATH
	      " if present);\n"
	      "                      may also follow the command\n"
	      "\nSee zw-collector(8) and doc/collector.md.\n", out);
}

/* Take -c FILE / --config FILE / --config=FILE out of argv, wherever they
 * are (before "--").  0, or -1 (no value). */
static int collector_take_config(int *argc, char **argv, const char **path)
{
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			if (i + 1 >= *argc)
				return -1;
			*path = argv[++i];
			continue;
		}
		if (!strncmp(a, "--config=", 9)) {
			*path = a + 9;
			continue;
		}
		argv[out++] = argv[i];
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}

int main(int argc, char **argv)
{
	struct settings st;
	struct log lg = { .progname = "zw-collector", .level = LOG_LEVEL_INFO };
	struct cmd_env env = { .settings = &st, .log = &lg, .stop = &collector_stop };
	const char *config = NULL;
	struct sigaction sa;
	struct timespec now;
	char err[1024];
	int rc;

	setlocale(LC_CTYPE, "C.UTF-8");
	if (collector_take_config(&argc, argv, &config) < 0) {
		fprintf(stderr, "zw-collector: -c needs a file\n");
		return 2;
	}
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		collector_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("zw-collector %s\n", ZW_VERSION);
		return 0;
	}
	for (size_t i = 0; i < COLLECTOR_NCMDS; i++) {
		if (strcmp(argv[1], collector_cmds[i].name))
			continue;
		if (settings_load(&st, config, err, sizeof(err)) < 0) {
			fprintf(stderr, "zw-collector: %s\n", err);
			settings_fini(&st);
			return 2;
		}
		lg.level = settings_log_level(&st);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = collector_on_signal;   /* no SA_RESTART: a blocked read returns */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);   /* rlink.h: hiredis writes with write(2) */
		clock_gettime(CLOCK_REALTIME, &now);
		env.now_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
		rc = collector_cmds[i].fn(&env, argc - 1, argv + 1);
		settings_fini(&st);
		return rc;
	}
	fprintf(stderr, "zw-collector: unknown command '%s'\n\n", argv[1]);
	collector_usage(stderr);
	return 2;
}
