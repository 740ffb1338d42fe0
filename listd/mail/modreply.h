/* listd/mail/modreply.h — what a moderator's mail to LIST-moderate+TOKEN@
 * decides.
 *
 * The decision is in the first non-blank line of the reply's text: the
 * first text/plain part outside any attached message (the whole body when
 * the message is not MIME), transfer encoding removed and converted to
 * UTF-8 from its charset. Blank means empty or only spaces and tabs.
 *   "reject" [REASON]   reject; REASON (the rest of the line, trimmed) is
 *                       passed on to the post's sender where that is allowed
 *   "discard"           drop, nobody told
 *   anything else, or no text at all: approve (a plain reply approves; the
 *                       quoted notice starts with "> ", so it never decides)
 * The words are case-insensitive and must stand alone ("rejected" is not
 * "reject"). Only the first MODREPLY_LINE_MAX bytes of that line are
 * looked at; the reason keeps at most MODREPLY_REASON_MAX bytes, cut on a
 * UTF-8 character boundary, with control bytes turned into spaces.
 *
 * Pure: no I/O; safe on any bytes. */
#ifndef LISTD_MAIL_MODREPLY_H
#define LISTD_MAIL_MODREPLY_H

#include <stddef.h>

#define MODREPLY_LINE_MAX 1000
#define MODREPLY_REASON_MAX 300

enum modreply_action {
	MODREPLY_APPROVE,
	MODREPLY_REJECT,
	MODREPLY_DISCARD,
};

struct modreply {
	enum modreply_action action;
	char reason[MODREPLY_REASON_MAX + 1]; /* reject: may be "" */
};

/* Reads the decision of the message msg (len bytes, headers and body). */
void modreply_parse(const char *msg, size_t len, struct modreply *ret_reply);

const char *modreply_action_name(enum modreply_action a);

#endif
