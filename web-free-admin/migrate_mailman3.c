/* web-free-admin/migrate_mailman3.c — `listadm import mailman3 LIST FILE|-`:
 * the members of a Mailman 3 list, from the text `mailman members LIST`
 * prints ("Display Name <addr>" or "addr" a line: read by import.c's plain
 * reader) or from a JSON export of the REST API's members (json_read.c).
 *
 * JSON shapes read: the REST response {"entries": [MEMBER, ...], ...}, a
 * bare array [MEMBER, ...], or MEMBER objects one after another (JSON
 * Lines). The input is JSON when its first non-blank byte is '{' or '['.
 * The mapping (also in listadm.1):
 *
 *   email                   the member's address (required)
 *   display_name            display name (null or absent: none)
 *   delivery_mode           regular -> normal; plaintext_digests,
 *                           mime_digests, summary_digests -> digest
 *   delivery_status         enabled -> enabled; by_user -> disabled-user;
 *                           by_bounces -> disabled-bounce; by_moderator,
 *                           unknown -> disabled-admin
 *   role                    member -> member; owner, moderator -> added
 *                           to the list's owners (not a member);
 *                           nonmember -> skipped and counted
 *   moderation_action       hold, reject, discard -> moderated = yes (listd
 *                           holds the member's posts); accept, defer,
 *                           null -> moderated = no
 * Other fields are ignored. A member that is already on the list is left
 * unchanged. A JSON syntax error stops the import: the entries still
 * queued are dropped, so an input broken before the first full batch
 * (LIMIT_IMPORT_BATCH entries) stores nothing at all. */
#include "migrate.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "json_read.h"
#include "listd/core/log.h"
#include "listd/core/slice.h"
#include "listd/core/xalloc.h"

const char import_mailman3_usage[] =
        "usage: listadm import mailman3 LIST@DOMAIN FILE|- [--dry-run]\n"
        "Imports the members of a Mailman 3 list from the output of\n"
        "`mailman members LIST` (\"Name <addr>\" or \"addr\" a line) or from a\n"
        "JSON export of the REST API's members (fields email, display_name,\n"
        "delivery_mode, delivery_status, role, moderation_action). The list is\n"
        "created when missing; owners and moderators become owners; nonmembers\n"
        "are skipped and counted. Existing members are left unchanged; a second\n"
        "run changes nothing. --dry-run prints what would change and writes\n"
        "nothing.\n";

struct mm_src {
	int fd;
	const char *head; /* bytes read before the format was known */
	size_t head_len, head_pos;
};

static int mm_read_cb(void *ctx, char *buf, size_t cap)
{
	struct mm_src *src = ctx;
	if (src->head_pos < src->head_len) {
		size_t n = src->head_len - src->head_pos;
		if (n > cap)
			n = cap;
		memcpy(buf, src->head + src->head_pos, n);
		src->head_pos += n;
		return (int)n;
	}
	if (cap > INT32_MAX)
		cap = INT32_MAX;
	for (;;) {
		ssize_t k = read(src->fd, buf, cap);
		if (k >= 0)
			return (int)k;
		if (errno != EINTR)
			return -errno;
	}
}

/* One member object's fields, as strings. */
struct mm_fields {
	char email[LIMIT_ADDR_MAILBOX * 2 + 1];
	char display[LIMIT_DISPLAY_NAME + 1];
	char delivery_mode[32];
	char delivery_status[32];
	char role[32];
	char moderation_action[32];
	bool has_email, too_long, not_string;
};

static const struct {
	const char *name;
	size_t off, size;
} mm_keys[] = {
	{ "email", offsetof(struct mm_fields, email), sizeof(((struct mm_fields *)0)->email) },
	{ "display_name", offsetof(struct mm_fields, display),
	  sizeof(((struct mm_fields *)0)->display) },
	{ "delivery_mode", offsetof(struct mm_fields, delivery_mode),
	  sizeof(((struct mm_fields *)0)->delivery_mode) },
	{ "delivery_status", offsetof(struct mm_fields, delivery_status),
	  sizeof(((struct mm_fields *)0)->delivery_status) },
	{ "role", offsetof(struct mm_fields, role), sizeof(((struct mm_fields *)0)->role) },
	{ "moderation_action", offsetof(struct mm_fields, moderation_action),
	  sizeof(((struct mm_fields *)0)->moderation_action) },
};

struct mm_run {
	struct mig *m;
	struct json_reader *jr;
	const char *label;
	uint64_t entries;
};

static bool mm_has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Maps and queues one member object. 0 or an exit code. */
static int mm_member(struct mm_run *run, const struct mm_fields *f, unsigned long line)
{
	struct mig *m = run->m;
	struct mig_item it;
	const char *why = NULL;

	run->entries++;
	if (f->not_string) {
		mig_invalid(m, run->label, line, "a known field holds a non-string value");
		return EX_OK;
	}
	if (f->too_long) {
		mig_invalid(m, run->label, line, "a field is too long");
		return EX_OK;
	}
	if (!f->has_email) {
		mig_invalid(m, run->label, line, "member without \"email\"");
		return EX_OK;
	}
	memset(&it, 0, sizeof(it));
	if (addr_parse(slice_cstr(f->email), &it.addr, &why) < 0) {
		mig_invalid(m, run->label, line, why);
		return EX_OK;
	}
	if (!f->role[0] || strcmp(f->role, "member") == 0) {
		/* a member */
	} else if (strcmp(f->role, "owner") == 0 || strcmp(f->role, "moderator") == 0) {
		if (mig_owner_add(m, &it.addr) < 0)
			mig_invalid(m, run->label, line, "more owners than listd keeps (32)");
		return EX_OK;
	} else if (strcmp(f->role, "nonmember") == 0) {
		m->skipped++;
		return EX_OK;
	} else {
		mig_invalid(m, run->label, line, "unknown role");
		return EX_OK;
	}
	if (mm_has_ctl(f->display)) {
		mig_invalid(m, run->label, line, "control character in display_name");
		return EX_OK;
	}
	snprintf(it.display, sizeof(it.display), "%s", f->display);

	const char *dm = f->delivery_mode;
	if (!dm[0] || strcmp(dm, "regular") == 0)
		it.delivery = STORE_DELIVERY_NORMAL;
	else if (strcmp(dm, "plaintext_digests") == 0 || strcmp(dm, "mime_digests") == 0 ||
	         strcmp(dm, "summary_digests") == 0)
		it.delivery = STORE_DELIVERY_DIGEST;
	else {
		mig_invalid(m, run->label, line, "unknown delivery_mode");
		return EX_OK;
	}

	const char *ds = f->delivery_status;
	if (!ds[0] || strcmp(ds, "enabled") == 0)
		it.state = STORE_MEMBER_ENABLED;
	else if (strcmp(ds, "by_user") == 0)
		it.state = STORE_MEMBER_DISABLED_USER;
	else if (strcmp(ds, "by_bounces") == 0)
		it.state = STORE_MEMBER_DISABLED_BOUNCE;
	else if (strcmp(ds, "by_moderator") == 0 || strcmp(ds, "unknown") == 0)
		it.state = STORE_MEMBER_DISABLED_ADMIN;
	else {
		mig_invalid(m, run->label, line, "unknown delivery_status");
		return EX_OK;
	}

	const char *ma = f->moderation_action;
	if (!ma[0] || strcmp(ma, "accept") == 0 || strcmp(ma, "defer") == 0)
		it.moderated = false;
	else if (strcmp(ma, "hold") == 0 || strcmp(ma, "reject") == 0 || strcmp(ma, "discard") == 0)
		it.moderated = true;
	else {
		mig_invalid(m, run->label, line, "unknown moderation_action");
		return EX_OK;
	}
	return mig_add(m, &it);
}

/* Syntax or read errors of the JSON reader. */
static int mm_json_error(struct mm_run *run, int rc)
{
	struct mig *m = run->m;
	if (rc == -EINVAL)
		log_errx("%s:%lu: not valid JSON: %s", log_escs(run->label),
		         json_reader_line(run->jr), json_reader_why(run->jr));
	else
		log_errx("%s: read error: %s", log_escs(run->label), strerror(-rc));
	mig_drop(m);
	uint64_t stored = m->added[0] + m->added[1] + m->added[2];
	if (stored == 0 && !m->list_created)
		log_errx("nothing was stored");
	else
		log_errx("stopped: %llu members were stored before the error; the import "
		         "can be run again once the input is fixed",
		         (unsigned long long)stored);
	return EX_DATAERR;
}

static int mm_array(struct mm_run *run);

/* Reads an object whose '{' was just read: a member, or a wrapper with an
 * "entries" array. 0 or an exit code. */
static int mm_object(struct mm_run *run)
{
	struct mm_fields f;
	unsigned long line = json_reader_line(run->jr);
	enum json_tok t;
	bool had_entries = false;
	int rc, ex;

	memset(&f, 0, sizeof(f));
	for (;;) {
		rc = json_reader_next(run->jr, &t);
		if (rc <= 0)
			return mm_json_error(run, rc < 0 ? rc : -EINVAL);
		if (t == JSON_TOK_OBJ_END)
			break;
		/* t is a key */
		char key[32];
		size_t klen;
		const char *k = json_reader_text(run->jr, &klen);
		snprintf(key, sizeof(key), "%s", klen < sizeof(key) ? k : "");
		rc = json_reader_next(run->jr, &t);
		if (rc <= 0)
			return mm_json_error(run, rc < 0 ? rc : -EINVAL);
		if (strcmp(key, "entries") == 0 && t == JSON_TOK_ARR_BEGIN) {
			had_entries = true;
			ex = mm_array(run);
			if (ex)
				return ex;
			continue;
		}
		size_t i;
		for (i = 0; i < sizeof(mm_keys) / sizeof(mm_keys[0]); i++)
			if (strcmp(key, mm_keys[i].name) == 0)
				break;
		if (i == sizeof(mm_keys) / sizeof(mm_keys[0]) || t == JSON_TOK_NULL) {
			rc = json_reader_skip(run->jr, t);
			if (rc < 0)
				return mm_json_error(run, rc);
			continue;
		}
		if (t != JSON_TOK_STRING) {
			f.not_string = true;
			rc = json_reader_skip(run->jr, t);
			if (rc < 0)
				return mm_json_error(run, rc);
			continue;
		}
		size_t vlen;
		const char *v = json_reader_text(run->jr, &vlen);
		if (vlen >= mm_keys[i].size) {
			f.too_long = true;
			continue;
		}
		memcpy((char *)&f + mm_keys[i].off, v, vlen + 1);
		if (i == 0)
			f.has_email = true;
	}
	if (had_entries && !f.has_email)
		return EX_OK; /* the REST wrapper */
	return mm_member(run, &f, line);
}

/* Reads an array whose '[' was just read: its elements are members. */
static int mm_array(struct mm_run *run)
{
	enum json_tok t;
	int rc, ex;

	for (;;) {
		rc = json_reader_next(run->jr, &t);
		if (rc <= 0)
			return mm_json_error(run, rc < 0 ? rc : -EINVAL);
		if (t == JSON_TOK_ARR_END)
			return EX_OK;
		if (t == JSON_TOK_OBJ_BEGIN && json_reader_depth(run->jr) <= 3) {
			ex = mm_object(run);
			if (ex)
				return ex;
			continue;
		}
		mig_invalid(run->m, run->label, json_reader_line(run->jr),
		            "a member entry that is not an object");
		rc = json_reader_skip(run->jr, t);
		if (rc < 0)
			return mm_json_error(run, rc);
	}
}

static int mm_json(struct mig *m, struct mm_src *src, const char *label)
{
	struct mm_run run = { .m = m, .label = label };
	enum json_tok t;
	int rc, ex = EX_OK;

	json_reader_create(mm_read_cb, src, &run.jr);
	for (;;) {
		rc = json_reader_next(run.jr, &t);
		if (rc < 0) {
			ex = mm_json_error(&run, rc);
			break;
		}
		if (rc == 0)
			break;
		if (t == JSON_TOK_OBJ_BEGIN)
			ex = mm_object(&run);
		else if (t == JSON_TOK_ARR_BEGIN)
			ex = mm_array(&run);
		else {
			log_errx("%s:%lu: a JSON value that is neither an object nor an array",
			         log_escs(label), json_reader_line(run.jr));
			mig_drop(m);
			ex = EX_DATAERR;
		}
		if (ex)
			break;
	}
	if (ex == EX_OK)
		ex = mig_flush(m);
	json_reader_destroy(run.jr);
	return ex;
}

static int mm_text(struct mig *m, struct mm_src *src, const char *label)
{
	struct import_reader *r = NULL;
	struct import_entry e = { .name = BUF_INIT };
	struct mig_item it;
	const char *why = NULL;
	uint64_t valid = 0;
	int rc, ex = EX_OK;

	rc = import_open_fd(src->fd, label, src->head, src->head_len, &r, &why);
	if (rc < 0) {
		log_errx("%s: %s", log_escs(label), why);
		return EX_DATAERR;
	}
	src->fd = -1; /* the reader's now */
	for (;;) {
		rc = import_next(r, &e, &why);
		if (rc == 0)
			break;
		if (rc == -EINVAL) {
			mig_invalid(m, e.file, e.line, why);
			if (valid == 0 && m->invalid >= LIMIT_IMPORT_GIVE_UP) {
				log_errx("%s: giving up: the first %d entries are all invalid; "
				         "not a member list?",
				         log_escs(label), LIMIT_IMPORT_GIVE_UP);
				mig_drop(m);
				ex = EX_DATAERR;
				break;
			}
			continue;
		}
		if (rc < 0) {
			log_errx("%s: %s: %s", log_escs(label), why, strerror(-rc));
			ex = EX_DATAERR;
			break;
		}
		memset(&it, 0, sizeof(it));
		it.addr = e.addr;
		if (e.name.len > LIMIT_DISPLAY_NAME || mm_has_ctl(e.name.data)) {
			mig_invalid(m, e.file, e.line, "bad display name");
			continue;
		}
		memcpy(it.display, e.name.data, e.name.len + 1);
		it.delivery = STORE_DELIVERY_NORMAL;
		it.state = STORE_MEMBER_ENABLED;
		valid++;
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

int import_mailman3(const struct adm_opts *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mm_src src = { .fd = -1 };
	struct mig m;
	bool dry_run = false;
	char source[512];
	char *head = NULL;
	int c, ex;

	memset(&m, 0, sizeof(m));
	while ((c = adm_getopt(argc, argv, "n", longopts, import_mailman3_usage)) != -1) {
		switch (c) {
		case 'h':
			return EX_OK;
		case 'n':
			dry_run = true;
			break;
		default:
			return EX_USAGE;
		}
	}
	if (optind + 2 != argc)
		return adm_usage_error(import_mailman3_usage,
		                       "import mailman3 takes LIST@DOMAIN and FILE");
	const char *list_name = argv[optind];
	const char *path = argv[optind + 1];
	const char *label = strcmp(path, "-") == 0 ? "(stdin)" : path;

	if (strcmp(path, "-") == 0) {
		src.fd = 0;
	} else {
		src.fd = open(path, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (src.fd < 0 || fstat(src.fd, &st) != 0 || S_ISDIR(st.st_mode)) {
			log_errx("%s: cannot open: %s", log_escs(path),
			         src.fd < 0 ? strerror(errno) : "is a directory");
			ex = EX_DATAERR;
			goto out;
		}
	}
	/* the first block decides: JSON or `mailman members` text */
	head = xmalloc(JSON_READ_BLOCK);
	while (src.head_len < JSON_READ_BLOCK) {
		ssize_t k = read(src.fd, head + src.head_len, JSON_READ_BLOCK - src.head_len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			log_errx("%s: read error: %s", log_escs(label), strerror(errno));
			ex = EX_DATAERR;
			goto out;
		}
		if (k == 0)
			break;
		src.head_len += (size_t)k;
	}
	src.head = head;
	size_t i = 0;
	if (src.head_len >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < src.head_len && strchr(" \t\r\n", head[i]) && head[i])
		i++;
	bool json = i < src.head_len && (head[i] == '{' || head[i] == '[');

	snprintf(source, sizeof(source), "mailman3 %s", label);
	ex = mig_begin(&m, opts, list_name, dry_run, source);
	if (ex)
		goto out;
	ex = json ? mm_json(&m, &src, label) : mm_text(&m, &src, label);
	if (ex)
		goto out;
	if (m.valid == 0 && m.want.n_owners == m.cur.n_owners) {
		/* nothing usable: make no list out of an empty or garbage input */
		log_errx("%s: no valid member or owner entry; nothing stored", log_escs(label));
		ex = EX_DATAERR;
		goto out;
	}
	if (m.skipped) {
		char text[64];
		snprintf(text, sizeof(text), "%llu skipped", (unsigned long long)m.skipped);
		mig_note(&m, "nonmembers", text);
	}
	ex = mig_settings(&m);
	if (ex)
		goto out;
	mig_summary(&m);
out:
	mig_finish(&m);
	if (src.fd > 0)
		close(src.fd);
	free(head);
	return ex;
}
