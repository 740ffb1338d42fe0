/* web-free-admin/json_read.c — the strict, bounded JSON pull reader
 * (contract in json_read.h). A small state machine over a block buffer:
 * `expect` says what may come next, `stack` which containers are open. */
#include "json_read.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "listd/core/xalloc.h"

enum json_expect {
	JSON_EXPECT_TOP,          /* a top-level value or the end */
	JSON_EXPECT_VALUE,        /* after ':' or an array's ',' */
	JSON_EXPECT_VALUE_OR_END, /* after '[' */
	JSON_EXPECT_KEY_OR_END,   /* after '{' */
	JSON_EXPECT_KEY,          /* after an object's ',' */
	JSON_EXPECT_COLON,        /* after a key */
	JSON_EXPECT_NEXT,         /* after a value inside a container */
};

#define JSON_CH_EOF (-1)
#define JSON_CH_ERR (-2)

struct json_reader {
	int (*read_cb)(void *ctx, char *buf, size_t cap);
	void *ctx;
	size_t pos, end;
	bool eof;
	bool started; /* BOM check done */
	enum json_expect expect;
	unsigned depth;
	char stack[JSON_READ_DEPTH]; /* 'o' object, 'a' array */
	unsigned long line, tok_line, count;
	int err; /* sticky: 0 or the final error */
	const char *why;
	size_t text_len;
	char text[JSON_READ_STRING + 1];
	char buf[JSON_READ_BLOCK];
};

void json_reader_create(int (*read_cb)(void *ctx, char *buf, size_t cap), void *ctx,
                        struct json_reader **ret_reader)
{
	struct json_reader *jr = xcalloc(1, sizeof(*jr));
	jr->read_cb = read_cb;
	jr->ctx = ctx;
	jr->line = jr->tok_line = 1;
	jr->why = "";
	*ret_reader = jr;
}

void json_reader_destroy(struct json_reader *jr)
{
	free(jr);
}

static int json_fail(struct json_reader *jr, const char *why)
{
	jr->why = why;
	jr->err = -EINVAL;
	jr->tok_line = jr->line;
	return -EINVAL;
}

/* 1 bytes available, 0 end of input, -errno (sticky). */
static int json_fill(struct json_reader *jr)
{
	if (jr->pos < jr->end)
		return 1;
	if (jr->eof)
		return 0;
	int n = jr->read_cb(jr->ctx, jr->buf, sizeof(jr->buf));
	if (n < 0) {
		jr->err = n;
		jr->why = "read error";
		return n;
	}
	if (n == 0) {
		jr->eof = true;
		return 0;
	}
	jr->pos = 0;
	jr->end = (size_t)n;
	return 1;
}

static int json_peekc(struct json_reader *jr)
{
	int r = json_fill(jr);
	if (r <= 0)
		return r == 0 ? JSON_CH_EOF : JSON_CH_ERR;
	return (unsigned char)jr->buf[jr->pos];
}

static int json_getc(struct json_reader *jr)
{
	int c = json_peekc(jr);
	if (c >= 0) {
		jr->pos++;
		if (c == '\n')
			jr->line++;
	}
	return c;
}

static int json_text_add(struct json_reader *jr, const char *p, size_t n)
{
	if (jr->text_len + n > JSON_READ_STRING)
		return json_fail(jr, "string too long");
	memcpy(jr->text + jr->text_len, p, n);
	jr->text_len += n;
	jr->text[jr->text_len] = 0;
	return 0;
}

static int json_hex4(struct json_reader *jr, unsigned *ret_value)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int c = json_getc(jr);
		if (c == JSON_CH_ERR)
			return jr->err;
		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned)(c - 'A' + 10);
		else
			return json_fail(jr, "bad \\u escape");
	}
	*ret_value = v;
	return 0;
}

static int json_escape(struct json_reader *jr)
{
	static const char from[] = "\"\\/bfnrt";
	static const char to[] = "\"\\/\b\f\n\r\t";
	int c = json_getc(jr);
	unsigned cp, lo;
	char u[4];
	size_t n;

	if (c == JSON_CH_ERR)
		return jr->err;
	if (c == JSON_CH_EOF)
		return json_fail(jr, "unterminated string");
	if (c != 'u') {
		const char *k = c ? strchr(from, c) : NULL;
		if (!k)
			return json_fail(jr, "bad escape in a string");
		return json_text_add(jr, &to[k - from], 1);
	}
	int r = json_hex4(jr, &cp);
	if (r < 0)
		return r;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return json_fail(jr, "lone low surrogate in a string");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (json_getc(jr) != '\\' || json_getc(jr) != 'u')
			return jr->err ? jr->err : json_fail(jr, "lone high surrogate in a string");
		r = json_hex4(jr, &lo);
		if (r < 0)
			return r;
		if (lo < 0xdc00 || lo > 0xdfff)
			return json_fail(jr, "lone high surrogate in a string");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp == 0)
		return json_fail(jr, "\\u0000 in a string");
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return json_text_add(jr, u, n);
}

/* One UTF-8 sequence whose lead byte c was read. */
static int json_utf8(struct json_reader *jr, int c)
{
	char u[4];
	size_t len;
	unsigned cp;

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = (unsigned)c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = (unsigned)c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = (unsigned)c & 0x07;
	} else
		return json_fail(jr, "invalid UTF-8");
	u[0] = (char)c;
	for (size_t k = 1; k < len; k++) {
		int d = json_getc(jr);
		if (d == JSON_CH_ERR)
			return jr->err;
		if (d < 0 || (d & 0xc0) != 0x80)
			return json_fail(jr, "invalid UTF-8");
		u[k] = (char)d;
		cp = (cp << 6) | ((unsigned)d & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return json_fail(jr, "invalid UTF-8");
	return json_text_add(jr, u, len);
}

/* The opening quote has been read. */
static int json_string(struct json_reader *jr)
{
	jr->text_len = 0;
	jr->text[0] = 0;
	for (;;) {
		int c = json_getc(jr), r;
		char ch;
		if (c == JSON_CH_ERR)
			return jr->err;
		if (c == JSON_CH_EOF)
			return json_fail(jr, "unterminated string");
		if (c == '"')
			return 0;
		if (c == '\\')
			r = json_escape(jr);
		else if (c < 0x20)
			r = json_fail(jr, "control character in a string");
		else if (c >= 0x80)
			r = json_utf8(jr, c);
		else {
			ch = (char)c;
			r = json_text_add(jr, &ch, 1);
		}
		if (r < 0)
			return r;
	}
}

static bool json_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool json_number_ok(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (json_digit(*s))
			s++;
	else
		return false;
	if (*s == '.') {
		s++;
		if (!json_digit(*s))
			return false;
		while (json_digit(*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!json_digit(*s))
			return false;
		while (json_digit(*s))
			s++;
	}
	return *s == 0;
}

static int json_number(struct json_reader *jr)
{
	jr->text_len = 0;
	for (;;) {
		int c = json_peekc(jr);
		if (c == JSON_CH_ERR)
			return jr->err;
		if (c <= 0 || !strchr("0123456789+-.eE", c))
			break;
		if (jr->text_len == JSON_READ_NUMBER)
			return json_fail(jr, "number too long");
		jr->text[jr->text_len++] = (char)json_getc(jr);
	}
	jr->text[jr->text_len] = 0;
	if (!json_number_ok(jr->text))
		return json_fail(jr, "malformed number");
	return 0;
}

static int json_literal(struct json_reader *jr, enum json_tok *ret_tok)
{
	char w[8];
	size_t n = 0;
	for (;;) {
		int c = json_peekc(jr);
		if (c == JSON_CH_ERR)
			return jr->err;
		if (c < 'a' || c > 'z')
			break;
		if (n == 5)
			return json_fail(jr, "unexpected word (not true, false or null)");
		w[n++] = (char)json_getc(jr);
	}
	w[n] = 0;
	if (strcmp(w, "true") == 0)
		*ret_tok = JSON_TOK_TRUE;
	else if (strcmp(w, "false") == 0)
		*ret_tok = JSON_TOK_FALSE;
	else if (strcmp(w, "null") == 0)
		*ret_tok = JSON_TOK_NULL;
	else
		return json_fail(jr, "unexpected word (not true, false or null)");
	return 0;
}

static void json_after_value(struct json_reader *jr)
{
	if (jr->depth == 0) {
		jr->count++;
		jr->expect = JSON_EXPECT_TOP;
	} else {
		jr->expect = JSON_EXPECT_NEXT;
	}
}

static int json_push(struct json_reader *jr, char kind)
{
	if (jr->depth == JSON_READ_DEPTH)
		return json_fail(jr, "nested too deeply");
	jr->stack[jr->depth++] = kind;
	jr->expect = kind == 'o' ? JSON_EXPECT_KEY_OR_END : JSON_EXPECT_VALUE_OR_END;
	return 0;
}

static int json_value(struct json_reader *jr, int c, enum json_tok *ret_tok)
{
	int r;

	switch (c) {
	case '{':
		r = json_push(jr, 'o');
		*ret_tok = JSON_TOK_OBJ_BEGIN;
		return r < 0 ? r : 1;
	case '[':
		r = json_push(jr, 'a');
		*ret_tok = JSON_TOK_ARR_BEGIN;
		return r < 0 ? r : 1;
	case '"':
		r = json_string(jr);
		*ret_tok = JSON_TOK_STRING;
		break;
	case 't':
	case 'f':
	case 'n':
		jr->pos--; /* c was not a line feed: put it back */
		r = json_literal(jr, ret_tok);
		break;
	default:
		if (c != '-' && (c < '0' || c > '9'))
			return json_fail(jr, "unexpected character");
		jr->pos--;
		r = json_number(jr);
		*ret_tok = JSON_TOK_NUMBER;
		break;
	}
	if (r < 0)
		return r;
	json_after_value(jr);
	return 1;
}

int json_reader_next(struct json_reader *jr, enum json_tok *ret_tok)
{
	if (jr->err)
		return jr->err;
	if (!jr->started) {
		jr->started = true;
		if (json_peekc(jr) == 0xef) {
			json_getc(jr);
			if (json_getc(jr) != 0xbb || json_getc(jr) != 0xbf)
				return jr->err ? jr->err : json_fail(jr, "invalid UTF-8");
		}
	}
	for (;;) {
		int c = json_getc(jr);
		while (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			c = json_getc(jr);
		if (c == JSON_CH_ERR)
			return jr->err;
		jr->tok_line = jr->line;
		if (c == JSON_CH_EOF) {
			if (jr->expect == JSON_EXPECT_TOP)
				return 0;
			return json_fail(jr, "unexpected end of input");
		}
		switch (jr->expect) {
		case JSON_EXPECT_COLON:
			if (c != ':')
				return json_fail(jr, "expected ':' after a key");
			jr->expect = JSON_EXPECT_VALUE;
			continue;
		case JSON_EXPECT_NEXT: {
			char top = jr->stack[jr->depth - 1];
			if (c == ',') {
				jr->expect = top == 'o' ? JSON_EXPECT_KEY : JSON_EXPECT_VALUE;
				continue;
			}
			if ((c == '}' && top == 'o') || (c == ']' && top == 'a')) {
				jr->depth--;
				json_after_value(jr);
				*ret_tok = c == '}' ? JSON_TOK_OBJ_END : JSON_TOK_ARR_END;
				return 1;
			}
			return json_fail(
			        jr, top == 'o' ? "expected ',' or '}'" : "expected ',' or ']'");
		}
		case JSON_EXPECT_KEY_OR_END:
			if (c == '}') {
				jr->depth--;
				json_after_value(jr);
				*ret_tok = JSON_TOK_OBJ_END;
				return 1;
			}
			/* fall through */
		case JSON_EXPECT_KEY: {
			if (c != '"')
				return json_fail(jr, "expected a quoted key");
			int r = json_string(jr);
			if (r < 0)
				return r;
			jr->expect = JSON_EXPECT_COLON;
			*ret_tok = JSON_TOK_KEY;
			return 1;
		}
		case JSON_EXPECT_VALUE_OR_END:
			if (c == ']') {
				jr->depth--;
				json_after_value(jr);
				*ret_tok = JSON_TOK_ARR_END;
				return 1;
			}
			/* fall through */
		case JSON_EXPECT_VALUE:
		case JSON_EXPECT_TOP:
			return json_value(jr, c, ret_tok);
		}
		return json_fail(jr, "internal state");
	}
}

int json_reader_skip(struct json_reader *jr, enum json_tok tok)
{
	enum json_tok t;

	if (tok != JSON_TOK_OBJ_BEGIN && tok != JSON_TOK_ARR_BEGIN)
		return 0;
	unsigned d = jr->depth;
	for (;;) {
		int r = json_reader_next(jr, &t);
		if (r < 0)
			return r;
		if (r == 0)
			return json_fail(jr, "unexpected end of input");
		if (jr->depth < d)
			return 0;
	}
}

const char *json_reader_text(const struct json_reader *jr, size_t *ret_len)
{
	if (ret_len)
		*ret_len = jr->text_len;
	return jr->text;
}

unsigned json_reader_depth(const struct json_reader *jr)
{
	return jr->depth;
}

unsigned long json_reader_line(const struct json_reader *jr)
{
	return jr->tok_line;
}

unsigned long json_reader_count(const struct json_reader *jr)
{
	return jr->count;
}

const char *json_reader_why(const struct json_reader *jr)
{
	return jr->why;
}
