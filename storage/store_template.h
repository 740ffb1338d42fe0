/* storage/store_template.h — a list's own texts (listd/core/template.h),
 * kept beside the list.
 *
 * Same conventions as store.h. Layout: templates  u32 BE list id + name →
 * the text (checked by the caller with template_check(); at most
 * TEMPLATE_TEXT_MAX bytes). Deleting the list deletes its texts. */
#ifndef LISTD_STORAGE_STORE_TEMPLATE_H
#define LISTD_STORAGE_STORE_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "listd/core/buf.h"
#include "listd/core/template.h"
#include "storage/store.h"

/* Appends list_id's own text for name to out. -ENOENT: none (the built-in
 * default applies). */
int store_template_get(struct store_txn *txn, uint32_t list_id, const char *name, struct buf *out);
/* Stores text (len bytes) as list_id's name. -EINVAL: name empty or longer
 * than TEMPLATE_NAME_MAX, or text longer than TEMPLATE_TEXT_MAX; -ENOENT:
 * no such list. */
int store_template_put(struct store_txn *txn, uint32_t list_id, const char *name, const char *text,
                       size_t len);
/* Forgets list_id's name (back to the default). -ENOENT: it had none. */
int store_template_del(struct store_txn *txn, uint32_t list_id, const char *name);
/* Deletes every text of list_id (store_list_delete() calls it). */
int store_template_del_all(struct store_txn *txn, uint32_t list_id);

/* The text listd writes: list_id's own text for name, else the built-in
 * default, expanded with vars[0..n) and appended to out. -ENOENT: no
 * template has that name (a caller bug); store errors. */
int store_template_render(struct store_txn *txn, uint32_t list_id, const char *name,
                          const struct template_var *vars, size_t n, struct buf *out);

#endif
