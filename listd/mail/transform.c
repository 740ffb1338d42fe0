/* listd/mail/transform.c — see transform.h. */
#include "transform.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bounce/mime.h"
#include "listd/core/ascii.h"
#include "listd/core/header.h"
#include "listd/core/limits.h"

/* bytes of a Subject decoded to look for the tag in encoded words */
#define TRANSFORM_SUBJECT_DECODE_MAX 4096

/* ---- output with line-end normalisation and dot-stuffing ---- */

struct writer {
	struct buf *out;
	bool stuff; /* DATA form */
	bool bol;   /* at the beginning of an output line */
};

static void w_eol(struct writer *w)
{
	buf_add(w->out, "\r\n", 2);
	w->bol = true;
}

/* Copies n bytes of p. Line ends (LF, CRLF, bare CR) become CRLF; in header
 * mode a bare CR becomes a space instead. */
static void w_copy(struct writer *w, const char *p, size_t n, bool header)
{
	size_t i = 0;
	while (i < n) {
		if (w->bol && w->stuff && p[i] == '.')
			buf_addch(w->out, '.');
		size_t j = i;
		while (j < n && p[j] != '\r' && p[j] != '\n')
			j++;
		if (j > i) {
			buf_add(w->out, p + i, j - i);
			w->bol = false;
		}
		if (j == n)
			break;
		if (p[j] == '\n') {
			w_eol(w);
			i = j + 1;
		} else if (j + 1 < n && p[j + 1] == '\n') {
			w_eol(w);
			i = j + 2;
		} else if (header) {
			buf_addch(w->out, ' ');
			w->bol = false;
			i = j + 1;
		} else {
			w_eol(w);
			i = j + 1;
		}
	}
}

/* Generated text: no line breaks in it (checked by validation). */
static void w_adds(struct writer *w, const char *s)
{
	if (*s) {
		buf_adds(w->out, s);
		w->bol = false;
	}
}

/* ---- parameter checks ---- */

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static bool is_atext(char c)
{
	return ascii_is_alnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static bool dot_atom(const char *s)
{
	if (!*s || *s == '.')
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (p[1] == '.' || p[1] == '\0')
				return false;
		} else if (!is_atext(*p)) {
			return false;
		}
	}
	return true;
}

static bool plain_text(const char *s)
{
	for (; *s; s++)
		if (!ascii_is_print(*s))
			return false;
	return true;
}

static const char *nz(const char *s, const char *dflt)
{
	return s ? s : dflt;
}

static int params_check(const struct transform_params *p)
{
	const char *fields[] = {
		p->list_local,     p->domain,       p->list_id,     p->description,
		p->request_suffix, p->owner_suffix, p->subject_tag, p->authserv_id,
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i] && has_ctl(fields[i]))
			return -EINVAL;
	if (!p->list_local || !p->domain || !dot_atom(p->list_local) || !dot_atom(p->domain))
		return -EINVAL;
	if (p->list_id && *p->list_id && !dot_atom(p->list_id))
		return -EINVAL;
	if (!dot_atom(nz(p->request_suffix, "-request")) && *nz(p->request_suffix, "-request"))
		return -EINVAL;
	if (!dot_atom(nz(p->owner_suffix, "-owner")) && *nz(p->owner_suffix, "-owner"))
		return -EINVAL;
	if (p->description && strlen(p->description) > LIMIT_LIST_DESCRIPTION)
		return -EINVAL;
	if (p->subject_tag) {
		if (strlen(p->subject_tag) > LIMIT_SUBJECT_TAG || strpbrk(p->subject_tag, "[]"))
			return -EINVAL;
	}
	if (p->authserv_id && !plain_text(p->authserv_id))
		return -EINVAL;
	if (p->form != TRANSFORM_DATA && p->form != TRANSFORM_BDAT)
		return -EINVAL;
	return 0;
}

/* ---- generated fields ---- */

/* mailto: local parts are percent-encoded outside a safe set (RFC 6068). */
static void add_uri_part(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (ascii_is_alnum((char)c) || strchr("-._~!$'*+=", c)) {
			buf_addch(b, c);
		} else {
			buf_addch(b, '%');
			buf_addch(b, hex[c >> 4]);
			buf_addch(b, hex[c & 15]);
		}
	}
}

static void add_mailto(struct buf *b, const char *local, const char *suffix, const char *domain,
                       const char *subject)
{
	buf_adds(b, "<mailto:");
	add_uri_part(b, local);
	add_uri_part(b, suffix);
	buf_addch(b, '@');
	add_uri_part(b, domain);
	if (subject) {
		buf_adds(b, "?subject=");
		buf_adds(b, subject);
	}
	buf_addch(b, '>');
}

/* Phrase of the List-Id: atoms, a quoted string, or encoded words. */
static void add_description(struct buf *b, const char *d)
{
	static const char hex[] = "0123456789ABCDEF";
	bool eight = false, special = false;
	for (const char *p = d; *p; p++) {
		if ((unsigned char)*p >= 0x80)
			eight = true;
		else if (!is_atext(*p) && *p != ' ')
			special = true;
	}
	if (!eight && !special && d[0] != ' ' && d[strlen(d) - 1] != ' ') {
		buf_adds(b, d);
		return;
	}
	if (!eight) {
		buf_addch(b, '"');
		for (const char *p = d; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_addch(b, '\\');
			buf_addch(b, *p);
		}
		buf_addch(b, '"');
		return;
	}
	/* RFC 2047 Q words of at most 75 characters, split between UTF-8
	 * sequences, folded with CRLF SP between them */
	size_t wlen = 0;
	for (const char *p = d; *p; p++) {
		unsigned char c = (unsigned char)*p;
		bool lead = (c & 0xc0) != 0x80;
		if (wlen && lead && wlen > 75 - 2 - 12) {
			buf_adds(b, "?=\r\n ");
			wlen = 0;
		}
		if (!wlen) {
			buf_adds(b, "=?utf-8?q?");
			wlen = 10;
		}
		if (c == ' ') {
			buf_addch(b, '_');
			wlen++;
		} else if (ascii_is_alnum((char)c) || strchr("!*+-/", c)) {
			buf_addch(b, c);
			wlen++;
		} else {
			buf_addch(b, '=');
			buf_addch(b, hex[c >> 4]);
			buf_addch(b, hex[c & 15]);
			wlen += 3;
		}
	}
	buf_adds(b, "?=");
}

static void add_list_fields(struct writer *w, const struct transform_params *p, bool add_subject)
{
	struct buf *b = w->out;
	const char *req = nz(p->request_suffix, "-request");
	const char *own = nz(p->owner_suffix, "-owner");

	buf_adds(b, "List-Id: ");
	if (p->description && *p->description) {
		add_description(b, p->description);
		buf_addch(b, ' ');
	}
	buf_addch(b, '<');
	if (p->list_id && *p->list_id) {
		buf_adds(b, p->list_id);
	} else {
		buf_adds(b, p->list_local);
		buf_addch(b, '.');
		buf_adds(b, p->domain);
	}
	buf_adds(b, ">\r\nList-Post: ");
	add_mailto(b, p->list_local, "", p->domain, NULL);
	buf_adds(b, "\r\nList-Help: ");
	add_mailto(b, p->list_local, req, p->domain, "help");
	buf_adds(b, "\r\nList-Subscribe: ");
	add_mailto(b, p->list_local, req, p->domain, "subscribe");
	if (!p->no_unsubscribe) {
		buf_adds(b, "\r\nList-Unsubscribe: ");
		add_mailto(b, p->list_local, req, p->domain, "unsubscribe");
	}
	buf_adds(b, "\r\nList-Owner: ");
	add_mailto(b, p->list_local, own, p->domain, NULL);
	buf_addf(b, "\r\nPrecedence: list\r\nX-Loop: %s@%s\r\n", p->list_local, p->domain);
	if (add_subject)
		buf_addf(b, "Subject: [%s]\r\n", p->subject_tag);
	w->bol = true;
}

/* ---- rules on incoming fields ---- */

static const char *const dropped_fields[] = {
	"List-Id",        "List-Post",        "List-Help",
	"List-Subscribe", "List-Unsubscribe", "List-Unsubscribe-Post",
	"List-Owner",     "List-Archive",     "Precedence",
	"Return-Path",
};

/* Skips blanks, line breaks and (nested) comments from i; bounded by len. */
static size_t skip_cfws(struct slice v, size_t i)
{
	while (i < v.len) {
		char c = v.p[i];
		if (ascii_is_space(c)) {
			i++;
		} else if (c == '(') {
			size_t depth = 0;
			for (; i < v.len; i++) {
				if (v.p[i] == '\\' && i + 1 < v.len)
					i++;
				else if (v.p[i] == '(')
					depth++;
				else if (v.p[i] == ')' && --depth == 0) {
					i++;
					break;
				}
			}
		} else {
			break;
		}
	}
	return i;
}

int transform_authserv_id(struct slice v, struct slice *ret_id)
{
	size_t i = skip_cfws(v, 0), s;
	if (i >= v.len)
		return -ENOENT;
	if (v.p[i] == '"') {
		s = ++i;
		while (i < v.len && v.p[i] != '"') {
			if (v.p[i] == '\\' && i + 1 < v.len)
				i++;
			i++;
		}
		if (i >= v.len)
			return -ENOENT;
	} else {
		s = i;
		while (i < v.len && !ascii_is_space(v.p[i]) && v.p[i] != ';' && v.p[i] != '(')
			i++;
	}
	if (i == s)
		return -ENOENT;
	*ret_id = slice_make(v.p + s, i - s);
	return 0;
}

static bool keep_auth_results(struct slice value, const char *authserv_id)
{
	struct slice id;
	if (!authserv_id || !*authserv_id)
		return false;
	if (transform_authserv_id(value, &id) < 0)
		return false;
	return slice_case_eq_cstr(id, authserv_id);
}

/* A field value naming the list's posting address alone (blanks and angle
 * brackets around allowed): an X-Loop, or the Delivered-To the MTA wrote
 * when it delivered the post to the list. */
static bool names_list(struct slice value, const struct transform_params *p)
{
	struct slice v = slice_trim(value);
	if (v.len >= 2 && v.p[0] == '<' && v.p[v.len - 1] == '>')
		v = slice_trim(slice_make(v.p + 1, v.len - 2));
	size_t ll = strlen(p->list_local);
	if (v.len != ll + 1 + strlen(p->domain) || v.p[ll] != '@')
		return false;
	return slice_case_eq_cstr(slice_make(v.p, ll), p->list_local) &&
	        slice_case_eq_cstr(slice_make(v.p + ll + 1, v.len - ll - 1), p->domain);
}

/* Writes the Subject field f with the tag applied. */
static void write_subject(struct writer *w, const char *msg, const struct header_field *f,
                          const char *tag)
{
	char want[LIMIT_SUBJECT_TAG + 3];
	struct slice v = f->value;
	size_t taglen = strlen(tag) + 2;
	snprintf(want, sizeof(want), "[%s]", tag);

	const char *first = slice_case_find(v, want);
	if (!first && slice_case_find(v, "=?")) {
		/* a tag inside RFC 2047 encoded words counts as present */
		struct buf dec = BUF_INIT;
		mime_decode_words(v, &dec, TRANSFORM_SUBJECT_DECODE_MAX);
		bool tagged = slice_case_find(slice_make(dec.data, dec.len), want) != NULL;
		buf_finish(&dec);
		if (tagged) {
			w_copy(w, msg + f->start, f->end - f->start, true);
			return;
		}
	}
	if (!first) {
		/* name and colon as received, then the tag before the first
		 * non-blank byte of the value */
		size_t i = 0;
		while (i < v.len && ascii_is_space(v.p[i]))
			i++;
		w_copy(w, msg + f->start, (size_t)(v.p - (msg + f->start)), true);
		w_adds(w, " ");
		w_adds(w, want);
		if (i < v.len) {
			w_adds(w, " ");
			w_copy(w, v.p + i, (size_t)(msg + f->end - (v.p + i)), true);
		} else {
			w_eol(w);
		}
		return;
	}
	/* keep the first occurrence, drop the later ones and one blank after */
	const char *pos = msg + f->start;
	const char *end = msg + f->end;
	const char *scan = first + taglen;
	for (;;) {
		const char *next =
		        slice_case_find(slice_make(scan, (size_t)(v.p + v.len - scan)), want);
		if (!next)
			break;
		w_copy(w, pos, (size_t)(next - pos), true);
		pos = next + taglen;
		if (pos < v.p + v.len && ascii_is_wsp(*pos))
			pos++;
		scan = pos;
	}
	w_copy(w, pos, (size_t)(end - pos), true);
}

int transform_message(const char *msg, size_t len, const struct transform_params *p,
                      struct buf *ret_msg)
{
	struct header_scan hs;
	struct header_field f;
	struct writer w = { ret_msg, p->form == TRANSFORM_DATA, true };
	const char *tag = p->subject_tag ? p->subject_tag : "";
	bool have_subject = false;
	int r;

	r = params_check(p);
	if (r < 0)
		return r;

	/* does the message have a Subject? (one bounded pass) */
	if (*tag)
		have_subject = header_find(msg, len, "Subject", &f) == 1;

	buf_grow(ret_msg, len + len / 16 + 1024);
	add_list_fields(&w, p, *tag && !have_subject);

	bool subject_done = false;
	header_scan_init(&hs, msg, len);
	while (header_scan_next(&hs, &f) == 1) {
		bool drop = false;
		for (size_t i = 0; i < sizeof(dropped_fields) / sizeof(dropped_fields[0]); i++)
			if (slice_case_eq_cstr(f.name, dropped_fields[i]))
				drop = true;
		if (slice_case_eq_cstr(f.name, "Authentication-Results"))
			drop = !keep_auth_results(f.value, p->authserv_id);
		else if (slice_case_eq_cstr(f.name, "X-Loop") ||
		         slice_case_eq_cstr(f.name, "Delivered-To"))
			drop = names_list(f.value, p);
		if (drop)
			continue;
		if (*tag && !subject_done && slice_case_eq_cstr(f.name, "Subject")) {
			subject_done = true;
			write_subject(&w, msg, &f, tag);
		} else {
			w_copy(&w, msg + f.start, f.end - f.start, true);
		}
		if (!w.bol) /* last field without a line end */
			w_eol(&w);
	}

	/* the separator, then the body */
	w_eol(&w);
	if (hs.body < len)
		w_copy(&w, msg + hs.body, len - hs.body, false);
	if (!w.bol)
		w_eol(&w);
	if (w.stuff)
		buf_add(ret_msg, ".\r\n", 3);
	return 0;
}
