/* listd/core/template.c — see template.h. */
#include "template.h"

#include <errno.h>
#include <string.h>

#define LIST_VARS \
	"list domain list_address post_address description request_address " \
	"owner_address help_address unsubscribe_address"

static const struct template_def defs[] = {
	{ "footer", "text added at the end of every post (empty: none)", LIST_VARS, "" },
	{ "header", "text added at the start of every post (empty: none)", LIST_VARS, "" },
	{ "confirm", "the confirmation of a subscription, unsubscription or delivery change",
	  "list_address action confirm_address days",
	  "Someone, probably you, asked to ${action} the list ${list_address}\n"
	  "with this address.\n\n"
	  "To confirm, reply to this message (the reply goes to\n"
	  "${confirm_address}), or send a message from this address to that address.\n"
	  "The confirmation expires in ${days} days.\n\n"
	  "If you did not ask for this, ignore this message: nothing\n"
	  "happens without your reply.\n" },
	{ "help", "the answer to \"help\" at the request address",
	  "list_address request_address owner_address",
	  "Commands for ${list_address}, one in the Subject or the first line of a\n"
	  "message to ${request_address}:\n\n"
	  "  subscribe     join the list (a confirmation is sent first)\n"
	  "  unsubscribe   leave the list (a confirmation is sent first)\n"
	  "  help          this text\n"
	  "  get N         post number N from the archive (members)\n"
	  "  set delivery normal|digest|nomail\n"
	  "                every post, digests, or nothing (members;\n"
	  "                a confirmation is sent first)\n\n"
	  "Posts go to ${list_address}. The owners are at ${owner_address}.\n" },
	{ "welcome",
	  "to a new member who confirmed by mail (or whose subscription a moderator approved)",
	  LIST_VARS " member",
	  "Welcome to ${list_address}: <${member}> is now a member.\n\n"
	  "Posts go to ${post_address}. To leave the list, send\n"
	  "\"unsubscribe\" to ${request_address}; \"help\" there lists the\n"
	  "other commands.\n" },
	{ "goodbye", "to a member who confirmed leaving the list by mail", LIST_VARS " member",
	  "<${member}> is no longer a member of ${list_address}.\n\n"
	  "To join again, send \"subscribe\" to ${request_address}.\n" },
	{ "get-reply", "to a member who sent \"get N\": the text beside the attached post",
	  "list_address number", "Post ${number} of ${list_address}, as archived, is attached.\n" },
	{ "get-missing", "to a member who sent \"get N\" for a post the archive does not have",
	  "list_address number", "The archive of ${list_address} has no post ${number}.\n" },
	{ "get-too-large", "to a member who sent \"get N\" for a post too large to be sent by mail",
	  "list_address number size limit",
	  "Post ${number} of ${list_address} (${size} bytes) is too large to be sent by mail\n"
	  "(a message may have ${limit} bytes). Ask the list's owners for it.\n" },
	{ "held-notice", "to each moderator: a post is held (the post is attached)",
	  "list_address reason from sender subject size number moderate_address until",
	  "A post to ${list_address} is held for the moderators: ${reason}.\n\n"
	  "  From:     ${from}\n  Sender:   <${sender}>\n  Subject:  ${subject}\n"
	  "  Size:     ${size} bytes\n  Number:   ${number}\n\n"
	  "To approve it, reply to this message (the reply goes to\n${moderate_address}).\n"
	  "To reject it, reply with this first line (the reason is passed on to\n"
	  "the sender where listd may write to them):\n\n    reject REASON\n\n"
	  "To drop it without telling anyone, reply with this first line:\n\n"
	  "    discard\n\n"
	  "The first decision counts; this notice can be answered until ${until}.\n"
	  "On the server: listadm hold approve|reject|discard ${list_address} ${number}\n" },
	{ "held-notice-server", "to each moderator, when no reply address fits: a post is held",
	  "list_address reason from sender subject size number",
	  "A post to ${list_address} is held for the moderators: ${reason}.\n\n"
	  "  From:     ${from}\n  Sender:   <${sender}>\n  Subject:  ${subject}\n"
	  "  Size:     ${size} bytes\n  Number:   ${number}\n\nDecide on the server:\n"
	  "  listadm hold approve|reject|discard ${list_address} ${number}\n" },
	{ "subscribe-notice", "to each moderator: a confirmed subscription waits for approval",
	  "list_address subscriber moderate_address until",
	  "<${subscriber}> asked to join ${list_address} and confirmed the address.\n"
	  "The list's subscriptions need a moderator's approval.\n\n"
	  "To approve, reply to this message (the reply goes to\n${moderate_address}).\n"
	  "To refuse, reply with the first line \"reject\" or \"discard\".\n"
	  "The first decision counts; this notice can be answered until ${until}.\n" },
	{ "subscribe-notice-server",
	  "to each moderator, when no reply address fits: "
	  "a confirmed subscription waits",
	  "list_address subscriber",
	  "<${subscriber}> asked to join ${list_address} and confirmed the address.\n"
	  "The list's subscriptions need a moderator's approval.\n\n"
	  "Add the member on the server: listadm member add ${list_address} ${subscriber}\n" },
	{ "decision", "to each moderator: what a decision by mail did",
	  "list_address decision moderator message_number",
	  "${decision}\n\nDecided by mail from ${moderator} (message ${message_number}).\n" },
	{ "reject-notice", "to a trusted sender whose held post was rejected",
	  "list_address reason_text",
	  "The moderators of ${list_address} did not accept your message.\n${reason_text}" },
	{ "held-digest", "to the owners, at most daily: the posts held", "list_address held more",
	  "Messages held for the moderators of ${list_address}:\n\n${held}${more}\n"
	  "Decide by replying to each post's notice, or with:\n"
	  "  listadm hold show ${list_address} ID\n"
	  "  listadm hold approve|reject|discard ${list_address} ID\n" },
	{ "owner-too-large", "to the owners: mail to the owner address too large to forward",
	  "list_address owner_address size sender message_number limit",
	  "A message of ${size} bytes from <${sender}> to ${owner_address} was not forwarded:\n"
	  "with the forwarding lines it is larger than the ${limit} bytes a message\n"
	  "may have. It is kept as message ${message_number}; `listadm queue show "
	  "${message_number}` shows it.\n" },
	{ "bounce-probe",
	  "to a member whose delivery bounce processing disabled (also the reminders)",
	  "list_address member missed days reminders owner_address",
	  "Hello,\n\nmail from the list ${list_address} to ${member} could not be delivered "
	  "repeatedly, so the list has stopped sending you its posts for now.\n\n"
	  "${missed}"
	  "This message is a test of your address. If it reaches you and "
	  "nothing bounces it, delivery is turned back on automatically after ${days}; "
	  "you need not do anything.\n${reminders}"
	  "\nTo have delivery turned back on now, write to the list's "
	  "owners at ${owner_address}.\n" },
	{ "bounce-digest", "to the owners, at most daily: what bounce processing did",
	  "list_address actions",
	  "Bounce processing of the list ${list_address} since the last report "
	  "(one report a day at most):\n\n${actions}\n"
	  "`listadm bounce ls ${list_address}` shows every member's bounce score; "
	  "`listadm bounce reset ${list_address} ADDRESS` re-enables a member.\n" },
};

const struct template_def *template_all(size_t *ret_n)
{
	*ret_n = sizeof(defs) / sizeof(defs[0]);
	return defs;
}

const struct template_def *template_find(const char *name)
{
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (!strcmp(defs[i].name, name))
			return &defs[i];
	return NULL;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* At text[i] == '$' followed by '{': the length of the name and the
 * position after '}' in *ret_end; 0 when no valid reference starts here. */
static size_t reference(const char *text, size_t len, size_t i, size_t *ret_end)
{
	size_t j = i + 2;
	while (j < len && j - (i + 2) <= TEMPLATE_NAME_MAX && name_char(text[j]))
		j++;
	size_t n = j - (i + 2);
	if (j >= len || text[j] != '}' || n == 0 || n > TEMPLATE_NAME_MAX)
		return 0;
	*ret_end = j + 1;
	return n;
}

/* Is name (n bytes) one of the space-separated words of list? */
static bool in_list(const char *list, const char *name, size_t n)
{
	const char *p = list;
	while (*p) {
		const char *sp = strchr(p, ' ');
		size_t wl = sp ? (size_t)(sp - p) : strlen(p);
		if (wl == n && !memcmp(p, name, n))
			return true;
		if (!sp)
			break;
		p = sp + 1;
	}
	return false;
}

/* UTF-8 sequence length at s (n bytes left), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0], min;
	size_t k;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) {
		k = 1;
		min = 0x80;
		c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		k = 2;
		min = 0x800;
		c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		k = 3;
		min = 0x10000;
		c &= 0x07;
	} else
		return 0;
	if (n < k + 1)
		return 0;
	for (size_t i = 1; i <= k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return k + 1;
}

int template_check(const struct template_def *def, const char *text, size_t len, struct buf *err)
{
	unsigned line = 1;
	if (len > TEMPLATE_TEXT_MAX) {
		buf_addf(err, "longer than %u bytes", TEMPLATE_TEXT_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\n') {
			line++;
			i++;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			buf_addf(err, "line %u: control byte 0x%02x", line, c);
			return -EINVAL;
		}
		if (c >= 0x80) {
			size_t k = utf8_len((const unsigned char *)text + i, len - i);
			if (!k) {
				buf_addf(err, "line %u: not UTF-8", line);
				return -EINVAL;
			}
			i += k;
			continue;
		}
		if (c == '$' && i + 1 < len && text[i + 1] == '$') {
			i += 2;
			continue;
		}
		if (c == '$' && i + 1 < len && text[i + 1] == '{') {
			size_t end, n = reference(text, len, i, &end);
			if (!n) {
				buf_addf(err,
				         "line %u: \"${\" without a variable name and \"}\" "
				         "(write $$ for a dollar sign)",
				         line);
				return -EINVAL;
			}
			if (!in_list(def->vars, text + i + 2, n)) {
				buf_addf(err, "line %u: unknown variable ${%.*s} (%s has: %s)",
				         line, (int)n, text + i + 2, def->name, def->vars);
				return -EINVAL;
			}
			i = end;
			continue;
		}
		i++;
	}
	return 0;
}

void template_expand(const char *text, size_t len, const struct template_var *vars, size_t n,
                     struct buf *out)
{
	size_t limit = out->len + TEMPLATE_OUT_MAX;
	for (size_t i = 0; i < len && out->len < limit;) {
		if (text[i] != '$' || i + 1 >= len) {
			buf_addch(out, text[i++]);
			continue;
		}
		if (text[i + 1] == '$') {
			buf_addch(out, '$');
			i += 2;
			continue;
		}
		size_t end, nl;
		if (text[i + 1] == '{' && (nl = reference(text, len, i, &end)) > 0) {
			const struct template_var *v = NULL;
			for (size_t k = 0; k < n && !v; k++)
				if (strlen(vars[k].name) == nl &&
				    !memcmp(vars[k].name, text + i + 2, nl))
					v = &vars[k];
			if (v) {
				const char *val = v->value ? v->value : "";
				size_t vl = strlen(val);
				if (vl > limit - out->len)
					vl = limit - out->len;
				buf_add(out, val, vl);
			} else {
				buf_add(out, text + i, end - i);
			}
			i = end;
			continue;
		}
		buf_addch(out, text[i++]);
	}
	if (out->len > limit)
		buf_truncate(out, limit);
}
