/* listd/run/listmail.c — see listmail.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "listd/mail/footer.h"
#include "listd/core/log.h"
#include "listd/run/daemon.h"
#include "listd/run/listmail.h"
#include "storage/store_template.h"

void listmail_vars(const struct config *cfg, const struct store_list *l,
                   struct listmail_vars *ret_vars)
{
	snprintf(ret_vars->list_address, sizeof(ret_vars->list_address), "%s@%s", l->local,
	         l->domain);
	snprintf(ret_vars->request_address, sizeof(ret_vars->request_address), "%s%s@%s", l->local,
	         cfg->request_suffix, l->domain);
	snprintf(ret_vars->owner_address, sizeof(ret_vars->owner_address), "%s%s@%s", l->local,
	         cfg->owner_suffix, l->domain);
	snprintf(ret_vars->help_address, sizeof(ret_vars->help_address), "%s?subject=help",
	         ret_vars->request_address);
	snprintf(ret_vars->unsubscribe_address, sizeof(ret_vars->unsubscribe_address),
	         "%s?subject=unsubscribe", ret_vars->request_address);
	const struct template_var v[LISTMAIL_NVARS] = {
		{ "list", l->local },
		{ "domain", l->domain },
		{ "list_address", ret_vars->list_address },
		{ "post_address", ret_vars->list_address },
		{ "description", l->description },
		{ "request_address", ret_vars->request_address },
		{ "owner_address", ret_vars->owner_address },
		{ "help_address", ret_vars->help_address },
		{ "unsubscribe_address", ret_vars->unsubscribe_address },
	};
	memcpy(ret_vars->vars, v, sizeof(v));
}

int listmail_footer(struct store_txn *txn, const struct config *cfg, const struct store_list *l,
                    struct buf *raw)
{
	struct listmail_vars lv;
	struct buf head = BUF_INIT, foot = BUF_INIT, out = BUF_INIT;
	const char *why = NULL;
	int r;

	listmail_vars(cfg, l, &lv);
	if ((r = store_template_render(txn, l->id, "header", lv.vars, LISTMAIL_NVARS, &head)) < 0 ||
	    (r = store_template_render(txn, l->id, "footer", lv.vars, LISTMAIL_NVARS, &foot)) < 0)
		goto out;
	if (head.len == 0 && foot.len == 0)
		goto out;
	r = footer_apply(raw->data, raw->len, head.data, foot.data, &out, &why);
	if (r == 1) {
		buf_reset(raw);
		buf_add(raw, out.data, out.len);
	} else if (r == 0) {
		log_info("%s@%s: no header or footer added to a post: %s", l->local, l->domain,
		         why);
	} else {
		/* a description with a control byte, say: the post goes without */
		log_warnx("%s@%s: the header or footer text is unusable", l->local, l->domain);
	}
	r = 0;
out:
	buf_finish(&head);
	buf_finish(&foot);
	buf_finish(&out);
	return r;
}

int listmail_post_footer(struct daemon *d, const struct store_list *l, struct buf *raw)
{
	struct store_txn *txn;
	int r = store_txn_begin(d->store, STORE_TXN_RDONLY, &txn);
	if (r < 0)
		return r;
	r = listmail_footer(txn, &d->cfg, l, raw);
	store_txn_abort(txn);
	return r;
}
