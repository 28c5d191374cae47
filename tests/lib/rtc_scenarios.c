// SPDX-License-Identifier: GPL-2.0
/*
 * rtc_scenarios.c - Figure 8, fast backup and snapshot resume, written once
 * for the unit tests and KUnit.  See rtc_scenarios.h.
 */
#include "rtc_scenarios.h"

struct raft_config rtc_cfg_nopv(void)
{
	struct raft_config cfg = rtc_default_cfg;

	cfg.pre_vote = false;
	cfg.check_quorum = false;
	return cfg;
}

/* ------------------------------------------------------------------ */
/* Figure 8 */

/*
 * (a) S1 leader of term 2 (its NOOP, index 2, commits); index 3 of term 2
 * reaches S2 only.  (b) S5 leader of term 3 (votes S3 S4 S5), its NOOP at 3
 * stays local.
 */
static void fig8_ab(const struct rtc_env *env, struct rtc_cluster *c)
{
	RTC_CHECK_EQ(env, rtc_elect(c, 1), 1);
	RTC_CHECK_EQ(env, raft_term(rtc_r(c, 1)), 2);
	RTC_CHECK_EQ(env, rtc_commit(c, 1), 2);
	rtc_isolate(c, 1, true);
	c->cut[0][1] = false;
	c->cut[1][0] = false;
	RTC_CHECK_EQ(env, rtc_propose(c, 1, "a3"), 0);
	rtc_stabilize(c);
	RTC_CHECK_EQ(env, rtc_node(c, 2)->log[3].term, 2);
	RTC_CHECK_EQ(env, rtc_commit(c, 1), 2);
	rtc_crash(c, 1);
	rtc_isolate(c, 1, false);

	rtc_isolate(c, 5, true);
	c->cut[4][2] = false;
	c->cut[2][4] = false;
	c->cut[4][3] = false;
	c->cut[3][4] = false;
	raft_campaign(rtc_r(c, 5));
	rtc_process(c, 5);
	rtc_deliver_match(c, RAFT_MSG_VOTE, 5, 0);
	rtc_deliver_match(c, RAFT_MSG_VOTE_RESP, 0, 5);
	RTC_CHECK_EQ(env, raft_role(rtc_r(c, 5)), RAFT_LEADER);
	RTC_CHECK_EQ(env, raft_term(rtc_r(c, 5)), 3);
	RTC_CHECK_EQ(env, rtc_node(c, 5)->log[3].term, 3);
	rtc_drop_queue(c);
	rtc_crash(c, 5);
	rtc_isolate(c, 5, false);
}

/*
 * (c) S1 restarts, leader of a later term (S1 S2 S3), copies 3/2 to S3 (one
 * entry per message) and its NOOP to S2: 3/2 is on a majority, and must not
 * be committed.
 */
static void fig8_c(const struct rtc_env *env, struct rtc_cluster *c)
{
	u32 i;

	rtc_restart(c, 1);
	for (i = 0; i < 3 && raft_role(rtc_r(c, 1)) != RAFT_LEADER; i++) {
		raft_campaign(rtc_r(c, 1));
		rtc_process(c, 1);
		rtc_filter(c, RAFT_MSG_VOTE, 1, 4);
		rtc_deliver_match(c, RAFT_MSG_VOTE, 1, 0);
		rtc_deliver_match(c, RAFT_MSG_VOTE_RESP, 0, 1);
	}
	RTC_CHECK_EQ(env, raft_role(rtc_r(c, 1)), RAFT_LEADER);
	RTC_CHECK(env, raft_term(rtc_r(c, 1)) > 3);
	rtc_filter(c, 0, 1, 4);
	rtc_filter(c, 0, 1, 2);
	for (i = 0; i < 10 && rtc_node(c, 3)->log[3].term != 2; i++) {
		rtc_deliver_match(c, RAFT_MSG_APPEND, 1, 3);
		rtc_deliver_match(c, RAFT_MSG_APPEND_RESP, 3, 1);
		rtc_filter(c, 0, 1, 4);
		rtc_filter(c, 0, 1, 2);
	}
	RTC_CHECK_EQ(env, rtc_node(c, 3)->log[3].term, 2);
	RTC_CHECK_EQ(env, rtc_node(c, 3)->last, 3);
	/* S2 (which has 3/2) learns the new term's NOOP */
	rtc_filter(c, 0, 1, 3);
	rtc_tick(c, 1);
	rtc_filter(c, 0, 1, 3);
	rtc_filter(c, 0, 1, 4);
	rtc_deliver_match(c, RAFT_MSG_HEARTBEAT, 1, 2);
	rtc_deliver_match(c, RAFT_MSG_HEARTBEAT_RESP, 2, 1);
	rtc_deliver_match(c, RAFT_MSG_APPEND, 1, 2);
	rtc_deliver_match(c, RAFT_MSG_APPEND_RESP, 2, 1);
	rtc_filter(c, 0, 1, 3);
	rtc_filter(c, 0, 1, 4);
	RTC_CHECK_EQ(env, rtc_peer_match(c, 1, 2), 4);
	RTC_CHECK_EQ(env, rtc_peer_match(c, 1, 3), 3);
	RTC_CHECK_EQ(env, rtc_commit(c, 1), 2);
	RTC_CHECK_EQ(env, rtc_node(c, 1)->applied, 2);
	RTC_CHECK(env, !c->g[3].set);
}

/* (d) S1 crashes, S5 (last term 3) wins and overwrites 3/2 everywhere. */
static void fig8_d(const struct rtc_env *env, struct rtc_cluster *c)
{
	u32 i;

	rtc_drop_queue(c);
	rtc_crash(c, 1);
	rtc_restart(c, 5);
	for (i = 0; i < 4 && rtc_leader(c) != 5; i++)
		rtc_elect(c, 5);
	RTC_CHECK_EQ(env, raft_role(rtc_r(c, 5)), RAFT_LEADER);
	rtc_tick_all(c, 3);
	for (i = 2; i <= 5; i++)
		RTC_CHECK_EQ(env, rtc_node(c, i)->log[3].term, 3);
	RTC_CHECK(env, c->g[3].set);
	RTC_CHECK_EQ(env, c->g[3].term, 3);
	/* S1 takes that history when it is back (checked per apply) */
	rtc_restart(c, 1);
	rtc_tick_all(c, 30);
	RTC_CHECK_EQ(env, rtc_node(c, 1)->log[3].term, 3);
	RTC_CHECK(env, rtc_all_applied(c, 3));
}

/* (e) S1's own-term entry reaches the majority: both commit. */
static void fig8_e(const struct rtc_env *env, struct rtc_cluster *c)
{
	rtc_stabilize(c);
	rtc_tick_all(c, 3);
	RTC_CHECK(env, rtc_commit(c, 1) >= 4);
	RTC_CHECK_EQ(env, rtc_node(c, 2)->log[3].term, 2);
	rtc_restart(c, 5);
	rtc_tick_all(c, 30);
	RTC_CHECK_EQ(env, rtc_node(c, 5)->log[3].term, 2);
	RTC_CHECK_EQ(env, c->g[3].term, 2);
}

void rtc_scn_figure8(const struct rtc_env *env, int variant)
{
	struct raft_config cfg = rtc_cfg_nopv();
	const u64 base[] = { 1 };
	struct rtc_cluster *c;
	u32 i;

	cfg.max_append_entries = 1;
	c = rtc_new(env, 5, &cfg, NULL);
	RTC_CHECK(env, c);
	if (!c)
		return;
	for (i = 1; i <= 5; i++)
		rtc_load(c, i, base, 1, 1);
	fig8_ab(env, c);
	fig8_c(env, c);
	if (variant == 0)
		fig8_d(env, c);
	else
		fig8_e(env, c);
	RTC_CHECK_EQ(env, c->violations, 0);
	rtc_free(c);
}

/* ------------------------------------------------------------------ */
/* fast backup */

const struct rtc_backup_case rtc_backup_cases[] = {
	{
		/* NOOP at 5, probe prev 4: XLen = 2 */
		.name = "follower too short",
		.lead = { 4, 6, 6, 6 }, .n_lead = 4,
		.foll = { 4 }, .n_foll = 1,
		.want_next = 2, .want_xterm = 0, .max_rejects = 1,
	}, {
		.name = "leader lacks xterm",
		.lead = { 4, 6, 6, 6 }, .n_lead = 4,
		.foll = { 4, 5, 5, 5 }, .n_foll = 4,
		.want_next = 2, .want_xterm = 5, .max_rejects = 1,
	}, {
		/* its last entry of term 4 is at index 2 */
		.name = "leader has xterm",
		.lead = { 4, 4, 6, 6 }, .n_lead = 4,
		.foll = { 4, 4, 4, 4 }, .n_foll = 4,
		.want_next = 3, .want_xterm = 4, .max_rejects = 1,
	}, {
		.name = "long run of an unknown term",
		.lead = { 1, 1, 1, 4, 4, 4, 4 }, .n_lead = 7,
		.foll = { 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
			  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 },
		.n_foll = 34,
		.want_next = 4, .want_xterm = 2, .max_rejects = 2,
	}, {
		.name = "long run of a known term",
		.lead = { 1, 1, 1, 4, 4, 4, 6, 6, 6 }, .n_lead = 9,
		.foll = { 1, 1, 1, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5 },
		.n_foll = 17,
		.want_next = 7, .want_xterm = 4, .max_rejects = 2,
	}, {
		.name = "follower far behind",
		.lead = { 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2 },
		.n_lead = 16,
		.foll = { 1 }, .n_foll = 1,
		.want_next = 2, .want_xterm = 0, .max_rejects = 2,
	},
};

const u32 rtc_n_backup_cases = sizeof(rtc_backup_cases) /
			       sizeof(rtc_backup_cases[0]);

/* Every reject describes the follower's stable log. */
static bool backup_hints_filter(struct rtc_cluster *c, struct raft_msg *m)
{
	struct rtc_node *f;
	u64 i;

	if (m->type != RAFT_MSG_APPEND_RESP || !(m->flags & RAFT_MSGF_REJECT))
		return true;
	f = rtc_node(c, m->from);
	RTC_CHECK_EQ(c->env, m->hint_len, f->last + 1);
	if (m->index > f->last) {
		RTC_CHECK_EQ(c->env, m->hint_term, 0);
		return true;
	}
	RTC_CHECK_EQ(c->env, m->hint_term, f->log[m->index].term);
	i = m->index;
	while (i > f->snap.index + 1 && f->log[i - 1].term == f->log[i].term)
		i--;
	RTC_CHECK_EQ(c->env, m->hint_index, i);
	return true;
}

void rtc_scn_fast_backup(const struct rtc_env *env, const struct rtc_backup_case *t)
{
	struct raft_config cfg = rtc_cfg_nopv();
	struct rtc_cluster *c = rtc_new(env, 3, &cfg, NULL);
	bool seen = false;
	u32 i;

	RTC_CHECK(env, c);
	if (!c)
		return;
	rtc_load(c, 1, t->lead, t->n_lead, 7);
	rtc_load(c, 2, t->lead, t->n_lead, 7);
	rtc_load(c, 3, t->foll, t->n_foll, 7);
	c->filter = backup_hints_filter;
	raft_campaign(rtc_r(c, 1));
	rtc_process(c, 1);
	rtc_deliver_match(c, RAFT_MSG_VOTE, 1, 2);
	rtc_deliver_match(c, RAFT_MSG_VOTE_RESP, 2, 1);
	rtc_filter(c, RAFT_MSG_VOTE, 1, 3);
	RTC_CHECK_EQ(env, raft_role(rtc_r(c, 1)), RAFT_LEADER);
	rtc_deliver_match(c, RAFT_MSG_APPEND, 1, 3);
	for (i = 0; i < c->qn; i++)
		if (c->q[i].m.type == RAFT_MSG_APPEND_RESP && c->q[i].m.from == 3) {
			RTC_CHECK(env, c->q[i].m.flags & RAFT_MSGF_REJECT);
			RTC_CHECK_EQ(env, c->q[i].m.hint_term, t->want_xterm);
			seen = true;
		}
	RTC_CHECK(env, seen);
	rtc_deliver_match(c, RAFT_MSG_APPEND_RESP, 3, 1);
	RTC_CHECK_EQ(env, rtc_peer_next(c, 1, 3), t->want_next);
	rtc_stabilize(c);
	rtc_tick_all(c, 2);
	/* converged: node 3's log is the leader's, NOOP included */
	RTC_CHECK_EQ(env, rtc_last(c, 1), t->n_lead + 1);
	RTC_CHECK(env, rtc_logs_equal(c, 1, 3));
	RTC_CHECK(env, rtc_all_applied(c, t->n_lead + 1));
	/* one term skipped per round trip */
	RTC_CHECK(env, c->n_rejects >= 1);
	RTC_CHECK(env, c->n_rejects <= t->max_rejects);
	RTC_CHECK_EQ(env, c->violations, 0);
	rtc_free(c);
}

/* ------------------------------------------------------------------ */
/* snapshot resume */

u32 rtc_snap_mid_install(struct rtc_cluster *c, u32 *fp)
{
	struct rtc_node *fn;
	u32 l, f, i;
	int k;

	l = rtc_elect_stable(c);
	RTC_CHECK(c->env, l);
	if (!l)
		return 0;
	f = l % 3 + 1;
	fn = rtc_node(c, f);
	rtc_crash(c, f);
	for (k = 0; k < 10; k++)
		rtc_propose(c, l, "r");
	rtc_tick_all(c, 2);
	RTC_CHECK_EQ(c->env, rtc_compact(c, l, 8), 0);
	rtc_restart(c, f);
	for (i = 0; i < 200 && !fn->inst_pending; i++) {
		if (!rtc_deliver_one(c)) {
			rtc_tick(c, l);
			rtc_tick(c, f);
		}
	}
	RTC_CHECK(c->env, fn->inst_pending);
	RTC_CHECK_EQ(c->env, fn->inst_off, RTC_SNAP_CHUNK);
	*fp = f;
	return l;
}

/* Deliver (or tick) until f is consistent and has caught up with l. */
static void snap_catch_up(struct rtc_cluster *c, u32 l, u32 f)
{
	struct rtc_node *fn = rtc_node(c, f);
	int k;

	for (k = 0; k < 300 && rtc_status(c, f)->inconsistent; k++)
		if (!rtc_deliver_one(c)) {
			rtc_tick(c, l);
			rtc_tick(c, f);
		}
	RTC_CHECK(c->env, !rtc_status(c, f)->inconsistent);
	rtc_tick_all(c, 5);
	RTC_CHECK_EQ(c->env, fn->applied, rtc_node(c, l)->applied);
	RTC_CHECK_EQ(c->env, fn->hash, rtc_node(c, l)->hash);
	RTC_CHECK(c->env, !fn->inst_pending);
}

/* Is a chunk of snapshot index (0: any) at offset queued for f? */
static bool snap_chunk_queued(struct rtc_cluster *c, u32 f, u64 index, u64 off)
{
	u32 i;

	for (i = 0; i < c->qn; i++) {
		const struct raft_msg *m = &c->q[i].m;

		if (m->type == RAFT_MSG_SNAPSHOT && m->to == f &&
		    m->offset == off && (!index || m->snap.index == index))
			return true;
	}
	return false;
}

/* A new 3-node cluster after rtc_snap_mid_install; NULL if that failed. */
static struct rtc_cluster *mid_install(const struct rtc_env *env, u32 *l, u32 *f)
{
	struct rtc_cluster *c = rtc_new(env, 3, NULL, NULL);

	RTC_CHECK(env, c);
	if (!c)
		return NULL;
	*l = rtc_snap_mid_install(c, f);
	if (*l)
		return c;
	rtc_free(c);
	return NULL;
}

void rtc_scn_snapshot_resume(const struct rtc_env *env)
{
	bool resumed = false;
	struct rtc_cluster *c;
	struct rtc_node *fn;
	u32 l, f;
	int k;

	c = mid_install(env, &l, &f);
	if (!c)
		return;
	fn = rtc_node(c, f);
	RTC_CHECK(env, rtc_status(c, f)->inconsistent);
	RTC_CHECK_EQ(env, raft_read_index(fn->r, 1), -EAGAIN);
	/* it crashes and comes back Inconsistent, from its own disk */
	rtc_crash(c, f);
	rtc_restart(c, f);
	RTC_CHECK(env, rtc_status(c, f)->inconsistent);
	RTC_CHECK_EQ(env, raft_read_index(fn->r, 1), -EAGAIN);
	RTC_CHECK_EQ(env, raft_campaign(fn->r), -EPERM);
	for (k = 0; k < 100 && rtc_status(c, f)->inconsistent; k++) {
		if (snap_chunk_queued(c, f, 0, RTC_SNAP_CHUNK))
			resumed = true;
		if (snap_chunk_queued(c, f, 0, 0))
			RTC_CHECK(env, !"transfer started over");
		if (!rtc_deliver_one(c)) {
			rtc_tick(c, l);
			rtc_tick(c, f);
		}
	}
	RTC_CHECK(env, resumed);
	snap_catch_up(c, l, f);
	RTC_CHECK_EQ(env, fn->n_snap_installed, 1);
	RTC_CHECK_EQ(env, rtc_status(c, f)->snap_index, 8);
	RTC_CHECK_EQ(env, c->violations, 0);
	rtc_free(c);
}

struct resume_seen {
	bool resumed, topup, fresh;
};

/* What the leader sends f; with fail, it gives the old snapshot up. */
static void resume_older_watch(struct rtc_cluster *c, u32 l, u32 f, bool fail,
			       struct resume_seen *s)
{
	u32 i;

	for (i = 0; i < c->qn; i++) {
		const struct raft_msg *m = &c->q[i].m;

		if (m->type != RAFT_MSG_SNAPSHOT || m->to != f)
			continue;
		if (m->snap.index == 8 && m->offset == RTC_SNAP_CHUNK &&
		    !s->resumed) {
			s->resumed = true;
			if (fail) {
				/* the host could not serve it after all */
				rtc_drop_queue(c);
				raft_snapshot_failed(rtc_r(c, l), f);
				return;
			}
		}
		if (m->snap.index > 8 && m->applied == 8)
			s->topup = true;
		if (m->flags & RAFT_MSGF_FRESH)
			s->fresh = true;
	}
}

void rtc_scn_snapshot_resume_older(const struct rtc_env *env, bool fail)
{
	struct resume_seen seen = { false, false, false };
	struct rtc_cluster *c;
	struct rtc_node *fn;
	u32 l, f;
	int k;

	c = mid_install(env, &l, &f);
	if (!c)
		return;
	fn = rtc_node(c, f);
	rtc_crash(c, f);
	raft_report_unreachable(rtc_r(c, l), f);
	for (k = 0; k < 4; k++)
		rtc_propose(c, l, "s");
	rtc_tick_all(c, 2);
	RTC_CHECK_EQ(env, rtc_compact(c, l, rtc_node(c, l)->applied), 0);
	RTC_CHECK(env, rtc_node(c, l)->applied > 8);
	rtc_restart(c, f);
	RTC_CHECK(env, rtc_status(c, f)->inconsistent);
	for (k = 0; k < 300 && (rtc_status(c, f)->inconsistent ||
				fn->applied < rtc_node(c, l)->applied); k++) {
		resume_older_watch(c, l, f, fail, &seen);
		if (!rtc_deliver_one(c)) {
			rtc_tick(c, l);
			rtc_tick(c, f);
		}
	}
	RTC_CHECK(env, seen.resumed);
	RTC_CHECK_EQ(env, seen.topup, !fail);
	RTC_CHECK_EQ(env, seen.fresh, fail);
	snap_catch_up(c, l, f);
	RTC_CHECK_EQ(env, c->violations, 0);
	rtc_free(c);
}
