/* storage/store_template.c — see store_template.h. */
#include "storage/internal.h"

#include <errno.h>
#include <string.h>

#include "storage/store_template.h"

static int make_key(uint32_t list_id, const char *name, unsigned char key[4 + TEMPLATE_NAME_MAX],
                    size_t *ret_len)
{
	size_t n = strlen(name);
	if (n == 0 || n > TEMPLATE_NAME_MAX)
		return -EINVAL;
	codec_be32_write(key, list_id);
	memcpy(key + 4, name, n);
	*ret_len = 4 + n;
	return 0;
}

int store_template_get(struct store_txn *txn, uint32_t list_id, const char *name, struct buf *out)
{
	unsigned char key[4 + TEMPLATE_NAME_MAX];
	size_t kl;
	MDB_val v;
	if (txn->store->templates_absent)
		return -ENOENT;
	int r = make_key(list_id, name, key, &kl);
	if (r < 0)
		return -ENOENT;
	r = store_get(txn, STORE_DB_TEMPLATES, key, kl, &v);
	if (r < 0)
		return r;
	buf_add(out, v.mv_data, v.mv_size);
	return 0;
}

int store_template_put(struct store_txn *txn, uint32_t list_id, const char *name, const char *text,
                       size_t len)
{
	unsigned char key[4 + TEMPLATE_NAME_MAX];
	size_t kl;
	struct store_list l;
	int r = make_key(list_id, name, key, &kl);
	if (r < 0 || len > TEMPLATE_TEXT_MAX)
		return -EINVAL;
	r = store_list_get_by_id(txn, list_id, &l);
	if (r < 0)
		return r;
	return store_put(txn, STORE_DB_TEMPLATES, key, kl, text, len, 0);
}

int store_template_del(struct store_txn *txn, uint32_t list_id, const char *name)
{
	unsigned char key[4 + TEMPLATE_NAME_MAX];
	size_t kl;
	if (txn->store->templates_absent || make_key(list_id, name, key, &kl) < 0)
		return -ENOENT;
	return store_del(txn, STORE_DB_TEMPLATES, key, kl);
}

int store_template_del_all(struct store_txn *txn, uint32_t list_id)
{
	unsigned char prefix[4];
	MDB_cursor *c;
	if (txn->store->templates_absent)
		return 0;
	codec_be32_write(prefix, list_id);
	int r = store_cursor_open(txn, STORE_DB_TEMPLATES, &c);
	if (r < 0)
		return r;
	MDB_val k = { 4, prefix }, v;
	r = store_cursor_get(txn, c, &k, &v, MDB_SET_RANGE);
	while (r == 0 && k.mv_size > 4 && memcmp(k.mv_data, prefix, 4) == 0) {
		r = store_err(txn, mdb_cursor_del(c, 0));
		if (r < 0)
			break;
		k.mv_size = 4;
		k.mv_data = prefix;
		r = store_cursor_get(txn, c, &k, &v, MDB_SET_RANGE);
	}
	mdb_cursor_close(c);
	return r == -ENOENT ? 0 : r;
}

int store_template_render(struct store_txn *txn, uint32_t list_id, const char *name,
                          const struct template_var *vars, size_t n, struct buf *out)
{
	const struct template_def *def = template_find(name);
	if (!def)
		return -ENOENT;
	struct buf own = BUF_INIT;
	int r = store_template_get(txn, list_id, name, &own);
	if (r == 0)
		template_expand(own.data ? own.data : "", own.len, vars, n, out);
	else if (r == -ENOENT)
		template_expand(def->text, strlen(def->text), vars, n, out);
	buf_finish(&own);
	return r == -ENOENT ? 0 : r;
}
