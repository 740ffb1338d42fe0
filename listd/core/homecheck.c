/* listd/core/homecheck.c — see homecheck.h. */
#include "homecheck.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

void homecheck_add(struct buf *problems, const char *fmt, ...)
{
	va_list ap;
	if (problems->len)
		buf_addch(problems, '\n');
	va_start(ap, fmt);
	buf_vaddf(problems, fmt, ap);
	va_end(ap);
}

static const char *account(uid_t uid, char *tmp, size_t n)
{
	struct passwd *pw = getpwuid(uid);
	if (pw && pw->pw_name)
		return pw->pw_name;
	snprintf(tmp, n, "%lu", (unsigned long)uid);
	return tmp;
}

unsigned homecheck_unsafe(const char *home, const char *conf_path, struct buf *problems)
{
	struct stat h, c;
	unsigned n = 0;
	bool have_home = stat(home, &h) == 0;
	char tmp[32];

	if (have_home && S_ISDIR(h.st_mode) && (h.st_mode & S_IWOTH)) {
		homecheck_add(problems,
		              "the home %s is writable by every account: anyone could "
		              "replace listd.conf, the key or the store (fix: chmod o-w %s)",
		              log_escs(home), log_escs(home));
		n++;
	}
	if (stat(conf_path, &c) < 0 || !S_ISREG(c.st_mode))
		return n;
	if (c.st_mode & S_IWOTH) {
		homecheck_add(problems,
		              "%s is writable by every account: anyone could change "
		              "the relay or the keys (fix: chmod o-w %s)",
		              log_escs(conf_path), log_escs(conf_path));
		n++;
	}
	if (c.st_uid != 0 && c.st_uid != geteuid() && !(have_home && c.st_uid == h.st_uid)) {
		homecheck_add(problems,
		              "%s belongs to the account %s, who could change the relay "
		              "or the keys (fix: chown root %s)",
		              log_escs(conf_path), log_escs(account(c.st_uid, tmp, sizeof(tmp))),
		              log_escs(conf_path));
		n++;
	}
	return n;
}

void homecheck_log(const char *prefix, const struct buf *problems, const char *suffix)
{
	const char *p = problems->data;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		log_errx("%s%.*s%s", prefix, len, p, suffix);
		p = nl ? nl + 1 : NULL;
	}
}
