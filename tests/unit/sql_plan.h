/*
 * sql_plan — for unit tests that read a store with the SQLite API: the
 * EXPLAIN QUERY PLAN of a statement as one line, "detail | detail | ...",
 * so a test can check which index a query uses.  Include after sqlite3.h.
 */
#ifndef ZW_SQL_PLAN_H
#define ZW_SQL_PLAN_H

#include <stdio.h>

static void sql_plan(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	char eqp[8192];
	sqlite3_stmt *st;
	size_t used = 0;

	buf[0] = '\0';
	snprintf(eqp, sizeof(eqp), "EXPLAIN QUERY PLAN %s", sql);
	if (sqlite3_prepare_v2(db, eqp, -1, &st, NULL) != SQLITE_OK) {
		printf("sql error: %s: %s\n", eqp, sqlite3_errmsg(db));
		return;
	}
	while (sqlite3_step(st) == SQLITE_ROW && used < len) {
		const char *d = (const char *)sqlite3_column_text(st, 3);
		int w = snprintf(buf + used, len - used, "%s | ", d ? d : "");

		if (w < 0)
			break;
		used += (size_t)w;
	}
	sqlite3_finalize(st);
}

#endif
