/* listd/net/tls.c — GnuTLS client sessions over memory buffers (see tls.h).
 * The only place that calls GnuTLS for TLS; its error codes are turned into
 * negative errno here. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "listd/core/xalloc.h"
#include "listd/net/tls.h"

struct tls_config {
	gnutls_certificate_credentials_t cred;
};

struct tls_session {
	gnutls_session_t gs;
	char *server_name;
	struct buf in; /* ciphertext fed, not yet pulled */
	size_t in_off;
	struct buf out; /* ciphertext pushed, not yet taken */
	struct buf why; /* last error / session description */
};

int tls_config_create(const char *ca_file, struct tls_config **ret_config)
{
	struct tls_config *c;
	struct stat st;
	int n;

	if (ca_file && stat(ca_file, &st) != 0)
		return -errno;
	c = xcalloc(1, sizeof(*c));
	if (gnutls_certificate_allocate_credentials(&c->cred) < 0)
		abort();
	if (ca_file)
		n = gnutls_certificate_set_x509_trust_file(c->cred, ca_file, GNUTLS_X509_FMT_PEM);
	else
		n = gnutls_certificate_set_x509_system_trust(c->cred);
	if (n <= 0) {
		gnutls_certificate_free_credentials(c->cred);
		free(c);
		return -EINVAL;
	}
	*ret_config = c;
	return 0;
}

void tls_config_destroy(struct tls_config *config)
{
	if (!config)
		return;
	gnutls_certificate_free_credentials(config->cred);
	free(config);
}

static ssize_t push_cb(gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
	struct tls_session *s = ptr;

	buf_add(&s->out, data, len);
	return (ssize_t)len;
}

static ssize_t pull_cb(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	struct tls_session *s = ptr;
	size_t have = s->in.len - s->in_off;

	if (have == 0) {
		gnutls_transport_set_errno(s->gs, EAGAIN);
		return -1;
	}
	if (len > have)
		len = have;
	memcpy(data, s->in.data + s->in_off, len);
	s->in_off += len;
	if (s->in_off == s->in.len) {
		buf_reset(&s->in);
		s->in_off = 0;
	}
	return (ssize_t)len;
}

static bool is_ip_literal(const char *name)
{
	unsigned char a[16];

	return inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1;
}

int tls_session_create(struct tls_config *config, const char *server_name, bool verify,
                       struct tls_session **ret_session)
{
	struct tls_session *s = xcalloc(1, sizeof(*s));

	buf_init(&s->in, 0);
	buf_init(&s->out, 0);
	buf_init(&s->why, 0);
	s->server_name = xstrdup(server_name);
	if (gnutls_init(&s->gs, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0)
		goto fail_init;
	if (gnutls_set_default_priority(s->gs) < 0 ||
	    gnutls_credentials_set(s->gs, GNUTLS_CRD_CERTIFICATE, config->cred) < 0)
		goto fail;
	if (!is_ip_literal(server_name) &&
	    gnutls_server_name_set(s->gs, GNUTLS_NAME_DNS, server_name, strlen(server_name)) < 0)
		goto fail;
	if (verify)
		gnutls_session_set_verify_cert(s->gs, s->server_name, 0);
	gnutls_transport_set_ptr(s->gs, s);
	gnutls_transport_set_push_function(s->gs, push_cb);
	gnutls_transport_set_pull_function(s->gs, pull_cb);
	*ret_session = s;
	return 0;
fail:
	gnutls_deinit(s->gs);
fail_init:
	buf_finish(&s->in);
	buf_finish(&s->out);
	buf_finish(&s->why);
	free(s->server_name);
	free(s);
	return -EPROTO;
}

void tls_session_destroy(struct tls_session *s)
{
	if (!s)
		return;
	gnutls_deinit(s->gs);
	buf_finish(&s->in);
	buf_finish(&s->out);
	buf_finish(&s->why);
	free(s->server_name);
	free(s);
}

void tls_session_feed(struct tls_session *s, const char *data, size_t len)
{
	buf_add(&s->in, data, len);
}

struct buf *tls_session_outbuf(struct tls_session *s)
{
	return &s->out;
}

const char *tls_session_error(const struct tls_session *s)
{
	return s->why.data;
}

static void set_why(struct tls_session *s, const char *what, int gerr)
{
	buf_reset(&s->why);
	buf_addf(&s->why, "%s: %s", what, gnutls_strerror(gerr));
}

/* Puts GnuTLS's description of a verification status into s->why. */
static void set_why_status(struct tls_session *s, unsigned status)
{
	gnutls_datum_t txt = { NULL, 0 };

	buf_reset(&s->why);
	buf_addf(&s->why, "certificate verification failed for %s: ", s->server_name);
	if (gnutls_certificate_verification_status_print(status, gnutls_certificate_type_get(s->gs),
	                                                 &txt, 0) == 0) {
		buf_add(&s->why, txt.data, txt.size);
		gnutls_free(txt.data);
		while (s->why.len > 0 &&
		       (s->why.data[s->why.len - 1] == ' ' || s->why.data[s->why.len - 1] == '\0'))
			buf_truncate(&s->why, s->why.len - 1);
	} else {
		buf_addf(&s->why, "status 0x%x", status);
	}
}

int tls_session_handshake(struct tls_session *s)
{
	int r;
	char *desc;

	do {
		r = gnutls_handshake(s->gs);
	} while (r < 0 && r != GNUTLS_E_AGAIN && !gnutls_error_is_fatal(r));
	if (r == GNUTLS_E_AGAIN)
		return -EAGAIN;
	if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		set_why_status(s, gnutls_session_get_verify_cert_status(s->gs));
		return -EPERM;
	}
	if (r == GNUTLS_E_PREMATURE_TERMINATION) {
		set_why(s, "TLS handshake", r);
		return -ECONNRESET;
	}
	if (r < 0) {
		set_why(s, "TLS handshake", r);
		return -EPROTO;
	}
	buf_reset(&s->why);
	desc = gnutls_session_get_desc(s->gs);
	buf_adds(&s->why, desc ? desc : "TLS");
	gnutls_free(desc);
	return 0;
}

int tls_session_verify_status(struct tls_session *s)
{
	unsigned status = 0;
	int r = gnutls_certificate_verify_peers3(s->gs, s->server_name, &status);

	if (r < 0) {
		set_why(s, "certificate verification", r);
		return -EPERM;
	}
	if (status != 0) {
		set_why_status(s, status);
		return -EPERM;
	}
	return 0;
}

int tls_session_read(struct tls_session *s, struct buf *out)
{
	size_t last_left = (size_t)-1;

	for (;;) {
		ssize_t n;

		buf_grow(out, 16384);
		n = gnutls_record_recv(s->gs, out->data + out->len, out->cap - out->len - 1);
		if (n > 0) {
			out->len += (size_t)n;
			out->data[out->len] = '\0';
			continue;
		}
		if (n == 0) {
			buf_reset(&s->why);
			buf_adds(&s->why, "TLS: the relay closed the session");
			return -ECONNRESET;
		}
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			/* after a post-handshake message (a TLS 1.3 session
			 * ticket) GnuTLS may say "again" with records still in
			 * our input: go on while that input shrinks */
			size_t left = s->in.len - s->in_off;

			if (left > 0 && left != last_left) {
				last_left = left;
				continue;
			}
			return 0;
		}
		if (n == GNUTLS_E_PREMATURE_TERMINATION) {
			set_why(s, "TLS read", (int)n);
			return -ECONNRESET;
		}
		if (!gnutls_error_is_fatal((int)n))
			continue; /* e.g. a warning alert or a rehandshake request */
		set_why(s, "TLS read", (int)n);
		return -EPROTO;
	}
}

int tls_session_write(struct tls_session *s, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = gnutls_record_send(s->gs, data, len);

		if (n < 0) {
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
				continue; /* push never blocks: cannot loop forever */
			set_why(s, "TLS write", (int)n);
			return -EPROTO;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

void tls_session_bye(struct tls_session *s)
{
	(void)gnutls_bye(s->gs, GNUTLS_SHUT_WR);
}
