/* web-free-admin/migrate_mlmmj.c — `listadm import mlmmj LISTDIR`: an mlmmj
 * list directory (control/ tunables, subscribers.d/, digesters.d/,
 * nomailsubs.d/) becomes a listd list.
 *
 * Settings: mlmmj's state wins for every setting that maps (running the
 * import again after a change in mlmmj brings it over); owners are only
 * ever added. The mapping (also in listadm.1):
 *
 *   control/listaddress     list address (first line; --list overrides);
 *                           further lines reported, not imported
 *   control/owner           owners (added)
 *   control/moderators      owners (added): listd has one role that
 *                           approves held posts, the owners
 *   control/prefix          subject_tag (absent: "")
 *   control/moderated       moderated = yes (absent: no)
 *   control/subonlypost     nonmember_action = reject, or hold with
 *                           control/modnonsubposts; absent: accept (mlmmj
 *                           distributes non-members' posts)
 *   control/maxmailsize     max_size (bytes; absent: unchanged)
 *   control/noarchive       archive = no (absent: yes)
 *   control/customheaders   a "Reply-To:" naming the list: reply_to_list =
 *                           yes (absent: no); other header lines reported
 *   subscribers.d/          members, delivery normal
 *   digesters.d/            members, delivery digest
 *   nomailsubs.d/           members, delivery nomail
 * Every other file in control/ is reported on a line of its own ("unmapped
 * control/NAME: reason"). An address in two of the member directories is
 * imported once, with the first mode in the order above. */
#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "listd/core/log.h"
#include "listd/core/slice.h"
#include "listd/core/xalloc.h"

#define MLMMJ_CONTROL_MAX (64 * 1024) /* bytes read of one control file */

const char import_mlmmj_usage[] =
        "usage: listadm import mlmmj LISTDIR [--list LIST@DOMAIN] [--dry-run]\n"
        "Imports an mlmmj list directory: the list (created when missing; its\n"
        "address from control/listaddress unless --list is given), the settings\n"
        "that map (owners and moderators as owners, prefix, moderated,\n"
        "subonlypost/modnonsubposts, maxmailsize, noarchive, a Reply-To in\n"
        "customheaders) and the members of subscribers.d (normal), digesters.d\n"
        "(digest) and nomailsubs.d (nomail). Control files that do not map are\n"
        "reported one a line. Existing members are left unchanged; a second run\n"
        "changes nothing. --dry-run prints what would change and writes nothing.\n";

/* Control files with no listd equivalent, and why. Files not named here
 * nor mapped get a generic line. */
static const struct {
	const char *name;
	const char *why;
} mlmmj_unmapped[] = {
	{ "access", "access rules have no listd equivalent; review them by hand" },
	{ "closedlist", "listd has no switch to refuse subscription requests by mail" },
	{ "closedlistsub", "listd has no switch to refuse subscription requests by mail" },
	{ "footer", "listd adds no footers (they break authors' DKIM signatures)" },
	{ "modonlypost", "listd has no moderators-only posting; consider moderated=yes" },
	{ "submod", "listd has no moderated subscription" },
	{ "delheaders", "listd removes its own set of headers; not configurable" },
	{ "tocc", "listd does not require the list address in To: or Cc:" },
	{ "notoccdenymails", "not needed: listd never mails denial notices to senders" },
	{ "noaccessdenymails", "not needed: listd never mails denial notices to senders" },
	{ "nosubonlydenymails", "not needed: listd never mails denial notices to senders" },
	{ "nomodonlydenymails", "not needed: listd never mails denial notices to senders" },
	{ "nomaxmailsizedenymails", "not needed: listd never mails denial notices to senders" },
	{ "nosubmodmails", "not needed: listd never mails denial notices to senders" },
	{ "relayhost", "the relay is set in listd.conf, for all lists" },
	{ "smtpport", "the relay is set in listd.conf, for all lists" },
	{ "smtphelo", "the relay is set in listd.conf, for all lists" },
	{ "verp", "listd always uses its own signed VERP" },
	{ "maxverprecips", "set in listd.conf, for all lists" },
	{ "delimiter", "the recipient delimiter is set in listd.conf, for all lists" },
	{ "bouncelife", "listd scores bounces instead (bounce_* settings)" },
	{ "digestinterval", "digest timing is not a per-list setting in listd" },
	{ "digestmaxmails", "digest timing is not a per-list setting in listd" },
	{ "modreqlife", "held posts expire by listd's own rule" },
	{ "webarchive", "listd has no web archive" },
};

/* Handled by mlmmj_settings(); not reported again by the control walk. */
static const char *const mlmmj_mapped[] = {
	"listaddress", "owner",          "moderators",  "prefix",    "moderated",
	"subonlypost", "modnonsubposts", "maxmailsize", "noarchive", "customheaders",
};

struct ctl_file {
	char path[4096];
	struct buf data; /* whole file, at most MLMMJ_CONTROL_MAX bytes */
	bool present;
};

/* Reads LISTDIR/control/NAME. 0 (f->present tells), or -errno / -EFBIG. */
static int ctl_read(const char *dir, const char *name, struct ctl_file *f)
{
	char chunk[4096];
	ssize_t k;
	int rc = 0;

	buf_reset(&f->data);
	f->present = false;
	snprintf(f->path, sizeof(f->path), "%s/control/%s", dir, name);
	int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	while ((k = read(fd, chunk, sizeof(chunk))) != 0) {
		if (k < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (f->data.len + (size_t)k > MLMMJ_CONTROL_MAX) {
			rc = -EFBIG;
			break;
		}
		buf_add(&f->data, chunk, (size_t)k);
	}
	close(fd);
	if (rc == 0)
		f->present = true;
	return rc;
}

/* Next line of f from *pos (trimmed); 1, or 0 at the end. */
static int ctl_line(const struct ctl_file *f, size_t *pos, unsigned long *lineno,
                    struct slice *ret_line)
{
	if (*pos >= f->data.len)
		return 0;
	const char *p = f->data.data + *pos;
	size_t left = f->data.len - *pos;
	const char *nl = memchr(p, '\n', left);
	size_t len = nl ? (size_t)(nl - p) : left;
	*pos += len + (nl ? 1 : 0);
	(*lineno)++;
	*ret_line = slice_trim(slice_make(p, len));
	return 1;
}

/* The first non-blank line, or an empty slice. */
static struct slice ctl_first(const struct ctl_file *f)
{
	size_t pos = 0;
	unsigned long ln = 0;
	struct slice s;
	while (ctl_line(f, &pos, &ln, &s) == 1)
		if (s.len)
			return s;
	return slice_make("", 0);
}

static bool ctl_has_ctl_chars(struct slice s)
{
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7f)
			return true;
	return false;
}

/* Reads a control file, reporting a failure as unmapped. 1 present,
 * 0 absent or unreadable. */
static int ctl_get(struct mig *m, const char *dir, const char *name, struct ctl_file *f)
{
	int rc = ctl_read(dir, name, f);
	char what[64];
	snprintf(what, sizeof(what), "control/%s", name);
	if (rc == -EFBIG) {
		mig_unmapped(m, what, "larger than 64 KiB; not read");
		return 0;
	}
	if (rc < 0) {
		mig_unmapped(m, what, "cannot be read; not imported");
		return 0;
	}
	return f->present;
}

/* Adds the addresses of an owner or moderators file to the owners. */
static void ctl_owners(struct mig *m, struct ctl_file *f)
{
	size_t pos = 0;
	unsigned long ln = 0;
	struct slice s;
	struct addr a;
	const char *why;

	while (ctl_line(f, &pos, &ln, &s) == 1) {
		if (s.len == 0 || s.p[0] == '#')
			continue;
		if (addr_parse_entry(s, &a, NULL, &why) < 0) {
			mig_invalid(m, f->path, ln, why);
			continue;
		}
		if (mig_owner_add(m, &a) < 0)
			mig_invalid(m, f->path, ln, "more owners than listd keeps (32)");
	}
}

static void mlmmj_set(struct mig *m, const struct ctl_file *f, const char *key, const char *value)
{
	const char *why = NULL;
	if (store_list_setting_set(&m->want, key, value, &why) < 0)
		mig_invalid(m, f->path, 1, why ? why : "value refused");
}

static void mlmmj_settings(struct mig *m, const char *dir)
{
	struct ctl_file f = { .data = BUF_INIT };
	struct buf v = BUF_INIT;
	bool subonly, modnonsub;

	if (ctl_get(m, dir, "owner", &f))
		ctl_owners(m, &f);
	if (ctl_get(m, dir, "moderators", &f)) {
		size_t before = m->want.n_owners;
		ctl_owners(m, &f);
		if (m->want.n_owners > before)
			mig_note(m, "control/moderators",
			         "moderators added as owners "
			         "(in listd the owners approve held posts)");
	}

	/* prefix -> subject_tag */
	buf_reset(&v);
	if (ctl_get(m, dir, "prefix", &f)) {
		struct slice s = ctl_first(&f);
		if (ctl_has_ctl_chars(s))
			mig_invalid(m, f.path, 1, "control character in the prefix");
		else
			buf_add(&v, s.p, s.len);
	}
	mlmmj_set(m, &f, "subject_tag", v.data);

	mlmmj_set(m, &f, "moderated", ctl_get(m, dir, "moderated", &f) ? "yes" : "no");

	subonly = ctl_get(m, dir, "subonlypost", &f);
	modnonsub = ctl_get(m, dir, "modnonsubposts", &f);
	mlmmj_set(m, &f, "nonmember_action", !subonly ? "accept" : modnonsub ? "hold" : "reject");
	if (modnonsub && !subonly)
		mig_note(m, "control/modnonsubposts",
		         "has no effect without subonlypost "
		         "(non-members' posts are accepted)");

	if (ctl_get(m, dir, "maxmailsize", &f)) {
		struct slice s = ctl_first(&f);
		bool digits = s.len > 0 && s.len <= 10;
		for (size_t i = 0; i < s.len && digits; i++)
			digits = s.p[i] >= '0' && s.p[i] <= '9';
		buf_reset(&v);
		buf_add(&v, s.p, s.len);
		if (!digits)
			mig_invalid(m, f.path, 1, "not a size in bytes");
		else
			mlmmj_set(m, &f, "max_size", v.data);
	}

	mlmmj_set(m, &f, "archive", ctl_get(m, dir, "noarchive", &f) ? "no" : "yes");

	bool reply_to = false;
	if (ctl_get(m, dir, "customheaders", &f)) {
		size_t pos = 0;
		unsigned long ln = 0;
		struct slice s;
		struct buf what = BUF_INIT, la = BUF_INIT;
		addr_format(&m->list_addr, &la);
		while (ctl_line(&f, &pos, &ln, &s) == 1) {
			if (s.len == 0)
				continue;
			buf_reset(&what);
			buf_addf(&what, "control/customheaders:%lu", ln);
			if (slice_case_starts(s, "reply-to:") && slice_case_find(s, la.data)) {
				reply_to = true;
				continue;
			}
			mig_unmapped(m, what.data, "extra header lines have no listd equivalent");
		}
		buf_finish(&what);
		buf_finish(&la);
	}
	mlmmj_set(m, &f, "reply_to_list", reply_to ? "yes" : "no");

	buf_finish(&f.data);
	buf_finish(&v);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reports every control file that mlmmj_settings() did not map. */
static void mlmmj_control_walk(struct mig *m, const char *dir)
{
	char path[4096];
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;

	snprintf(path, sizeof(path), "%s/control", dir);
	DIR *d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL && n < 4096) {
		if (de->d_name[0] == '.')
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_name);
	for (size_t i = 0; i < n; i++) {
		bool mapped = false;
		for (size_t k = 0; k < sizeof(mlmmj_mapped) / sizeof(mlmmj_mapped[0]); k++)
			mapped = mapped || strcmp(names[i], mlmmj_mapped[k]) == 0;
		if (!mapped) {
			const char *why = "no listd equivalent; not imported";
			for (size_t k = 0; k < sizeof(mlmmj_unmapped) / sizeof(mlmmj_unmapped[0]);
			     k++)
				if (strcmp(names[i], mlmmj_unmapped[k].name) == 0)
					why = mlmmj_unmapped[k].why;
			char what[300];
			snprintf(what, sizeof(what), "control/%s", log_escs(names[i]));
			mig_unmapped(m, what, why);
		}
		free(names[i]);
	}
	free(names);
}

static bool dir_exists(const char *dir, const char *sub)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int mlmmj_members(struct mig *m, const char *dir)
{
	struct import_reader *r = NULL;
	struct import_entry e = { .name = BUF_INIT };
	struct mig_item it;
	const char *why = NULL;
	int rc, ex = EX_OK;

	if (!dir_exists(dir, "subscribers.d") && !dir_exists(dir, "digesters.d") &&
	    !dir_exists(dir, "nomailsubs.d")) {
		mig_note(m, "subscribers.d", "missing: no members imported");
		return EX_OK;
	}
	rc = import_open(dir, IMPORT_FORMAT_MLMMJ, &r, &why);
	if (rc < 0) {
		log_errx("%s: %s: %s", log_escs(dir), why, strerror(-rc));
		return EX_DATAERR;
	}
	for (;;) {
		rc = import_next(r, &e, &why);
		if (rc == 0)
			break;
		if (rc == -EINVAL) {
			mig_invalid(m, e.file, e.line, why);
			continue;
		}
		if (rc < 0) {
			log_errx("%s: %s: %s", log_escs(e.file), why, strerror(-rc));
			ex = EX_DATAERR;
			break;
		}
		memset(&it, 0, sizeof(it));
		it.addr = e.addr;
		if (e.name.len > LIMIT_DISPLAY_NAME) {
			mig_invalid(m, e.file, e.line, "name too long");
			continue;
		}
		memcpy(it.display, e.name.data, e.name.len + 1);
		if (mig_delivery_parse(e.delivery, &it.delivery) < 0) {
			mig_invalid(m, e.file, e.line, "unknown delivery");
			continue;
		}
		it.state = STORE_MEMBER_ENABLED;
		ex = mig_add(m, &it);
		if (ex)
			break;
	}
	if (ex == EX_OK)
		ex = mig_flush(m);
	import_close(r);
	buf_finish(&e.name);
	return ex;
}

int import_mlmmj(const struct adm_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "list", required_argument, NULL, 'l' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_file f = { .data = BUF_INIT };
	struct mig m;
	const char *list_opt = NULL;
	bool dry_run = false;
	char source[512];
	struct buf name = BUF_INIT;
	int c, ex;

	memset(&m, 0, sizeof(m));
	while ((c = adm_getopt(argc, argv, "l:n", longopts, import_mlmmj_usage)) != -1) {
		switch (c) {
		case 'h':
			return EX_OK;
		case 'l':
			list_opt = optarg;
			break;
		case 'n':
			dry_run = true;
			break;
		default:
			return EX_USAGE;
		}
	}
	if (optind + 1 != argc)
		return adm_usage_error(import_mlmmj_usage, "import mlmmj takes one LISTDIR");
	const char *dir = argv[optind];
	if (!dir_exists(dir, "control")) {
		log_errx("%s: not an mlmmj list directory (no control/ directory)", log_escs(dir));
		return EX_DATAERR;
	}

	/* the list's address */
	int rc = ctl_read(dir, "listaddress", &f);
	if (rc < 0 && !list_opt) {
		log_errx("%s: cannot read: %s", log_escs(f.path), strerror(-rc));
		ex = EX_DATAERR;
		goto out;
	}
	if (list_opt) {
		buf_adds(&name, list_opt);
	} else {
		struct slice s = ctl_first(&f);
		if (s.len == 0) {
			log_errx("%s: no list address in control/listaddress; give --list",
			         log_escs(dir));
			ex = EX_DATAERR;
			goto out;
		}
		buf_add(&name, s.p, s.len);
	}
	snprintf(source, sizeof(source), "mlmmj %s", dir);
	ex = mig_begin(&m, opts, name.data, dry_run, source);
	if (ex)
		goto out;
	if (f.present) {
		/* every address after the first is an alias mlmmj accepted */
		size_t pos = 0;
		unsigned long ln = 0, seen = 0;
		struct slice s;
		while (ctl_line(&f, &pos, &ln, &s) == 1) {
			if (s.len == 0 || (seen++ == 0 && !list_opt))
				continue;
			char what[64];
			snprintf(what, sizeof(what), "control/listaddress:%lu", ln);
			mig_unmapped(&m, what,
			             list_opt ? "an mlmmj list address not used (--list given): "
			                        "add it as an MTA alias if mail still comes to it"
			                      : "a further list address: add it as an MTA alias");
		}
	}

	mlmmj_settings(&m, dir);
	mlmmj_control_walk(&m, dir);
	ex = mlmmj_members(&m, dir);
	if (ex)
		goto out;
	ex = mig_settings(&m);
	if (ex)
		goto out;
	mig_summary(&m);
out:
	mig_finish(&m);
	buf_finish(&f.data);
	buf_finish(&name);
	return ex;
}
