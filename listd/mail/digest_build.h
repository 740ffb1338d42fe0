/* listd/mail/digest_build.h — building digests from archived posts, and the
 * mbox form of the archive. Pure: no I/O, no clock (the caller passes the
 * time), no allocation but the output buffer.
 *
 * Two digest forms:
 *  - MIME (RFC 2046): multipart/mixed holding a text/plain table of
 *    contents and a multipart/digest whose parts are the posts, each an
 *    explicit message/rfc822 part.
 *  - plain (RFC 1153): one text/plain body: a heading, "Today's Topics"
 *    (the table of contents), a line of 70 hyphens, then each post as its
 *    Date, From, Subject and Message-ID fields, a blank line and its body,
 *    posts separated by lines of 30 hyphens, and the closing "End of"
 *    line underlined with asterisks. A body line that is exactly 30
 *    hyphens gets a leading blank so it cannot be read as a separator.
 * Output lines end in LF (the transform writes the wire form). */
#ifndef LISTD_MAIL_DIGEST_BUILD_H
#define LISTD_MAIL_DIGEST_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "listd/core/buf.h"

struct digest_post {
	uint32_t number;  /* the archive number shown to members */
	const char *data; /* the post as received, borrowed */
	size_t len;
};

struct digest_params {
	const char *list_local;     /* "dev" */
	const char *domain;         /* "lists.example.org" */
	const char *request_suffix; /* "-request" */
	uint32_t volume, issue;
	int64_t date;  /* unix seconds: the digest's Date */
	uint64_t seed; /* makes boundaries and Message-ID unique */
};

enum digest_form {
	DIGEST_FORM_MIME,
	DIGEST_FORM_PLAIN,
};

/* Appends the whole digest message (header and body) of the n posts to
 * out. -EINVAL: n is 0 or a parameter is missing; -ELOOP: no boundary
 * absent from every post was found (practically impossible). */
int digest_build(enum digest_form form, const struct digest_params *p,
                 const struct digest_post *posts, size_t n, struct buf *out);

/* Copies the value of the first header field name of the message into
 * ret_value[size], unfolded and with RFC 2047 encoded words decoded to UTF-8
 * (truncated at a UTF-8 boundary, control characters made blanks); ""
 * when absent. */
void digest_field(const char *data, size_t len, const char *name, char *ret_value, size_t size);

/* Appends one message in mbox form to out: a "From SENDER DATE" line
 * (sender "" is written as MAILER-DAEMON; date in asctime form, UTC), the
 * message with LF line ends, every line that starts with "From " (after
 * any number of '>') quoted with one more '>', and an empty line. */
void digest_mbox_append(const char *sender, int64_t date, const char *data, size_t len,
                        struct buf *out);

#endif
