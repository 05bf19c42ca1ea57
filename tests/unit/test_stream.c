/* Unit tests: stream — the URL parser (a table of good and bad URLs with
 * the exact fields or error text), then against throwaway redis-servers
 * (temp dir, free port, killed with the test): entries and last_seq read
 * back with redis-cli, MAXLEN trimming, AUTH with a password and with an
 * ACL user, SELECT, a unix socket, a server killed with -9 and restarted
 * (AOF), a server stopped with SIGSTOP, heartbeats, error replies, and the
 * throughput of pipelined batches.  Exit 77 (skip) after the URL table
 * when redis-server or redis-cli is missing.
 *
 * The test reads Redis only through redis-cli: stream.c is the only file
 * that includes hiredis. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "stream.h"

/* ---- the URL table ----------------------------------------------------- */

struct url_case {
	const char *url;
	const char *err;          /* NULL: valid, then the fields below */
	const char *host, *path, *user, *password;
	int port, db;
	const char *redacted;
};

static const struct url_case url_cases[] = {
	{ "redis://localhost", NULL, "localhost", "", "", "", 6379, 0, "redis://localhost:6379" },
	{ "redis://127.0.0.1:6390", NULL, "127.0.0.1", "", "", "", 6390, 0, "redis://127.0.0.1:6390" },
	{ "redis://127.0.0.1:6390/3", NULL, "127.0.0.1", "", "", "", 6390, 3, "redis://127.0.0.1:6390/3" },
	{ "redis://:s3cret@redis.example.org", NULL, "redis.example.org", "", "", "s3cret", 6379, 0,
	  "redis://:***@redis.example.org:6379" },
	{ "redis://zw:p%40ss%3Aw%2Frd@10.0.0.5:7000/2", NULL, "10.0.0.5", "", "zw", "p@ss:w/rd", 7000, 2,
	  "redis://zw:***@10.0.0.5:7000/2" },
	{ "redis://[::1]:6379/0", NULL, "::1", "", "", "", 6379, 0, "redis://[::1]:6379" },
	{ "redis://[2001:db8::7]", NULL, "2001:db8::7", "", "", "", 6379, 0, "redis://[2001:db8::7]:6379" },
	{ "redis://[::ffff:10.1.2.3]:1/9", NULL, "::ffff:10.1.2.3", "", "", "", 1, 9,
	  "redis://[::ffff:10.1.2.3]:1/9" },
	{ "REDIS://Host-1.example_x:1", NULL, "Host-1.example_x", "", "", "", 1, 0, "redis://Host-1.example_x:1" },
	{ "redis://h:65535/1000000", NULL, "h", "", "", "", 65535, 1000000, "redis://h:65535/1000000" },
	{ "redis://h/", NULL, "h", "", "", "", 6379, 0, "redis://h:6379" },
	{ "redis://h:06379/007", NULL, "h", "", "", "", 6379, 7, "redis://h:6379/7" },
	{ "redis://user:p@ss@host", NULL, "host", "", "user", "p@ss", 6379, 0, "redis://user:***@host:6379" },
	{ "redis://user:pa/ss@host/4", NULL, "host", "", "user", "pa/ss", 6379, 4, "redis://user:***@host:6379/4" },
	{ "redis://:p?w#d@h:7/2", NULL, "h", "", "", "p?w#d", 7, 2, "redis://:***@h:7/2" },
	{ "unix://:pa/ss@/tmp/r@x.sock", NULL, "", "/tmp/r@x.sock", "", "pa/ss", 6379, 0, "unix://:***@/tmp/r@x.sock" },
	{ "redis://:a:b@h", NULL, "h", "", "", "a:b", 6379, 0, "redis://:***@h:6379" },
	{ "redis://us%20er%3a:pw@h", NULL, "h", "", "us er:", "pw", 6379, 0, "redis://us%20er%3A:***@h:6379" },
	{ "redis://[::1]:6379", NULL, "::1", "", "", "", 6379, 0, "redis://[::1]:6379" },
	{ "unix:///run/redis/redis.sock", NULL, "", "/run/redis/redis.sock", "", "", 6379, 0,
	  "unix:///run/redis/redis.sock" },
	{ "unix://:pass@/tmp/r.sock?db=2", NULL, "", "/tmp/r.sock", "", "pass", 6379, 2,
	  "unix://:***@/tmp/r.sock?db=2" },
	{ "unix://u%20x:p%25@/tmp/r.sock", NULL, "", "/tmp/r.sock", "u x", "p%", 6379, 0,
	  "unix://u%20x:***@/tmp/r.sock" },
	{ "Unix:///tmp/a b@c.sock?db=0&db=15", NULL, "", "/tmp/a b@c.sock", "", "", 6379, 15,
	  "unix:///tmp/a b@c.sock?db=15" },

	{ .url = NULL, .err = "empty URL: expected redis://host[:port][/db] or unix:///path" },
	{ .url = "", .err = "empty URL: expected redis://host[:port][/db] or unix:///path" },
	{ .url = "http://localhost", .err = "unknown scheme 'http': expected redis:// or unix://" },
	{ .url = "rediss://h:6380", .err = "unknown scheme 'rediss': TLS is not supported (hiredis 0.14); expected redis:// or unix://" },
	{ .url = "localhost:6379", .err = "no scheme: expected redis://host[:port][/db] or unix:///path" },
	{ .url = "://h", .err = "no scheme: expected redis://host[:port][/db] or unix:///path" },
	{ .url = "user:pw@h://x", .err = "no scheme: expected redis://host[:port][/db] or unix:///path" },
	{ .url = "redis://", .err = "no host: expected redis://host[:port][/db]" },
	{ .url = "redis://:6379", .err = "no host: expected redis://host[:port][/db]" },
	{ .url = "redis://:pw@/3", .err = "no host: expected redis://host[:port][/db]" },
	{ .url = "redis://h:70000", .err = "port '70000' is not 1-65535" },
	{ .url = "redis://h:0", .err = "port '0' is not 1-65535" },
	{ .url = "redis://h:", .err = "port '' is not 1-65535" },
	{ .url = "redis://h:12ab/1", .err = "port '12ab' is not 1-65535" },
	{ .url = "redis://h:-1", .err = "port '-1' is not 1-65535" },
	{ .url = "redis://h:99999999999999999999999", .err = "port '99999999999999999999999' is not 1-65535" },
	{ .url = "redis://[::1]:99999", .err = "port '99999' is not 1-65535" },
	{ .url = "redis://h/x", .err = "db 'x' is not a number 0-1000000" },
	{ .url = "redis://h/1000001", .err = "db '1000001' is not a number 0-1000000" },
	{ .url = "redis://h/-1", .err = "db '-1' is not a number 0-1000000" },
	{ .url = "redis://h/2/3", .err = "db '2/3' is not a number 0-1000000" },
	{ .url = "redis://h/ 1", .err = "db ' 1' is not a number 0-1000000" },
	{ .url = "redis://h?db=2", .err = "query '?db=2': only unix:// URLs take ?db=N; write redis://host[:port]/N" },
	{ .url = "redis://h/2?x", .err = "query '?x': only unix:// URLs take ?db=N; write redis://host[:port]/N" },
	{ .url = "redis://h:6379#frag", .err = "unexpected '#frag' at the end" },
	{ .url = "redis://::1", .err = "IPv6 address '::1' must be in brackets: redis://[::1]:6379" },
	{ .url = "redis://fe80::1:6379", .err = "IPv6 address 'fe80::1:6379' must be in brackets: redis://[fe80::1:6379]:6379" },
	{ .url = "redis://[::1", .err = "unclosed '[' in '[::1'" },
	{ .url = "redis://[zz::1]:6379", .err = "'zz::1' is not an IPv6 address" },
	{ .url = "redis://[10.0.0.1]", .err = "'10.0.0.1' is not an IPv6 address" },
	{ .url = "redis://[::1]x", .err = "unexpected 'x' after ']'" },
	{ .url = "redis://ho st", .err = "host 'ho st' has an invalid character ' '" },
	{ .url = "redis://h,x:1", .err = "host 'h,x' has an invalid character ','" },
	{ .url = "redis://user@h", .err = "user info without ':': write :password@ (password only) or user:password@ (ACL user)" },
	{ .url = "redis://:@h", .err = "empty password: leave out '[user]:password@' for no AUTH" },
	{ .url = "redis://bob:@h", .err = "empty password: leave out '[user]:password@' for no AUTH" },
	{ .url = "redis://u:p%zz@h", .err = "password: bad percent-encoding (%XX with two hex digits)" },
	{ .url = "redis://u:secret%4@h", .err = "password: bad percent-encoding (%XX with two hex digits)" },
	{ .url = "redis://u%2:p@h", .err = "user 'u%2': bad percent-encoding (%XX with two hex digits)" },
	{ .url = "redis://u:p%00@h", .err = "password contains %00" },
	{ .url = "unix://", .err = "no socket path: expected unix:///path/to/sock" },
	{ .url = "unix:///", .err = "no socket path: expected unix:///path/to/sock" },
	{ .url = "unix:///?db=1", .err = "no socket path: expected unix:///path/to/sock" },
	{ .url = "unix://tmp/r.sock", .err = "unix URL with a host 'tmp': write unix:///path (three slashes)" },
	{ .url = "unix://:pw@host/r.sock", .err = "unix URL with a host 'host': write unix:///path (three slashes)" },
	{ .url = "unix:///tmp/r.sock?db=x", .err = "db 'x' is not a number 0-1000000" },
	{ .url = "unix:///tmp/r.sock?db=", .err = "db '' is not a number 0-1000000" },
	{ .url = "unix:///tmp/r.sock?timeout=3", .err = "unknown parameter 'timeout' (only db=N)" },
	{ .url = "unix:///tmp/r.sock?db", .err = "unknown parameter 'db' (only db=N)" },
	{ .url = "unix://pw@/tmp/r.sock", .err = "user info without ':': write :password@ (password only) or user:password@ (ACL user)" },
};

static void test_url_table(void)
{
	for (size_t i = 0; i < sizeof(url_cases) / sizeof(url_cases[0]); i++) {
		const struct url_case *c = &url_cases[i];
		struct rlink_url u;
		char err[256] = "", red[RLINK_MAX_URL];
		int rc = rlink_url_parse(c->url, &u, err, sizeof(err));

		if (c->err) {
			CHECK(rc == -1 && !strcmp(err, c->err), "'%s': error '%s', want '%s'", c->url ? c->url : "(null)",
			      err, c->err);
			continue;
		}
		CHECK(rc == 0, "'%s' valid (error: %s)", c->url, err);
		if (rc != 0)
			continue;
		CHECK(!strcmp(u.host, c->host) && !strcmp(u.path, c->path) && !strcmp(u.user, c->user) &&
			      !strcmp(u.password, c->password) && u.port == c->port && u.db == c->db,
		      "'%s': host '%s' path '%s' user '%s' password '%s' port %d db %d", c->url, u.host, u.path,
		      u.user, u.password, u.port, u.db);
		rlink_url_redacted(&u, red, sizeof(red));
		CHECK(!strcmp(red, c->redacted), "'%s' redacted '%s', want '%s'", c->url, red, c->redacted);
		CHECK(!u.password[0] || !strstr(red, u.password), "'%s': password not in '%s'", c->url, red);
	}
}

/* Whatever is wrong, an error never quotes the password. */
static void test_url_no_password_in_errors(void)
{
	static const char *const bad[] = {
		"redis://u:SECRET@h:99999", "redis://u:SECRET@",       "redis://u:SECRET@ho st",
		"unix://u:SECRET@host/x",   "redis://u:SEC%zzRET@h",   "redis://:SECRET@[::1",
		"redis://:SECRET@h/x?y",    "redis://:SECRET@::1",     "unix://:SECRET@/x?db=y",
		"redis://:SEC%00RET@h",     "redis://:SECRET@h#x",     "unix://:SECRET@tmp/x",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rlink_url u;
		char err[256] = "";

		CHECK(rlink_url_parse(bad[i], &u, err, sizeof(err)) == -1 && err[0] && !strstr(err, "SECRET") &&
			      !strstr(err, "SEC"),
		      "'%s': error '%s'", bad[i], err);
	}
}

static void test_url_limits(void)
{
	struct rlink_url u;
	char url[2048], err[256], red[16];

	/* user, password, host, socket path and the whole URL: capped, named */
	snprintf(url, sizeof(url), "redis://%0200d:pw@h", 0);
	CHECK(rlink_url_parse(url, &u, err, sizeof(err)) == -1 && !strcmp(err, "user is longer than 127 bytes"),
	      "long user: %s", err);
	snprintf(url, sizeof(url), "redis://:%0300d@h", 0);
	CHECK(rlink_url_parse(url, &u, err, sizeof(err)) == -1 && !strcmp(err, "password is longer than 255 bytes"),
	      "long password: %s", err);
	snprintf(url, sizeof(url), "redis://:%0255d@h", 0);
	CHECK(rlink_url_parse(url, &u, err, sizeof(err)) == 0 && strlen(u.password) == 255, "255-byte password: %s",
	      err);
	snprintf(url, sizeof(url), "redis://%0256d", 0);
	CHECK(rlink_url_parse(url, &u, err, sizeof(err)) == -1 && !strcmp(err, "host is longer than 255 bytes"),
	      "long host: %s", err);
	snprintf(url, sizeof(url), "unix:///%0106d", 0);
	CHECK(rlink_url_parse(url, &u, err, sizeof(err)) == 0 && strlen(u.path) == 107, "107-byte socket path: %s",
	      err);
	snprintf(url, sizeof(url), "unix:///%0108d", 0);
	CHECK(rlink_url_parse(url, &u, err, sizeof(err)) == -1 && strstr(err, "is longer than 107 bytes") &&
		      !strncmp(err, "socket path '/000", 17),
	      "long socket path: %s", err);
	memset(url, 'a', 1100);
	memcpy(url, "redis://", 8);
	url[1100] = '\0';
	CHECK(rlink_url_parse(url, &u, err, sizeof(err)) == -1 && !strcmp(err, "URL is longer than 1023 bytes"),
	      "long URL: %s", err);
	/* a short error buffer and a short redaction buffer: cut, terminated */
	CHECK(rlink_url_parse("http://x", &u, err, 8) == -1 && !strcmp(err, "unknown"), "short errbuf: '%s'", err);
	CHECK(rlink_url_parse("redis://:secret@example.org:6379/1", &u, NULL, 0) == 0, "NULL errbuf");
	rlink_url_redacted(&u, red, sizeof(red));
	CHECK(!strcmp(red, "redis://:***@ex"), "short redaction buffer: '%s'", red);
	CHECK(!strcmp(rlink_lib_version(), "0.14.1"), "hiredis version %s", rlink_lib_version());
}

/* ---- throwaway servers ----------------------------------------------- */

struct srv {
	pid_t pid;
	int port;
	char dir[256];          /* its --dir and log */
	char sock[300];         /* unix socket, "" for none */
	const char *pass;       /* for redis-cli, NULL for none */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Ready when a raw PING gets +PONG or -NOAUTH (not -LOADING). */
static bool srv_answers(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 1 };
	char buf[64] = "";
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = false;
	ssize_t n;

	if (fd < 0)
		return false;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && write(fd, "PING\r\n", 6) == 6 &&
	    (n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		ok = !strncmp(buf, "+PONG", 5) || !strncmp(buf, "-NOAUTH", 7);
	}
	close(fd);
	return ok;
}

static void srv_log_tail(const struct srv *v)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "tail -n 20 '%s/redis.log'", v->dir);
	if (system(cmd) < 0)
		printf("(no log)\n");
}

/* Start redis-server on v->port (a free one when 0) with its files in
 * v->dir (made under base/tag the first time); extra: more arguments,
 * NULL-terminated.  The server dies with the test (PR_SET_PDEATHSIG). */
static int srv_start(struct srv *v, const char *base, const char *tag, const char *const *extra)
{
	const char *argv[64];
	char port[16], logfile[300];
	int argc = 0;
	pid_t parent = getpid();

	if (!v->dir[0]) {
		snprintf(v->dir, sizeof(v->dir), "%s/%s", base, tag);
		if (mkdir(v->dir, 0700) < 0)
			return -1;
	}
	if (!v->port)
		v->port = free_port();
	snprintf(port, sizeof(port), "%d", v->port);
	snprintf(logfile, sizeof(logfile), "%s/redis.log", v->dir);
	argv[argc++] = "redis-server";
	argv[argc++] = "--port";
	argv[argc++] = port;
	argv[argc++] = "--bind";
	argv[argc++] = "127.0.0.1";
	argv[argc++] = "--save";
	argv[argc++] = "";
	argv[argc++] = "--appendonly";
	argv[argc++] = "no";
	argv[argc++] = "--dir";
	argv[argc++] = v->dir;
	argv[argc++] = "--daemonize";
	argv[argc++] = "no";
	argv[argc++] = "--logfile";
	argv[argc++] = logfile;
	for (; extra && *extra && argc < 62; extra++)
		argv[argc++] = *extra;
	argv[argc] = NULL;
	fflush(stdout);
	v->pid = fork();
	if (v->pid < 0)
		return -1;
	if (v->pid == 0) {
		int null = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execvp("redis-server", (char *const *)argv);
		_exit(127);
	}
	for (uint64_t t0 = now_ms(); now_ms() - t0 < 10000; sleep_ms(20)) {
		int st;

		if (waitpid(v->pid, &st, WNOHANG) == v->pid) {
			printf("redis-server on port %d exited at start (status %d)\n", v->port, st);
			v->pid = 0;
			srv_log_tail(v);
			return -1;
		}
		if (srv_answers(v->port))
			return 0;
	}
	printf("redis-server on port %d does not answer after 10 s\n", v->port);
	srv_log_tail(v);
	return -1;
}

static void srv_kill(struct srv *v)
{
	if (v->pid > 0) {
		kill(v->pid, SIGKILL);
		kill(v->pid, SIGCONT);
		waitpid(v->pid, NULL, 0);
		v->pid = 0;
	}
}

/* redis-cli --raw <args> against v; the output (without the last newline)
 * in out.  The exit status, or -1. */
__attribute__((format(printf, 4, 5)))
static int cli(const struct srv *v, char *out, size_t outlen, const char *fmt, ...)
{
	char cmd[2048], args[1536];
	size_t n = 0, got;
	va_list ap;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "redis-cli -h 127.0.0.1 -p %d %s%s%s --raw %s 2>&1", v->port,
		 v->pass ? "--no-auth-warning -a '" : "", v->pass ? v->pass : "", v->pass ? "'" : "", args);
	out[0] = '\0';
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (n + 1 < outlen && (got = fread(out + n, 1, outlen - n - 1, f)) > 0)
		n += got;
	out[n] = '\0';
	while (n && out[n - 1] == '\n')
		out[--n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static long long cli_num(const struct srv *v, const char *args)
{
	char out[256];

	if (cli(v, out, sizeof(out), "%s", args) != 0 || !out[0])
		return -999;
	return strtoll(out, NULL, 10);
}

static struct stream *stream_for(const char *url, const char *prefix, uint64_t maxlen, uint32_t cmd_ms)
{
	struct stream_config cfg = {
		.prefix = prefix,
		.sensor_id = "t1",
		.maxlen = maxlen,
		.connect_timeout_ms = 1000,
		.command_timeout_ms = cmd_ms,
		.keepalive_s = 30,
	};
	char err[256];

	if (rlink_url_parse(url, &cfg.url, err, sizeof(err)) < 0) {
		printf("bad test URL %s: %s\n", url, err);
		return NULL;
	}
	return stream_new(&cfg);
}

/* entries seq first..first+n-1 in e[]; the JSON in jbuf (64 bytes each) */
static void make_entries(struct stream_entry *e, char (*jbuf)[64], size_t n, uint64_t first)
{
	for (size_t i = 0; i < n; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		e[i].seq = first + i;
		e[i].len = (size_t)snprintf(jbuf[i], 64, "{\"seq\":%" PRIu64 ",\"msg\":\"a b\"}", first + i);
		e[i].json = jbuf[i];
		e[i].sid = (uint32_t)(1000 + i);
		e[i].severity = (uint8_t)(1 + i % 3);
		snprintf(e[i].alert_id, sizeof(e[i].alert_id), "%032" PRIx64, first + i);
	}
}

/* The seq values of XRANGE <key> in out[]; how many, or -1. */
static int xrange_seqs(const struct srv *v, const char *dbarg, const char *key, uint64_t *out, int max)
{
	static const size_t cap = 1 << 20;
	char *buf = malloc(cap), *line, *save = NULL;
	int n = 0;
	bool want = false;

	if (!buf)
		return -1;
	if (cli(v, buf, cap, "%s XRANGE %s - +", dbarg, key) != 0) {
		free(buf);
		return -1;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (want && n < max)
			out[n++] = strtoull(line, NULL, 10);
		want = !strcmp(line, "seq");
	}
	free(buf);
	return n;
}

/* ---- tests against a server ------------------------------------------ */

/* Connect, send 3 entries (an alert, a flow record, an alert with odd
 * JSON), read them back field by field. */
static void test_send_readback(struct srv *a)
{
	char url[128], out[8192], *lines[64], *save = NULL;
	struct stream *s;
	struct stream_entry e[3];
	static const char j3[] = "{\"msg\":\"quote \\\" and \\u00e9 \xc3\xa9 tab\\t\",\"n\":3}";
	uint64_t last = 99;
	int nl = 0;

	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", a->port);
	s = stream_for(url, "zw", 0, 2000);
	CHECK(s && !stream_connected(s), "new, not connected");
	if (!s)
		return;
	memset(e, 0, sizeof(e));
	CHECK(stream_send(s, "alerts", e, 1) == -1 && strstr(stream_error(s), "not connected"),
	      "send before connect: %s", stream_error(s));
	CHECK(stream_last_seq(s, &last) == -1, "last_seq before connect");
	CHECK(stream_connect(s) == 0 && stream_connected(s), "connect: %s", stream_error(s));
	CHECK(stream_connect(s) == 0, "connect again is a no-op");
	CHECK(stream_last_seq(s, &last) == 0 && last == 0, "last_seq of a new sensor is 0 (%" PRIu64 ")", last);
	CHECK(stream_send(s, "alerts", e, 0) == 0, "empty batch");

	e[0] = (struct stream_entry){ .seq = 1, .json = "{\"a\":1}", .len = 7, .sid = 1001, .severity = 3 };
	snprintf(e[0].alert_id, sizeof(e[0].alert_id), "0123456789abcdef0123456789abcdef");
	e[1] = (struct stream_entry){ .seq = 2, .json = "{\"flow\":true}", .len = 13 };
	e[2] = (struct stream_entry){ .seq = 3, .json = j3, .len = sizeof(j3) - 1, .sid = 7, .severity = 1 };
	memcpy(e[2].alert_id, "ffffffffffffffffffffffffffffffffX", 33); /* no NUL: 33 bytes */
	CHECK(stream_send(s, "alerts", e, 3) == 0, "send 3: %s", stream_error(s));
	CHECK(stream_last_seq(s, &last) == 0 && last == 3, "last_seq 3 (%" PRIu64 ")", last);
	CHECK(cli(a, out, sizeof(out), "HGET zw:delivered t1") == 0 && !strcmp(out, "3"), "HGET last_seq: %s",
	      out);

	CHECK(cli(a, out, sizeof(out), "XRANGE zw:alerts - +") == 0, "XRANGE");
	for (char *l = strtok_r(out, "\n", &save); l && nl < 64; l = strtok_r(NULL, "\n", &save))
		lines[nl++] = l;
	{
		static const char *const want[] = {
			"ID", "sensor", "t1", "seq", "1", "sid", "1001", "severity", "3", "alert_id",
			"0123456789abcdef0123456789abcdef", "json", "{\"a\":1}",
			"ID", "sensor", "t1", "seq", "2", "json", "{\"flow\":true}",
			"ID", "sensor", "t1", "seq", "3", "sid", "7", "severity", "1", "alert_id",
			"ffffffffffffffffffffffffffffffffX", "json", j3,
		};
		size_t nw = sizeof(want) / sizeof(want[0]);
		uint64_t prev_ms = 0;

		CHECK((size_t)nl == nw, "XRANGE: %d lines, want %zu", nl, nw);
		for (size_t i = 0; i < nw && i < (size_t)nl; i++) {
			if (!strcmp(want[i], "ID")) {
				char *dash = strchr(lines[i], '-');
				uint64_t ms = strtoull(lines[i], NULL, 10);

				CHECK(dash && ms >= prev_ms && ms > 1600000000000ull, "entry id '%s'", lines[i]);
				prev_ms = ms;
			} else {
				CHECK(!strcmp(lines[i], want[i]), "XRANGE line %zu: '%s', want '%s'", i, lines[i], want[i]);
			}
		}
	}

	/* more: order kept across batches, flows to their own stream */
	{
		struct stream_entry more[2];
		char jb[2][64];
		uint64_t seqs[16];
		int n;

		make_entries(more, jb, 2, 4);
		CHECK(stream_send(s, "alerts", more, 2) == 0, "send 4-5: %s", stream_error(s));
		n = xrange_seqs(a, "", "zw:alerts", seqs, 16);
		CHECK(n == 5 && seqs[0] == 1 && seqs[1] == 2 && seqs[2] == 3 && seqs[3] == 4 && seqs[4] == 5,
		      "5 entries in order (%d)", n);
		make_entries(more, jb, 2, 6);
		more[0].sid = 0;
		more[0].severity = 0;
		more[0].alert_id[0] = '\0';
		CHECK(stream_send(s, "flows", more, 1) == 0, "send a flow: %s", stream_error(s));
		CHECK(cli_num(a, "XLEN zw:flows") == 1 && cli_num(a, "XLEN zw:alerts") == 5, "zw:flows has 1");
		CHECK(stream_last_seq(s, &last) == 0 && last == 6, "last_seq 6 (%" PRIu64 ")", last);
		/* best effort, no transaction, no seq field, no delivered mark */
		make_entries(more, jb, 2, 0);
		more[0].sid = more[1].sid = 0;
		more[0].severity = more[1].severity = 0;
		more[0].alert_id[0] = more[1].alert_id[0] = '\0';
		more[0].json = more[1].json = "{\"flow\":1}";
		more[0].len = more[1].len = 10;
		more[0].seq = more[1].seq = 0;
		CHECK(stream_send_plain(s, "flows", more, 2) == 0, "plain send of 2 flows: %s", stream_error(s));
		CHECK(cli_num(a, "XLEN zw:flows") == 3, "zw:flows has 3");
		CHECK(cli(a, out, sizeof(out), "XREVRANGE zw:flows + - COUNT 1") == 0 && !strstr(out, "seq") &&
		      strstr(out, "sensor") && strstr(out, "json"), "a plain entry: sensor and json only: %s", out);
		CHECK(stream_last_seq(s, &last) == 0 && last == 6, "the delivered mark is untouched");
		CHECK(stream_send_plain(s, "", more, 1) == -1 && stream_connected(s), "plain: empty name refused");
	}

	/* bad arguments: refused, connection kept */
	CHECK(stream_send(s, "", e, 1) == -1 && stream_connected(s), "empty stream name: %s", stream_error(s));
	{
		struct stream_entry bad = { .seq = 9, .json = NULL, .len = 5 };

		CHECK(stream_send(s, "alerts", &bad, 1) == -1 && stream_connected(s) &&
			      strstr(stream_error(s), "has no JSON"),
		      "NULL json: %s", stream_error(s));
	}

	/* heartbeat */
	{
		const char *const fields[] = { "version", "0.1.0", "uptime_s", "42", "host", "probe 1", NULL };
		const char *const odd[] = { "version", NULL };

		CHECK(stream_heartbeat(s, fields, 30, 1700000000) == 0, "heartbeat: %s", stream_error(s));
		CHECK(cli(a, out, sizeof(out), "HGET zw:sensor:t1 version") == 0 && !strcmp(out, "0.1.0"), "version: %s",
		      out);
		CHECK(cli(a, out, sizeof(out), "HGET zw:sensor:t1 host") == 0 && !strcmp(out, "probe 1"), "host: %s",
		      out);
		CHECK(cli(a, out, sizeof(out), "HGET zw:delivered t1") == 0 && !strcmp(out, "6"),
		      "last_seq kept beside the heartbeat: %s", out);
		long long ttl = cli_num(a, "TTL zw:sensor:t1");
		CHECK(ttl > 0 && ttl <= 30, "TTL %lld", ttl);
		CHECK(cli(a, out, sizeof(out), "ZSCORE zw:sensors t1") == 0 && !strcmp(out, "1700000000"), "ZSCORE: %s",
		      out);
		CHECK(stream_heartbeat(s, NULL, 0, 1700000010) == 0, "heartbeat without fields or TTL: %s",
		      stream_error(s));
		CHECK(cli(a, out, sizeof(out), "ZSCORE zw:sensors t1") == 0 && !strcmp(out, "1700000010"),
		      "ZSCORE updated: %s", out);
		char want[128];

		snprintf(want, sizeof(want), "redis 127.0.0.1:%d: heartbeat field 'version' has no value", a->port);
		CHECK(stream_heartbeat(s, odd, 30, 1) == -1 && stream_connected(s) && !strcmp(stream_error(s), want),
		      "odd fields: %s", stream_error(s));
	}

	/* a key that is not a stream: EXEC runs the rest (HSET), the error says so */
	CHECK(cli(a, out, sizeof(out), "SET wt:alerts x") == 0, "SET wt:alerts");
	stream_free(s);
	s = stream_for(url, "wt", 0, 2000);
	CHECK(s && stream_connect(s) == 0, "connect (wt)");
	if (s) {
		char jb[2][64];

		make_entries(e, jb, 2, 10);
		CHECK(stream_send(s, "alerts", e, 2) == -1 && !stream_connected(s), "send to a string key fails");
		CHECK(strstr(stream_error(s), "EXEC: XADD wt:alerts seq 10 failed: WRONGTYPE") &&
			      strstr(stream_error(s), "other commands were applied"),
		      "WRONGTYPE named: %s", stream_error(s));
	}
	stream_free(s);
}

static void test_maxlen_select_unix(struct srv *a)
{
	char url[400], out[256], jb[100][64];
	struct stream_entry e[100];
	struct stream *s;
	long long n;

	/* MAXLEN ~ 100: trimmed by whole nodes (100 entries each by default) */
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", a->port);
	s = stream_for(url, "trim", 100, 2000);
	CHECK(s && stream_connect(s) == 0, "connect (trim)");
	for (int b = 0; s && b < 10; b++) {
		make_entries(e, jb, 100, (uint64_t)b * 100 + 1);
		CHECK(stream_send(s, "alerts", e, 100) == 0, "batch %d: %s", b, stream_error(s));
	}
	n = cli_num(a, "XLEN trim:alerts");
	CHECK(n >= 100 && n <= 250, "MAXLEN ~ 100 after 1000: XLEN %lld", n);
	CHECK(cli(a, out, sizeof(out), "HGET trim:delivered t1") == 0 && !strcmp(out, "1000"), "last_seq %s",
	      out);
	stream_free(s);

	/* SELECT 3 */
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d/3", a->port);
	s = stream_for(url, "dbt", 0, 2000);
	CHECK(s && stream_connect(s) == 0, "connect db 3: %s", s ? stream_error(s) : "");
	make_entries(e, jb, 2, 1);
	CHECK(s && stream_send(s, "alerts", e, 2) == 0, "send to db 3");
	CHECK(cli_num(a, "-n 3 XLEN dbt:alerts") == 2 && cli_num(a, "XLEN dbt:alerts") == 0, "entries in db 3 only");
	CHECK(cli(a, out, sizeof(out), "-n 3 HGET dbt:delivered t1") == 0 && !strcmp(out, "2"), "last_seq in db 3");
	stream_free(s);
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d/20", a->port);
	s = stream_for(url, "dbt", 0, 2000);
	CHECK(s && stream_connect(s) == -1 && !stream_connected(s), "db 20 is out of range");
	if (s) {
		char want[128];

		snprintf(want, sizeof(want), "redis 127.0.0.1:%d: SELECT 20 failed: ERR DB index is out of range",
			 a->port);
		CHECK(!strcmp(stream_error(s), want), "SELECT error: %s", stream_error(s));
	}
	stream_free(s);

	/* unix socket, db 2 */
	snprintf(url, sizeof(url), "unix://%s?db=2", a->sock);
	s = stream_for(url, "ux", 0, 2000);
	CHECK(s && stream_connect(s) == 0, "connect %s: %s", url, s ? stream_error(s) : "");
	CHECK(s && stream_send(s, "alerts", e, 1) == 0, "send over the unix socket");
	CHECK(cli_num(a, "-n 2 XLEN ux:alerts") == 1, "entry in db 2");
	stream_free(s);
	snprintf(url, sizeof(url), "unix://%s.missing", a->sock);
	s = stream_for(url, "ux", 0, 2000);
	if (s) {
		char want[400];

		snprintf(want, sizeof(want), "connect %s.missing: No such file or directory", a->sock);
		CHECK(stream_connect(s) == -1 && !strcmp(stream_error(s), want), "missing socket: %s", stream_error(s));
	}
	stream_free(s);

	/* nothing listening */
	{
		int port = free_port();
		char want[128];

		snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
		snprintf(want, sizeof(want), "connect 127.0.0.1:%d: Connection refused", port);
		s = stream_for(url, "zw", 0, 500);
		CHECK(s && stream_connect(s) == -1 && !strcmp(stream_error(s), want), "refused: %s",
		      s ? stream_error(s) : "");
		stream_free(s);
	}
	/* a stream that cannot work: said at connect */
	{
		struct stream_config cfg = { .sensor_id = "" };

		rlink_url_parse("redis://127.0.0.1", &cfg.url, NULL, 0);
		s = stream_new(&cfg);
		CHECK(s && stream_connect(s) == -1 && !strcmp(stream_error(s), "redis: sensor_id is empty"),
		      "empty sensor id: %s", s ? stream_error(s) : "");
		stream_free(s);
	}
}

static void test_auth(const char *base)
{
	struct srv b = { .pass = "s3cret" };
	static const char *const extra[] = { "--requirepass", "s3cret", NULL };
	char url[256], out[256], jb[4][64], want[256];
	struct stream_entry e[4];
	struct stream *s;

	if (srv_start(&b, base, "auth", extra) < 0) {
		CHECK(0, "start the password server");
		srv_kill(&b);
		return;
	}
	make_entries(e, jb, 4, 1);

	/* no password: the PING of connect says NOAUTH */
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", b.port);
	s = stream_for(url, "zw", 0, 2000);
	snprintf(want, sizeof(want), "redis 127.0.0.1:%d: PING failed: NOAUTH Authentication required.", b.port);
	CHECK(s && stream_connect(s) == -1 && !strcmp(stream_error(s), want), "no password: %s",
	      s ? stream_error(s) : "");
	stream_free(s);

	/* wrong password */
	snprintf(url, sizeof(url), "redis://:nope@127.0.0.1:%d", b.port);
	s = stream_for(url, "zw", 0, 2000);
	snprintf(want, sizeof(want), "redis 127.0.0.1:%d: AUTH failed: WRONGPASS invalid username-password pair",
		 b.port);
	CHECK(s && stream_connect(s) == -1 && !strncmp(stream_error(s), want, strlen(want)) && !stream_connected(s),
	      "wrong password: %s", s ? stream_error(s) : "");
	CHECK(s && !strstr(stream_error(s), "nope"), "the password is not in the error");
	stream_free(s);

	/* right password */
	snprintf(url, sizeof(url), "redis://:s3cret@127.0.0.1:%d", b.port);
	s = stream_for(url, "zw", 0, 2000);
	CHECK(s && stream_connect(s) == 0, "right password: %s", s ? stream_error(s) : "");
	CHECK(s && stream_send(s, "alerts", e, 2) == 0, "send with AUTH");
	CHECK(cli_num(&b, "XLEN zw:alerts") == 2, "2 entries");
	stream_free(s);

	/* an ACL user (AUTH user pass), one whose password needs percent-encoding */
	CHECK(cli(&b, out, sizeof(out), "ACL SETUSER zwuser on '>pw' '~*' '&*' '+@all'") == 0 && !strcmp(out, "OK"),
	      "ACL SETUSER: %s", out);
	CHECK(cli(&b, out, sizeof(out), "ACL SETUSER zw-2 on '>p@ss:w/rd %%' '~*' '+@all'") == 0 &&
		      !strcmp(out, "OK"),
	      "ACL SETUSER zw-2: %s", out);
	CHECK(cli(&b, out, sizeof(out), "ACL SETUSER ro on '>pw' '~*' '+@read' '+ping'") == 0 && !strcmp(out, "OK"),
	      "ACL SETUSER ro: %s", out);
	snprintf(url, sizeof(url), "redis://zwuser:pw@127.0.0.1:%d", b.port);
	s = stream_for(url, "acl", 0, 2000);
	CHECK(s && stream_connect(s) == 0, "ACL user: %s", s ? stream_error(s) : "");
	CHECK(s && stream_send(s, "alerts", e, 1) == 0, "send as zwuser");
	CHECK(cli_num(&b, "XLEN acl:alerts") == 1, "1 entry");
	stream_free(s);
	snprintf(url, sizeof(url), "redis://zw%%2D2:p%%40ss%%3Aw%%2Frd%%20%%25@127.0.0.1:%d", b.port);
	s = stream_for(url, "acl", 0, 2000);
	CHECK(s && stream_connect(s) == 0, "ACL user with encoded name and password: %s", s ? stream_error(s) : "");
	stream_free(s);
	snprintf(url, sizeof(url), "redis://zwuser:bad@127.0.0.1:%d", b.port);
	s = stream_for(url, "acl", 0, 2000);
	CHECK(s && stream_connect(s) == -1 && strstr(stream_error(s), "AUTH failed: WRONGPASS"), "ACL wrong: %s",
	      s ? stream_error(s) : "");
	stream_free(s);
	/* a user that may not write: MULTI refused, nothing added */
	snprintf(url, sizeof(url), "redis://ro:pw@127.0.0.1:%d", b.port);
	s = stream_for(url, "acl", 0, 2000);
	CHECK(s && stream_connect(s) == 0, "read-only user connects: %s", s ? stream_error(s) : "");
	CHECK(s && stream_send(s, "alerts", e, 2) == -1 && strstr(stream_error(s), "NOPERM") && !stream_connected(s),
	      "read-only user cannot send: %s", s ? stream_error(s) : "");
	CHECK(cli_num(&b, "XLEN acl:alerts") == 1, "still 1 entry");
	stream_free(s);
	srv_kill(&b);
}

/* kill -9 mid-session, restart from the AOF; then SIGSTOP */
static void test_kill_stop(const char *base)
{
	struct srv c = { 0 };
	static const char *const extra[] = { "--appendonly", "yes", "--appendfsync", "always", NULL };
	char url[128], want[128], jb[16][64];
	struct stream_entry e[16];
	struct stream *s;
	uint64_t t0, dt, last = 0, seqs[64];
	int n;

	if (srv_start(&c, base, "aof", extra) < 0) {
		CHECK(0, "start the AOF server");
		srv_kill(&c);
		return;
	}
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", c.port);
	s = stream_for(url, "zw", 0, 500);
	if (!s) {
		srv_kill(&c);
		return;
	}
	CHECK(stream_connect(s) == 0, "connect: %s", stream_error(s));
	make_entries(e, jb, 5, 1);
	CHECK(stream_send(s, "alerts", e, 5) == 0, "send 1-5: %s", stream_error(s));

	kill(c.pid, SIGKILL);
	waitpid(c.pid, NULL, 0);
	c.pid = 0;
	make_entries(e, jb, 3, 6);
	t0 = now_ms();
	CHECK(stream_send(s, "alerts", e, 3) == -1, "send to a killed server fails");
	dt = now_ms() - t0;
	CHECK(dt < 1000, "and quickly (%" PRIu64 " ms)", dt);
	CHECK(!stream_connected(s) && stream_error(s)[0], "disconnected: %s", stream_error(s));
	printf("killed server: %s (%" PRIu64 " ms)\n", stream_error(s), dt);
	CHECK(stream_send(s, "alerts", e, 3) == -1 && strstr(stream_error(s), "not connected"), "then not connected");
	snprintf(want, sizeof(want), "connect 127.0.0.1:%d: Connection refused", c.port);
	CHECK(stream_connect(s) == -1 && !strcmp(stream_error(s), want), "reconnect while down: %s", stream_error(s));

	if (srv_start(&c, base, "aof", extra) < 0) {
		CHECK(0, "restart the AOF server");
		stream_free(s);
		srv_kill(&c);
		return;
	}
	CHECK(stream_connect(s) == 0, "reconnect after restart: %s", stream_error(s));
	CHECK(stream_last_seq(s, &last) == 0 && last == 5, "last_seq 5 survived kill -9 (%" PRIu64 ")", last);
	CHECK(cli_num(&c, "XLEN zw:alerts") == 5, "5 entries survived");
	CHECK(stream_send(s, "alerts", e, 3) == 0, "resend 6-8: %s", stream_error(s));
	CHECK(stream_last_seq(s, &last) == 0 && last == 8, "last_seq 8");

	/* SIGSTOP: the kernel still takes the batch, no answer comes */
	make_entries(e, jb, 3, 9);
	kill(c.pid, SIGSTOP);
	t0 = now_ms();
	CHECK(stream_send(s, "alerts", e, 3) == -1, "send to a stopped server fails");
	dt = now_ms() - t0;
	CHECK(dt >= 450 && dt < 1200, "after about the 500 ms command timeout (%" PRIu64 " ms)", dt);
	CHECK(!stream_connected(s) && strstr(stream_error(s), "timeout"), "disconnected, timeout: %s", stream_error(s));
	printf("stopped server: %s (%" PRIu64 " ms)\n", stream_error(s), dt);
	t0 = now_ms();
	CHECK(stream_connect(s) == -1, "connect to a stopped server fails (the backlog accepts, PING times out)");
	dt = now_ms() - t0;
	CHECK(dt < 1200 && strstr(stream_error(s), "PING: timeout"), "within the timeouts (%" PRIu64 " ms): %s", dt,
	      stream_error(s));
	kill(c.pid, SIGCONT);
	sleep_ms(300);
	/* the stopped server may still have run the batch (it was in its
	 * socket buffer): last_seq says which, and agrees with the stream */
	CHECK(stream_connect(s) == 0, "reconnect after SIGCONT: %s", stream_error(s));
	CHECK(stream_last_seq(s, &last) == 0 && (last == 8 || last == 11), "last_seq 8 or 11 (%" PRIu64 ")", last);
	CHECK(cli_num(&c, "XLEN zw:alerts") == (long long)last, "XLEN agrees with last_seq %" PRIu64, last);
	printf("after SIGCONT the timed-out batch was %s\n", last == 11 ? "applied" : "not applied");
	if (last == 8)
		CHECK(stream_send(s, "alerts", e, 3) == 0, "resend 9-11: %s", stream_error(s));
	n = xrange_seqs(&c, "", "zw:alerts", seqs, 64);
	CHECK(n == 11, "11 entries (%d)", n);
	for (int i = 0; i < n && i < 11; i++)
		CHECK(seqs[i] == (uint64_t)i + 1, "exactly once, in order: entry %d has seq %" PRIu64, i, seqs[i]);
	stream_free(s);
	srv_kill(&c);
}

/* 100,000 entries of ~600-byte JSON in batches of 500. */
static void bench(struct srv *a, uint64_t maxlen)
{
	enum { BENCH_TOTAL = 100000, BENCH_BATCH = 500, BENCH_JSON = 600 };
	char url[128], prefix[32], key[48], trim[40] = "no MAXLEN";
	struct stream_entry *e = calloc(BENCH_BATCH, sizeof(*e));
	char *json = malloc((size_t)BENCH_BATCH * BENCH_JSON);
	struct stream *s;
	uint64_t t0, dt, bytes = 0;
	bool ok = true;

	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", a->port);
	snprintf(prefix, sizeof(prefix), "bench%" PRIu64, maxlen);
	s = stream_for(url, prefix, maxlen, 5000);
	if (!e || !json || !s || stream_connect(s) < 0) {
		CHECK(0, "bench set-up");
		goto out;
	}
	t0 = now_ms();
	for (uint64_t seq = 1; seq <= BENCH_TOTAL && ok; seq += BENCH_BATCH) {
		for (int i = 0; i < BENCH_BATCH; i++) {
			char *j = json + (size_t)i * BENCH_JSON;
			int len = snprintf(j, BENCH_JSON,
					   "{\"ts\":\"2024-05-01T12:00:00.%06d\",\"seq\":%" PRIu64 ",\"sensor\":\"t1\","
					   "\"sid\":1002,\"rev\":1,\"severity\":2,\"msg\":\"zone policy: internal host "
					   "talks to a Tor relay\",\"src_ip\":\"10.1.2.3\",\"src_port\":51234,\"dst_ip\":"
					   "\"185.220.101.4\",\"dst_port\":443,\"proto\":\"TCP\",\"app\":\"TLS\","
					   "\"zone_src\":\"office\",\"zone_dst\":\"internet\",\"geo\":{\"dst_cc\":\"DE\","
					   "\"dst_asn\":60729},\"flow\":{\"pkts_toserver\":12,\"pkts_toclient\":10,"
					   "\"bytes_toserver\":1834,\"bytes_toclient\":5120,\"start\":\"2024-05-01T11:59:58"
					   "\"},\"ioc\":{\"list\":\"tor-exits\",\"match\":\"185.220.101.4\"}",
					   i, seq + (uint64_t)i);

			if (len > BENCH_JSON - 2)
				len = BENCH_JSON - 2;
			while (len < BENCH_JSON - 2)
				j[len++] = ' ';
			j[len++] = '}';
			e[i] = (struct stream_entry){ .seq = seq + (uint64_t)i, .json = j, .len = (size_t)len,
						      .sid = 1002, .severity = 2 };
			snprintf(e[i].alert_id, sizeof(e[i].alert_id), "%032" PRIx64, seq + (uint64_t)i);
			bytes += (uint64_t)len;
		}
		ok = stream_send(s, "alerts", e, BENCH_BATCH) == 0;
	}
	dt = now_ms() - t0;
	CHECK(ok, "bench sends: %s", stream_error(s));
	snprintf(key, sizeof(key), "XLEN %s:alerts", prefix);
	CHECK(!ok || maxlen || cli_num(a, key) == BENCH_TOTAL, "bench: all %d in Redis", BENCH_TOTAL);
	if (maxlen)
		snprintf(trim, sizeof(trim), "MAXLEN ~ %" PRIu64, maxlen);
	if (ok)
		printf("throughput: %d entries of %d-byte JSON in batches of %d, %s: %" PRIu64
		       " ms, %.0f entries/s, %.1f MB/s of JSON\n",
		       BENCH_TOTAL, BENCH_JSON, BENCH_BATCH, trim, dt,
		       (double)BENCH_TOTAL * 1000.0 / (double)(dt ? dt : 1), (double)bytes / 1e3 / (double)(dt ? dt : 1));
out:
	stream_free(s);
	free(json);
	free(e);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	char base[] = "/tmp/zw-test-stream-XXXXXX";
	struct srv a = { 0 };
	const char *extra[5];

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN); /* as main.c: a write to a closed socket is an error, not death */
	test_url_table();
	test_url_no_password_in_errors();
	test_url_limits();

	if (system("command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1") != 0) {
		printf("SKIP: redis-server or redis-cli not found (apt-get install redis-server)\n");
		check_done();
		return check_failed ? 1 : 77;
	}
	if (!mkdtemp(base)) {
		CHECK(0, "mkdtemp");
		return check_done();
	}
	snprintf(a.sock, sizeof(a.sock), "%s/a.sock", base);
	extra[0] = "--unixsocket";
	extra[1] = a.sock;
	extra[2] = "--unixsocketperm";
	extra[3] = "700";
	extra[4] = NULL;
	if (srv_start(&a, base, "a", extra) == 0) {
		test_send_readback(&a);
		test_maxlen_select_unix(&a);
		test_auth(base);
		test_kill_stop(base);
		bench(&a, 0);
		bench(&a, 10000);
	} else {
		CHECK(0, "start redis-server");
	}
	srv_kill(&a);
	nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return check_done();
}
