/* listd/run/listmail.h — the list's own texts in the mail listd writes: the
 * variables every list text has, and the header and footer text of posts
 * (templates "header" and "footer", listd/core/template.h, added by
 * listd/mail/footer.h).
 *
 * The footer is one text for every copy of a post (the copies share one
 * buffer), so its variables name the list, not the member: the
 * unsubscribe address is the request address's "unsubscribe" command,
 * which confirms at the member's own address. */
#ifndef LISTD_RUN_LISTMAIL_H
#define LISTD_RUN_LISTMAIL_H

#include "listd/core/buf.h"
#include "listd/core/config.h"
#include "listd/core/limits.h"
#include "listd/core/template.h"
#include "storage/store.h"

#define LISTMAIL_NVARS 9
#define LISTMAIL_ADDR (LIMIT_LIST_NAME + CONFIG_SUFFIX_MAX + LIMIT_ADDR_DOMAIN + 32)

/* The variables of LIST_VARS (template.c): list, domain, list_address,
 * post_address, description, request_address, owner_address,
 * help_address, unsubscribe_address. vars points into the struct. */
struct listmail_vars {
	char list_address[LISTMAIL_ADDR], request_address[LISTMAIL_ADDR];
	char owner_address[LISTMAIL_ADDR], help_address[LISTMAIL_ADDR + 32];
	char unsubscribe_address[LISTMAIL_ADDR + 32];
	struct template_var vars[LISTMAIL_NVARS];
};

/* Fills *ret_vars for l (borrowed: l must outlive ret_vars's use). */
void listmail_vars(const struct config *cfg, const struct store_list *l,
                   struct listmail_vars *ret_vars);

/* Adds l's header and footer text (if any) to the post raw (replaced in
 * place) in txn (read is enough). 0 (also when there is nothing to add or
 * the post must not be touched: signed, encrypted), -errno store trouble. */
int listmail_footer(struct store_txn *txn, const struct config *cfg, const struct store_list *l,
                    struct buf *raw);

struct daemon;
/* listmail_footer() in a read transaction of its own (the fan-out). */
int listmail_post_footer(struct daemon *d, const struct store_list *l, struct buf *raw);

#endif
