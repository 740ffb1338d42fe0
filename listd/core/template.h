/* listd/core/template.h — the texts of the mails listd writes, and the
 * expander that fills them in.
 *
 * Every text listd writes (confirmations, help, moderation notices, the
 * owners' bounce report and held summary, bounce probes, and the list's
 * footer and header text) has a name and a built-in default here; a list may
 * replace any of them (`listadm template set`, kept in the store:
 * storage/store_template.h).
 * Subjects and the header fields stay built in.
 *
 * Syntax: ${name} is replaced by the variable's value; $$ is one '$'; any
 * other '$' is itself. A name is 1..TEMPLATE_NAME_MAX of a-z, 0-9, '_'.
 * template_check() refuses references to variables the template does not
 * have, an unclosed "${", control bytes other than LF and TAB, and text
 * that is not UTF-8, naming the line; template_expand() never fails:
 * unknown references stay as written, and the output stops at
 * TEMPLATE_OUT_MAX bytes.
 *
 * Pure: no I/O, no allocation beyond the caller's buffers. */
#ifndef LISTD_CORE_TEMPLATE_H
#define LISTD_CORE_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define TEMPLATE_TEXT_MAX (16u << 10) /* bytes of a template */
#define TEMPLATE_OUT_MAX (256u << 10) /* bytes of an expansion */
#define TEMPLATE_NAME_MAX 32

struct template_def {
	const char *name; /* "confirm" */
	const char *desc; /* one line of English */
	const char *vars; /* the variables it has, space-separated */
	const char *text; /* the built-in default */
};

struct template_var {
	const char *name;
	const char *value; /* NULL: "" */
};

/* The catalogue, in display order (static, *ret_n entries). */
const struct template_def *template_all(size_t *ret_n);
/* The template named name, or NULL. */
const struct template_def *template_find(const char *name);

/* Checks text (len bytes) as a replacement for def. 0, or -EINVAL with a
 * message ("line 3: unknown variable ${x}") appended to err. */
int template_check(const struct template_def *def, const char *text, size_t len, struct buf *err);

/* Appends text (len bytes) with vars[0..n) filled in to out. */
void template_expand(const char *text, size_t len, const struct template_var *vars, size_t n,
                     struct buf *out);

#endif
