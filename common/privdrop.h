/*
 * privdrop — give up root after the capture device is open.
 * Main thread, at start-up, before worker threads start doing work.
 */
#ifndef ZW_PRIVDROP_H
#define ZW_PRIVDROP_H

#include <stddef.h>

/* Switch to user (its primary group and supplementary groups) and set
 * no-new-privileges.  user NULL: only no-new-privileges.  0 or -1 with a
 * reason in err. */
int privdrop(const char *user, char *err, size_t errlen);

#endif
