// SPDX-License-Identifier: GPL-2.0
/*
 * plan.c - carry out what a command asks of the kernel.
 *
 * Every command that changes something (format, up, down, promote,
 * transfer, add, remove, replace) parses its arguments into a struct
 * rr_plan: the sysfs writes, then the conditions to wait for and the lines
 * to print, in order.  rr_plan_run() does them one after the other and
 * stops at the first that fails.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rraftctl.h"

static struct rr_step *plan_step(struct rr_plan *p, enum rr_step_kind kind)
{
	struct rr_step *s;

	/* the plans of rraftctl.c are short: an overflow is a bug there */
	if (p->n >= RR_PLAN_STEPS)
		abort();
	s = &p->steps[p->n++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	return s;
}

void rr_plan_add(struct rr_plan *p, enum rr_step_kind kind, const char *attr,
		 const char *fmt, ...)
{
	struct rr_step *s = plan_step(p, kind);
	va_list ap;

	s->attr = attr;
	va_start(ap, fmt);
	vsnprintf(s->text, sizeof(s->text), fmt, ap);
	va_end(ap);
}

void rr_plan_wait(struct rr_plan *p, enum rr_wait_what what, unsigned int id)
{
	struct rr_step *s = plan_step(p, RR_STEP_WAIT);

	s->what = what;
	s->id = id;
}

void rr_plan_catch_up(struct rr_plan *p, unsigned int id)
{
	plan_step(p, RR_STEP_CATCH_UP)->id = id;
}

void rr_plan_appear(struct rr_plan *p)
{
	plan_step(p, RR_STEP_DEV_APPEAR);
}

/* members string "voters=1,2 old= learners=3": is id in list key? */
static bool members_has(const char *m, const char *key, unsigned int id)
{
	char buf[256], *save = NULL, *tok;
	size_t kl = strlen(key);

	snprintf(buf, sizeof(buf), "%s", m);
	for (tok = strtok_r(buf, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *item, *isave = NULL;
		unsigned long long v;

		if (strncmp(tok, key, kl) || tok[kl] != '=')
			continue;
		for (item = strtok_r(tok + kl + 1, ",", &isave); item;
		     item = strtok_r(NULL, ",", &isave))
			if (!rr_arg_u64(item, 0, ULLONG_MAX, &v) && v == id)
				return true;
	}
	return false;
}

struct dev_view {
	char role[64], leader[64], members[256], phase[64];
};

static void view_read(int minor, struct dev_view *v)
{
	memset(v, 0, sizeof(*v));
	rr_dev_read(minor, "role", v->role, sizeof(v->role));
	rr_dev_read(minor, "leader", v->leader, sizeof(v->leader));
	rr_dev_read(minor, "members", v->members, sizeof(v->members));
	if (rr_dev_read(minor, "conf_phase", v->phase, sizeof(v->phase)))
		strcpy(v->phase, "stable");
}

static bool view_holds(const struct dev_view *v, enum rr_wait_what what,
		       unsigned int id)
{
	unsigned long long l;

	switch (what) {
	case RR_W_IS_LEADER:
		return !strcmp(v->role, "leader");
	case RR_W_LEADER_IS:
		return !rr_arg_u64(v->leader, 0, ULLONG_MAX, &l) && l == id;
	case RR_W_VOTER:
		return members_has(v->members, "voters", id) &&
		       !members_has(v->members, "learners", id) &&
		       !strcmp(v->phase, "stable");
	case RR_W_GONE:
		return !members_has(v->members, "voters", id) &&
		       !members_has(v->members, "learners", id) &&
		       !members_has(v->members, "old", id) &&
		       !strcmp(v->phase, "stable");
	}
	return false;
}

static bool past(unsigned long long end)
{
	return end && rr_now_ms() >= end;
}

/* Poll until the condition holds; RR_OK, or RR_EFAIL after the deadline. */
static int wait_for(const struct rr_plan *p, const struct rr_step *s,
		    unsigned long long end)
{
	struct dev_view v;

	for (;;) {
		if (!rr_dev_exists(p->minor)) {
			rr_err("%s: rraft%d went away", p->label, p->minor);
			return RR_ENOTFOUND;
		}
		view_read(p->minor, &v);
		if (view_holds(&v, s->what, s->id))
			return RR_OK;
		if (past(end)) {
			rr_err("%s: timed out after %ld s (role:%s leader:%s members:%s conf:%s)",
			       p->label, p->timeout, v.role[0] ? v.role : "?",
			       v.leader[0] ? v.leader : "?",
			       v.members[0] ? v.members : "?", v.phase);
			return RR_EFAIL;
		}
		rr_sleep_ms(200);
	}
}

static bool wait_dir(int minor, long timeout_ms)
{
	unsigned long long end = rr_now_ms() + (unsigned long long)timeout_ms;

	while (!rr_dev_exists(minor)) {
		if (rr_now_ms() >= end)
			return false;
		rr_sleep_ms(50);
	}
	return true;
}

struct catch_up {
	unsigned long long last_print, last_lag, lag;
	char last_state[16];
};

/* A line per change of the peer's lag or state, else one every 5 s. */
static void catch_up_print(const struct rr_plan *p, unsigned int id,
			   const struct rr_peer *peer, const char *state,
			   bool caught_up, struct catch_up *cu)
{
	const char *sent = rr_peer_get(peer, "sent");

	if (cu->lag == cu->last_lag &&
	    !strcmp(cu->last_state, state ? state : "") &&
	    rr_now_ms() - cu->last_print < 5000 && !caught_up)
		return;
	printf("%s: node %u catching up: lag %llu%s%s%s%s\n", p->label, id,
	       cu->lag, state ? " state " : "", state ? state : "",
	       sent ? " sent " : "", sent ? sent : "");
	cu->last_print = rr_now_ms();
	cu->last_lag = cu->lag;
	snprintf(cu->last_state, sizeof(cu->last_state), "%s",
		 state ? state : "");
}

/* promote_voter once caught up: RR_OK, PROMOTE_LATER, or an exit code */
#define PROMOTE_LATER	(-1)
static int catch_up_promote(unsigned int id, int minor)
{
	char num[16];
	int rc;

	snprintf(num, sizeof(num), "%u", id);
	rc = rr_dev_write(minor, "promote_voter", num, true);
	if (!rc)
		return RR_OK;
	if (rc == RR_EKERNEL &&
	    (rr_write_errno == EBUSY || rr_write_errno == EAGAIN))
		return PROMOTE_LATER;
	if (rc == RR_EKERNEL)
		rr_err("kernel refused promote_voter: %s (%s); see dmesg",
		       strerror(rr_write_errno), rr_errno_name(rr_write_errno));
	return rc;
}

/* Follow learner id's catch-up; promote it to voter once it has caught up. */
static int catch_up(const struct rr_plan *p, unsigned int id,
		    unsigned long long end)
{
	static struct rr_dev_state st;
	struct catch_up cu = { .last_lag = ~0ULL };

	for (;;) {
		const struct rr_peer *peer;
		bool caught_up = false;
		int rc;

		if (rr_state_read(p->minor, &st)) {
			rr_err("%s: rraft%d went away", p->label, p->minor);
			return RR_ENOTFOUND;
		}
		peer = rr_state_peer(&st, id);
		if (peer && rr_peer_lag(&st, peer, &cu.lag)) {
			const char *state = rr_peer_get(peer, "state");

			caught_up = cu.lag <= p->max_lag &&
				    (!state || !strcmp(state, "replicate"));
			catch_up_print(p, id, peer, state, caught_up, &cu);
		} else if (st.present[A_ROLE] &&
			   strcmp(st.val[A_ROLE], "leader")) {
			rr_err("%s: this node is no longer the leader (role %s)",
			       p->label, st.val[A_ROLE]);
			return RR_EFAIL;
		}
		rc = caught_up ? catch_up_promote(id, p->minor) : PROMOTE_LATER;
		if (rc != PROMOTE_LATER)
			return rc;
		if (past(end)) {
			rr_err("%s: node %u did not catch up within %ld s (lag %llu)",
			       p->label, id, p->timeout, cu.lag);
			return RR_EFAIL;
		}
		rr_sleep_ms(200);
	}
}

static int step_run(const struct rr_plan *p, const struct rr_step *s,
		    unsigned long long *end)
{
	/* the deadline runs from the first step that waits */
	if (!*end && p->timeout > 0 &&
	    (s->kind == RR_STEP_WAIT || s->kind == RR_STEP_CATCH_UP))
		*end = rr_now_ms() + (unsigned long long)p->timeout * 1000;
	switch (s->kind) {
	case RR_STEP_CTL_WRITE:
		return rr_ctl_write(s->attr, s->text);
	case RR_STEP_DEV_WRITE:
		return rr_dev_write(p->minor, s->attr, s->text, false);
	case RR_STEP_DEV_APPEAR:
		if (wait_dir(p->minor, 5000))
			return RR_OK;
		rr_err("rraft%d did not appear in sysfs", p->minor);
		return RR_EFAIL;
	case RR_STEP_WAIT:
		return wait_for(p, s, *end);
	case RR_STEP_CATCH_UP:
		return catch_up(p, s->id, *end);
	case RR_STEP_PRINT:
		printf("%s\n", s->text);
		return RR_OK;
	}
	return RR_EFAIL;
}

int rr_plan_run(const struct rr_plan *p)
{
	unsigned long long end = 0;
	int i, rc;

	for (i = 0; i < p->n; i++) {
		rc = step_run(p, &p->steps[i], &end);
		if (rc)
			return rc;
	}
	return RR_OK;
}
