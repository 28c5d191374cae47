// SPDX-License-Identifier: GPL-2.0
/*
 * core_bench.c - throughput of the Raft core alone: an in-memory 3-node
 * cluster, messages handed straight to raft_step, persistence acknowledged
 * immediately.  Prints "core: <N> entries/s committed (3 nodes, batch <B>)".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../../kmod/raft/raft.h"

#define NODES 3

static struct raft *nodes[NODES + 1];
static unsigned long long applied_total;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int process(unsigned int id)
{
	struct raft *r = nodes[id];
	int did = 0;

	while (raft_has_ready(r)) {
		struct raft_ready rd;
		unsigned int i;
		u64 li = 0, lt = 0;

		if (raft_ready(r, &rd))
			abort();
		if (rd.n_entries) {
			li = rd.entries[rd.n_entries - 1].index;
			lt = rd.entries[rd.n_entries - 1].term;
		}
		for (i = 0; i < rd.n_msgs; i++)
			raft_step(nodes[rd.msgs[i].to], &rd.msgs[i]);
		if (id == 1)
			applied_total += rd.n_committed;
		raft_advance(r, &rd);
		if (li)
			raft_persisted(r, li, lt);
		did = 1;
	}
	return did;
}

int main(int argc, char **argv)
{
	unsigned int batch = argc > 1 ? (unsigned int)atoi(argv[1]) : 256;
	unsigned long long target = argc > 2 ? strtoull(argv[2], NULL, 10) : 3000000ull;
	struct raft_config cfg = {
		.election_ticks = 10, .heartbeat_ticks = 1, .max_inflight = 64,
		.max_append_bytes = 4 << 20, .max_append_entries = batch,
		.max_uncommitted = 8 * batch, .pre_vote = true,
		.check_quorum = true, .seed = 1,
	};
	struct raft_boot boot;
	unsigned long long proposed = 0;
	unsigned int i, k;
	u8 payload[64];
	double t0, t1;
	int busy;

	memset(&boot, 0, sizeof(boot));
	boot.snap.conf.n_voters = NODES;
	for (i = 0; i < NODES; i++)
		boot.snap.conf.voters[i] = i + 1;
	for (i = 1; i <= NODES; i++) {
		cfg.id = i;
		if (raft_create(&nodes[i], &cfg, &boot))
			return 1;
	}
	memset(payload, 0xab, sizeof(payload));
	raft_campaign(nodes[1]);
	do {
		busy = 0;
		for (i = 1; i <= NODES; i++)
			busy |= process(i);
	} while (busy);
	if (raft_role(nodes[1]) != RAFT_LEADER)
		return 1;
	applied_total = 0;
	t0 = now_s();
	while (applied_total < target) {
		for (k = 0; k < batch; k++) {
			if (raft_propose(nodes[1], payload, sizeof(payload), NULL, NULL))
				break;
			proposed++;
		}
		do {
			busy = 0;
			for (i = 1; i <= NODES; i++)
				busy |= process(i);
		} while (busy);
		/* keep the logs short: compact what every node applied */
		if (proposed % (64 * batch) < batch) {
			struct raft_status st;

			for (i = 1; i <= NODES; i++) {
				raft_get_status(nodes[i], &st);
				raft_compact(nodes[i], st.applied);
			}
		}
	}
	t1 = now_s();
	printf("core: %.0f entries/s committed (3 nodes, batch %u)\n",
	       applied_total / (t1 - t0), batch);
	for (i = 1; i <= NODES; i++)
		raft_destroy(nodes[i]);
	return 0;
}
