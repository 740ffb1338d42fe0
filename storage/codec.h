/* storage/codec.h — explicit encoding of stored records.
 *
 * A record is a version byte, then its fields in a fixed order:
 * integers big-endian in 1, 2, 4 or 8 bytes, strings with a 2-byte length
 * prefix, blobs with a 4-byte one. No padding, no raw structs, so a record
 * reads the same on every machine and compiler.
 *
 * Evolving a record: a new version only APPENDS fields. Its decoder reads
 * the old fields unconditionally and the new ones only when the record's
 * version is high enough, filling defaults otherwise; so version N reads
 * every version below N. A record whose version is above what the code
 * knows is refused with -EPROTO (written by a newer program).
 *
 * Encoding appends to a caller's struct buf (reused across records, so a
 * bulk load allocates nothing per record). Decoding reads from borrowed
 * bytes through a struct codec_dec whose error is sticky: after the first
 * short read every getter returns zero/empty and codec_dec_finish() reports
 * -EBADMSG. Nothing in a stored length is trusted: each one is checked
 * against the bytes that remain and against the destination's size. */
#ifndef LISTD_STORAGE_CODEC_H
#define LISTD_STORAGE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "listd/core/buf.h"

/* Fixed-width big-endian integers, for keys as well as records. */
static inline void codec_be32_write(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static inline uint32_t codec_be32_read(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void codec_be64_write(unsigned char *p, uint64_t v)
{
	codec_be32_write(p, (uint32_t)(v >> 32));
	codec_be32_write(p + 4, (uint32_t)v);
}

static inline uint64_t codec_be64_read(const unsigned char *p)
{
	return (uint64_t)codec_be32_read(p) << 32 | codec_be32_read(p + 4);
}

#define CODEC_STR_MAX 0xffffu /* longest string codec_put_str takes */

/* ---- Encoding: appends to out; out grows as needed (aborts on OOM). --- */

void codec_put_u8(struct buf *out, uint8_t v);
void codec_put_u16(struct buf *out, uint16_t v);
void codec_put_u32(struct buf *out, uint32_t v);
void codec_put_u64(struct buf *out, uint64_t v);
static inline void codec_put_bool(struct buf *out, bool v)
{
	codec_put_u8(out, v ? 1 : 0);
}
/* A string of at most CODEC_STR_MAX bytes (longer ones are a caller bug:
 * abort). s may not be NULL. */
void codec_put_str(struct buf *out, const char *s);
void codec_put_strn(struct buf *out, const char *s, size_t n);
/* A blob of at most UINT32_MAX bytes. */
void codec_put_blob(struct buf *out, const void *p, size_t n);

/* ---- Decoding ------------------------------------------------------- */

struct codec_dec {
	const unsigned char *p; /* next unread byte (borrowed) */
	size_t left;            /* bytes after p */
	int err;                /* 0, or the first error (sticky) */
};

/* p (n bytes) is borrowed for as long as d is used. */
void codec_dec_init(struct codec_dec *d, const void *p, size_t n);

/* Reads the version byte: -EBADMSG when missing or 0, -EPROTO when above
 * max_known. Sets d->err as well. */
int codec_get_version(struct codec_dec *d, uint8_t max_known, uint8_t *ret_version);

uint8_t codec_get_u8(struct codec_dec *d);
uint16_t codec_get_u16(struct codec_dec *d);
uint32_t codec_get_u32(struct codec_dec *d);
uint64_t codec_get_u64(struct codec_dec *d);
/* A byte that must be 0 or 1 (anything else: -EBADMSG). */
bool codec_get_bool(struct codec_dec *d);
/* A byte that must be <= max (an enum): -EBADMSG otherwise. */
unsigned codec_get_enum(struct codec_dec *d, unsigned max);
/* A string copied into ret_str[size] and NUL-terminated. Refused (-EBADMSG,
 * ret_str set to "") when it does not fit in size - 1 bytes or holds a NUL. */
void codec_get_str(struct codec_dec *d, char *ret_str, size_t size);
/* A blob: a view into the decoder's input (borrowed like it). */
void codec_get_blob(struct codec_dec *d, const void **ret_p, size_t *ret_n);

/* Marks the record malformed (a decoder's own check failed). */
static inline void codec_dec_fail(struct codec_dec *d, int err)
{
	if (d->err == 0)
		d->err = err;
}

/* 0 when every read succeeded and no byte is left over; -EBADMSG for a
 * short, malformed or over-long record; -EPROTO for a future version. */
int codec_dec_finish(const struct codec_dec *d);

#endif
