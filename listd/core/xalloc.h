/* listd/core/xalloc.h — allocation that never returns NULL.
 *
 * Out of memory aborts the process (as Postfix and git do): every store
 * commit is atomic and the daemon is supervised, so dying is safe, and
 * callers never carry an "out of memory" error path.
 * Everything returned is owned by the caller and released with free(). */
#ifndef LISTD_CORE_XALLOC_H
#define LISTD_CORE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows an array of nmemb elements of size bytes; aborts on overflow. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
/* Copies at most n bytes of s and NUL-terminates; s may hold NULs. */
char *xmemdup0(const void *s, size_t n);

#endif
