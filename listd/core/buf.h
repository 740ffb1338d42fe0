/* listd/core/buf.h — a growable byte buffer.
 *
 * Invariants (as git's strbuf): data is never NULL, data[len] is always NUL,
 * the contents may hold NUL bytes. A buffer made with BUF_INIT or buf_init()
 * owns its memory from the first write; buf_finish() releases it and leaves
 * an empty buffer; buf_detach() hands the memory to the caller.
 * Growth aborts on out-of-memory (see xalloc.h). */
#ifndef LISTD_CORE_BUF_H
#define LISTD_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len, cap; /* cap == 0: data points at a shared empty string */
};

extern char buf_empty_[1];
#define BUF_INIT \
	{ \
		buf_empty_, 0, 0 \
	}

void buf_init(struct buf *b, size_t hint);
void buf_finish(struct buf *b); /* NULL is a no-op */
/* Makes room for at least extra more bytes (plus the NUL). */
void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, int c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Shortens to len (len <= b->len) and keeps the NUL invariant. */
void buf_truncate(struct buf *b, size_t len);
static inline void buf_reset(struct buf *b)
{
	buf_truncate(b, 0);
}
/* Returns the contents as a malloc'd NUL-terminated string owned by the
 * caller (free()); the buffer is left empty. ret_len may be NULL. */
char *buf_detach(struct buf *b, size_t *ret_len);

#endif
