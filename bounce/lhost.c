/* bounce/lhost.c — delivery failure reports that are not RFC 3464.
 *
 * MTAs that write their own format (qmail, Exim without DSN, old Sendmail,
 * Exchange, webmail providers, gateways) still follow one shape: a short
 * explanation, the failed addresses each with the remote server's reply or
 * a sentence, then a copy of the original message. Rather than a parser
 * per vendor, this file reads that shape generically:
 *   1. the text is cut before the copy of the original message (marker
 *      phrases, or the first line that starts an enclosed header block);
 *   2. every mailbox written in the remaining text is a candidate, and the
 *      text from it to the next candidate is its explanation;
 *   3. the caller drops its own addresses (the bounce's sender and
 *      recipient, postmaster and the like) and classifies the explanations.
 * Everything is linear: each line is looked at a bounded number of times. */
#include <stdlib.h>
#include <string.h>

#include "bounce/internal.h"
#include "listd/core/ascii.h"
#include "listd/core/xalloc.h"

/* Phrases that start the copy of the original message. */
static const char *const original_markers[] = {
	"this is a copy of the message",
	"below this line is a copy of the message",
	"original message follows",
	"original message headers",
	"original message header",
	"returned message follows",
	"start of returned message",
	"unsent message below",
	"message headers follow",
	"headers of the original message",
	"header of the original message",
	"text of the original message",
	"copy of the original message",
	"------ original message",
	"----- original message",
	"---- original message",
	"--- original message",
	"content-type: message/rfc822",
	"received-from-mta:",
};

/* Header names that start an enclosed header block when a line begins
 * with them (lower case, with the line break before). */
static const char *const header_starts[] = {
	"\nreceived: ",       "\nreturn-path: ",   "\nmessage-id: ",
	"\ndkim-signature: ", "\nx-original-to: ",
};

struct slice lhost_cut_original(struct slice t, const struct bounce_text *bt)
{
	size_t cut = t.len;

	/* the copy of the original starts near the top; past the scanned
	 * prefix without a marker, the rest is not read as explanation */
	if (t.len > LIMIT_BOUNCE_SCAN)
		cut = LIMIT_BOUNCE_SCAN;
	const char *base = bt->low.data;
	/* only the earliest marker matters: each search reads no further
	 * than the cut found so far, and the enclosed header block, nearly
	 * always present, is looked for first */
	for (size_t i = 0; i < sizeof(header_starts) / sizeof(header_starts[0]); i++) {
		const char *p = bounce_text_find_before(bt, header_starts[i], cut);
		if (p && (size_t)(p - base) + 1 < cut)
			cut = (size_t)(p - base) + 1;
	}
	for (size_t i = 0; i < sizeof(original_markers) / sizeof(original_markers[0]); i++) {
		const char *p = bounce_text_find_before(bt, original_markers[i], cut);
		if (p && (size_t)(p - base) < cut)
			cut = (size_t)(p - base);
	}
	/* cut at the start of the marker's line */
	while (cut > 0 && cut < t.len && t.p[cut - 1] != '\n')
		cut--;
	return slice_make(t.p, cut);
}

static bool local_char(char c)
{
	return ascii_is_alnum(c) || (c && strchr(".!#$%&'*+-/=?^_`{|}~", c)) ||
	        (unsigned char)c >= 0x80;
}

static bool domain_char(char c)
{
	return ascii_is_alnum(c) || c == '.' || c == '-' || (unsigned char)c >= 0x80 || c == '[' ||
	        c == ']' || c == ':';
}

static bool names(struct slice line, struct slice addr)
{
	for (size_t k = 0; addr.len && k + addr.len <= line.len; k++)
		if (slice_case_eq(slice_make(line.p + k, addr.len), addr))
			return true;
	return false;
}

/* Sendmail writes one line per failed item at the margin, "550 <a@b>...
 * User unknown" or "550 host (mailer)... Host unknown": the reply code,
 * the item, three dots, the text. An address's explanation (d, the text
 * after addr) ends before the next such line that names another item (a
 * line naming addr itself is its reply). Returns the explanation's length. */
static size_t own_items_end(struct slice d, struct slice addr)
{
	const char *nl = memchr(d.p, '\n', d.len);
	while (nl) {
		size_t ls = (size_t)(nl + 1 - d.p);
		const char *l = nl + 1;
		nl = memchr(l, '\n', d.len - ls);
		size_t ll = nl ? (size_t)(nl - l) : d.len - ls;
		if (ll > 8 && (l[0] == '4' || l[0] == '5') && ascii_is_digit(l[1]) &&
		    ascii_is_digit(l[2]) && l[3] == ' ' && memmem(l + 4, ll - 4, "... ", 4) &&
		    !names(slice_make(l, ll), addr))
			return ls;
	}
	return d.len;
}

void lhost_scan(struct slice t, bool (*accept)(struct slice addr, void *ctx),
                void (*add)(const struct lhost_hit *hit, void *ctx), void *ctx)
{
	struct lhost_hit prev;
	bool have_prev = false;
	size_t last_at_end = 0;

	for (size_t i = 0; i < t.len; i++) {
		if (t.p[i] != '@' || i < last_at_end)
			continue;
		size_t s = i, e = i + 1;
		/* never back into the previous address */
		while (s > last_at_end && local_char(t.p[s - 1]) && i - s < 128)
			s--;
		while (e < t.len && domain_char(t.p[e]) && e - i < 256)
			e++;
		/* trim trailing dots, colons and brackets */
		while (e > i + 1 &&
		       (t.p[e - 1] == '.' || t.p[e - 1] == ':' || t.p[e - 1] == ']' ||
		        t.p[e - 1] == '-'))
			e--;
		while (s < i && (t.p[s] == '.' || t.p[s] == '\'' || t.p[s] == '='))
			s++;
		last_at_end = e;
		if (s == i || e <= i + 1)
			continue;
		struct slice dom = slice_make(t.p + i + 1, e - i - 1);
		if (!memchr(dom.p, '.', dom.len))
			continue;
		/* a piece of a URL (".../identity/user@example.org", "?a=b&c=user@...") */
		if (memchr(t.p + s, '/', i - s) || memchr(t.p + s, '&', i - s) ||
		    memchr(t.p + s, '?', i - s))
			continue;
		/* skip message identifiers and headers quoted inline (a field,
		 * "Message-ID: <x@y>", or a log's "message-id=<x@y>"; a sentence
		 * that names the field, "duplicated Message-ID in <list@host>",
		 * goes on to name an address) */
		size_t ls = s;
		while (ls > 0 && t.p[ls - 1] != '\n' && s - ls < 200)
			ls--;
		struct slice linehead = slice_make(t.p + ls, s - ls);
		if (slice_case_find(linehead, "message-id:") ||
		    slice_case_find(linehead, "message-id=") ||
		    slice_case_find(linehead, "message-id <") ||
		    slice_case_find(linehead, "in-reply-to") ||
		    slice_case_find(linehead, "references:") ||
		    slice_case_find(linehead, "mailer-daemon@"))
			continue;
		/* an address the report labels as the sender's ("From:",
		 * "Sender:", "MAIL FROM:", "not accepting mail from x") is no
		 * failed recipient */
		if (slice_case_find(linehead, "from:") || slice_case_find(linehead, "sender:") ||
		    slice_case_find(linehead, "mail from "))
			continue;
		struct slice cand = slice_make(t.p + s, e - s);
		if (have_prev && slice_case_eq(cand, prev.addr))
			continue; /* the same address again: part of its text */
		if (!accept(cand, ctx))
			continue; /* the sender, postmaster...: part of the text */
		if (have_prev) {
			size_t dstart = (size_t)(prev.diag.p - t.p);
			size_t dend = ls > dstart ? ls : s;
			prev.diag.len = dend > dstart ? dend - dstart : 0;
			prev.diag.len = own_items_end(prev.diag, prev.addr);
			add(&prev, ctx);
		}
		prev.addr = cand;
		prev.diag = slice_make(t.p + e, 0);
		have_prev = true;
	}
	if (have_prev) {
		prev.diag.len = t.len - (size_t)(prev.diag.p - t.p);
		prev.diag.len = own_items_end(prev.diag, prev.addr);
		add(&prev, ctx);
	}
}

/* Words of a line that introduces the list of failed recipients. */
static const char *const list_intros[] = {
	"following recipient",
	"following address",
	"following user",
};

static struct slice next_line(struct slice t, size_t *pos)
{
	size_t s = *pos;
	const char *nl = memchr(t.p + s, '\n', t.len - s);
	size_t e = nl ? (size_t)(nl - t.p) : t.len;
	*pos = nl ? e + 1 : t.len;
	while (e > s && (t.p[e - 1] == '\r' || t.p[e - 1] == ' ' || t.p[e - 1] == '\t'))
		e--;
	return slice_make(t.p + s, e - s);
}

void lhost_bare_locals(struct slice t,
                       void (*add)(struct slice local, struct slice diag, void *ctx), void *ctx)
{
	size_t pos = 0, found = 0;
	struct slice prev = slice_make(t.p, 0);
	while (pos < t.len) {
		size_t start = pos;
		struct slice line = next_line(t, &pos);
		/* the introducing sentence ends with a colon; it may be folded
		 * over two lines */
		struct slice sentence =
		        prev.len ? slice_make(prev.p, (size_t)(line.p - prev.p) + line.len) : line;
		prev = line.len ? slice_make(t.p + start, line.len) : slice_make(t.p, 0);
		bool intro = false;
		for (size_t i = 0; line.len && line.p[line.len - 1] == ':' &&
		     i < sizeof(list_intros) / sizeof(list_intros[0]);
		     i++)
			intro = intro || slice_case_find(sentence, list_intros[i]);
		if (!intro)
			continue;
		/* the items: indented lines, each a local part and perhaps its
		 * explanation; the list ends at the first other line */
		bool any = false;
		while (pos < t.len && found < 16) {
			size_t at = pos;
			struct slice item = next_line(t, &pos);
			if (item.len == 0 && !any)
				continue;
			if (item.len == 0 || (item.p[0] != ' ' && item.p[0] != '\t')) {
				pos = at;
				break;
			}
			size_t s = 0;
			while (s < item.len && (item.p[s] == ' ' || item.p[s] == '\t'))
				s++;
			size_t e = s;
			while (e < item.len && local_char(item.p[e]) && item.p[e] != '/' &&
			       item.p[e] != '|')
				e++;
			bool alnum = false;
			for (size_t k = s; k < e; k++)
				alnum = alnum || ascii_is_alnum(item.p[k]);
			/* the line holds the local part alone ("an undisclosed
			 * address", "* user@host" are not) */
			if (e == s || e - s > 64 || !alnum || item.p[s] == '.' ||
			    item.p[e - 1] == '.' || e < item.len) {
				pos = at;
				break;
			}
			add(slice_make(item.p + s, e - s), slice_make(item.p + e, 0), ctx);
			any = true;
			found++;
		}
	}
}

static const char *const bounce_phrases[] = {
	"could not be delivered",
	"couldn't be delivered",
	"could not deliver",
	"couldn't deliver",
	"was not delivered",
	"wasn't delivered",
	"not be delivered",
	"undeliverable",
	"undelivered",
	"delivery failed",
	"delivery has failed",
	"delivery failure",
	"delivery problem",
	"delivery status notification",
	"delivery to the following",
	"permanent fatal error",
	"permanent error",
	"mail delivery failed",
	"mail delivery software",
	"failure notice",
	"returned mail",
	"unable to deliver",
	"failed to deliver",
	"this is the qmail-send program",
	"non-delivery",
	"nondeliverable",
	"non delivery",
	"user unknown",
	"the following addresses had",
	"message you sent",
	"rejected your message",
	"has been rejected",
	"was rejected",
	"bounced",
	"mailbox is full",
	"mailbox unavailable",
	"transcript of session",
	"delivery notification",
	"address rejected",
	"no such user",
	"smtp error",
	"error in processing",
	"unrouteable",
	"recipient address rejected",
	"delivery was not possible",
	"while talking to",
	"does not exist",
	"could not reach",
	"mail system",
	"delivery attempts",
	"not a member of this mailing list",
};

bool lhost_looks_bounce(const struct bounce_text *bt, size_t cut_len)
{
	for (size_t i = 0; i < sizeof(bounce_phrases) / sizeof(bounce_phrases[0]); i++) {
		const char *p = bounce_text_find(bt, bounce_phrases[i]);
		if (p && (size_t)(p - bt->low.data) < cut_len)
			return true;
	}
	return false;
}
