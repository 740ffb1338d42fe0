/* bounce/score.c — the member bounce lifecycle rules (score.h). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bounce/internal.h"
#include "bounce/score.h"
#include "listd/core/log.h"

const char *score_action_name(enum score_action a)
{
	static const char *const names[] = {
		[SCORE_ACTION_NONE] = "none",       [SCORE_ACTION_SCORED] = "scored",
		[SCORE_ACTION_DISABLE] = "disable", [SCORE_ACTION_WARN] = "warn",
		[SCORE_ACTION_ENABLE] = "enable",   [SCORE_ACTION_REMOVE] = "remove",
	};
	if ((size_t)a >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[a];
}

static enum score_action apply_probing(struct score_member *m, const struct score_event *e)
{
	if (!e->probe || !e->failure)
		return SCORE_ACTION_NONE; /* an old post's bounce, or an auto-reply */
	if (e->proven)
		return SCORE_ACTION_REMOVE; /* the probe bounced: the address is bad */
	if (!e->counts || m->troubled)
		return SCORE_ACTION_NONE; /* about the message or us, or noted already */
	m->troubled = true;
	return SCORE_ACTION_SCORED;
}

enum score_action score_apply(const struct score_settings *s, struct score_member *m,
                              const struct score_event *e)
{
	if (m->probing)
		return apply_probing(m, e);
	if (!e->counts)
		return SCORE_ACTION_NONE;
	if (m->last_day && e->day < m->last_day)
		return SCORE_ACTION_NONE;

	if (m->last_day && e->day == m->last_day) {
		if (!e->hard || m->day_hard)
			return SCORE_ACTION_NONE;
		m->day_hard = true;
		if (s->hard_weight > s->soft_weight)
			m->score += s->hard_weight - s->soft_weight;
	} else {
		if (m->last_day && e->day - m->last_day > s->stale_days)
			m->score = 0;
		m->score += e->hard ? s->hard_weight : s->soft_weight;
		m->count++;
		m->last_day = e->day;
		m->day_hard = e->hard;
	}
	log_debug("score: day %u %s: score %u.%02u", e->day, e->hard ? "hard" : "soft",
	          m->score / 100, m->score % 100);
	if (m->enabled && s->threshold && m->score >= s->threshold) {
		m->enabled = false;
		m->probing = true;
		m->probe_sent_day = e->day;
		m->warnings_sent = 0;
		m->troubled = false;
		return SCORE_ACTION_DISABLE;
	}
	return SCORE_ACTION_SCORED;
}

enum score_action score_tick(const struct score_settings *s, struct score_member *m, uint32_t today)
{
	uint32_t interval = s->probe_interval_days ? s->probe_interval_days : 1;

	if (!m->probing) {
		if (m->score && m->last_day && today > m->last_day &&
		    today - m->last_day > s->stale_days) {
			m->score = 0;
			return SCORE_ACTION_SCORED;
		}
		return SCORE_ACTION_NONE;
	}
	if (today < m->probe_sent_day || today - m->probe_sent_day < interval)
		return SCORE_ACTION_NONE;
	if (!m->troubled) {
		m->probing = false;
		m->enabled = true;
		m->score = 0;
		m->last_day = 0;
		m->day_hard = false;
		m->probe_sent_day = 0;
		m->warnings_sent = 0;
		return SCORE_ACTION_ENABLE;
	}
	if (m->warnings_sent >= s->probe_warnings)
		return SCORE_ACTION_REMOVE;
	m->warnings_sent++;
	m->probe_sent_day = today;
	m->troubled = false;
	return SCORE_ACTION_WARN;
}

bool score_post_blamed(uint32_t failures, uint32_t recipients)
{
	if (failures < SCORE_POST_BLAME_MIN)
		return false;
	return (uint64_t)failures * 100 > (uint64_t)recipients * SCORE_POST_BLAME_PERCENT;
}

enum score_blame score_blame(enum bounce_reason reason, int hard, const char *status,
                             const char *diag, bool at_rcpt)
{
	if (!bounce_reason_blames_member(reason, hard))
		return SCORE_BLAME_NONE;
	enum smtp_command cmd = diag ? status_smtp_command(slice_cstr(diag)) : SMTP_COMMAND_NONE;
	if (cmd != SMTP_COMMAND_NONE && cmd != SMTP_COMMAND_RCPT)
		return SCORE_BLAME_NONE;
	if (hard != 1)
		return SCORE_BLAME_ADDRESS;
	const char *st = status ? status : "";
	bool permanent = st[0] == '5';
	if (at_rcpt || (permanent && cmd == SMTP_COMMAND_RCPT) || !strncmp(st, "5.1.", 4) ||
	    !strcmp(st, "5.4.4"))
		return SCORE_BLAME_PROVEN;
	return SCORE_BLAME_ADDRESS;
}

void score_classify_reply(const char *status, int code, const char *text,
                          enum bounce_reason *ret_reason, int *ret_hard)
{
	char st[BOUNCE_STATUS_MAX] = "";
	struct slice t = text ? slice_cstr(text) : slice_make("", 0);

	if (status && *status && strlen(status) < sizeof(st))
		memcpy(st, status, strlen(status) + 1);
	else
		status_find(t, st);
	if (!code)
		code = status_reply_code(t);
	/* the same decision as a report's recipient (reason.c), for a reply
	 * that answered RCPT TO from the host the fan-out talked to */
	struct bounce_text bt;
	bounce_text_init(&bt, t, LIMIT_BOUNCE_DIAG * 4);
	struct reason_input in = {
		.status = st,
		.reply = code,
		.cmd = SMTP_COMMAND_RCPT,
		.rcpt_stage = true,
		.own_diag = t.len > 0,
		.rhost = "",
		.text = &bt,
		.category = BOUNCE_REASON_UNDEFINED,
	};
	enum bounce_reason r = reason_decide(&in);
	bounce_text_finish(&bt);
	if (!st[0])
		snprintf(st, sizeof(st), "%d.0.0", code >= 400 && code < 600 ? code / 100 : 5);
	int hard = status_hard(r, st);
	*ret_reason = r;
	*ret_hard = hard < 0 ? 0 : hard;
}
