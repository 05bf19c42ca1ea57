/*
 * cmd — what main.c hands each zw-collector command: settings (config file
 * already read), the log, and the stop flag the signal handlers set.  Each
 * command parses its own options (getopt_long over argv, argv[0] being the
 * command's name), prints its --help, and returns the exit status:
 * 0 done, 1 failed at run time, 2 usage or configuration error.
 * Main thread.
 */
#ifndef ZW_CMD_H
#define ZW_CMD_H

#include <signal.h>
#include <stdint.h>

#include "log.h"
#include "settings.h"

struct cmd_env {
	struct settings *settings;
	struct log *log;
	volatile sig_atomic_t *stop;      /* set by SIGINT/SIGTERM */
	int64_t now_us;                   /* wall clock at start */
};

int run_main(const struct cmd_env *env, int argc, char **argv);        /* run.c */
int analyst_query(const struct cmd_env *env, int argc, char **argv);   /* analyst.c */
int analyst_tail(const struct cmd_env *env, int argc, char **argv);
int analyst_top(const struct cmd_env *env, int argc, char **argv);
int analyst_sensors(const struct cmd_env *env, int argc, char **argv);
int analyst_import(const struct cmd_env *env, int argc, char **argv);
int report_main(const struct cmd_env *env, int argc, char **argv);     /* report.c */

#endif
