/* bounce/reason.c — the reason of one failed recipient, from its
 * diagnostic text, normalised status code, the SMTP command its reply
 * answered and the host that answered. The data (phrases, codes, order,
 * providers) is reason_table.c; this file is only the order of decisions:
 *
 *   0. the reporting MTA's own message for a failure it found itself
 *      decides, unless its verdict is a weak one (unknown user or host,
 *      expiry, system or network trouble);
 *   1. a receiver with its own documented codes decides (provider table,
 *      keyed on the host that answered);
 *   2. the guarded rules, in a fixed order: each fires when the status
 *      code means its reason or one of its phrases occurs, within the
 *      stage where that reason can exist at all (a user-unknown reply is
 *      about the address only with evidence of the recipient stage: a
 *      reply to RCPT TO, an addressing code; after DATA the address
 *      exists and a filter spoke; content verdicts only exist after DATA;
 *      sender problems are named at MAIL FROM; nothing is relayed before
 *      a recipient is named); the MTA's weak verdict stands when its
 *      reason's turn comes;
 *   3. the status code's own meaning, unless it is one of the weak ones;
 *      then the MTA's weak verdict, which names the cause more precisely
 *      than a weak code or the general phrases;
 *   4. the phrases of the remaining reasons;
 *   5. the class of the code (X.6: content, X.7: security), a local
 *      program's failure (X-Unix), a syntax reply (50x);
 *   6. a delay notice (Action: delayed) or an expired delivery; a refusal
 *      at the greeting or EHLO is about our host;
 *   7. text that says something failed, but not what: onhold; nothing:
 *      undefined. */
#include <stdint.h>
#include <string.h>

#include "bounce/internal.h"
#include "bounce/reason_table.h"

/* Each reason's phrases are searched at most once per text. */
_Static_assert(BOUNCE_REASON_COUNT_ <= 64, "one bit per reason");
struct memo {
	const struct bounce_text *t;
	uint64_t done, yes;
	bool declared;   /* declared_failure(t) */
	bool rcpt_stage; /* rcpt_evidence() */
};

static bool says(struct memo *m, enum bounce_reason r)
{
	uint64_t bit = (uint64_t)1 << r;
	if (!(m->done & bit)) {
		m->done |= bit;
		if (reason_text_says(r, m->t))
			m->yes |= bit;
	}
	return (m->yes & bit) != 0;
}

/* Reasons a code gives only weakly: the text or the stage must confirm. */
static bool weak(enum bounce_reason r)
{
	switch (r) {
	case BOUNCE_REASON_UNDEFINED:
	case BOUNCE_REASON_ONHOLD:
	case BOUNCE_REASON_SYSTEMERROR:
	case BOUNCE_REASON_SECURITYERROR:
	case BOUNCE_REASON_EXPIRED:
	case BOUNCE_REASON_SUSPEND:
	case BOUNCE_REASON_NETWORKERROR:
	case BOUNCE_REASON_HOSTUNKNOWN:
	case BOUNCE_REASON_USERUNKNOWN:
		return true;
	default:
		return false;
	}
}

static bool before_rcpt(enum smtp_command c)
{
	return c == SMTP_COMMAND_CONNECT || c == SMTP_COMMAND_HELO || c == SMTP_COMMAND_MAIL;
}

/* "... example.com does not exist": the word before the phrase is a
 * domain name (letters, digits, dots and hyphens, a dot inside, no "@"),
 * so what does not exist is a domain. */
static bool domain_does_not_exist(const struct bounce_text *t)
{
	const char *low = t->low.data;
	const char *p = bounce_text_find(t, " does not exist");
	if (!p)
		return false;
	const char *b = p;
	while (b > low && b[-1] != ' ' && b[-1] != '\n')
		b--;
	if (p - b < 4 || p[-1] == '.' || !memchr(b, '.', (size_t)(p - b)))
		return false;
	for (const char *q = b; q < p; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '.' ||
		      *q == '-'))
			return false;
	return true;
}

/* The resolver's temporary failure (h_errno TRY_AGAIN), as Postfix
 * (dns_strerror) and the C library (hstrerror) word it. */
static bool dns_try_again(const struct bounce_text *t)
{
	return bounce_text_find(t, "host not found, try again") ||
	        bounce_text_find(t, "host name lookup failure");
}

/* Exim's "(:fail:)": a failure the local configuration declared (a
 * redirect item or a router), in words its administrator chose; no lookup
 * of the address or its domain stands behind them. */
static bool declared_failure(const struct bounce_text *t)
{
	return bounce_text_find(t, "(:fail:)") != NULL;
}

/* Evidence that the reply was about the address: the caller's (a reply
 * to RCPT TO, or an addressing code), unless the failure was declared. */
static bool rcpt_evidence(const struct reason_input *in, bool declared)
{
	return in->rcpt_stage && !declared;
}

/* One guarded rule of the first list. */
static bool rule(enum bounce_reason r, const struct reason_input *in, enum bounce_reason coded,
                 struct memo *m)
{
	const struct bounce_text *t = in->text;
	enum smtp_command cmd = in->cmd;
	bool declared = m->declared, rcpt_stage = m->rcpt_stage;

	switch (r) {
	case BOUNCE_REASON_USERUNKNOWN:
		/* before a recipient was named, the reply cannot be about it;
		 * at the end of DATA the address had been accepted at RCPT TO,
		 * so even an addressing code is the filter's answer */
		if (coded == BOUNCE_REASON_SUSPEND || before_rcpt(cmd) || in->end_of_data)
			return false;
		/* the code says so, and the text does not name another cause */
		if (coded == BOUNCE_REASON_USERUNKNOWN) {
			static const enum bounce_reason other[] = {
				BOUNCE_REASON_NORELAYING,  BOUNCE_REASON_BLOCKED,
				BOUNCE_REASON_MAILBOXFULL, BOUNCE_REASON_HASMOVED,
				BOUNCE_REASON_NOTACCEPT,   BOUNCE_REASON_FILTERED,
			};
			for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
				if (says(m, other[i]))
					return false;
			if (says(m, BOUNCE_REASON_REJECTED) && !reason_rejected_excluded(t) &&
			    !says(m, BOUNCE_REASON_USERUNKNOWN))
				return false;
			return true;
		}
		/* the words alone: only with evidence that the reply answered
		 * for the address (RCPT TO, an addressing code) */
		return rcpt_stage && says(m, r);
	case BOUNCE_REASON_FILTERED:
		/* a code naming the sender's side or a disabled account decides */
		if (coded == BOUNCE_REASON_SUSPEND || coded == BOUNCE_REASON_REJECTED)
			return false;
		if (coded == BOUNCE_REASON_FILTERED &&
		    (says(m, r) || says(m, BOUNCE_REASON_USERUNKNOWN)))
			return true;
		if (before_rcpt(cmd) || cmd == SMTP_COMMAND_RCPT)
			return false;
		/* a stage only inferred (an addressing code):
		 * words saying the address is unknown are about the address,
		 * words saying its owner refuses the mail still say that */
		if (rcpt_stage)
			return says(m, r);
		return says(m, r) || says(m, BOUNCE_REASON_USERUNKNOWN);
	case BOUNCE_REASON_REJECTED:
		/* no sender was named yet at the greeting or EHLO */
		if (cmd == SMTP_COMMAND_CONNECT || cmd == SMTP_COMMAND_HELO)
			return false;
		if (coded == BOUNCE_REASON_REJECTED)
			return true;
		if (reason_rejected_excluded(t) || !says(m, r))
			return false;
		if (cmd == SMTP_COMMAND_MAIL)
			return true;
		if (cmd == SMTP_COMMAND_DATA)
			return coded != BOUNCE_REASON_USERUNKNOWN;
		return coded == BOUNCE_REASON_UNDEFINED || coded == BOUNCE_REASON_ONHOLD ||
		        coded == BOUNCE_REASON_SECURITYERROR || coded == BOUNCE_REASON_SYSTEMERROR;
	case BOUNCE_REASON_SPAMDETECTED:
		/* content verdicts exist only after DATA; a specific media code
		 * (X.6.1 and on, RFC 3463) says the content's form was refused,
		 * not that it was spam (X.6.0 is "other", it names nothing) */
		if (before_rcpt(cmd) || cmd == SMTP_COMMAND_RCPT ||
		    (in->status && in->status[0] && !strncmp(in->status + 1, ".6.", 3) &&
		     strcmp(in->status + 4, "0")))
			return false;
		return coded == r || says(m, r);
	case BOUNCE_REASON_NORELAYING:
		if (cmd == SMTP_COMMAND_CONNECT || cmd == SMTP_COMMAND_HELO)
			return false;
		return says(m, r);
	case BOUNCE_REASON_SUSPEND:
		return in->reply == 525 || says(m, r);
	case BOUNCE_REASON_MESGTOOBIG:
		if (coded == BOUNCE_REASON_EXCEEDLIMIT)
			return false;
		return coded == r || says(m, r);
	case BOUNCE_REASON_HOSTUNKNOWN:
		/* a name lookup that failed for now (the resolver's TRY_AGAIN)
		 * says nothing about whether the domain exists */
		if (before_rcpt(cmd) || dns_try_again(t) || declared)
			return false;
		if (coded == r)
			return !says(m, BOUNCE_REASON_NETWORKERROR) || says(m, r);
		return says(m, r) || domain_does_not_exist(t);
	case BOUNCE_REASON_NOTACCEPT:
		/* the domain says it takes no mail (null MX, no mail exchanger);
		 * "not accepting messages" (X.3.2) is a system's passing state,
		 * left to the code's meaning when no rule names a cause */
		return says(m, r) || (coded == r && strcmp(in->status + 1, ".3.2"));
	case BOUNCE_REASON_SPEEDING:
		/* a limit on connections is no limit on the messages' rate */
		return says(m, r) && !bounce_text_find(t, "connection rate limit");
	case BOUNCE_REASON_HASMOVED:
	case BOUNCE_REASON_BADREPUTATION:
	case BOUNCE_REASON_NOTCOMPLIANTRFC:
		return says(m, r);
	default:
		return coded == r || says(m, r);
	}
}

enum bounce_reason reason_decide(const struct reason_input *in)
{
	const char *st = in->status ? in->status : "";
	enum bounce_reason coded = reason_of_status(st);

	if (st[0] == '2')
		return BOUNCE_REASON_DELIVERED;
	/* a local delivery program's own words (X-Unix): its failure, unless
	 * it says the mailbox is full, or, under a code saying there is no
	 * such user, says so itself without a file in trouble */
	if (in->xunix) {
		if (reason_text_says(BOUNCE_REASON_MAILBOXFULL, in->text))
			return BOUNCE_REASON_MAILBOXFULL;
		if (coded == BOUNCE_REASON_USERUNKNOWN &&
		    reason_text_says(BOUNCE_REASON_USERUNKNOWN, in->text) &&
		    !reason_text_says(BOUNCE_REASON_MAILERERROR, in->text))
			return BOUNCE_REASON_USERUNKNOWN;
		return BOUNCE_REASON_MAILERERROR;
	}
	/* 1. the reporting MTA's own message for a failure it found itself;
	 * a weak verdict (unknown user or host, expiry, system, network) is
	 * kept only when the rules below find nothing better */
	enum bounce_reason mta = reason_of_mta(in->report, in->text);
	if (mta != BOUNCE_REASON_UNDEFINED && !weak(mta))
		return mta;
	/* 2. the receiver's own dialect */
	int pr = reason_of_provider(in->rhost, st, in->text);
	if (pr >= 0)
		return (enum bounce_reason)pr;
	/* 2. the guarded rules, first hit wins; a weak verdict of the
	 * reporting MTA's own stands when its reason's turn comes (the MTA
	 * looked the address up itself: its "unknown user" needs no stage) */
	bool declared = declared_failure(in->text);
	struct memo m = { in->text, 0, 0, declared, rcpt_evidence(in, declared) };
	for (size_t i = 0; i < reason_order_first_n; i++)
		if ((mta == reason_order_first[i] && !declared) ||
		    rule(reason_order_first[i], in, coded, &m))
			return reason_order_first[i];
	/* 3. the code's own meaning, when it is a strong one */
	if (!weak(coded))
		return coded;
	/* the reporting MTA's own message, even a weak one, names the cause
	 * more precisely than a weak code, the general phrases or the
	 * retrying that ended in the report (qmail: "wasn't able to establish
	 * an SMTP connection ... in the queue too long" is a network error) */
	if (mta != BOUNCE_REASON_UNDEFINED)
		return mta;
	/* the sending MTA's own classification of the reply (PowerMTA's
	 * bounce category): it read the same reply, and names a cause where
	 * neither the rules nor a strong code did; an unknown user or host
	 * only where the reply could be about the address at all */
	if (in->category != BOUNCE_REASON_UNDEFINED &&
	    !((in->category == BOUNCE_REASON_USERUNKNOWN ||
	       in->category == BOUNCE_REASON_HOSTUNKNOWN) &&
	      (before_rcpt(in->cmd) || in->end_of_data)))
		return in->category;
	/* 4. the phrases of the remaining reasons */
	for (size_t i = 0; i < reason_order_second_n; i++)
		if (says(&m, reason_order_second[i]))
			return reason_order_second[i];
	/* 5. the class of the code, the kind of diagnostic, the reply */
	if (st[0] && !strncmp(st + 1, ".6.", 3))
		return BOUNCE_REASON_CONTENTERROR;
	if (in->xunix)
		return BOUNCE_REASON_MAILERERROR;
	/* a weak code that no text contradicted (userunknown and hostunknown
	 * only after a recipient was named, and not after DATA, where the
	 * address had been accepted: the message was refused) */
	if (coded == BOUNCE_REASON_USERUNKNOWN && in->end_of_data)
		return BOUNCE_REASON_FILTERED;
	/* an addressing code whose text names the sender as the one refused
	 * ("550 5.1.0 <sender> sender rejected"): not the recipient's fate */
	if (coded == BOUNCE_REASON_USERUNKNOWN && says(&m, BOUNCE_REASON_REJECTED) &&
	    !reason_rejected_excluded(in->text) && !says(&m, BOUNCE_REASON_USERUNKNOWN))
		return BOUNCE_REASON_REJECTED;
	if (coded != BOUNCE_REASON_UNDEFINED &&
	    !(before_rcpt(in->cmd) &&
	      (coded == BOUNCE_REASON_USERUNKNOWN || coded == BOUNCE_REASON_HOSTUNKNOWN)))
		return coded;
	if (st[0] && !strncmp(st + 1, ".7.", 3))
		return BOUNCE_REASON_SECURITYERROR;
	if ((in->reply >= 500 && in->reply <= 507) || (in->reply >= 400 && in->reply <= 407))
		return BOUNCE_REASON_SYNTAXERROR;
	/* 6. delays, stages */
	if (in->delayed)
		return BOUNCE_REASON_EXPIRED;
	if (in->cmd == SMTP_COMMAND_CONNECT || in->cmd == SMTP_COMMAND_HELO)
		return BOUNCE_REASON_BLOCKED;
	/* a final report of a reply that was only ever temporary: the
	 * reporting MTA retried until it gave up */
	if (in->reply / 100 == 4 || st[0] == '4')
		return BOUNCE_REASON_EXPIRED;
	/* refused at MAIL FROM: the sender was refused */
	if (in->cmd == SMTP_COMMAND_MAIL)
		return BOUNCE_REASON_REJECTED;
	/* 7. something failed, but the recipient's own diagnostic does not say
	 * what (onhold); no diagnostic of its own at all: undefined */
	if (in->own_diag && in->text && in->text->low.len)
		return BOUNCE_REASON_ONHOLD;
	return BOUNCE_REASON_UNDEFINED;
}
