/*
 * replay_main — runs any libFuzzer target as a plain program.
 *
 * Linked with one tests/fuzz/fuzz_*.c, it takes files and directories
 * (walked recursively, names starting with '.' skipped) and calls
 * LLVMFuzzerTestOneInput() once per file, with the file's bytes in a heap
 * buffer of exactly that size so that sanitizers see any over-read.  It
 * prints "replayed N inputs" and exits 1 if a path could not be read; a
 * crash in the target is the target's failure, as under libFuzzer.
 *
 *   build/tests/fuzz_decode-replay tests/fuzz/corpus/decode
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target, as with libFuzzer. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define REPLAY_MAX_FILE (64u << 20)   /* larger files are refused, not read */
#define REPLAY_MAX_DEPTH 16           /* directory nesting followed */

struct replay {
	unsigned long inputs;
	unsigned long errors;
};

static void replay_error(struct replay *r, const char *path, const char *what)
{
	fprintf(stderr, "replay: %s: %s\n", path, what);
	r->errors++;
}

static void replay_file(struct replay *r, const char *path, size_t size)
{
	uint8_t *buf;
	FILE *f;

	if (size > REPLAY_MAX_FILE) {
		replay_error(r, path, "file too large");
		return;
	}
	buf = malloc(size ? size : 1);
	if (buf == NULL) {
		replay_error(r, path, "out of memory");
		return;
	}
	f = fopen(path, "rb");
	if (f == NULL || fread(buf, 1, size, f) != size) {
		replay_error(r, path, f ? "short read" : strerror(errno));
		if (f)
			fclose(f);
		free(buf);
		return;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, size);
	r->inputs++;
	free(buf);
}

static void replay_path(struct replay *r, const char *path, int depth);

static void replay_dir(struct replay *r, const char *path, int depth)
{
	struct dirent *e;
	DIR *dir;
	char sub[4096];

	if (depth >= REPLAY_MAX_DEPTH) {
		replay_error(r, path, "directories nested too deep");
		return;
	}
	dir = opendir(path);
	if (dir == NULL) {
		replay_error(r, path, strerror(errno));
		return;
	}
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= sizeof(sub)) {
			replay_error(r, e->d_name, "path too long");
			continue;
		}
		replay_path(r, sub, depth + 1);
	}
	closedir(dir);
}

static void replay_path(struct replay *r, const char *path, int depth)
{
	struct stat st;

	if (stat(path, &st) != 0)
		replay_error(r, path, strerror(errno));
	else if (S_ISDIR(st.st_mode))
		replay_dir(r, path, depth);
	else if (S_ISREG(st.st_mode))
		replay_file(r, path, (size_t)st.st_size);
}

int main(int argc, char **argv)
{
	struct replay r = { 0, 0 };
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++)
		replay_path(&r, argv[i], 0);
	printf("replayed %lu inputs\n", r.inputs);
	return r.errors ? 1 : 0;
}
