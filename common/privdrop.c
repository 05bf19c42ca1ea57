/* privdrop — see privdrop.h.  Order matters: groups first, then gid, then uid
 * (after setuid we could no longer change groups); then check root is gone. */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int privdrop(const char *user, char *err, size_t errlen)
{
	if (user) {
		struct passwd pw, *res = NULL;
		char buf[4096];
		int rc = getpwnam_r(user, &pw, buf, sizeof(buf), &res);

		if (rc || !res) {
			snprintf(err, errlen, "user '%s': %s", user, rc ? strerror(rc) : "no such user");
			return -1;
		}
		if (initgroups(pw.pw_name, pw.pw_gid) < 0 || setgid(pw.pw_gid) < 0 ||
		    setuid(pw.pw_uid) < 0) {
			snprintf(err, errlen, "cannot switch to user '%s': %s", user, strerror(errno));
			return -1;
		}
		if (pw.pw_uid != 0 && setuid(0) == 0) {
			snprintf(err, errlen, "still able to regain root after switching to '%s'", user);
			return -1;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "cannot set no-new-privileges: %s", strerror(errno));
		return -1;
	}
	return 0;
}
