/* listd/net/http_proto.h — the few bytes of HTTP/1.1 (RFC 9112) the one-click
 * unsubscribe endpoint (RFC 8058) needs: a strict, bounded request reader
 * and a response writer.
 *
 * A request is a request line, header lines, an empty line and, when
 * Content-Length says so, a body. Lines end in CRLF; a bare LF, a NUL or
 * another control byte (tab inside a header value excepted), obsolete line
 * folding, a header name that is not a token, a Content-Length that is not
 * all digits or is given twice with different values, or a Transfer-Encoding
 * (no chunked bodies here) make the request unacceptable. Everything is
 * bounded: HTTP_HEAD_MAX bytes of head, HTTP_HEADERS_MAX header lines,
 * HTTP_TARGET_MAX bytes of target, HTTP_BODY_MAX bytes of body.
 *
 * Pure: no I/O, no allocation except into a caller's struct buf. */
#ifndef LISTD_NET_HTTP_PROTO_H
#define LISTD_NET_HTTP_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "listd/core/buf.h"
#include "listd/core/slice.h"

#define HTTP_HEAD_MAX 8192  /* request line + headers + empty line */
#define HTTP_HEADERS_MAX 64 /* header lines */
#define HTTP_TARGET_MAX 512 /* bytes of the request target */
#define HTTP_BODY_MAX 4096  /* bytes of a body */

/* A parsed request. Slices point into the caller's input (see
 * http_request_parse()); an absent header is an empty slice. */
struct http_request {
	struct slice method;       /* "POST", "GET", ... (case kept) */
	struct slice target;       /* origin form, starts with '/' */
	unsigned version_minor;    /* HTTP/1.x */
	struct slice content_type; /* value, trimmed */
	bool has_length;           /* a Content-Length was given */
	size_t content_length;
	bool connection_close; /* "Connection: close", or HTTP/1.0 */
	struct slice body;     /* content_length bytes */
	size_t total;          /* bytes of the whole request */
};

/* Reads one request from the start of in.
 * 1 = complete: *ret_req filled, ret_req->total bytes taken from in;
 * 0 = incomplete but acceptable so far: read more (nothing written);
 * -EBADMSG = unacceptable: *ret_status holds the status to answer with
 * before closing (400 bad shape, 411 no Content-Length on a POST or a
 * Transfer-Encoding, 413 body too big, 431 head too big, 505 not HTTP/1.x).
 * An incomplete input already over a bound is refused at once, so a caller
 * never needs more than HTTP_HEAD_MAX + HTTP_BODY_MAX bytes of buffer. */
int http_request_parse(struct slice in, struct http_request *ret_req, int *ret_status);

/* True when the body is the one RFC 8058 asks for: the single form field
 * "List-Unsubscribe=One-Click", as application/x-www-form-urlencoded
 * (other fields alongside are tolerated) or as multipart/form-data. */
bool http_oneclick_body_ok(const struct http_request *req);

/* If target is "/unsubscribe/TOKEN" (an optional query string after it is
 * ignored) with TOKEN 1..HTTP_TOKEN_MAX base32 characters (either case),
 * stores the TOKEN in *ret_token and returns true. */
#define HTTP_TOKEN_MAX 128
bool http_target_token(struct slice target, struct slice *ret_token);

/* The reason phrase of status ("OK", "Bad Request", ...). */
const char *http_reason(int status);

/* Appends a complete HTTP/1.1 response: status line, Content-Type
 * text/plain; charset=utf-8, Content-Length, Cache-Control: no-store,
 * Connection: close when close is true (and "Allow: POST, GET, HEAD" for
 * 405), then text as the body (omitted, with its length still announced,
 * when head_only). */
void http_response_format(struct buf *out, int status, const char *text, bool close,
                          bool head_only);

#endif
