/* storage/store_list.c — list records: codec, defaults, create, lookup,
 * update, delete (with its members) and iteration. */
#include "storage/internal.h"
#include "storage/store_template.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "listd/core/ascii.h"

void store_list_key(const char *local, const char *domain, struct buf *out)
{
	for (const char *p = local; *p; p++)
		buf_addch(out, ascii_lower(*p));
	buf_addch(out, '@');
	buf_adds(out, domain);
}

void store_list_format_addr(const struct store_list *l, struct buf *out)
{
	buf_adds(out, l->local);
	buf_addch(out, '@');
	buf_adds(out, l->domain);
}

void store_list_defaults(struct store_list *l)
{
	memset(l, 0, sizeof(*l));
	l->nonmember_action = STORE_NONMEMBER_HOLD;
	l->max_size = 1u << 20;
	l->archive = true;
	l->bounce_score_threshold = 500;
	l->bounce_stale_days = 14;
	l->bounce_probe_warnings = 3;
	l->bounce_probe_interval_days = 7;
	l->bounce_hard_weight = 100;
	l->bounce_soft_weight = 50;
	l->digest_format = STORE_DIGEST_MIME;
	l->digest_max_bytes = 100u << 10;
	l->digest_period_hours = 24;
	l->dmarc_mitigation = STORE_DMARC_OFF;
	l->dmarc_action = STORE_DMARC_MUNGE;
	l->n_moderators = 0;
	l->subscribe_policy = STORE_SUBSCRIBE_CONFIRM;
}

const struct addr *store_list_moderators(const struct store_list *l, size_t *ret_n)
{
	if (l->n_moderators) {
		*ret_n = l->n_moderators;
		return l->moderators;
	}
	*ret_n = l->n_owners;
	return l->owners;
}

int store_list_addr_check(const struct addr *a, const char **ret_why)
{
	const char *why = NULL;
	size_t n = strlen(a->local);
	if (n == 0)
		why = "empty list name";
	else if (n > LIMIT_LIST_NAME)
		why = "list name longer than 40 characters";
	else if (a->local[0] == '.' || a->local[0] == '-' || a->local[n - 1] == '.' ||
	         a->local[n - 1] == '-')
		why = "list name starts or ends with '.' or '-'";
	else if (!a->domain[0])
		why = "empty domain";
	for (size_t i = 0; !why && i < n; i++) {
		char c = a->local[i];
		if (!ascii_is_alnum(c) && c != '.' && c != '-' && c != '_')
			why = "list name may hold only letters, digits, '.', '-' and '_'";
	}
	if (why) {
		if (ret_why)
			*ret_why = why;
		return -EINVAL;
	}
	return 0;
}

bool store_text_ok(const char *s, size_t size)
{
	const char *end = memchr(s, '\0', size);
	if (!end)
		return false;
	for (; s < end; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int store_list_validate(const struct store_list *l, const char **ret_why)
{
	const char *why = NULL;
	if (l->n_owners > LIMIT_OWNERS)
		why = "too many owners";
	else if (l->n_moderators > LIMIT_OWNERS)
		why = "too many moderators";
	else if ((unsigned)l->subscribe_policy > STORE_SUBSCRIBE_APPROVE)
		why = "unknown subscribe policy";
	else if (!store_text_ok(l->description, sizeof(l->description)))
		why = "description holds control characters or is too long";
	else if (!store_text_ok(l->subject_tag, sizeof(l->subject_tag)))
		why = "subject tag holds control characters or is too long";
	else if ((unsigned)l->nonmember_action > STORE_NONMEMBER_REJECT)
		why = "unknown non-member action";
	else if (l->max_size < 1024 || l->max_size > LIMIT_MESSAGE_HARD)
		why = "max_size must be between 1k and 64M";
	else if (l->bounce_score_threshold < 1 || l->bounce_score_threshold > 100000)
		why = "bounce score threshold must be between 0.01 and 1000";
	else if (l->bounce_stale_days < 1 || l->bounce_stale_days > 3650)
		why = "bounce stale days must be between 1 and 3650";
	else if (l->bounce_probe_warnings > 100)
		why = "probe warnings must be at most 100";
	else if (l->bounce_probe_interval_days < 1 || l->bounce_probe_interval_days > 365)
		why = "probe interval must be between 1 and 365 days";
	else if (l->bounce_hard_weight > 100000 || l->bounce_soft_weight > 100000)
		why = "bounce weights must be at most 1000";
	else if (l->digest_format > STORE_DIGEST_PLAIN)
		why = "digest format must be mime or plain";
	else if (l->digest_max_bytes < 1024 || l->digest_max_bytes > LIMIT_MESSAGE_HARD)
		why = "digest size must be between 1k and the message size limit";
	else if (l->digest_period_hours < 1 || l->digest_period_hours > 24 * 366)
		why = "digest period must be between 1 and 8784 hours";
	for (size_t i = 0; !why && i < l->n_owners; i++) {
		const struct addr *o = &l->owners[i];
		if (!memchr(o->local, '\0', sizeof(o->local)) ||
		    !memchr(o->domain, '\0', sizeof(o->domain)) || !o->local[0] || !o->domain[0])
			why = "malformed owner address";
	}
	for (size_t i = 0; !why && i < l->n_moderators; i++) {
		const struct addr *o = &l->moderators[i];
		if (!memchr(o->local, '\0', sizeof(o->local)) ||
		    !memchr(o->domain, '\0', sizeof(o->domain)) || !o->local[0] || !o->domain[0])
			why = "malformed moderator address";
	}
	if (why) {
		if (ret_why)
			*ret_why = why;
		return -EINVAL;
	}
	return 0;
}

/* ---- Record codec ------------------------------------------------------
 * v1: id u32, local str, domain str, created u64, owners u8 count then
 *     (utf8 bool, local str, domain str) each, description str,
 *     subject_tag str, moderated bool, nonmember enum, max_size u32,
 *     reply_to_list bool, archive bool, threshold u32, stale_days u32,
 *     probe_warnings u32, probe_interval u32, hard u32, soft u32.
 * v2: v1, then digest_format enum, digest_max_bytes u32,
 *     digest_period_hours u32 (v1 records get the defaults).
 * v3: v2, then dmarc_mitigation enum, dmarc_action enum (older records:
 *     off, munge).
 * v4: v3, then moderators u8 count then (utf8 bool, local str, domain str)
 *     each, subscribe_policy enum (older records: none, confirm). */

void store_list_encode(const struct store_list *l, struct buf *out)
{
	codec_put_u8(out, STORE_LIST_VERSION);
	codec_put_u32(out, l->id);
	codec_put_str(out, l->local);
	codec_put_str(out, l->domain);
	codec_put_u64(out, (uint64_t)l->created);
	codec_put_u8(out, (uint8_t)l->n_owners);
	for (size_t i = 0; i < l->n_owners; i++) {
		codec_put_bool(out, l->owners[i].utf8);
		codec_put_str(out, l->owners[i].local);
		codec_put_str(out, l->owners[i].domain);
	}
	codec_put_str(out, l->description);
	codec_put_str(out, l->subject_tag);
	codec_put_bool(out, l->moderated);
	codec_put_u8(out, (uint8_t)l->nonmember_action);
	codec_put_u32(out, l->max_size);
	codec_put_bool(out, l->reply_to_list);
	codec_put_bool(out, l->archive);
	codec_put_u32(out, l->bounce_score_threshold);
	codec_put_u32(out, l->bounce_stale_days);
	codec_put_u32(out, l->bounce_probe_warnings);
	codec_put_u32(out, l->bounce_probe_interval_days);
	codec_put_u32(out, l->bounce_hard_weight);
	codec_put_u32(out, l->bounce_soft_weight);
	codec_put_u8(out, (uint8_t)l->digest_format);
	codec_put_u32(out, l->digest_max_bytes);
	codec_put_u32(out, l->digest_period_hours);
	codec_put_u8(out, (uint8_t)l->dmarc_mitigation);
	codec_put_u8(out, (uint8_t)l->dmarc_action);
	codec_put_u8(out, (uint8_t)l->n_moderators);
	for (size_t i = 0; i < l->n_moderators; i++) {
		codec_put_bool(out, l->moderators[i].utf8);
		codec_put_str(out, l->moderators[i].local);
		codec_put_str(out, l->moderators[i].domain);
	}
	codec_put_u8(out, (uint8_t)l->subscribe_policy);
}

int store_list_decode(const void *p, size_t n, struct store_list *ret_list)
{
	struct store_list l;
	struct codec_dec d;
	uint8_t version;

	memset(&l, 0, sizeof(l));
	codec_dec_init(&d, p, n);
	int r = codec_get_version(&d, STORE_LIST_VERSION, &version);
	if (r < 0)
		return r;
	l.id = codec_get_u32(&d);
	codec_get_str(&d, l.local, sizeof(l.local));
	codec_get_str(&d, l.domain, sizeof(l.domain));
	l.created = (int64_t)codec_get_u64(&d);
	l.n_owners = codec_get_u8(&d);
	if (l.n_owners > LIMIT_OWNERS)
		codec_dec_fail(&d, -EBADMSG);
	for (size_t i = 0; !d.err && i < l.n_owners; i++) {
		l.owners[i].utf8 = codec_get_bool(&d);
		codec_get_str(&d, l.owners[i].local, sizeof(l.owners[i].local));
		codec_get_str(&d, l.owners[i].domain, sizeof(l.owners[i].domain));
	}
	codec_get_str(&d, l.description, sizeof(l.description));
	codec_get_str(&d, l.subject_tag, sizeof(l.subject_tag));
	l.moderated = codec_get_bool(&d);
	l.nonmember_action = codec_get_enum(&d, STORE_NONMEMBER_REJECT);
	l.max_size = codec_get_u32(&d);
	l.reply_to_list = codec_get_bool(&d);
	l.archive = codec_get_bool(&d);
	l.bounce_score_threshold = codec_get_u32(&d);
	l.bounce_stale_days = codec_get_u32(&d);
	l.bounce_probe_warnings = codec_get_u32(&d);
	l.bounce_probe_interval_days = codec_get_u32(&d);
	l.bounce_hard_weight = codec_get_u32(&d);
	l.bounce_soft_weight = codec_get_u32(&d);
	if (version >= 2) {
		l.digest_format = codec_get_enum(&d, STORE_DIGEST_PLAIN);
		l.digest_max_bytes = codec_get_u32(&d);
		l.digest_period_hours = codec_get_u32(&d);
	} else {
		l.digest_format = STORE_DIGEST_MIME;
		l.digest_max_bytes = 100u << 10;
		l.digest_period_hours = 24;
	}
	if (version >= 3) {
		l.dmarc_mitigation = codec_get_enum(&d, STORE_DMARC_ALWAYS);
		l.dmarc_action = codec_get_enum(&d, STORE_DMARC_WRAP);
	} else {
		l.dmarc_mitigation = STORE_DMARC_OFF;
		l.dmarc_action = STORE_DMARC_MUNGE;
	}
	if (version >= 4) {
		l.n_moderators = codec_get_u8(&d);
		if (l.n_moderators > LIMIT_OWNERS)
			codec_dec_fail(&d, -EBADMSG);
		for (size_t i = 0; !d.err && i < l.n_moderators; i++) {
			l.moderators[i].utf8 = codec_get_bool(&d);
			codec_get_str(&d, l.moderators[i].local, sizeof(l.moderators[i].local));
			codec_get_str(&d, l.moderators[i].domain, sizeof(l.moderators[i].domain));
		}
		l.subscribe_policy = codec_get_enum(&d, STORE_SUBSCRIBE_APPROVE);
	} else {
		l.n_moderators = 0;
		l.subscribe_policy = STORE_SUBSCRIBE_CONFIRM;
	}
	/* Fields of later versions go here: if (version >= 5) ... else default. */
	r = codec_dec_finish(&d);
	if (r < 0)
		return r;
	if (l.id == 0 || !l.local[0] || !l.domain[0])
		return -EBADMSG;
	*ret_list = l;
	return 0;
}

/* ---- Operations ------------------------------------------------------- */

static int list_write(struct store_txn *txn, const struct store_list *l, unsigned mdb_flags)
{
	buf_reset(&txn->key);
	store_list_key(l->local, l->domain, &txn->key);
	buf_reset(&txn->val);
	store_list_encode(l, &txn->val);
	return store_put(txn, STORE_DB_LISTS, txn->key.data, txn->key.len, txn->val.data,
	                 txn->val.len, mdb_flags);
}

int store_list_create(struct store_txn *txn, const struct addr *list_addr,
                      const struct store_list *init, struct store_list *ret_list)
{
	struct store_list l;
	uint32_t id;
	int r = store_list_addr_check(list_addr, NULL);
	if (r < 0)
		return r;
	if (init)
		l = *init;
	else
		store_list_defaults(&l);
	for (size_t i = 0; list_addr->local[i]; i++)
		l.local[i] = ascii_lower(list_addr->local[i]);
	l.local[strlen(list_addr->local)] = '\0';
	memcpy(l.domain, list_addr->domain, sizeof(l.domain));
	l.created = (int64_t)time(NULL);
	r = store_list_validate(&l, NULL);
	if (r < 0)
		return r;

	/* Check first so a duplicate does not use up an id. */
	buf_reset(&txn->key);
	store_list_key(l.local, l.domain, &txn->key);
	MDB_val v;
	r = store_get(txn, STORE_DB_LISTS, txn->key.data, txn->key.len, &v);
	if (r == 0)
		return -EEXIST;
	if (r != -ENOENT)
		return r;

	r = store_counter_next(txn, STORE_COUNTER_LIST_ID, &id);
	if (r < 0)
		return r;
	l.id = id;
	r = list_write(txn, &l, MDB_NOOVERWRITE);
	if (r < 0)
		return r;
	unsigned char k[4];
	codec_be32_write(k, id);
	/* txn->key still holds the list key. */
	r = store_put(txn, STORE_DB_LIST_IDS, k, 4, txn->key.data, txn->key.len, MDB_NOOVERWRITE);
	if (r < 0)
		return r;
	txn->list_known = id;
	if (ret_list)
		*ret_list = l;
	return 0;
}

static int list_get_key(struct store_txn *txn, const void *key, size_t klen,
                        struct store_list *ret_list)
{
	MDB_val v;
	int r = store_get(txn, STORE_DB_LISTS, key, klen, &v);
	if (r < 0)
		return r;
	return store_list_decode(v.mv_data, v.mv_size, ret_list);
}

int store_list_get_addr(struct store_txn *txn, const struct addr *list_addr,
                        struct store_list *ret_list)
{
	buf_reset(&txn->key);
	store_list_key(list_addr->local, list_addr->domain, &txn->key);
	return list_get_key(txn, txn->key.data, txn->key.len, ret_list);
}

int store_list_get(struct store_txn *txn, const char *name, struct store_list *ret_list)
{
	if (strchr(name, '@')) {
		struct addr a;
		const char *why;
		if (addr_parse(slice_cstr(name), &a, &why) < 0)
			return -EINVAL;
		return store_list_get_addr(txn, &a, ret_list);
	}

	/* A bare name: keys "name@..." are contiguous in the lists database. */
	size_t n = strlen(name);
	if (n == 0 || n > LIMIT_LIST_NAME)
		return -EINVAL;
	struct buf prefix = BUF_INIT;
	for (size_t i = 0; i < n; i++)
		buf_addch(&prefix, ascii_lower(name[i]));
	buf_addch(&prefix, '@');

	struct store_walk w;
	struct store_list found;
	int matches = 0;
	int r;
	for (r = store_walk_first(txn, STORE_DB_LISTS, prefix.data, prefix.len, prefix.len, &w);
	     r == 0 && w.k.mv_size > prefix.len; r = store_walk_next(&w)) {
		if (++matches > 1)
			break;
		r = store_list_decode(w.v.mv_data, w.v.mv_size, &found);
		if (r < 0)
			goto out;
	}
	if (r < 0 && r != -ENOENT)
		goto out;
	if (matches == 0)
		r = -ENOENT;
	else if (matches > 1)
		r = -ENOTUNIQ;
	else {
		*ret_list = found;
		r = 0;
	}
out:
	store_walk_finish(&w);
	buf_finish(&prefix);
	return r;
}

int store_list_get_by_id(struct store_txn *txn, uint32_t list_id, struct store_list *ret_list)
{
	unsigned char k[4];
	MDB_val v;
	struct store_list l;
	codec_be32_write(k, list_id);
	int r = store_get(txn, STORE_DB_LIST_IDS, k, 4, &v);
	if (r < 0)
		return r;
	if (v.mv_size < 3 || v.mv_size > LIMIT_LIST_NAME + 1 + LIMIT_ADDR_DOMAIN)
		return -EBADMSG;
	/* Copy the key out: the next get may move the map's pages. */
	char key[LIMIT_LIST_NAME + 1 + LIMIT_ADDR_DOMAIN];
	size_t klen = v.mv_size;
	memcpy(key, v.mv_data, klen);
	r = list_get_key(txn, key, klen, &l);
	if (r == -ENOENT)
		return -EBADMSG; /* dangling index entry */
	if (r < 0)
		return r;
	if (l.id != list_id)
		return -EBADMSG;
	*ret_list = l;
	return 0;
}

int store_list_exists(struct store_txn *txn, uint32_t list_id)
{
	if (list_id != 0 && txn->list_known == list_id)
		return 0;
	unsigned char k[4];
	MDB_val v;
	codec_be32_write(k, list_id);
	int r = store_get(txn, STORE_DB_LIST_IDS, k, 4, &v);
	if (r < 0)
		return r;
	txn->list_known = list_id;
	return 0;
}

int store_list_put(struct store_txn *txn, const struct store_list *l)
{
	struct store_list old, nl;
	int r = store_list_get_by_id(txn, l->id, &old);
	if (r < 0)
		return r;
	if (strcmp(old.local, l->local) != 0 || strcmp(old.domain, l->domain) != 0)
		return -EINVAL;
	r = store_list_validate(l, NULL);
	if (r < 0)
		return r;
	nl = *l;
	nl.created = old.created;
	return list_write(txn, &nl, 0);
}

int store_list_delete(struct store_txn *txn, uint32_t list_id)
{
	struct store_list l;
	MDB_cursor *c = NULL;
	int r = store_list_get_by_id(txn, list_id, &l);
	if (r < 0)
		return r;

	r = store_template_del_all(txn, list_id);
	if (r < 0)
		return r;
	unsigned char prefix[4];
	codec_be32_write(prefix, list_id);
	r = store_cursor_open(txn, STORE_DB_MEMBERS, &c);
	if (r < 0)
		return r;
	MDB_val k = { 4, prefix }, v;
	r = store_cursor_get(txn, c, &k, &v, MDB_SET_RANGE);
	while (r == 0 && k.mv_size > 4 && memcmp(k.mv_data, prefix, 4) == 0) {
		struct store_member m;
		/* A record that does not decode still goes; its member_ids
		 * entry, if any, is left for store_check to report. */
		if (store_member_decode(v.mv_data, v.mv_size, &m) == 0) {
			unsigned char ik[4];
			codec_be32_write(ik, m.id);
			r = store_del(txn, STORE_DB_MEMBER_IDS, ik, 4);
			if (r < 0 && r != -ENOENT)
				goto out;
		}
		r = store_err(txn, mdb_cursor_del(c, 0));
		if (r < 0)
			goto out;
		/* Seek again rather than rely on where a delete leaves the
		 * cursor: the list's first remaining member, if any. */
		k.mv_size = 4;
		k.mv_data = prefix;
		r = store_cursor_get(txn, c, &k, &v, MDB_SET_RANGE);
	}
	if (r < 0 && r != -ENOENT)
		goto out;
	mdb_cursor_close(c);
	c = NULL;

	unsigned char ik[4];
	codec_be32_write(ik, list_id);
	r = store_del(txn, STORE_DB_LIST_IDS, ik, 4);
	if (r < 0)
		goto out;
	buf_reset(&txn->key);
	store_list_key(l.local, l.domain, &txn->key);
	r = store_del(txn, STORE_DB_LISTS, txn->key.data, txn->key.len);
	if (r < 0)
		goto out;
	if (txn->list_known == list_id)
		txn->list_known = 0;
out:
	if (c)
		mdb_cursor_close(c);
	return r;
}

int store_list_foreach(struct store_txn *txn, int (*cb)(const struct store_list *l, void *ctx),
                       void *ctx)
{
	struct store_walk w;
	struct store_list l;
	int r;
	for (r = store_walk_first(txn, STORE_DB_LISTS, NULL, 0, 0, &w); r == 0;
	     r = store_walk_next(&w)) {
		r = store_list_decode(w.v.mv_data, w.v.mv_size, &l);
		if (r < 0)
			break;
		r = cb(&l, ctx);
		if (r != 0)
			break;
	}
	store_walk_finish(&w);
	return r == -ENOENT ? 0 : r;
}
