/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tests_core.h - test bodies (included once by test_raft.c).
 */

/* A one-node cluster: campaign, propose, persist, commit, apply. */
static void test_single_node(void)
{
	struct h_cluster c;
	struct h_node *n;
	u64 idx = 0, term = 0;
	int i;

	h_init(&c, 1, NULL);
	n = h_node(&c, 1);
	CHECK_EQ(raft_campaign(n->r), 0);
	h_process(&c, 1);
	CHECK_EQ(raft_role(n->r), RAFT_LEADER);
	CHECK_EQ(raft_term(n->r), 1);
	CHECK_EQ(n->hs.term, 1);
	CHECK_EQ(n->hs.vote, 1);
	CHECK_EQ(h_commit(&c, 1), 1);	/* the NOOP */
	CHECK_EQ(n->applied, 1);
	for (i = 0; i < 10; i++)
		CHECK_EQ(raft_propose(n->r, "abc", 3, &idx, &term), 0);
	CHECK_EQ(idx, 11);
	CHECK_EQ(term, 1);
	h_process(&c, 1);
	CHECK_EQ(h_commit(&c, 1), 11);
	CHECK_EQ(n->applied, 11);
	CHECK_EQ(n->n_applied_normal, 10);
	/* restart: log recovered, re-elected, everything re-applied */
	h_restart(&c, 1);
	n = h_node(&c, 1);
	CHECK_EQ(raft_term(n->r), 1);
	h_tick_all(&c, 30);
	CHECK_EQ(raft_role(n->r), RAFT_LEADER);
	CHECK_EQ(raft_term(n->r), 2);
	CHECK_EQ(n->applied, 12);
	SAFE(&c);
	h_free(&c);
}

/* Single node with manual persistence: no commit before persisted. */
static void test_single_node_persist_gate(void)
{
	struct h_cluster c;
	struct h_node *n;

	h_init(&c, 1, NULL);
	n = h_node(&c, 1);
	n->manual_persist = true;
	raft_campaign(n->r);
	h_process(&c, 1);
	CHECK_EQ(raft_role(n->r), RAFT_LEADER);
	CHECK_EQ(h_commit(&c, 1), 0);
	CHECK_EQ(n->applied, 0);
	h_persist(&c, 1);
	CHECK_EQ(h_commit(&c, 1), 1);
	CHECK_EQ(raft_propose(n->r, "x", 1, NULL, NULL), 0);
	h_process(&c, 1);
	CHECK_EQ(h_commit(&c, 1), 1);
	h_persist(&c, 1);
	CHECK_EQ(h_commit(&c, 1), 2);
	CHECK_EQ(n->applied, 2);
	SAFE(&c);
	h_free(&c);
}

/* Three nodes: election by timeout, replication, commit everywhere. */
static void test_three_node_basic(void)
{
	struct h_cluster c;
	u32 l, i;
	int k;

	h_init(&c, 3, NULL);
	h_tick_all(&c, 40);
	l = h_leader(&c);
	CHECK(l != 0);
	if (!l)
		goto out;
	for (k = 0; k < 50; k++)
		CHECK_EQ(h_propose(&c, l, "hello"), 0);
	h_stabilize(&c);
	h_tick_all(&c, 2);
	for (i = 1; i <= 3; i++) {
		CHECK_EQ(h_commit(&c, i), 51);
		CHECK_EQ(h_node(&c, i)->applied, 51);
		CHECK_EQ(raft_leader(h_node(&c, i)->r), l);
	}
	/* followers refuse proposals */
	CHECK_EQ(h_propose(&c, l % 3 + 1, "x"), -EPERM);
out:
	SAFE(&c);
	h_free(&c);
}
