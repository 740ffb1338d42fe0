/* bounce/score.h — the member bounce lifecycle as pure rules: how one
 * bounce event changes a member's score, when delivery is disabled, how a
 * probe and its warnings end (removal or re-enabling), and when a post
 * rather than its recipients is to blame. No I/O, no clock: days are
 * given, the caller loads and stores the state (listd/run/life.c does, in the
 * same write transaction as the event).
 *
 * The lifecycle, exactly (DESIGN.md "Scoring"; days are unix days):
 *
 *  Scoring (member not probing). An event "counts" when it says something
 *  about the address (bounce_reason_blames_member()) and its post is not
 *  blamed (score_post_blamed()). A counting event on day D:
 *   - if the last counted day L is set and D - L > stale_days, the score
 *     first goes back to 0 (it went stale);
 *   - at most one counted event per day: the first of day D adds
 *     hard_weight (hard) or soft_weight (soft) and counts one more bounce
 *     day; a later event of the same day adds nothing, except that a hard
 *     one after only soft ones adds hard_weight - soft_weight once, so a
 *     day with a hard event weighs as hard;
 *   - an event dated before L is ignored (the clock went back);
 *   - when the member is enabled and the score reaches threshold (>=;
 *     threshold 0 never disables), delivery is disabled and a probe goes
 *     out: SCORE_ACTION_DISABLE. The member's score stays as it was (shown
 *     by `listadm bounce ls`) until the probe is decided.
 *  A member disabled by an administrator or by themselves is scored the
 *  same way but never disabled by bounces.
 *
 *  Probing (delivery disabled by bounces). The probe and each warning
 *  carry their own token (VERP kinds PROBE and WARNING). Bounces of posts
 *  sent before the member was disabled are recorded and change nothing.
 *   - "A bounced probe": a report to a PROBE or WARNING token that proves
 *     the address bad (score_blame() PROVEN: a hard reason reported at
 *     RCPT or with a 5.1.x/5.4.4 status; never post-blamed) removes the
 *     member at once: SCORE_ACTION_REMOVE.
 *   - A failure report to a PROBE or WARNING token that blames the address
 *     without proving it (a full mailbox, a suspended account, an
 *     "unknown" without the status to back it) spoils the round: the
 *     state's troubled flag is set.
 *   - Any other report to a PROBE or WARNING token (spam, content, policy,
 *     rate limits, blocked, delays, undefined ...) says nothing about the
 *     address and changes nothing; nor does an auto-reply (the mailbox
 *     exists).
 *   - The daily tick, probe_interval_days after the probe or the latest
 *     warning was sent:
 *       round not troubled = "a clean delivery": nothing bounced, so the
 *         address takes mail again: delivery re-enabled, score, last day,
 *         probe and warnings reset (the bounce day count is kept):
 *         SCORE_ACTION_ENABLE;
 *       troubled, fewer than probe_warnings warnings sent: the next
 *         warning goes out (its own token; it lists the posts missed and
 *         how to get delivery back): SCORE_ACTION_WARN;
 *       troubled after probe_warnings warnings ("N unanswered warnings";
 *         an answer is anything that ends probing: an administrator's
 *         `listadm bounce reset`, or a clean round): SCORE_ACTION_REMOVE.
 *     With probe_warnings 0 a troubled probe round removes at once.
 *     probe_interval_days 0 is read as 1.
 *  The daily tick also returns a stale score (no counted day for more than
 *  stale_days) of a member not probing to 0, last day and count kept, so
 *  what `listadm bounce ls` shows is current.
 *
 *  The post is blamed instead of its recipients when at least
 *  SCORE_POST_BLAME_MIN recipients of one post failed with the same reason
 *  and they are more than SCORE_POST_BLAME_PERCENT percent of the list's
 *  members (score_post_blamed()); the owners are told once per post and
 *  reason. From then on a failure with that reason for that post excuses
 *  the member: it does not count — once. A member already excused for an
 *  earlier post within stale_days (on another day) is not excused again,
 *  so a list with many dead addresses cannot have them excused post after
 *  post. Failures before the crossing counted as usual (the caller keeps
 *  no per-post list of members to take them back). */
#ifndef LISTD_BOUNCE_SCORE_H
#define LISTD_BOUNCE_SCORE_H

#include <stdbool.h>
#include <stdint.h>

#include "bounce/bounce.h"

#define SCORE_POST_BLAME_MIN 3
#define SCORE_POST_BLAME_PERCENT 10

/* A list's bounce settings (store_list's bounce_* fields). Weights and
 * threshold in hundredths. */
struct score_settings {
	uint32_t threshold;
	uint32_t stale_days;
	uint32_t probe_warnings;
	uint32_t probe_interval_days;
	uint32_t hard_weight;
	uint32_t soft_weight;
};

/* A member's bounce state, as the caller keeps it. */
struct score_member {
	bool enabled;            /* delivery enabled (not disabled by anyone) */
	bool probing;            /* disabled by bounces, probe out */
	uint32_t score;          /* hundredths */
	uint32_t last_day;       /* last counted bounce day; 0 = never */
	uint32_t count;          /* counted bounce days */
	bool day_hard;           /* last_day already weighed as hard */
	uint32_t probe_sent_day; /* day the probe or latest warning went out */
	uint32_t warnings_sent;
	bool troubled; /* probing: a failure to the probe or a
	                                   warning since it went out */
};

/* One event about the member. */
struct score_event {
	uint32_t day;
	bool hard;    /* hard failure (unknown counts as soft) */
	bool counts;  /* blames the address, post not blamed */
	bool proven;  /* the address is bad, as said where it
	                                   is known (score_blame()) */
	bool failure; /* a failure report (DSN, 5xx), not an
	                                   auto-reply or a complaint */
	bool probe;   /* to a PROBE or WARNING token */
};

/* What one failure report says about the member's address. */
enum score_blame {
	SCORE_BLAME_NONE,    /* nothing: the message, the list, the
	                                   network, or not known */
	SCORE_BLAME_ADDRESS, /* the mailbox or address, as far as
	                                   the report can tell (counts) */
	SCORE_BLAME_PROVEN,  /* the address is bad, said by the one
	                                   who knows it: a probe removes */
};

/* Judges a failure report about one address: reason and hard as the
 * classifier wrote them, status its enhanced code ("" or NULL if none),
 * diag the diagnostic text (may be NULL), at_rcpt true when our own relay
 * refused the address with a 5xx in the SMTP dialogue (the fan-out's and
 * the outbox's refusals).
 *  NONE when the reason says nothing about the address
 *  (bounce_reason_blames_member(): spam, policy, reputation, blocked,
 *  rate limits, network, undefined, onhold ...), or when the diagnostic
 *  names the SMTP command it answered and that is not RCPT: a refusal at
 *  connect, EHLO or MAIL is about us, one after DATA about the message
 *  (whatever words it uses: the address was accepted at RCPT).
 *  PROVEN when, besides, the reason is hard and the failure is permanent
 *  and was reported where the address is judged: at RCPT (at_rcpt, or a
 *  diagnostic naming RCPT TO with a 5.x.x status), or with a status
 *  5.1.x or 5.4.4 (RFC 3463: bad destination mailbox or system address;
 *  no route to host).
 *  ADDRESS otherwise (a full or suspended mailbox, a temporary "unknown",
 *  a hard reason read from words alone). */
enum score_blame score_blame(enum bounce_reason reason, int hard, const char *status,
                             const char *diag, bool at_rcpt);

enum score_action {
	SCORE_ACTION_NONE,    /* nothing changed */
	SCORE_ACTION_SCORED,  /* state changed, nothing to send */
	SCORE_ACTION_DISABLE, /* disable delivery, send the probe */
	SCORE_ACTION_WARN,    /* send the next warning */
	SCORE_ACTION_ENABLE,  /* clean round: enable delivery again */
	SCORE_ACTION_REMOVE,  /* remove the member */
};

/* Static name: "none", "scored", "disable", "warn", "enable", "remove". */
const char *score_action_name(enum score_action a);

/* Applies e to *m (updated in place; on DISABLE, WARN, ENABLE the caller
 * also does what the action says, the state is already updated). */
enum score_action score_apply(const struct score_settings *s, struct score_member *m,
                              const struct score_event *e);

/* The daily decision for a member on day today (any member may be
 * passed): probe rounds, and stale scores (SCORE_ACTION_SCORED). Calling
 * it again the same day after it acted changes nothing. */
enum score_action score_tick(const struct score_settings *s, struct score_member *m,
                             uint32_t today);

/* Is a post to blame for its failures with one reason, given how many
 * distinct recipients failed with it and how many it had? */
bool score_post_blamed(uint32_t failures, uint32_t recipients);

/* Classifies a relay's permanent refusal at RCPT time (the fan-out's 5xx):
 * status is the enhanced code ("5.1.1", may be "" or NULL), code the SMTP
 * reply code (0: none), text the reply text (may be NULL; an empty status
 * or code is looked for in it). Writes the reason and
 * hard (1 hard, 0 soft) as bounce_parse() would for the same words. */
void score_classify_reply(const char *status, int code, const char *text,
                          enum bounce_reason *ret_reason, int *ret_hard);

#endif
