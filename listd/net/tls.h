/* listd/net/tls.h — a GnuTLS client session over memory buffers.
 *
 * The session never touches a socket: GnuTLS's push/pull functions write
 * into and read from buffers of the session, and the owner of the libuv
 * stream (listd/net/smtp_client.c) moves the bytes:
 *
 *   bytes read from the stream  -> tls_session_feed()
 *   tls_session_handshake() / tls_session_read() / tls_session_write()
 *   tls_session_outbuf() non-empty -> write it to the stream, then clear it
 *
 * Certificate verification is on by default: the chain must lead to a
 * trusted CA (the configured CA file, or the system's trust store) and the
 * certificate must name the relay (DNS name, or IP address for a literal).
 * When it fails the handshake fails with -EPERM and tls_session_error()
 * says why, in GnuTLS's words ("The certificate is NOT trusted. The
 * certificate issuer is unknown. ...").
 *
 * Errors: negative errno. GnuTLS's codes are translated here and nowhere
 * else: -EAGAIN (needs more input), -EPERM (verification failed), -ECONNRESET
 * (the peer ended the TLS stream), -EPROTO (any other TLS failure; see
 * tls_session_error()), -ENOENT/-EINVAL (CA file missing / unusable). */
#ifndef LISTD_NET_TLS_H
#define LISTD_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "listd/core/buf.h"

struct tls_config;
struct tls_session;

/* Loads the trust anchors once for many sessions: ca_file (PEM), or the
 * system's default trust store when ca_file is NULL. *ret_config is freed
 * with tls_config_destroy(), after every session made from it.
 * Returns 0, -ENOENT (no such file), -EINVAL (no certificate in it). */
int tls_config_create(const char *ca_file, struct tls_config **ret_config);
void tls_config_destroy(struct tls_config *config); /* NULL is a no-op */

/* A client session for the relay server_name (a host name or an IP literal;
 * copied). verify: check the certificate chain and name during the
 * handshake (false: encrypt only; tls_session_verify_status() still tells
 * what a check would have said). config is borrowed for the session's life.
 * Free with tls_session_destroy(). Returns 0 or -EPROTO. */
int tls_session_create(struct tls_config *config, const char *server_name, bool verify,
                       struct tls_session **ret_session);
void tls_session_destroy(struct tls_session *s); /* NULL is a no-op */

/* Ciphertext received from the peer; copied. */
void tls_session_feed(struct tls_session *s, const char *data, size_t len);

/* Ciphertext to send to the peer. The caller takes the bytes (writes them
 * out) and empties the buffer (buf_reset, or buf_detach to hand the memory
 * to a write request). */
struct buf *tls_session_outbuf(struct tls_session *s);

/* Advances the handshake. 0 = done; -EAGAIN = send the outbuf and feed more
 * input; -EPERM, -EPROTO, -ECONNRESET = failed (see tls_session_error()). */
int tls_session_handshake(struct tls_session *s);

/* Decrypts what was fed into out (appended). Returns 0 when all input is
 * used up (nothing or something appended), -ECONNRESET on the peer's
 * close_notify or a premature end, -EPROTO on a TLS error. */
int tls_session_read(struct tls_session *s, struct buf *out);

/* Encrypts data into the outbuf. Returns 0 or -EPROTO. */
int tls_session_write(struct tls_session *s, const char *data, size_t len);

/* Appends a close_notify alert to the outbuf (best effort). */
void tls_session_bye(struct tls_session *s);

/* Why the last call failed, or a description of the negotiated session
 * after a successful handshake ("(TLS1.3)-(ECDHE-X25519)-..."). Owned by
 * the session, valid until the next call on it. */
const char *tls_session_error(const struct tls_session *s);

/* After the handshake: 0 if the certificate verifies for server_name
 * against the trust anchors, -EPERM otherwise with the reason in
 * tls_session_error(). Useful for opportunistic TLS, to log the result. */
int tls_session_verify_status(struct tls_session *s);

#endif
