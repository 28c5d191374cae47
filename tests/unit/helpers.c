// SPDX-License-Identifier: GPL-2.0
/*
 * helpers.c - standalone-node helpers and a PRNG shared by the unit tests.
 */
#include "unit.h"

u32 count_type(const struct raft_ready *rd, u32 type)
{
	u32 i, n = 0;

	for (i = 0; i < rd->n_msgs; i++)
		if (rd->msgs[i].type == type)
			n++;
	return n;
}

/* A standalone node (no harness): id 1 of voters {1,2,3}. */
struct raft *solo(u32 id, const u64 *terms, u32 n, u64 hs_term,
			 const struct raft_config *cfgp)
{
	struct raft_config cfg = cfgp ? *cfgp : rtc_default_cfg;
	struct raft_entry ents[64];
	u8 byte[64];
	struct raft_boot b;
	struct raft *r = NULL;
	u32 i;

	memset(&b, 0, sizeof(b));
	memset(ents, 0, sizeof(ents));
	for (i = 0; i < n; i++) {
		ents[i].index = i + 1;
		ents[i].term = terms[i];
		byte[i] = (u8)i;
		ents[i].data = &byte[i];
		ents[i].len = 1;
	}
	b.entries = ents;
	b.n_entries = n;
	b.hs.term = hs_term;
	rtc_voters(&b.snap.conf, 3);
	cfg.id = id;
	if (raft_create(&r, &cfg, &b))
		return NULL;
	return r;
}

/* drain a solo node's ready, persisting everything, returning the msgs of type */
u32 solo_drain(struct raft *r, u32 type, struct raft_msg *out, u32 max)
{
	u32 got = 0, rounds;

	for (rounds = 0; rounds < 20 && raft_has_ready(r); rounds++) {
		struct raft_ready rd;
		u64 li = 0, lt = 0;
		u32 i;

		if (raft_ready(r, &rd))
			break;
		for (i = 0; i < rd.n_msgs; i++)
			if ((!type || rd.msgs[i].type == type) && got < max) {
				out[got] = rd.msgs[i];
				out[got].entries = NULL;
				out[got].data = NULL;
				got++;
			}
		if (rd.n_entries) {
			li = rd.entries[rd.n_entries - 1].index;
			lt = rd.entries[rd.n_entries - 1].term;
		}
		raft_advance(r, &rd);
		if (li)
			raft_persisted(r, li, lt);
	}
	return got;
}

struct raft_msg mk(u32 type, u32 from, u32 to, u64 term)
{
	struct raft_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.from = from;
	m.to = to;
	m.term = term;
	return m;
}

struct raft_conf mkconf(const u32 *v, u32 nv, const u32 *lr, u32 nl)
{
	struct raft_conf cf;
	u32 i;

	memset(&cf, 0, sizeof(cf));
	for (i = 0; i < nv; i++)
		cf.voters[i] = v[i];
	cf.n_voters = (u8)nv;
	for (i = 0; i < nl; i++)
		cf.learners[i] = lr[i];
	cf.n_learners = (u8)nl;
	return cf;
}

static u64 prng_s = 88172645463325252ull;

u64 prng(void)
{
	prng_s ^= prng_s << 13;
	prng_s ^= prng_s >> 7;
	prng_s ^= prng_s << 17;
	return prng_s;
}
/* A new cluster (rtc_new) that elected a leader: *l, 0 (a failed check) if none. */
struct rtc_cluster *led_cluster(u32 n, const struct raft_config *cfg,
				const struct raft_conf *conf, u32 *l)
{
	struct rtc_cluster *c = rtc_new(UENV, n, cfg, conf);

	*l = rtc_elect_stable(c);
	CHECK(*l);
	return c;
}

/* id campaigns; only the (pre-)vote messages are delivered. */
void campaign_votes(struct rtc_cluster *c, u32 id)
{
	raft_campaign(rtc_r(c, id));
	rtc_process(c, id);
	rtc_deliver_match(c, RAFT_MSG_PREVOTE, 0, 0);
	rtc_deliver_match(c, RAFT_MSG_PREVOTE_RESP, 0, 0);
	rtc_deliver_match(c, RAFT_MSG_VOTE, 0, 0);
	rtc_deliver_match(c, RAFT_MSG_VOTE_RESP, 0, 0);
}
