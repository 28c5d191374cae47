// SPDX-License-Identifier: GPL-2.0
/*
 * run.c - one random seed: fault schedule, block workload, heal, liveness
 * and convergence checks, then the linearizability check of the history.
 */
#include <stdlib.h>
#include <string.h>
#include "sim.h"

#define LL(x) ((unsigned long long)(x))

#define LIVENESS_TICKS		150	/* heal -> leader + commit */
#define CONVERGE_TICKS		150	/* probe commit -> all members equal */

void sim_start_all(struct sim *s);

const char *sim_argv0;
const char *sim_faults_str;

static struct node *find_leader(struct sim *s)
{
	struct node *best = NULL;
	u32 i;

	for (i = 1; i <= s->nslots; i++) {
		struct node *nd = &s->nodes[i];

		if (!nd->alive || nd->paused_until ||
		    raft_role(nd->r) != RAFT_LEADER)
			continue;
		if (!best || raft_term(nd->r) > raft_term(best->r))
			best = nd;
	}
	return best;
}

static u32 count_down(struct sim *s)
{
	u32 i, c = 0;

	for (i = 1; i <= s->nslots; i++)
		if (s->nodes[i].exists && !s->nodes[i].alive)
			c++;
	return c;
}

static void heal_net(struct sim *s)
{
	memset(s->blocked, 0, sizeof(s->blocked));
	s->heal_at = 0;
	sim_trace(s, "NET heal");
}

static void fault_partition(struct sim *s)
{
	u32 i, j, side[SIM_MAX_NODES], a = 0;

	for (i = 1; i <= s->nslots; i++) {
		side[i] = (u32)rnd(&s->rng, 2);
		a += side[i];
	}
	if (a == 0 || a == s->nslots)
		side[1 + rnd(&s->rng, s->nslots)] ^= 1;
	for (i = 1; i <= s->nslots; i++)
		for (j = 1; j <= s->nslots; j++)
			if (side[i] != side[j])
				s->blocked[i][j] = true;
	s->heal_at = s->now + (5 + rnd(&s->rng, 50)) * SIM_TICK;
	if (s->trace) {
		char buf[64];
		size_t o = 0;

		for (i = 1; i <= s->nslots; i++)
			if (side[i])
				o += snprintf(buf + o, sizeof(buf) - o, "%u ", i);
		o += snprintf(buf + o, sizeof(buf) - o, "|");
		for (i = 1; i <= s->nslots; i++)
			if (!side[i])
				o += snprintf(buf + o, sizeof(buf) - o, " %u", i);
		sim_trace(s, "NET partition %s until %.3f", buf,
			  (double)s->heal_at / SIM_TICK);
	}
}

static void fault_oneway(struct sim *s)
{
	u32 a = 1 + (u32)rnd(&s->rng, s->nslots), k, b;

	/* a cannot send to some peers (but hears them): or the reverse */
	bool out = chance(&s->rng, 500);

	for (k = 0; k < 1 + rnd(&s->rng, s->nslots - 1); k++) {
		b = 1 + (u32)rnd(&s->rng, s->nslots);
		if (b == a)
			continue;
		if (out)
			s->blocked[a][b] = true;
		else
			s->blocked[b][a] = true;
		sim_trace(s, "NET one-way cut %u->%u", out ? a : b, out ? b : a);
	}
	if (!s->heal_at)
		s->heal_at = s->now + (5 + rnd(&s->rng, 40)) * SIM_TICK;
}

/* a's log is at least as up to date as b's (a vote from b is possible) */
static bool log_not_behind(struct node *a, struct node *b)
{
	struct raft_status sa, sb;
	u64 ta, tb;

	raft_get_status(a->r, &sa);
	raft_get_status(b->r, &sb);
	ta = raft_term_at(a->r, sa.last_index);
	tb = raft_term_at(b->r, sb.last_index);
	if (sa.last_index == sa.snap_index)
		ta = sa.snap_term;
	if (sb.last_index == sb.snap_index)
		tb = sb.snap_term;
	return ta > tb || (ta == tb && sa.last_index >= sb.last_index);
}

/*
 * An aimed crash (queued by the host right after the message, see
 * aim_fault in sim.c).  After a vote grant or an acknowledgement the node
 * reboots at once (only what it persisted survives): after a grant a node
 * that has not heard of that term yet campaigns in it (a restart during an
 * election); after an acknowledgement the leader crashes too, a moment
 * later (once it counted the ack), so that the acknowledged entries must
 * survive on the voter.  A leader that just sent new entries crashes and
 * restarts later.
 */
void sim_aimed_fault(struct sim *s, struct node *nd, u64 kind)
{
	static const char *const what[] = { "", "vote", "ack", "append" };
	u32 id = nd->id, i, cand[SIM_MAX_NODES], nc = 0, a = nd->hs.vote;
	u64 term = raft_term(nd->r);
	struct node *l = find_leader(s);

	if (nd->paused_until || !s->faults_on)
		return;
	sim_trace(s, "n%u aimed crash after its %s", id, what[kind]);
	if (kind == SIM_AIM_APPEND) {
		if (count_down(s) < (s->n - 1) / 2 + (s->n == 3)) {
			sim_crash(s, id);
			s->restart_at[id] = s->now + (2 + rnd(&s->rng, 20)) * SIM_TICK;
		}
		return;
	}
	sim_crash(s, id);
	sim_restart(s, id);
	if (kind == SIM_AIM_ACK) {
		/* once it has counted the ack (and answered its client) */
		if (l && l != nd && chance(&s->rng, 900))
			sim_aim(s, l, s->now + SIM_TICK / 4 +
				rnd(&s->rng, SIM_TICK), SIM_AIM_APPEND);
		return;
	}
	/* the candidate's requests still in flight to the others are lost */
	if ((s->faults & F_ONEWAY) && a && a < SIM_MAX_NODES && chance(&s->rng, 500)) {
		for (i = 1; i <= s->nslots; i++)
			if (i != id && i != a)
				s->blocked[a][i] = true;
		if (!s->heal_at)
			s->heal_at = s->now + (2 + rnd(&s->rng, 5)) * SIM_TICK;
		sim_trace(s, "NET cut n%u -> all but n%u", a, id);
	}
	for (i = 1; i <= s->nslots; i++)
		if (i != id && s->nodes[i].alive && !s->nodes[i].paused_until &&
		    raft_term(s->nodes[i].r) < term &&
		    log_not_behind(&s->nodes[i], nd))
			cand[nc++] = i;
	if (nc) {
		int err;

		i = cand[rnd(&s->rng, nc)];
		term = raft_term(s->nodes[i].r);
		err = raft_campaign(s->nodes[i].r);
		sim_trace(s, "n%u campaigns from term %llu -> %d", i, LL(term), err);
		sim_process(s, &s->nodes[i]);
	}
}

static void conf_contains(const u32 *v, u8 n, u32 id, int *pos)
{
	u8 i;

	*pos = -1;
	for (i = 0; i < n; i++)
		if (v[i] == id)
			*pos = i;
}

static void fault_conf(struct sim *s)
{
	struct node *l = find_leader(s);
	struct raft_status st;
	struct raft_conf c;
	const char *what;
	int err, pos;
	u32 id = 0, i;

	if (!l)
		return;
	raft_get_status(l->r, &st);
	if (st.conf.n_voters_old || st.conf_pending)
		return;
	c = st.conf;
	if (c.n_learners) {
		/* promote a learner */
		id = c.learners[rnd(&s->rng, c.n_learners)];
		conf_contains(c.learners, c.n_learners, id, &pos);
		c.learners[pos] = c.learners[--c.n_learners];
		c.voters[c.n_voters++] = id;
		what = "promote";
	} else if (c.n_voters > s->n) {
		/* remove a voter (possibly the leader itself) */
		pos = (int)rnd(&s->rng, c.n_voters);
		id = c.voters[pos];
		c.voters[pos] = c.voters[--c.n_voters];
		what = "remove";
	} else {
		/* add a non-member as learner */
		u32 cand[SIM_MAX_NODES], nc = 0;

		for (i = 1; i <= s->nslots; i++)
			if (!raft_conf_is_member(&c, i))
				cand[nc++] = i;
		if (!nc)
			return;
		id = cand[rnd(&s->rng, nc)];
		c.learners[c.n_learners++] = id;
		what = "add learner";
	}
	err = raft_change_conf(l->r, &c);
	sim_trace(s, "CONF n%u: %s %u -> %d", l->id, what, id, err);
	if (err && err != -EAGAIN && err != -EBUSY && err != -EINVAL && err != -EPERM)
		sim_fail(s, "raft_change_conf: unexpected error %d", err);
	sim_process(s, l);
}

static void fault_transfer(struct sim *s)
{
	struct node *l = find_leader(s);
	struct raft_status st;
	u32 to;
	int err;

	if (!l)
		return;
	raft_get_status(l->r, &st);
	if (st.conf.n_voters < 2)
		return;
	to = st.conf.voters[rnd(&s->rng, st.conf.n_voters)];
	if (to == l->id)
		return;
	if (rnd(&s->rng, 2) && s->nodes[to].alive) {
		/* the target asks for it (rraft's promote) */
		err = raft_request_leadership(s->nodes[to].r);
		sim_trace(s, "REQUEST LEADERSHIP n%u (leader n%u): %d", to, l->id, err);
		sim_process(s, &s->nodes[to]);
		return;
	}
	err = raft_transfer_leader(l->r, to);
	sim_trace(s, "TRANSFER n%u -> n%u: %d", l->id, to, err);
	sim_process(s, l);
}

static void checkpoint(struct sim *s, struct node *nd)
{
	struct raft_snap_meta meta;
	int err;

	if (!nd->alive || nd->paused_until || nd->inst ||
	    nd->applied <= nd->ck_meta.index)
		return;
	/* the checkpoint is durable before the core may drop the log */
	meta.index = nd->applied;
	meta.term = s->ga_term[nd->applied];
	meta.conf = nd->conf_applied;
	sim_set_checkpoint(nd, &meta, nd->sm);
	err = raft_compact(nd->r, nd->applied);
	sim_trace(s, "n%u checkpoint at %llu/%llu, compact -> %d", nd->id,
		  LL(nd->ck_meta.index), LL(nd->ck_meta.term), err);
	if (err && err != -EINVAL && err != -EBUSY)
		sim_fail(s, "raft_compact on node %u: %d", nd->id, err);
	sim_process(s, nd);
}

static void client_ops(struct sim *s)
{
	u32 k;

	for (k = 0; k < 2; k++) {
		struct node *nd;
		u32 block;
		u64 idx, term;

		if (!chance(&s->rng, 450))
			continue;
		nd = find_leader(s);
		if (!nd || chance(&s->rng, (sim_mutate & M_STALE_READ) ? 500 : 120)) {
			nd = &s->nodes[1 + rnd(&s->rng, s->nslots)];
			if (!nd->alive || nd->paused_until)
				continue;
		}
		block = (u32)rnd(&s->rng, SIM_NBLOCKS);
		if (chance(&s->rng, 550))
			sim_propose_write(s, nd->id, block, s->next_value++, &idx, &term);
		else
			sim_read(s, nd->id, block);
	}
}

/*
 * A node's VM stops (SIGSTOP) for one to five election timeouts while the
 * others run on, often with its links cut too; its events wait.
 */
static void fault_pause(struct sim *s)
{
	struct node *l = find_leader(s), *nd;
	u32 id = 1 + (u32)rnd(&s->rng, s->nslots), j;
	u64 e, until;

	if (l && chance(&s->rng, 700))
		id = l->id;	/* the interesting case: a leader's lease */
	nd = &s->nodes[id];
	e = nd->cfg.election_ticks;
	until = s->now + (e + rnd(&s->rng, 4 * e)) * SIM_TICK;
	if (!nd->alive || nd->paused_until)
		return;
	sim_pause(s, id, until);
	if (chance(&s->rng, 750)) {
		for (j = 1; j <= s->nslots; j++)
			if (j != id)
				s->blocked[id][j] = s->blocked[j][id] = true;
		if (s->heal_at < until + SIM_TICK)
			s->heal_at = until + (1 + rnd(&s->rng, 5)) * SIM_TICK;
		sim_trace(s, "NET isolate n%u during its pause", id);
	}
}

/*
 * Resumed nodes: clock first, then a read at once (the VM test's read) of
 * the block written last, which the others may have overwritten meanwhile.
 */
static void resume_paused(struct sim *s, bool all)
{
	u32 i, k, block = (u32)rnd(&s->rng, SIM_NBLOCKS);

	for (k = s->nhist; k > 0; k--) {
		if (s->hist[k - 1].write) {
			block = s->hist[k - 1].block;
			break;
		}
	}

	for (i = 1; i <= s->nslots; i++) {
		struct node *nd = &s->nodes[i];

		if (!nd->paused_until || (!all && s->now < nd->paused_until))
			continue;
		nd->paused_until = s->now;
		sim_resume(s, nd);
		if (!all && nd->alive)
			sim_read(s, i, block);
	}
}

static void drive(struct sim *s, u64 tick)
{
	u32 i;

	if (s->faults_on) {
		if (s->heal_at && s->now >= s->heal_at)
			heal_net(s);
		if ((s->faults & F_PARTITION) && !s->heal_at && chance(&s->rng, 40))
			fault_partition(s);
		if ((s->faults & F_ONEWAY) && chance(&s->rng, 20))
			fault_oneway(s);
		for (i = 1; i <= s->nslots; i++) {
			if (s->restart_at[i] && s->now >= s->restart_at[i]) {
				s->restart_at[i] = 0;
				sim_restart(s, i);
			}
		}
		if ((s->faults & F_CRASH) && chance(&s->rng, 30) &&
		    count_down(s) < (s->n - 1) / 2 + (s->n == 3)) {
			i = 1 + (u32)rnd(&s->rng, s->nslots);
			if (s->nodes[i].alive) {
				sim_crash(s, i);
				s->restart_at[i] = s->now + (2 + rnd(&s->rng, 40)) * SIM_TICK;
			}
		}
		if ((s->faults & F_CONF) && chance(&s->rng, 40))
			fault_conf(s);
		if ((s->faults & F_TRANSFER) && chance(&s->rng, 15))
			fault_transfer(s);
		if ((s->faults & F_PAUSE) && chance(&s->rng, 15))
			fault_pause(s);
		resume_paused(s, false);
	}
	for (i = 1; i <= s->nslots; i++) {
		struct node *nd = &s->nodes[i];

		if (!nd->alive)
			continue;
		if ((s->faults & F_SNAPSHOT) && chance(&s->rng, 60) &&
		    nd->applied > nd->ck_meta.index + 3)
			checkpoint(s, nd);
		else if (nd->applied > nd->ck_meta.index + 200)
			checkpoint(s, nd);
	}
	(void)tick;
}

/* run the event loop until time `until` (drive() once per nominal tick) */
static void run_until(struct sim *s, u64 until, u64 *next_drive, bool clients,
		      bool faults)
{
	while (!s->failed && s->now < until) {
		if (!s->nheap || s->heap[0]->at >= *next_drive) {
			s->now = *next_drive;
			*next_drive += SIM_TICK;
			if (faults)
				drive(s, s->now / SIM_TICK);
			else
				drive(s, s->now / SIM_TICK);
			if (clients)
				client_ops(s);
			continue;
		}
		sim_step_event(s, false);
	}
}

static bool converged(struct sim *s, struct node *l, char *why, size_t wl)
{
	struct raft_status ls, st;
	u32 i, id;
	u32 members[3 * RAFT_MAX_MEMBERS], nm = 0;

	raft_get_status(l->r, &ls);
	if (ls.commit != ls.last_index || l->applied != ls.commit) {
		snprintf(why, wl, "leader %u: commit %llu, last %llu, applied %llu",
			 l->id, LL(ls.commit), LL(ls.last_index), LL(l->applied));
		return false;
	}
	for (i = 0; i < ls.conf.n_voters; i++)
		members[nm++] = ls.conf.voters[i];
	for (i = 0; i < ls.conf.n_learners; i++)
		members[nm++] = ls.conf.learners[i];
	for (i = 0; i < nm; i++) {
		struct node *nd;

		id = members[i];
		if (id >= SIM_MAX_NODES || !s->nodes[id].exists) {
			snprintf(why, wl, "member %u does not exist", id);
			return false;
		}
		nd = &s->nodes[id];
		if (!nd->alive) {
			snprintf(why, wl, "member %u is down", id);
			return false;
		}
		raft_get_status(nd->r, &st);
		if (st.last_index != ls.last_index || st.commit != ls.commit ||
		    nd->applied != ls.commit || st.inconsistent ||
		    memcmp(nd->sm, l->sm, SIM_IMG_BYTES)) {
			snprintf(why, wl, "member %u: last %llu commit %llu applied %llu%s%s (leader %u: %llu)",
				 id, LL(st.last_index), LL(st.commit), LL(nd->applied),
				 st.inconsistent ? " inconsistent" : "",
				 memcmp(nd->sm, l->sm, SIM_IMG_BYTES) ? " blocks differ" : "",
				 l->id, LL(ls.commit));
			return false;
		}
	}
	return true;
}

int sim_run_seed(u64 seed, u32 n, u64 steps, u32 faults, bool trace)
{
	struct sim *s = calloc(1, sizeof(*s));
	u64 next_drive = SIM_TICK, deadline, pidx = 0, pterm = 0;
	struct node *pl = NULL;
	char why[256] = "";
	u32 i;
	int rc = 0, probe = -1;

	if (!s)
		return 2;
	sim_init(s, seed, n, (faults & F_CONF) ? 1 : 0, faults, false);
	s->trace = trace;
	s->faults_on = true;
	sim_start_all(s);

	/* phase 1: faults and clients */
	run_until(s, steps * SIM_TICK, &next_drive, true, true);

	/* phase 2: heal everything, then a leader must commit a probe write */
	s->faults_on = false;
	resume_paused(s, true);
	heal_net(s);
	for (i = 1; i <= s->nslots; i++) {
		s->restart_at[i] = 0;
		sim_restart(s, i);
	}
	sim_trace(s, "HEAL: all faults off, all nodes up");
	deadline = s->now + LIVENESS_TICKS * SIM_TICK;
	while (!s->failed) {
		struct node *l = find_leader(s);

		if (probe >= 0 && s->hist[probe].status == 1)
			break;
		if (l && (pl != l || raft_term(l->r) != pterm ||
			  (probe >= 0 && s->hist[probe].status == 2))) {
			u32 op = s->nhist;

			if (sim_propose_write(s, l->id, 0, s->next_value++, &pidx, &pterm) == 0) {
				pl = l;
				probe = (int)op;
			} else {
				pl = NULL;
			}
		}
		if (s->now >= deadline) {
			sim_fail(s, "liveness: no leader committed a write within %d ticks after healing (leader: %u)",
				 LIVENESS_TICKS, l ? l->id : 0);
			break;
		}
		run_until(s, s->now + SIM_TICK, &next_drive, false, false);
	}
	/* phase 3: no more clients; every member must converge */
	deadline = s->now + CONVERGE_TICKS * SIM_TICK;
	while (!s->failed) {
		struct node *l = find_leader(s);

		if (l && converged(s, l, why, sizeof(why)))
			break;
		if (!l)
			snprintf(why, sizeof(why), "no leader");
		if (s->now >= deadline) {
			sim_fail(s, "convergence: members not equal %d ticks after the probe commit: %s",
				 CONVERGE_TICKS, why);
			break;
		}
		run_until(s, s->now + SIM_TICK, &next_drive, false, false);
	}
	/* every acknowledged write was committed in the term it was proposed */
	for (i = 0; i < s->nhist && !s->failed; i++) {
		struct hop *h = &s->hist[i];

		if (!h->write || h->status != 1)
			continue;
		if (h->index >= s->gc_cap || s->gc_term[h->index] != h->term)
			sim_fail(s, "acknowledged write %u (b%u=%llu at %llu/%llu) is not the committed entry there (term %llu)",
				 i, h->block, LL(h->value), LL(h->index), LL(h->term),
				 LL(h->index < s->gc_cap ? s->gc_term[h->index] : 0));
	}
	if (!s->failed)
		lin_check(s, stdout);
	if (trace)
		printf("seed %llu: %llu msgs, %llu commits, %llu elections, %u client ops, t=%.1f ticks\n",
		       LL(seed), LL(s->stat_msgs), LL(s->stat_commits),
		       LL(s->stat_elections), s->nhist,
		       (double)s->now / SIM_TICK);
	if (s->failed) {
		printf("seed %llu: FAIL %s  [replay: %s --nodes %u --seed %llu --steps %llu --faults %s --trace]\n",
		       LL(seed), s->why, sim_argv0 ? sim_argv0 : "rraft-sim", n,
		       LL(seed), LL(steps), sim_faults_str ? sim_faults_str : "all");
		rc = 1;
	}
	sim_free(s);
	free(s);
	return rc;
}
