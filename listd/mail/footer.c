/* listd/mail/footer.c — see footer.h. */
#include "footer.h"

#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bounce/mime.h"
#include "listd/core/header.h"
#include "listd/core/limits.h"

/* ---- encoders ------------------------------------------------------------ */

static const char hex[] = "0123456789ABCDEF";

void footer_encode_qp(const char *in, size_t len, struct buf *out)
{
	size_t col = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		bool eol = c == '\n' || (c == '\r' && i + 1 < len && in[i + 1] == '\n');
		if (eol) {
			if (c == '\r')
				i++;
			buf_addch(out, '\n');
			col = 0;
			continue;
		}
		/* a blank at the end of a line (or of the text) is encoded */
		bool at_end = i + 1 == len || in[i + 1] == '\n' ||
		        (in[i + 1] == '\r' && i + 2 < len && in[i + 2] == '\n');
		bool literal =
		        (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_end);
		size_t w = literal ? 1 : 3;
		/* room for the soft break's '=' (76 characters at most a line) */
		if (col + w > 75) {
			buf_adds(out, "=\n");
			col = 0;
		}
		if (literal) {
			buf_addch(out, (char)c);
		} else {
			buf_addch(out, '=');
			buf_addch(out, hex[c >> 4]);
			buf_addch(out, hex[c & 15]);
		}
		col += w;
	}
}

void footer_encode_base64(const char *in, size_t len, struct buf *out)
{
	static const char b64[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t col = 0;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)(unsigned char)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)(unsigned char)in[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)in[i + 2];
		buf_addch(out, b64[(v >> 18) & 63]);
		buf_addch(out, b64[(v >> 12) & 63]);
		buf_addch(out, i + 1 < len ? b64[(v >> 6) & 63] : '=');
		buf_addch(out, i + 2 < len ? b64[v & 63] : '=');
		col += 4;
		if (col >= 76) {
			buf_addch(out, '\n');
			col = 0;
		}
	}
	if (col)
		buf_addch(out, '\n');
}

/* ---- the texts ----------------------------------------------------------- */

static bool is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* UTF-8 without overlongs or surrogates, no control byte but LF and TAB. */
static bool text_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	if (strlen(s) > FOOTER_TEXT_MAX)
		return false;
	while (*p) {
		unsigned c = *p;
		size_t n;
		unsigned min;
		if (c < 0x80) {
			if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
				return false;
			p++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			min = 0x80;
			c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			min = 0x800;
			c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			min = 0x10000;
			c &= 0x07;
		} else
			return false;
		p++;
		for (size_t i = 0; i < n; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return false;
			c = (c << 6) | (*p & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
	}
	return true;
}

/* text, ending in a line end, in charset into out; false when it cannot be. */
static bool text_in_charset(const char *text_in, const char *charset, struct buf *out)
{
	struct buf t = BUF_INIT;
	buf_adds(&t, text_in);
	if (t.len && t.data[t.len - 1] != '\n')
		buf_addch(&t, '\n');
	const char *text = t.data ? t.data : "";
	bool ok = true;
	bool ascii_cs = !charset[0] || !strcasecmp(charset, "us-ascii");
	if (!strcasecmp(charset, "utf-8") || !strcasecmp(charset, "utf8") ||
	    (ascii_cs && is_ascii(text))) {
		buf_add(out, text, t.len);
	} else if (ascii_cs) {
		ok = false;
	} else { /* even ASCII text: the charset may not be ASCII-compatible */
		iconv_t cd = iconv_open(charset, "UTF-8");
		if (cd == (iconv_t)-1) {
			buf_finish(&t);
			return false;
		}
		char tmp[1024];
		char *ip = (char *)text;
		size_t il = t.len;
		while (il > 0 && ok) {
			char *op = tmp;
			size_t ol = sizeof(tmp);
			size_t rc = iconv(cd, &ip, &il, &op, &ol);
			buf_add(out, tmp, (size_t)(op - tmp));
			if (rc == (size_t)-1 && errno != E2BIG)
				ok = false; /* not representable, or invalid */
			else if (rc != (size_t)-1 && rc > 0)
				ok = false; /* converted irreversibly */
		}
		char *op = tmp;
		size_t ol = sizeof(tmp);
		if (ok && iconv(cd, NULL, NULL, &op, &ol) != (size_t)-1) /* shift back */
			buf_add(out, tmp, (size_t)(op - tmp));
		iconv_close(cd);
	}
	buf_finish(&t);
	return ok;
}

/* A text/plain part holding text (UTF-8), its header and body, into out. */
static void add_text_part(struct buf *out, const char *text)
{
	bool ascii = is_ascii(text);
	buf_addf(out,
	         "Content-Type: text/plain; charset=%s\n"
	         "Content-Transfer-Encoding: %s\nContent-Disposition: inline\n\n",
	         ascii ? "us-ascii" : "utf-8", ascii ? "7bit" : "quoted-printable");
	size_t n = strlen(text);
	if (ascii)
		buf_add(out, text, n);
	else
		footer_encode_qp(text, n, out);
	if (n && text[n - 1] != '\n')
		buf_addch(out, '\n');
}

/* ---- the message ---------------------------------------------------------- */

struct post {
	const char *msg;
	size_t len;
	size_t body; /* offset of the body */
	bool have_ct, have_cte, have_mime_version;
	bool cut; /* the scanner stopped at a limit */
	struct header_field ct, cte;
	char type[64];
	struct buf charset, boundary;
	char encoding[32]; /* lower case; "" = none */
};

static void post_read(struct post *p, const char *msg, size_t len)
{
	struct header_scan hs;
	struct header_field f;
	memset(p, 0, sizeof(*p));
	p->msg = msg;
	p->len = len;
	p->charset = (struct buf)BUF_INIT;
	p->boundary = (struct buf)BUF_INIT;
	header_scan_init(&hs, msg, len);
	while (header_scan_next(&hs, &f) == 1) {
		if (!p->have_ct && slice_case_eq_cstr(f.name, "Content-Type")) {
			p->ct = f;
			p->have_ct = true;
		} else if (!p->have_cte &&
		           slice_case_eq_cstr(f.name, "Content-Transfer-Encoding")) {
			p->cte = f;
			p->have_cte = true;
		} else if (slice_case_eq_cstr(f.name, "MIME-Version")) {
			p->have_mime_version = true;
		}
	}
	p->body = hs.body;
	p->cut = hs.count >= LIMIT_HEADER_COUNT || hs.body >= LIMIT_HEADER_BLOCK;
	snprintf(p->type, sizeof(p->type), "text/plain");
	if (p->have_ct) {
		if (!mime_content_type(p->ct.value, p->type, sizeof(p->type)))
			p->type[0] = '\0'; /* unparsable */
		mime_param(p->ct.value, "charset", &p->charset);
		mime_param(p->ct.value, "boundary", &p->boundary);
	}
	if (p->have_cte) {
		struct buf v = BUF_INIT;
		header_unfold(p->cte.value, &v);
		size_t i = 0;
		for (; i < v.len && i + 1 < sizeof(p->encoding); i++) {
			char c = v.data[i];
			if (c == ' ' || c == '\t' || c == '(' || c == ';')
				break;
			p->encoding[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		p->encoding[i] = '\0';
		buf_finish(&v);
	}
}

static void post_finish(struct post *p)
{
	buf_finish(&p->charset);
	buf_finish(&p->boundary);
}

/* Copies the header block without the fields that skip() names. */
static void copy_header(const struct post *p, bool (*skip)(struct slice name), struct buf *out)
{
	struct header_scan hs;
	struct header_field f;
	header_scan_init(&hs, p->msg, p->len);
	while (header_scan_next(&hs, &f) == 1) {
		if (skip(f.name))
			continue;
		buf_add(out, p->msg + f.start, f.end - f.start);
		if (p->msg[f.end - 1] != '\n')
			buf_addch(out, '\n'); /* a last field without its line end */
	}
}

static bool skip_content(struct slice name)
{
	return name.len >= 8 && !strncasecmp(name.p, "Content-", 8);
}

static bool skip_none(struct slice name)
{
	(void)name;
	return false;
}

/* A boundary found nowhere in the post. */
static void new_boundary(const struct post *p, char ret_boundary[64])
{
	for (unsigned n = 0;; n++) {
		snprintf(ret_boundary, 64, "=_listd_footer_%u_%zu", n, p->len);
		if (!memmem(p->msg, p->len, ret_boundary, strlen(ret_boundary)))
			return;
	}
}

/* multipart/alternative, text/html, ...: a new multipart/mixed around. */
static void wrap(const struct post *p, const char *head, const char *foot, struct buf *out)
{
	char b[64];
	new_boundary(p, b);
	copy_header(p, skip_content, out);
	if (!p->have_mime_version)
		buf_adds(out, "MIME-Version: 1.0\n");
	buf_addf(out, "Content-Type: multipart/mixed; boundary=\"%s\"\n", b);
	/* at least as permissive as the post's own encoding (RFC 2045, 6.4) */
	if (!strcmp(p->encoding, "8bit") || !strcmp(p->encoding, "binary"))
		buf_addf(out, "Content-Transfer-Encoding: %s\n", p->encoding);
	buf_addch(out, '\n');
	if (head && *head) {
		buf_addf(out, "--%s\n", b);
		add_text_part(out, head);
	}
	buf_addf(out, "--%s\n", b);
	/* the post's own Content-* fields, then its body */
	struct header_scan hs;
	struct header_field f;
	header_scan_init(&hs, p->msg, p->len);
	while (header_scan_next(&hs, &f) == 1)
		if (skip_content(f.name)) {
			buf_add(out, p->msg + f.start, f.end - f.start);
			if (p->msg[f.end - 1] != '\n')
				buf_addch(out, '\n');
		}
	buf_addch(out, '\n');
	buf_add(out, p->msg + p->body, p->len - p->body);
	if (p->len > p->body && p->msg[p->len - 1] != '\n')
		buf_addch(out, '\n');
	if (foot && *foot) {
		buf_addf(out, "--%s\n", b);
		add_text_part(out, foot);
	}
	buf_addf(out, "--%s--\n", b);
}

/* Is the line at p->msg[i..] the delimiter "--B" (close: "--B--")? */
static bool delimiter_at(const struct post *p, size_t i, bool close)
{
	const char *b = p->boundary.data;
	size_t bl = p->boundary.len, n = 2 + bl + (close ? 2 : 0);
	if (p->len - i < n || p->msg[i] != '-' || p->msg[i + 1] != '-' ||
	    memcmp(p->msg + i + 2, b, bl) != 0)
		return false;
	if (close && (p->msg[i + 2 + bl] != '-' || p->msg[i + 3 + bl] != '-'))
		return false;
	/* then only blanks to the line end */
	for (size_t j = i + n; j < p->len && p->msg[j] != '\n'; j++)
		if (p->msg[j] != ' ' && p->msg[j] != '\t' && p->msg[j] != '\r')
			return false;
	return true;
}

/* multipart/mixed: new parts before the first and after the last.
 * 0 done, 1 malformed (no delimiters). */
static int mixed(const struct post *p, const char *head, const char *foot, struct buf *out)
{
	size_t first = SIZE_MAX, close = SIZE_MAX;
	if (p->boundary.len == 0 || p->boundary.len > 70)
		return 1;
	for (size_t i = p->body; i < p->len;) {
		if (first == SIZE_MAX && delimiter_at(p, i, false))
			first = i;
		if (first != SIZE_MAX && delimiter_at(p, i, true)) {
			close = i;
			break;
		}
		const char *nl = memchr(p->msg + i, '\n', p->len - i);
		if (!nl)
			break;
		i = (size_t)(nl - p->msg) + 1;
	}
	if (first == SIZE_MAX || close == SIZE_MAX)
		return 1;
	const char *b = p->boundary.data;
	copy_header(p, skip_none, out);
	buf_addch(out, '\n');
	buf_add(out, p->msg + p->body, first - p->body);
	if (head && *head) {
		buf_addf(out, "--%s\n", b);
		add_text_part(out, head);
	}
	buf_add(out, p->msg + first, close - first);
	if (close > first && p->msg[close - 1] != '\n')
		buf_addch(out, '\n');
	if (foot && *foot) {
		buf_addf(out, "--%s\n", b);
		add_text_part(out, foot);
	}
	buf_add(out, p->msg + close, p->len - close);
	return 0;
}

/* text/plain in place. 0 done, 1 cannot (wrap instead). */
static int plain(const struct post *p, const char *head, const char *foot, struct buf *out)
{
	const char *enc = p->encoding;
	bool qp = !strcmp(enc, "quoted-printable"), b64 = !strcmp(enc, "base64");
	bool raw8 = !strcmp(enc, "8bit") || !strcmp(enc, "binary");
	bool seven = !enc[0] || !strcmp(enc, "7bit");
	if (!qp && !b64 && !raw8 && !seven)
		return 1;
	const char *cs = p->charset.len ? p->charset.data : "us-ascii";
	struct buf h = BUF_INIT, f = BUF_INIT, text = BUF_INIT;
	int r = 1;
	if ((head && *head && !text_in_charset(head, cs, &h)) ||
	    (foot && *foot && !text_in_charset(foot, cs, &f)))
		goto out;
	bool added8 = false;
	for (size_t i = 0; i < h.len && !added8; i++)
		added8 = (unsigned char)h.data[i] >= 0x80;
	for (size_t i = 0; i < f.len && !added8; i++)
		added8 = (unsigned char)f.data[i] >= 0x80;
	if (seven && added8)
		goto out; /* a 7bit body stays 7bit: wrap */

	/* the body's text */
	struct slice body = slice_make(p->msg + p->body, p->len - p->body);
	buf_add(&text, h.data ? h.data : "", h.len);
	if (qp)
		mime_decode_qp(body, &text, body.len);
	else if (b64)
		mime_decode_base64(body, &text, body.len);
	else
		buf_add(&text, body.p, body.len);
	if (f.len) {
		if (text.len && text.data[text.len - 1] != '\n')
			buf_addch(&text, '\n');
		buf_add(&text, f.data, f.len);
	}
	copy_header(p, skip_none, out);
	buf_addch(out, '\n');
	if (qp)
		footer_encode_qp(text.data ? text.data : "", text.len, out);
	else if (b64)
		footer_encode_base64(text.data ? text.data : "", text.len, out);
	else
		buf_add(out, text.data ? text.data : "", text.len);
	r = 0;
out:
	buf_finish(&h);
	buf_finish(&f);
	buf_finish(&text);
	return r;
}

int footer_apply(const char *msg, size_t len, const char *header_text, const char *footer_text,
                 struct buf *out, const char **ret_why)
{
	const char *why_dummy;
	if (!ret_why)
		ret_why = &why_dummy;
	if ((header_text && !text_ok(header_text)) || (footer_text && !text_ok(footer_text)))
		return -EINVAL;
	if ((!header_text || !*header_text) && (!footer_text || !*footer_text)) {
		*ret_why = "no header or footer text";
		return 0;
	}
	struct post p;
	post_read(&p, msg, len);
	static const char *const untouchable[] = {
		"multipart/signed",         "multipart/encrypted",       "application/pkcs7-mime",
		"application/x-pkcs7-mime", "application/pgp-encrypted", "message/partial",
	};
	int r = 1;
	size_t start = out->len;
	if (p.cut) {
		*ret_why = "header block too large";
		goto done;
	}
	if (!p.type[0]) {
		*ret_why = "unparsable Content-Type";
		goto done;
	}
	for (size_t i = 0; i < sizeof(untouchable) / sizeof(untouchable[0]); i++)
		if (!strcmp(p.type, untouchable[i])) {
			*ret_why = "signed or encrypted";
			goto done;
		}
	if (!strcmp(p.type, "text/plain")) {
		if (plain(&p, header_text, footer_text, out) == 0)
			goto done_ok;
		buf_truncate(out, start);
	} else if (!strcmp(p.type, "multipart/mixed")) {
		if (mixed(&p, header_text, footer_text, out) == 0)
			goto done_ok;
		buf_truncate(out, start);
		*ret_why = "multipart/mixed without its delimiters";
		goto done;
	}
	wrap(&p, header_text, footer_text, out);
done_ok:
	r = 1;
	post_finish(&p);
	return r;
done:
	post_finish(&p);
	return 0;
}
