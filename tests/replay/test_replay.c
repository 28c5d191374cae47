// SPDX-License-Identifier: GPL-2.0
/*
 * test_replay.c - the log ring's replay and appender (kmod/rraft_ring.c)
 * against power cuts, in userspace under ASan and UBSan.
 *
 *   test_replay [-s first_seed] [-n seeds] [-t seconds]
 *
 * First the fixed scenarios (the defects of issue 13 each have one), then
 * seeded random campaigns (tests/replay/campaign.c) from first_seed until
 * n seeds ran or t seconds passed.  A failing seed is printed with the
 * command that repeats it.  Last line: "replay: N passed, N failed".
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "model.h"

static int passed, failed;

static void result(const char *name, int ok, const char *why)
{
	if (ok) {
		passed++;
		printf("ok %s\n", name);
	} else {
		failed++;
		printf("not ok %s: %s\n", name, why);
	}
}

#define BLK	RR_BLOCK_SIZE

/* Append entries first..first+n-1 of len bytes each, acknowledged. */
static int append_acked(struct model *m, u64 first, u32 n, u32 len)
{
	int err = model_append_start(m, first, n, len, NULL);

	if (!err)
		model_append_done(m);
	return err;
}

/* Boot a clean image of m (nothing in flight) into nm. */
static int boot_clean(struct model *m, struct model *nm, const char **why)
{
	u8 none = 0;

	return model_boot(nm, m, model_image(m, &none), why);
}

/*
 * Defect 1: a record torn near the ring end (its header landed, its payload
 * not); after the crash the appender wraps to the ring start for a record
 * that does not fit; a second crash must not lose what it wrote there.
 */
static void t_torn_header_at_ring_end(void)
{
	struct model m, nm, nm2;
	const char *why = "";
	char buf[300];
	int ok = 0;
	u64 i;

	model_format(&m, 16 * BLK, 1);
	model_set_term(&m, 1);
	for (i = 1; i <= 13; i++)		/* one block each: tail at 13 */
		append_acked(&m, i, 1, 100);
	m.commit = 13;
	model_checkpoint(&m, 12);		/* head: record 13, block 12 */
	/* entry 14: two blocks at 13..14, only its header lands */
	if (model_append_start(&m, 14, 1, 5000, NULL) || m.disk.n_pend != 1) {
		why = "setup: append 14";
		goto out;
	}
	if (model_crash_boot(&m, 2, NULL, &nm, stdout, "first crash")) {
		why = "first crash";
		goto out_nm;
	}
	/* 14 again, four blocks: does not fit at 13, goes to the ring start */
	if (append_acked(&nm, 14, 1, 3 * BLK) || append_acked(&nm, 15, 2, 100)) {
		why = "setup: appends after the first crash";
		goto out_nm;
	}
	if (boot_clean(&nm, &nm2, &why)) {
		snprintf(buf, sizeof(buf), "second boot refused: %s", why);
		why = buf;
	} else if (model_check(&nm, &nm2, &why)) {
		snprintf(buf, sizeof(buf), "second crash: %s", why);
		why = buf;
	} else {
		ok = 1;
	}
	model_free(&nm2);
out_nm:
	model_free(&nm);
out:
	model_append_done(&m);
	model_free(&m);
	result("torn record header at the ring end, wrap, second crash", ok,
	       why);
}

/* A normal crash: torn tail after the last acknowledged record boots. */
static void t_torn_tail_boots(void)
{
	struct model m, nm;
	int ok = 1;
	u32 i;

	model_format(&m, 32 * BLK, 2);
	model_set_term(&m, 1);
	append_acked(&m, 1, 3, 2000);
	m.commit = 3;
	model_set_term(&m, 2);		/* persists commit 3 */
	model_append_start(&m, 4, 4, 9000, NULL);
	for (i = 0; i < 2 + m.disk.n_pend && ok; i++) {
		ok = !model_crash_boot(&m, i, NULL, &nm, stdout, "crash");
		model_free(&nm);
	}
	model_append_done(&m);
	model_free(&m);
	result("torn tail after the last acknowledged record boots", ok,
	       "see above");
}

/* Boot m's clean image: must be refused with -EUCLEAN and this reason. */
static void expect_refusal(const char *name, struct model *m,
			   const char *reason)
{
	struct model nm;
	const char *why = "";
	char buf[200];
	int err;

	err = boot_clean(m, &nm, &why);
	snprintf(buf, sizeof(buf), "boot returned %d (%s), want -EUCLEAN (%s)",
		 err, why ? why : "", reason);
	result(name, err == -EUCLEAN && why && !strcmp(why, reason), buf);
	model_free(&nm);
	model_free(m);
}

/* Defect 2: a stored commit above the recovered log is refused. */
static void t_commit_above_log(void)
{
	struct model m;

	model_format(&m, 32 * BLK, 3);
	model_set_term(&m, 1);
	append_acked(&m, 1, 5, 100);
	m.commit = 9;		/* as if entries 6..9 had been there */
	model_set_term(&m, 2);
	expect_refusal("commit above the recovered log refused", &m,
		       "commit index above the recovered log");
}

static void raw_write(void *ctx, u64 phys, void *buf, u64 len)
{
	model_raw_write(ctx, phys, buf, len);
}

/* Defect 2: a crc-valid record that leaves a gap is refused. */
static void t_gap_refused(void)
{
	struct rraft_ring_io io = { .write = raw_write };
	struct raft_entry e = { .term = 1, .index = 5, .type = RAFT_ENTRY_NORMAL };
	struct model m;
	u8 *buf = calloc(1, 2 * BLK);
	u64 bytes;

	model_format(&m, 32 * BLK, 4);
	io.ctx = &m;
	model_set_term(&m, 1);
	append_acked(&m, 1, 3, 100);
	if (rraft_ring_fits(&m.ring, &e, 1, &bytes) || bytes > 2 * BLK ||
	    rraft_ring_append(&m.ring, &io, &e, 1, buf))
		result("gap refused", 0, "setup");
	else
		expect_refusal("crc-valid record after a gap refused", &m,
			       "gap in indexes");
	free(buf);
}

/* Defect 2: a crc-valid record that runs past the ring head is refused. */
static void t_past_ring_refused(void)
{
	u32 len = 12 * BLK - RR_LOG_HDR_SIZE - RR_LOG_ENT_HDR_SIZE;
	struct raft_entry e = { .term = 1, .index = 11,
				.type = RAFT_ENTRY_NORMAL, .len = len };
	struct model m;
	u8 *buf = calloc(1, 12 * BLK);
	u64 i;

	e.data = calloc(1, len);
	model_format(&m, 16 * BLK, 5);
	model_set_term(&m, 1);
	for (i = 1; i <= 8; i++)
		append_acked(&m, i, 1, 100);
	m.commit = 8;
	model_checkpoint(&m, 8);		/* head = record 8, block 7 */
	append_acked(&m, 9, 1, 3 * BLK);	/* blocks 8..11 */
	append_acked(&m, 10, 1, 3 * BLK);	/* blocks 12..15 */
	/*
	 * seq 11 at the ring start, 12 blocks: up to block 28 > 7 + 16.  It
	 * covers records 8 and 9 (blocks 7..11), so it carries their bytes
	 * there: only a crafted record can run past the ring.
	 */
	memcpy(e.data + 7 * BLK - RR_LOG_HDR_SIZE - RR_LOG_ENT_HDR_SIZE,
	       m.disk.durable + DISK_RING_OFF + 7 * BLK, 5 * BLK);
	rraft_log_encode(buf, m.ring.next_seq, m.uuid, m.ring.last_crc, &e, 1);
	model_raw_write(&m, 0, buf, 12 * BLK);
	expect_refusal("crc-valid record running past the ring refused", &m,
		       "record runs past the ring");
	free(e.data);
	free(buf);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seeded campaigns: rings of 16..64 blocks, so the writer wraps often. */
static void campaigns(u64 seed0, u64 n, double seconds)
{
	static const u64 rings[] = { 16, 20, 24, 32, 64 };
	double t0 = now();
	u64 s;
	struct rng g;
	char name[128];

	for (s = seed0; s - seed0 < n && now() - t0 < seconds; s++) {
		u64 ring = rings[s % 5] * BLK;

		rng_seed(&g, s);
		if (model_campaign(&g, ring, 120, stdout)) {
			snprintf(name, sizeof(name),
				 "seed %llu (repeat: tests/replay/test_replay -s %llu -n 1)",
				 (unsigned long long)s, (unsigned long long)s);
			result(name, 0, "see above");
		} else {
			passed++;
		}
	}
	printf("campaigns: seeds %llu..%llu, %.1f s\n",
	       (unsigned long long)seed0, (unsigned long long)(s - 1),
	       now() - t0);
}

int main(int argc, char **argv)
{
	u64 seed0 = 1, n = ~0ull;
	double seconds = 20;
	int c;

	while ((c = getopt(argc, argv, "s:n:t:")) != -1) {
		switch (c) {
		case 's':
			seed0 = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			n = strtoull(optarg, NULL, 0);
			break;
		case 't':
			seconds = strtod(optarg, NULL);
			break;
		default:
			fprintf(stderr, "usage: %s [-s seed] [-n seeds] [-t seconds]\n",
				argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_torn_header_at_ring_end();
	t_torn_tail_boots();
	t_commit_above_log();
	t_gap_refused();
	t_past_ring_refused();
	campaigns(seed0, n, seconds);
	printf("replay: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
