/* listd/core/readall.h — reading a whole input with a hard cap. */
#ifndef LISTD_CORE_READALL_H
#define LISTD_CORE_READALL_H

#include <stddef.h>

#include "listd/core/buf.h"

/* Appends everything readable from fd to out, up to cap bytes.
 * 0 on EOF; -EFBIG when the input exceeds cap (out then holds cap bytes
 * and the rest is unread); -errno on a read error. EINTR is retried. */
int readall_fd(int fd, size_t cap, struct buf *out);

#endif
