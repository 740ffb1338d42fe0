/* storage/codec.c — see codec.h. */
#include "storage/codec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void codec_put_u8(struct buf *out, uint8_t v)
{
	unsigned char c = v;
	buf_add(out, &c, 1);
}

void codec_put_u16(struct buf *out, uint16_t v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };
	buf_add(out, b, 2);
}

void codec_put_u32(struct buf *out, uint32_t v)
{
	unsigned char b[4];
	codec_be32_write(b, v);
	buf_add(out, b, 4);
}

void codec_put_u64(struct buf *out, uint64_t v)
{
	unsigned char b[8];
	codec_be64_write(b, v);
	buf_add(out, b, 8);
}

void codec_put_strn(struct buf *out, const char *s, size_t n)
{
	if (n > CODEC_STR_MAX) {
		fprintf(stderr, "codec: string of %zu bytes cannot be encoded\n", n);
		abort();
	}
	codec_put_u16(out, (uint16_t)n);
	buf_add(out, s, n);
}

void codec_put_str(struct buf *out, const char *s)
{
	codec_put_strn(out, s, strlen(s));
}

void codec_put_blob(struct buf *out, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		fprintf(stderr, "codec: blob of %zu bytes cannot be encoded\n", n);
		abort();
	}
	codec_put_u32(out, (uint32_t)n);
	buf_add(out, p, n);
}

void codec_dec_init(struct codec_dec *d, const void *p, size_t n)
{
	d->p = p;
	d->left = n;
	d->err = 0;
}

/* Takes n bytes, or fails the decoder and returns NULL. */
static const unsigned char *take(struct codec_dec *d, size_t n)
{
	if (d->err)
		return NULL;
	if (n > d->left) {
		d->err = -EBADMSG;
		return NULL;
	}
	const unsigned char *p = d->p;
	d->p += n;
	d->left -= n;
	return p;
}

int codec_get_version(struct codec_dec *d, uint8_t max_known, uint8_t *ret_version)
{
	const unsigned char *p = take(d, 1);
	if (!p)
		return d->err;
	if (*p == 0) {
		codec_dec_fail(d, -EBADMSG);
		return d->err;
	}
	if (*p > max_known) {
		codec_dec_fail(d, -EPROTO);
		return d->err;
	}
	*ret_version = *p;
	return 0;
}

uint8_t codec_get_u8(struct codec_dec *d)
{
	const unsigned char *p = take(d, 1);
	return p ? *p : 0;
}

uint16_t codec_get_u16(struct codec_dec *d)
{
	const unsigned char *p = take(d, 2);
	return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

uint32_t codec_get_u32(struct codec_dec *d)
{
	const unsigned char *p = take(d, 4);
	return p ? codec_be32_read(p) : 0;
}

uint64_t codec_get_u64(struct codec_dec *d)
{
	const unsigned char *p = take(d, 8);
	return p ? codec_be64_read(p) : 0;
}

bool codec_get_bool(struct codec_dec *d)
{
	uint8_t v = codec_get_u8(d);
	if (v > 1)
		codec_dec_fail(d, -EBADMSG);
	return v == 1;
}

unsigned codec_get_enum(struct codec_dec *d, unsigned max)
{
	uint8_t v = codec_get_u8(d);
	if (v > max) {
		codec_dec_fail(d, -EBADMSG);
		return 0;
	}
	return v;
}

void codec_get_str(struct codec_dec *d, char *ret_str, size_t size)
{
	ret_str[0] = '\0';
	uint16_t n = codec_get_u16(d);
	if (d->err)
		return;
	if ((size_t)n >= size) {
		codec_dec_fail(d, -EBADMSG);
		return;
	}
	const unsigned char *p = take(d, n);
	if (!p)
		return;
	if (memchr(p, '\0', n)) {
		codec_dec_fail(d, -EBADMSG);
		return;
	}
	memcpy(ret_str, p, n);
	ret_str[n] = '\0';
}

void codec_get_blob(struct codec_dec *d, const void **ret_p, size_t *ret_n)
{
	uint32_t n = codec_get_u32(d);
	const unsigned char *p = take(d, n);
	*ret_p = p ? p : (const void *)"";
	*ret_n = p ? n : 0;
}

int codec_dec_finish(const struct codec_dec *d)
{
	if (d->err)
		return d->err;
	if (d->left)
		return -EBADMSG;
	return 0;
}
