/* web-free-admin/import.c — streaming readers for member files: plain lines,
 * CSV with a header row (RFC 4180) and mlmmj subscriber directories.
 *
 * Every read is bounded: a line longer than LIMIT_LINE is reported as
 * invalid and skipped; a CSV record is one line (member fields hold no line
 * breaks). The input is read in blocks, never whole. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listd/core/ascii.h"
#include "listd/core/limits.h"
#include "listd/core/slice.h"
#include "listd/core/xalloc.h"

#define IMPORT_BLOCK (64 * 1024)

/* A bounded line reader on a file descriptor. */
struct lines {
	int fd;
	char *buf;         /* IMPORT_BLOCK bytes */
	size_t start, end; /* unread bytes are buf[start, end) */
	bool eof;
	bool first;           /* nothing returned yet (for the UTF-8 BOM) */
	unsigned long lineno; /* number of the line last returned */
	uint64_t consumed;    /* bytes handed out so far */
};

struct import_reader {
	enum import_format fmt;
	struct lines in;
	bool in_open;
	char *path;           /* file being read (owned) */
	uint64_t total;       /* size of all files when known */
	uint64_t done_before; /* bytes of files already finished (mlmmj) */

	/* CSV */
	int col_email, col_name, col_delivery, col_state, col_moderated;
	struct buf rec; /* current record, unescaped fields */
	struct buf raw; /* current record as read */
	size_t fstart[LIMIT_CSV_FIELDS], flen[LIMIT_CSV_FIELDS];
	bool fquoted[LIMIT_CSV_FIELDS];
	size_t nfields;

	/* plain: the first line, already read to detect the format */
	bool have_pending;
	bool pending_toolong;
	struct buf pending;
	unsigned long pending_line;

	/* mlmmj: the files still to read and the delivery mode of each */
	char **files;
	const char **file_delivery;
	size_t nfiles, next_file;
	const char *delivery; /* of the current file, NULL = not given */
};

static int lines_open(struct lines *l, int fd)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->buf = xmalloc(IMPORT_BLOCK);
	l->first = true;
	return 0;
}

static void lines_close(struct lines *l)
{
	if (l->fd > 0)
		close(l->fd);
	l->fd = -1;
	free(l->buf);
	l->buf = NULL;
}

/* Reads more input after the unread bytes. 0, or -errno. */
static int lines_fill(struct lines *l)
{
	if (l->start > 0) {
		memmove(l->buf, l->buf + l->start, l->end - l->start);
		l->end -= l->start;
		l->start = 0;
	}
	while (l->end < IMPORT_BLOCK && !l->eof) {
		ssize_t n = read(l->fd, l->buf + l->end, IMPORT_BLOCK - l->end);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			l->eof = true;
		l->end += (size_t)n;
		break;
	}
	return 0;
}

/* 1: *ret_line holds the next line (without its LF or CRLF; it points into the
 * reader's buffer and is valid until the next call). 0: end of input.
 * -E2BIG: line l->lineno is longer than LIMIT_LINE (it has been skipped).
 * -errno: read error. */
static int lines_next(struct lines *l, struct slice *ret_line)
{
	bool skipping = false;

	for (;;) {
		char *p = l->buf + l->start;
		size_t avail = l->end - l->start;
		char *nl = memchr(p, '\n', avail);
		size_t len;

		if (nl) {
			len = (size_t)(nl - p);
			l->start += len + 1;
			l->consumed += len + 1;
		} else if (l->eof) {
			if (avail == 0 && !skipping)
				return 0;
			len = avail;
			l->start = l->end;
			l->consumed += len;
		} else if (avail > LIMIT_LINE || skipping) {
			/* far too long: drop what we have, keep reading to the LF */
			l->consumed += avail;
			l->start = l->end;
			skipping = true;
			int r = lines_fill(l);
			if (r < 0)
				return r;
			continue;
		} else {
			int r = lines_fill(l);
			if (r < 0)
				return r;
			continue;
		}
		l->lineno++;
		if (skipping)
			return -E2BIG;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (l->first) {
			l->first = false;
			if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
				p += 3;
				len -= 3;
			}
		}
		if (len > LIMIT_LINE)
			return -E2BIG;
		*ret_line = slice_make(p, len);
		return 1;
	}
}

/* Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF)
 * and no control characters other than HTAB. NULL, or a reason. */
static const char *text_check(struct slice s)
{
	const unsigned char *p = (const unsigned char *)s.p;
	size_t n = s.len;

	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if (c < 0x80) {
			if (c == 0)
				return "NUL byte in the line (binary data?)";
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return "control character in the line";
			i++;
			continue;
		}
		size_t len;
		unsigned cp;
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1fu;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0fu;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07u;
		} else
			return "invalid UTF-8";
		if (n - i < len)
			return "invalid UTF-8";
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return "invalid UTF-8";
			cp = (cp << 6) | (p[i + k] & 0x3fu);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return "invalid UTF-8";
		i += len;
	}
	return NULL;
}

int import_format_parse(const char *name, enum import_format *ret_format)
{
	static const struct {
		const char *name;
		enum import_format fmt;
	} tab[] = {
		{ "auto", IMPORT_FORMAT_AUTO },
		{ "plain", IMPORT_FORMAT_PLAIN },
		{ "csv", IMPORT_FORMAT_CSV },
		{ "mlmmj", IMPORT_FORMAT_MLMMJ },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcmp(name, tab[i].name) == 0) {
			*ret_format = tab[i].fmt;
			return 0;
		}
	}
	return -EINVAL;
}

const char *import_format_name(enum import_format fmt)
{
	switch (fmt) {
	case IMPORT_FORMAT_PLAIN:
		return "plain";
	case IMPORT_FORMAT_CSV:
		return "csv";
	case IMPORT_FORMAT_MLMMJ:
		return "mlmmj";
	case IMPORT_FORMAT_AUTO:
		break;
	}
	return "auto";
}

enum import_format import_format_of(const struct import_reader *r)
{
	return r->fmt;
}

void import_progress(const struct import_reader *r, uint64_t *ret_done, uint64_t *ret_total)
{
	*ret_done = r->done_before + (r->in_open ? r->in.consumed : 0);
	*ret_total = r->total;
}

/* ---- CSV ------------------------------------------------------------------ */

/* Splits the record in s into r->rec / r->fstart / r->flen (fields
 * unescaped). NULL, or a reason ("unterminated quoted field": a
 * field that would go on over a line break, which member data never has). */
static const char *csv_split(struct import_reader *r, struct slice s)
{
	size_t i = 0;

	buf_reset(&r->rec);
	r->nfields = 0;
	for (;;) {
		if (r->nfields == LIMIT_CSV_FIELDS)
			return "too many fields";
		size_t fs = r->rec.len;
		r->fquoted[r->nfields] = i < s.len && s.p[i] == '"';
		if (r->fquoted[r->nfields]) {
			i++;
			for (;;) {
				if (i >= s.len)
					return "unterminated quoted field";
				if (s.p[i] == '"') {
					if (i + 1 < s.len && s.p[i + 1] == '"') {
						buf_addch(&r->rec, '"');
						i += 2;
						continue;
					}
					i++;
					break;
				}
				buf_addch(&r->rec, s.p[i]);
				i++;
			}
			if (i < s.len && s.p[i] != ',')
				return "text after a closing quote";
		} else {
			while (i < s.len && s.p[i] != ',') {
				if (s.p[i] == '"')
					return "quote inside an unquoted field";
				buf_addch(&r->rec, s.p[i]);
				i++;
			}
		}
		r->fstart[r->nfields] = fs;
		r->flen[r->nfields] = r->rec.len - fs;
		r->nfields++;
		if (i >= s.len)
			return NULL;
		i++; /* the comma */
	}
}

static struct slice csv_field(const struct import_reader *r, int col)
{
	if (col < 0 || (size_t)col >= r->nfields)
		return slice_make("", 0);
	return slice_make(r->rec.data + r->fstart[col], r->flen[col]);
}

/* Reads one CSV record into raw. A member's fields never hold line
 * breaks, so a record is one line: a quoted field left open at the end of
 * a line is an error of that line alone, and the next line starts afresh
 * (a runaway quote cannot swallow the rest of the file).
 * 1, 0 at end, -EINVAL with *ret_why, -errno. */
static int csv_read_record(struct import_reader *r, struct buf *raw, unsigned long *ret_line,
                           const char **ret_why)
{
	struct slice line;
	int rc = lines_next(&r->in, &line);

	buf_reset(raw);
	*ret_line = r->in.lineno;
	if (rc == -E2BIG) {
		*ret_why = "line too long";
		return -EINVAL;
	}
	if (rc < 0) {
		*ret_why = "read error";
		return rc;
	}
	if (rc == 1)
		buf_add(raw, line.p, line.len);
	return rc;
}

/* Copies an optional short field, trimmed, into dst. NULL or what_long. */
static const char *copy_opt(char *dst, size_t cap, struct slice v, const char *what_long)
{
	v = slice_trim(v);
	if (v.len >= cap)
		return what_long;
	memcpy(dst, v.p, v.len);
	dst[v.len] = 0;
	return NULL;
}

static int csv_header(struct import_reader *r, struct slice line, const char **ret_why)
{
	const char *why = csv_split(r, line);
	if (why) {
		*ret_why = why;
		return -EINVAL;
	}
	r->col_email = r->col_name = r->col_delivery = r->col_state = r->col_moderated = -1;
	for (size_t i = 0; i < r->nfields; i++) {
		struct slice f = slice_trim(csv_field(r, (int)i));
		int *col = NULL;
		if (slice_case_eq_cstr(f, "email") || slice_case_eq_cstr(f, "address"))
			col = &r->col_email;
		else if (slice_case_eq_cstr(f, "name"))
			col = &r->col_name;
		else if (slice_case_eq_cstr(f, "delivery"))
			col = &r->col_delivery;
		else if (slice_case_eq_cstr(f, "state"))
			col = &r->col_state;
		else if (slice_case_eq_cstr(f, "moderated"))
			col = &r->col_moderated;
		if (!col)
			continue; /* other columns are ignored */
		if (*col >= 0) {
			*ret_why = "CSV header names a column twice";
			return -EINVAL;
		}
		*col = (int)i;
	}
	if (r->col_email < 0) {
		*ret_why = "CSV header has no \"email\" column";
		return -EINVAL;
	}
	return 0;
}

static void entry_reset(struct import_entry *e)
{
	buf_reset(&e->name);
	e->has_name = false;
	e->delivery[0] = e->state[0] = e->moderated[0] = 0;
}

static int csv_next(struct import_reader *r, struct import_entry *e, const char **ret_why)
{
	struct buf raw = r->raw; /* kept in the reader between calls */
	int rc;

	for (;;) {
		entry_reset(e);
		rc = csv_read_record(r, &raw, &e->line, ret_why);
		if (rc <= 0)
			break;
		struct slice rec = slice_make(raw.data, raw.len);
		if (slice_trim(rec).len == 0)
			continue;
		const char *why = text_check(rec);
		if (!why)
			why = csv_split(r, rec);
		if (why) {
			*ret_why = why;
			rc = -EINVAL;
			break;
		}
		struct slice email = slice_trim(csv_field(r, r->col_email));
		if (email.len == 0) {
			*ret_why = "empty email field";
			rc = -EINVAL;
			break;
		}
		if (addr_parse_entry(email, &e->addr, &e->name, ret_why) < 0) {
			rc = -EINVAL;
			break;
		}
		e->has_name = e->name.len > 0;
		/* blanks around an unquoted name are layout; a quoted name
		 * is kept exactly (export quotes names with outer blanks) */
		struct slice name = csv_field(r, r->col_name);
		if (r->col_name >= 0 && !r->fquoted[r->col_name])
			name = slice_trim(name);
		if (r->col_name >= 0 && name.len > 0) {
			if (name.len > LIMIT_DISPLAY_NAME) {
				*ret_why = "name too long";
				rc = -EINVAL;
				break;
			}
			buf_reset(&e->name);
			buf_add(&e->name, name.p, name.len);
			e->has_name = true;
		}
		if ((why = copy_opt(e->delivery, sizeof(e->delivery), csv_field(r, r->col_delivery),
		                    "delivery value too long")) ||
		    (why = copy_opt(e->state, sizeof(e->state), csv_field(r, r->col_state),
		                    "state value too long")) ||
		    (why = copy_opt(e->moderated, sizeof(e->moderated),
		                    csv_field(r, r->col_moderated), "moderated value too long"))) {
			*ret_why = why;
			rc = -EINVAL;
			break;
		}
		rc = 1;
		break;
	}
	r->raw = raw;
	return rc;
}

/* ---- plain lines and mlmmj files ------------------------------------------ */

/* Parses one plain line. 1 entry, 2 blank or comment, -EINVAL. */
static int plain_parse(struct slice line, struct import_entry *e, const char **ret_why)
{
	struct slice t = slice_trim(line);
	if (t.len == 0 || t.p[0] == '#')
		return 2;
	const char *why = text_check(line);
	if (why) {
		*ret_why = why;
		return -EINVAL;
	}
	if (addr_parse_entry(t, &e->addr, &e->name, ret_why) < 0)
		return -EINVAL;
	e->has_name = e->name.len > 0;
	return 1;
}

/* Opens the next mlmmj file. 1 opened, 0 none left, -errno. */
static int mlmmj_open_next(struct import_reader *r, const char **ret_why)
{
	if (r->in_open) {
		r->done_before += r->in.consumed;
		lines_close(&r->in);
		r->in_open = false;
	}
	while (r->next_file < r->nfiles) {
		size_t k = r->next_file++;
		int fd = open(r->files[k], O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			*ret_why = "cannot open a file of the mlmmj directory";
			free(r->path);
			r->path = xstrdup(r->files[k]);
			return -errno;
		}
		lines_open(&r->in, fd);
		r->in_open = true;
		free(r->path);
		r->path = xstrdup(r->files[k]);
		r->delivery = r->file_delivery[k];
		return 1;
	}
	return 0;
}

static int lines_entry(struct import_reader *r, struct import_entry *e, const char **ret_why)
{
	struct slice line;

	for (;;) {
		entry_reset(e);
		if (r->have_pending) {
			r->have_pending = false;
			line = slice_make(r->pending.data, r->pending.len);
			e->line = r->pending_line;
			if (r->pending_toolong) {
				*ret_why = "line too long";
				return -EINVAL;
			}
		} else {
			if (!r->in_open)
				return 0;
			int rc = lines_next(&r->in, &line);
			e->line = r->in.lineno;
			if (rc == -E2BIG) {
				*ret_why = "line too long";
				return -EINVAL;
			}
			if (rc < 0) {
				*ret_why = "read error";
				return rc;
			}
			if (rc == 0) {
				if (r->fmt != IMPORT_FORMAT_MLMMJ)
					return 0;
				rc = mlmmj_open_next(r, ret_why);
				if (rc <= 0)
					return rc;
				continue;
			}
		}
		int rc = plain_parse(line, e, ret_why);
		if (rc == 2)
			continue;
		if (rc == 1 && r->delivery)
			snprintf(e->delivery, sizeof(e->delivery), "%s", r->delivery);
		return rc;
	}
}

int import_next(struct import_reader *r, struct import_entry *e, const char **ret_why)
{
	int rc;
	if (r->fmt == IMPORT_FORMAT_CSV)
		rc = csv_next(r, e, ret_why);
	else
		rc = lines_entry(r, e, ret_why);
	e->file = r->path;
	return rc;
}

/* ---- opening ----------------------------------------------------------------*/

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Adds the regular files of dir (sorted, dot files skipped). */
static int mlmmj_add_dir(struct import_reader *r, const char *dir, const char *delivery)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	size_t first = r->nfiles;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		struct buf p = BUF_INIT;
		buf_addf(&p, "%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(p.data, &st) != 0 || !S_ISREG(st.st_mode)) {
			buf_finish(&p);
			continue;
		}
		r->files = xreallocarray(r->files, r->nfiles + 1, sizeof(*r->files));
		r->file_delivery =
		        xreallocarray(r->file_delivery, r->nfiles + 1, sizeof(*r->file_delivery));
		r->files[r->nfiles] = buf_detach(&p, NULL);
		r->file_delivery[r->nfiles] = delivery;
		r->nfiles++;
		r->total += (uint64_t)st.st_size;
	}
	closedir(d);
	qsort(r->files + first, r->nfiles - first, sizeof(*r->files), cmp_str);
	return 0;
}

static int mlmmj_open(struct import_reader *r, const char *path, const char **ret_why)
{
	static const struct {
		const char *sub;
		const char *delivery;
	} subs[] = {
		{ "subscribers.d", NULL },
		{ "digesters.d", "digest" },
		{ "nomailsubs.d", "nomail" },
	};
	struct buf p = BUF_INIT;
	bool listdir = false;
	int rc = 0;

	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		buf_reset(&p);
		buf_addf(&p, "%s/%s", path, subs[i].sub);
		if (!is_dir(p.data))
			continue;
		listdir = true;
		rc = mlmmj_add_dir(r, p.data, subs[i].delivery);
		if (rc < 0)
			break;
	}
	buf_finish(&p);
	if (rc == 0 && !listdir)
		rc = mlmmj_add_dir(r, path, NULL);
	if (rc < 0) {
		*ret_why = "cannot read the mlmmj directory";
		return rc;
	}
	rc = mlmmj_open_next(r, ret_why);
	return rc < 0 ? rc : 0;
}

/* Does the line look like a CSV header with an email column? */
static bool csv_header_like(struct import_reader *r, struct slice line)
{
	if (csv_split(r, line))
		return false;
	for (size_t i = 0; i < r->nfields; i++) {
		struct slice f = slice_trim(csv_field(r, (int)i));
		if (slice_case_eq_cstr(f, "email"))
			return true;
	}
	return false;
}

int import_open(const char *path, enum import_format fmt, struct import_reader **ret_reader,
                const char **ret_why)
{
	struct import_reader *r = xcalloc(1, sizeof(*r));
	struct stat st;
	int fd = -1, rc;

	r->rec = (struct buf)BUF_INIT;
	r->raw = (struct buf)BUF_INIT;
	r->pending = (struct buf)BUF_INIT;
	r->in.fd = -1;

	if (strcmp(path, "-") == 0) {
		fd = 0;
		r->path = xstrdup("(stdin)");
	} else {
		r->path = xstrdup(path);
		if (stat(path, &st) != 0) {
			rc = -errno;
			*ret_why = "cannot open";
			goto fail;
		}
		if (S_ISDIR(st.st_mode)) {
			if (fmt != IMPORT_FORMAT_AUTO && fmt != IMPORT_FORMAT_MLMMJ) {
				rc = -EISDIR;
				*ret_why = "is a directory (only --format=mlmmj reads directories)";
				goto fail;
			}
			r->fmt = IMPORT_FORMAT_MLMMJ;
			rc = mlmmj_open(r, path, ret_why);
			if (rc < 0)
				goto fail;
			*ret_reader = r;
			return 0;
		}
		if (fmt == IMPORT_FORMAT_MLMMJ) {
			/* a single mlmmj subscriber file is a plain file */
			fmt = IMPORT_FORMAT_PLAIN;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			*ret_why = "cannot open";
			goto fail;
		}
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			r->total = (uint64_t)st.st_size;
	}
	lines_open(&r->in, fd);
	r->in_open = true;

	/* Refuse binary data up front rather than reporting every "line". */
	rc = lines_fill(&r->in);
	if (rc < 0) {
		*ret_why = "read error";
		goto fail;
	}
	if (memchr(r->in.buf, 0, r->in.end)) {
		rc = -EINVAL;
		*ret_why = "the file holds binary data (a NUL byte in its first block), not a "
		           "member list";
		goto fail;
	}

	struct slice line;
	rc = lines_next(&r->in, &line);
	if (rc < 0 && rc != -E2BIG) {
		*ret_why = "read error";
		goto fail;
	}
	if (fmt == IMPORT_FORMAT_AUTO)
		fmt = (rc == 1 && csv_header_like(r, line)) ? IMPORT_FORMAT_CSV
		                                            : IMPORT_FORMAT_PLAIN;
	r->fmt = fmt;
	if (fmt == IMPORT_FORMAT_CSV) {
		if (rc != 1) {
			rc = -EINVAL;
			*ret_why = "no CSV header line";
			goto fail;
		}
		rc = csv_header(r, line, ret_why);
		if (rc < 0)
			goto fail;
	} else if (rc == 1 || rc == -E2BIG) {
		/* keep the first line for the plain reader; an over-long one
		 * is kept as an over-long marker */
		r->have_pending = true;
		r->pending_line = r->in.lineno;
		if (rc == -E2BIG)
			r->pending_toolong = true;
		else
			buf_add(&r->pending, line.p, line.len);
	}
	*ret_reader = r;
	return 0;
fail:
	if (fd > 0 && !r->in_open)
		close(fd);
	import_close(r);
	return rc;
}

int import_open_fd(int fd, const char *label, const char *head, size_t n,
                   struct import_reader **ret_reader, const char **ret_why)
{
	struct import_reader *r = xcalloc(1, sizeof(*r));
	int rc;

	r->rec = (struct buf)BUF_INIT;
	r->raw = (struct buf)BUF_INIT;
	r->pending = (struct buf)BUF_INIT;
	r->path = xstrdup(label);
	r->fmt = IMPORT_FORMAT_PLAIN;
	lines_open(&r->in, fd);
	r->in_open = true;
	if (n > IMPORT_BLOCK)
		n = IMPORT_BLOCK;
	memcpy(r->in.buf, head, n);
	r->in.end = n;
	rc = lines_fill(&r->in);
	if (rc < 0) {
		*ret_why = "read error";
		r->in.fd = -1; /* the caller's */
		import_close(r);
		return rc;
	}
	if (memchr(r->in.buf, 0, r->in.end)) {
		*ret_why = "the file holds binary data (a NUL byte in its first block), not a "
		           "member list";
		r->in.fd = -1;
		import_close(r);
		return -EINVAL;
	}
	*ret_reader = r;
	return 0;
}

void import_close(struct import_reader *r)
{
	if (!r)
		return;
	if (r->in_open)
		lines_close(&r->in);
	for (size_t i = 0; i < r->nfiles; i++)
		free(r->files[i]);
	free(r->files);
	free(r->file_delivery);
	free(r->path);
	buf_finish(&r->rec);
	buf_finish(&r->raw);
	buf_finish(&r->pending);
	free(r);
}
