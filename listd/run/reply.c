/* listd/run/reply.c — automatic replies to a sender (see reply.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "listd/core/header.h"
#include "listd/run/daemon.h"
#include "listd/run/listmail.h"
#include "listd/run/outbox.h"
#include "listd/run/reply.h"
#include "storage/store_rate.h"
#include "storage/store_template.h"

/* The original Message-ID, if it is short and clean, for In-Reply-To. */
static void message_id(const struct buf *data, char ret_id[256])
{
	struct header_field f;
	ret_id[0] = '\0';
	if (header_find(data->data, data->len, "Message-ID", &f) != 1)
		return;
	struct buf v = BUF_INIT;
	header_unfold(f.value, &v);
	bool ok = v.len > 2 && v.len < 250 && v.data[0] == '<' && v.data[v.len - 1] == '>';
	for (size_t i = 0; ok && i < v.len; i++)
		if ((unsigned char)v.data[i] <= 0x20 || (unsigned char)v.data[i] >= 0x7f)
			ok = false;
	if (ok)
		memcpy(ret_id, v.data, v.len + 1);
	buf_finish(&v);
}

int reply_send(struct daemon *d, struct store_txn *txn, const struct store_list *l,
               const struct addr *who, const struct buf *orig, const char *subject,
               const char *reply_to, const char *body, const char *rule)
{
	const struct config *cfg = &d->cfg;
	struct buf from = BUF_INIT, to = BUF_INIT, msg = BUF_INIT;
	char irt[256];
	int r = store_rate_take(txn, daemon_today(d), who, cfg->trusted_daily_limit, NULL);
	if (r <= 0)
		return r;
	buf_addf(&from, "%s%s@%s", l->local, cfg->request_suffix, l->domain);
	addr_format(who, &to);
	message_id(orig, irt);
	if (reply_to)
		buf_addf(&msg, "Reply-To: %s\n", reply_to);
	r = outbox_compose(&msg, from.data, to.data, subject, "auto-replied", irt[0] ? irt : NULL,
	                   l->domain, body);
	/* an address the outbox refuses: no reply (0), as over the limit */
	r = outbox_queue_notice(txn, d, l->id, to.data, rule, r == 0 ? &msg : NULL);
	buf_finish(&from);
	buf_finish(&to);
	buf_finish(&msg);
	return r;
}

int reply_send_welcome(struct daemon *d, struct store_txn *txn, const struct store_list *l,
                       const struct addr *who, const struct buf *orig, bool joined,
                       const char *rule)
{
	struct buf subj = BUF_INIT, body = BUF_INIT, member = BUF_INIT;
	struct listmail_vars lv;
	struct template_var v[LISTMAIL_NVARS + 1];
	listmail_vars(&d->cfg, l, &lv);
	memcpy(v, lv.vars, sizeof(lv.vars));
	addr_format(who, &member);
	v[LISTMAIL_NVARS] = (struct template_var){ "member", member.data };
	buf_addf(&subj, "%s %s@%s", joined ? "welcome to" : "goodbye from", l->local, l->domain);
	int r = store_template_render(txn, l->id, joined ? "welcome" : "goodbye", v,
	                              LISTMAIL_NVARS + 1, &body);
	if (r >= 0)
		r = reply_send(d, txn, l, who, orig, subj.data, NULL, body.data, rule);
	buf_finish(&subj);
	buf_finish(&body);
	buf_finish(&member);
	return r;
}
