// SPDX-License-Identifier: GPL-2.0
/*
 * test_snapshot.c - unit tests of the Raft core: compaction and snapshot
 * transfer, install and resume.
 */
#include "unit.h"

/* Snapshot: compaction, chunked install on a lagging follower, catch-up. */
static void test_snapshot_install(struct rtc_cluster *c, u32 l, u32 f)
{
	u32 i;
	int k;

	rtc_crash(c, f);
	for (k = 0; k < 30; k++)
		rtc_propose(c, l, "s");
	rtc_stabilize(c);
	rtc_tick_all(c, 2);
	CHECK_EQ(raft_compact(rtc_node(c, l)->r, rtc_node(c, l)->applied + 1), -EINVAL);
	CHECK_EQ(rtc_compact(c, l, 20), 0);
	CHECK_EQ(rtc_status(c, l)->first_index, 21);
	CHECK_EQ(raft_term_at(rtc_node(c, l)->r, 10), 0);
	CHECK(raft_term_at(rtc_node(c, l)->r, 20) != 0);
	CHECK_EQ(rtc_compact(c, l, 10), 0);	/* already compacted: no-op */
	rtc_restart(c, f);
	rtc_tick_all(c, 10);
	CHECK_EQ(rtc_node(c, f)->n_snap_installed, 1);
	CHECK_EQ(rtc_node(c, f)->n_installs, 2);	/* two chunks */
	CHECK_EQ(rtc_status(c, f)->snap_index, 20);
	CHECK(!rtc_status(c, f)->inconsistent);
	for (k = 0; k < 5; k++)
		rtc_propose(c, l, "t");
	rtc_tick_all(c, 5);
	for (i = 1; i <= 3; i++)
		CHECK_EQ(rtc_node(c, i)->applied, rtc_node(c, l)->applied);
	CHECK_EQ(rtc_node(c, f)->hash, rtc_node(c, l)->hash);
	/* the follower restarts from its installed snapshot */
	rtc_restart(c, f);
	rtc_tick_all(c, 5);
	CHECK_EQ(rtc_node(c, f)->hash, rtc_node(c, l)->hash);
}

/* Interrupted installs resume: see tests/lib/rtc_scenarios.c. */
static void test_snapshot_resume(void)
{
	rtc_scn_snapshot_resume(UENV);
}

static void test_snapshot_resume_older(void)
{
	rtc_scn_snapshot_resume_older(UENV, false);
	rtc_scn_snapshot_resume_older(UENV, true);
}

/* RESUME offers the leader must not take, and TRANSFER_REQ odds and ends. */
static void test_resume_offer_refusals(void)
{
	struct rtc_cluster *c;
	struct rtc_node *fn;
	struct raft_msg m;
	u32 l, f, i;
	int k;

	c = rtc_new(UENV, 3, NULL, NULL);
	l = rtc_snap_mid_install(c, &f);
	if (!l)
		goto out;
	fn = rtc_node(c, f);
	{
		struct raft_status *st = rtc_status(c, l);

		for (i = 0; i < st->n_peers; i++)
			if (st->peers[i].id == f)
				CHECK_EQ(st->peers[i].state, 2);	/* snapshot */
	}
	m = mk(RAFT_MSG_SNAPSHOT_RESP, f, l, raft_term(rtc_node(c, l)->r));
	m.flags = RAFT_MSGF_REJECT | RAFT_MSGF_RESUME | RAFT_MSGF_INCONSISTENT;
	m.offset = 8;
	/* not applied that far here: the offer comes again later */
	m.snap.index = 1000;
	m.snap.term = 1;
	CHECK_EQ(raft_step(rtc_node(c, l)->r, &m), 0);
	/* base above its index: not servable, the leader starts over */
	m.snap.index = 5;
	m.applied = 6;
	CHECK_EQ(raft_step(rtc_node(c, l)->r, &m), 0);
	CHECK_EQ(raft_step(rtc_node(c, l)->r, &m), 0);
	m.snap.index = 0;
	m.applied = 0;
	CHECK_EQ(raft_step(rtc_node(c, l)->r, &m), 0);
	/* TRANSFER_REQ: from a node mid-install, or to a follower: ignored */
	m = mk(RAFT_MSG_TRANSFER_REQ, f, l, raft_term(rtc_node(c, l)->r));
	m.flags = RAFT_MSGF_INCONSISTENT;
	CHECK_EQ(raft_step(rtc_node(c, l)->r, &m), 0);
	CHECK_EQ(rtc_status(c, l)->transferee, 0);
	m = mk(RAFT_MSG_TRANSFER_REQ, l, l % 3 + 1 == f ? f % 3 + 1 : l % 3 + 1,
	       raft_term(rtc_node(c, l)->r));
	CHECK_EQ(raft_step(rtc_node(c, m.to)->r, &m), 0);
	/* the install still completes (a fresh transfer) */
	for (k = 0; k < 300 && rtc_status(c, f)->inconsistent; k++) {
		if (!rtc_deliver_one(c)) {
			rtc_tick(c, l);
			rtc_tick(c, f);
		}
	}
	CHECK(!rtc_status(c, f)->inconsistent);
	rtc_tick_all(c, 5);
	CHECK_EQ(fn->hash, rtc_node(c, l)->hash);
out:
	SAFE(c);
	rtc_free(c);
}

/* raft_snapshot_failed / raft_report_unreachable move the peer to probe. */
static void test_snapshot_failed(struct rtc_cluster *c, u32 l, u32 f)
{
	u32 i;
	int k;
	struct raft_status *st;

	rtc_node(c, l)->auto_snap = false;
	rtc_crash(c, f);
	for (k = 0; k < 10; k++)
		rtc_propose(c, l, "f");
	rtc_tick_all(c, 2);
	CHECK_EQ(rtc_compact(c, l, 8), 0);
	rtc_restart(c, f);
	/* the appends lost in the crash are overdue after append_timeout */
	rtc_tick_all(c, 3 + c->cfg.election_ticks / 2);
	st = rtc_status(c, l);
	for (i = 0; i < st->n_peers; i++)
		if (st->peers[i].id == f)
			CHECK_EQ(st->peers[i].state, 2);
	CHECK(rtc_node(c, l)->n_ss >= 1);
	/* two chunks rejected the same way restart the stream once */
	{
		struct raft_msg rj = mk(RAFT_MSG_SNAPSHOT_RESP, f, l,
					raft_term(rtc_node(c, l)->r));
		u32 before;

		rj.flags = RAFT_MSGF_REJECT;
		rj.snap.index = 8;
		rj.offset = 0;
		rtc_node(c, l)->n_ss = 0;
		raft_step(rtc_node(c, l)->r, &rj);
		raft_step(rtc_node(c, l)->r, &rj);
		rtc_process(c, l);
		before = rtc_node(c, l)->n_ss;
		CHECK_EQ(before, 1);
	}
	/* a chunk for an offset nobody asked for is refused */
	CHECK_EQ(raft_snapshot_chunk(rtc_node(c, l)->r, f, 8, 999, "x", 1, 1000, false),
		 -EINVAL);
	raft_snapshot_failed(rtc_node(c, l)->r, f);
	st = rtc_status(c, l);
	for (i = 0; i < st->n_peers; i++)
		if (st->peers[i].id == f)
			CHECK(st->peers[i].state != 2);
	rtc_node(c, l)->n_ss = 0;
	rtc_node(c, l)->auto_snap = true;
	raft_report_unreachable(rtc_node(c, l)->r, f);
	rtc_tick_all(c, 10);
	CHECK_EQ(rtc_node(c, f)->applied, rtc_node(c, l)->applied);
}

static bool solo_inconsistent(struct raft *r)
{
	struct raft_status st;

	raft_get_status(r, &st);
	return st.inconsistent;
}

static struct raft_msg snapmsg(u64 term, u64 idx, u64 sterm, u64 off, u64 next,
			       const void *data, u32 len, bool last)
{
	struct raft_msg m = mk(RAFT_MSG_SNAPSHOT, 2, 1, term);

	m.snap.index = idx;
	m.snap.term = sterm;
	rtc_voters(&m.snap.conf, 3);
	m.offset = off;
	m.ctx = next;
	m.data = (u8 *)data;
	m.len = len;
	if (last)
		m.flags |= RAFT_MSGF_LAST;
	return m;
}

/* The last SNAPSHOT_RESP a solo node sends: its offset, flags, applied. */
static u32 last_snap_resp_applied(struct raft *r, u64 *offset, u32 *flags,
				  u64 *applied)
{
	struct raft_msg o[16];
	u32 n = solo_drain(r, RAFT_MSG_SNAPSHOT_RESP, o, 16);

	if (n) {
		*offset = o[n - 1].offset;
		*flags = o[n - 1].flags;
		if (applied)
			*applied = o[n - 1].applied;
	}
	return n;
}

static u32 last_snap_resp(struct raft *r, u64 *offset, u32 *flags)
{
	return last_snap_resp_applied(r, offset, flags, NULL);
}

#define ANY	(~0ull)

/*
 * r steps chunk m and answers once: with flags and without not_flags,
 * asking for offset off, reporting applied ap (ANY: not checked).
 */
static void snap_step_expect(struct raft *r, const struct raft_msg *m,
			     u32 flags, u32 not_flags, u64 off, u64 ap)
{
	u64 got_off = ~0ull, got_ap = ~0ull;
	u32 fl = 0;

	raft_step(r, m);
	CHECK_EQ(last_snap_resp_applied(r, &got_off, &fl, &got_ap), 1);
	CHECK_EQ(fl & flags, flags);
	CHECK_EQ(fl & not_flags, 0);
	if (off != ANY)
		CHECK_EQ(got_off, off);
	if (ap != ANY)
		CHECK_EQ(got_ap, ap);
}

static void snap_step_resp(struct raft *r, const struct raft_msg *m,
			   u32 flags, u64 off)
{
	snap_step_expect(r, m, flags, 0, off, ANY);
}

/* Follower side of snapshot transfer, message by message. */
static void test_snapshot_follower_edges(void)
{
	const u64 terms[] = { 1, 1, 1 };
	struct raft *r = solo(1, terms, 3, 2, NULL);
	struct raft_ready rd;
	struct raft_status st;
	struct raft_msg m, o[8];
	u64 off = 0;
	u32 fl = 0, k;

	/* 1. a snapshot we already have (index <= commit): acknowledged */
	m = mk(RAFT_MSG_HEARTBEAT, 2, 1, 2);
	m.commit = 3;
	raft_step(r, &m);
	solo_drain(r, 0, o, 8);
	m = snapmsg(2, 2, 1, 0, 8, "abcdefgh", 8, false);
	raft_step(r, &m);
	CHECK_EQ(solo_drain(r, RAFT_MSG_APPEND_RESP, o, 8), 1);
	CHECK_EQ(o[0].index, 3);
	CHECK(!solo_inconsistent(r));
	/* 2. a new transfer must start at offset 0 */
	m = snapmsg(2, 10, 2, 8, 16, "abcdefgh", 8, false);
	snap_step_resp(r, &m, RAFT_MSGF_REJECT, 0);
	/* 3. offset 0: handed to the host once, node Inconsistent */
	m = snapmsg(2, 10, 2, 0, 8, "abcdefgh", 8, false);
	raft_step(r, &m);
	raft_get_status(r, &st);
	CHECK(st.inconsistent);
	CHECK_EQ(raft_ready(r, &rd), 0);
	CHECK(rd.has_snap_install);
	CHECK_EQ(rd.snap_install.offset, 0);
	CHECK_EQ(rd.snap_install.next_offset, 8);
	raft_advance(r, &rd);
	CHECK(!raft_has_ready(r) || (raft_ready(r, &rd) == 0 && !rd.has_snap_install &&
				     (raft_advance(r, &rd), 1)));
	/* 4. wrong offset: rejected with the offset expected */
	m = snapmsg(2, 10, 2, 16, 24, "abcdefgh", 8, false);
	snap_step_resp(r, &m, RAFT_MSGF_REJECT, 8);
	/* 5. another snapshot mid-install: the reply offers to resume ours
	 * (snapshot 10 at offset 8), even while a chunk is with the host */
	m = snapmsg(2, 12, 2, 0, 8, "abcdefgh", 8, false);
	snap_step_resp(r, &m, RAFT_MSGF_REJECT | RAFT_MSGF_RESUME, 8);
	CHECK(solo_inconsistent(r));
	/* with FRESH while a chunk is with the host: dropped silently (a
	 * reject would make the leader restart in a loop) */
	m.flags |= RAFT_MSGF_FRESH;
	raft_step(r, &m);
	CHECK_EQ(last_snap_resp(r, &off, &fl), 0);
	/* 6. queue the next chunks; the queue holds 4 */
	for (k = 1; k < 4; k++) {
		m = snapmsg(2, 10, 2, 8 * k, 8 * (k + 1), "abcdefgh", 8, false);
		CHECK_EQ(raft_step(r, &m), 0);
	}
	m = snapmsg(2, 10, 2, 32, 40, "abcdefgh", 8, false);
	snap_step_resp(r, &m, RAFT_MSGF_REJECT, 32);
	/* 7. wrong completion reports are ignored; right ones advance */
	raft_snapshot_chunk_done(r, 99, 0, 8, false);
	raft_snapshot_chunk_done(r, 10, 8, 16, false);
	CHECK_EQ(last_snap_resp(r, &off, &fl), 0);
	raft_snapshot_chunk_done(r, 10, 0, 8, false);
	CHECK_EQ(last_snap_resp(r, &off, &fl), 1);
	CHECK_EQ(off, 8);
	/* (the drain above handed out the chunk at 8) */
	for (k = 1; k < 4; k++) {
		raft_snapshot_chunk_done(r, 10, 8 * k, 8 * (k + 1), false);
		CHECK_EQ(last_snap_resp(r, &off, &fl), 1);
		CHECK_EQ(off, 8 * (k + 1));
	}
	CHECK_EQ(raft_read_index(r, 1), -EAGAIN);
	/* 8. the last chunk (empty), completed between ready and advance */
	m = snapmsg(2, 10, 2, 32, 32, NULL, 0, true);
	CHECK_EQ(raft_step(r, &m), 0);
	m = snapmsg(2, 10, 2, 32, 32, NULL, 0, true);
	CHECK_EQ(raft_step(r, &m), 0);	/* after the last: ignored */
	CHECK_EQ(raft_ready(r, &rd), 0);
	CHECK(rd.has_snap_install);
	CHECK(rd.snap_install.last);
	CHECK(rd.snap_install.data != NULL);
	raft_snapshot_chunk_done(r, 10, 32, 32, true);	/* deferred */
	raft_get_status(r, &st);
	CHECK(st.inconsistent);
	raft_advance(r, &rd);
	raft_get_status(r, &st);
	CHECK(!st.inconsistent);
	CHECK_EQ(st.snap_index, 10);
	CHECK_EQ(st.commit, 10);
	CHECK_EQ(st.applied, 10);
	CHECK_EQ(st.last_index, 10);
	CHECK_EQ(raft_ready(r, &rd), 0);
	CHECK(rd.snap_installed);
	CHECK_EQ(rd.snap.index, 10);
	CHECK_EQ(rd.n_committed, 0);
	CHECK_EQ(count_type(&rd, RAFT_MSG_SNAPSHOT_RESP), 1);
	raft_advance(r, &rd);
	/* 9. an older snapshot than what we applied: ignored */
	m = snapmsg(2, 5, 1, 0, 8, "abcdefgh", 8, false);
	raft_step(r, &m);
	raft_get_status(r, &st);
	CHECK(!st.inconsistent);
	raft_destroy(r);
}

/* Incremental snapshot bases (SIM-1 and follow-up). */
static void test_snapshot_bases(void)
{
	const u64 terms[] = { 1, 1, 1 };
	struct raft *r = solo(1, terms, 3, 2, NULL);
	struct raft_msg m, o[8];
	struct raft_status st;
	u64 off = 0, ap = 0;
	u32 fl = 0;

	m = mk(RAFT_MSG_HEARTBEAT, 2, 1, 2);
	m.commit = 3;
	raft_step(r, &m);
	solo_drain(r, 0, o, 8);
	raft_get_status(r, &st);
	CHECK_EQ(st.applied, 3);
	/* a stream computed against base 5: we only have 3 -> refused */
	m = snapmsg(2, 10, 2, 0, 8, "abcdefgh", 8, false);
	m.applied = 5;
	snap_step_expect(r, &m, RAFT_MSGF_REJECT, 0, 0, 3);
	CHECK(!solo_inconsistent(r));
	/* base 3: accepted; the install reports base 3 */
	m.applied = 3;
	raft_step(r, &m);
	CHECK(solo_inconsistent(r));
	{
		struct raft_ready rd;

		raft_ready(r, &rd);
		CHECK(rd.has_snap_install);
		CHECK_EQ(rd.snap_install.base_applied, 3);
		raft_advance(r, &rd);
	}
	raft_snapshot_chunk_done(r, 10, 0, 8, false);
	CHECK_EQ(last_snap_resp_applied(r, &off, &fl, &ap), 1);
	CHECK_EQ(ap, 3);	/* mid-install: reports the transfer's base */
	CHECK_EQ(off, 8);
	/* the same snapshot with another base: offer to resume ours */
	m = snapmsg(2, 10, 2, 8, 16, "abcdefgh", 8, false);
	m.applied = 2;
	snap_step_expect(r, &m, RAFT_MSGF_RESUME, 0, 8, 3);
	/* FRESH (the leader will not resume): restart at 0 */
	m.flags |= RAFT_MSGF_FRESH;
	snap_step_expect(r, &m, RAFT_MSGF_REJECT, RAFT_MSGF_RESUME, 0, ANY);
	/* an older snapshot (8 < 10) over a partial install: resume offer;
	 * with FRESH a full copy only */
	m = snapmsg(3, 8, 2, 0, 8, "abcdefgh", 8, false);
	m.applied = 3;
	snap_step_expect(r, &m, RAFT_MSGF_RESUME, 0, ANY, 3);
	m.flags |= RAFT_MSGF_FRESH;
	snap_step_expect(r, &m, RAFT_MSGF_REJECT, 0, ANY, 0);
	m.applied = 0;
	raft_step(r, &m);
	{
		struct raft_ready rd;

		raft_ready(r, &rd);
		CHECK(rd.has_snap_install);
		CHECK_EQ(rd.snap_install.meta.index, 8);
		CHECK_EQ(rd.snap_install.base_applied, 0);
		raft_advance(r, &rd);
	}
	raft_destroy(r);
}

static const struct unit_test tests[] = {
	TL(test_snapshot_install),
	T(test_snapshot_resume),
	T(test_snapshot_resume_older),
	T(test_resume_offer_refusals),
	TL(test_snapshot_failed),
	T(test_snapshot_follower_edges),
	T(test_snapshot_bases),
};

UNIT_SUITE(snapshot);
