/* listd/mail/footer.h — a list's header and footer text added to a post,
 * MIME-correctly.
 *
 * By the post's top-level Content-Type:
 *  - text/plain (or none): the text goes into the body itself — header
 *    text before it, footer text after it (on a line of its own) — in the
 *    part's charset and transfer encoding: 7bit/8bit/binary bodies get the
 *    text appended, quoted-printable and base64 bodies are decoded and
 *    encoded again (76-column lines). When the text does not fit the
 *    part as it is (not representable in its charset, non-ASCII text in a
 *    7bit body, an unknown transfer encoding), the post is wrapped as below;
 *  - multipart/mixed: a new text/plain part (UTF-8; quoted-printable when
 *    not ASCII, else 7bit; Content-Disposition: inline) after the last part
 *    for the footer, before the first part for the header text; the other
 *    parts are not touched. Without a closing delimiter: left alone;
 *  - multipart/signed, multipart/encrypted, application/pkcs7-mime (and
 *    x-pkcs7-mime), application/pgp-encrypted, message/partial: left alone
 *    (no footer; a signature or encryption must never break);
 *  - anything else (multipart/alternative, text/html, ...): wrapped in a new
 *    multipart/mixed: the post's Content-* fields and body become its first
 *    part (after the header part), the footer part follows; MIME-Version is
 *    added when missing, and the new multipart is labelled 8bit or binary
 *    when the post was (RFC 2045, 6.4). The boundary occurs nowhere in the
 *    post.
 * Header fields other than Content-Type and Content-Transfer-Encoding (and,
 * when wrapping, the other Content-* fields) are copied byte for byte; the
 * text added uses LF line ends (the list transform makes them CRLF). Adding
 * anything to the body breaks a DKIM body hash; that is the price of
 * footers (see the DMARC settings).
 *
 * Pure: no I/O (iconv for charsets). */
#ifndef LISTD_MAIL_FOOTER_H
#define LISTD_MAIL_FOOTER_H

#include <stddef.h>

#include "listd/core/buf.h"

#define FOOTER_TEXT_MAX (64u << 10) /* bytes of header or footer text */

/* Adds header_text and footer_text (UTF-8, LF line ends; NULL or "" for
 * none) to msg (len bytes) and appends the result to out.
 * 1: done, out holds the new message; 0: nothing added, out untouched,
 * *ret_why (may be NULL) says why (no text, signed or encrypted, malformed);
 * -EINVAL: a text is longer than FOOTER_TEXT_MAX, is not UTF-8 or holds a
 * control byte other than LF and TAB (out untouched). */
int footer_apply(const char *msg, size_t len, const char *header_text, const char *footer_text,
                 struct buf *out, const char **ret_why);

/* Appends in (any bytes) encoded as quoted-printable (RFC 2045, LF hard
 * line breaks, lines of at most 76 characters) / base64 (76-column
 * lines, a final line end) to out. */
void footer_encode_qp(const char *in, size_t len, struct buf *out);
void footer_encode_base64(const char *in, size_t len, struct buf *out);

#endif
