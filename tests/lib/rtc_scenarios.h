/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtc_scenarios.h - the classic Raft scenarios, written once against the
 * shared test host (rtc_cluster.h) and run by the unit tests (tests/unit)
 * and the KUnit suite (kmod/raft/raft_kunit.c): Figure 8, fast log backup
 * (the XTerm/XIndex/XLen hints) and an interrupted snapshot install that
 * resumes.
 *
 * host is handed to rtc_new and to rtc_env_check_failed: the unit tests
 * pass NULL, KUnit its struct kunit.  Every failed check and every
 * violation the cluster sees is reported there.
 */
#ifndef RRAFT_RTC_SCENARIOS_H
#define RRAFT_RTC_SCENARIOS_H

#include "rtc_cluster.h"

#define RTC_CHECK(host, cond) do {					\
	if (!(cond))							\
		rtc_env_check_failed(host, __FILE__, __LINE__, #cond, 0, 0); \
} while (0)

#define RTC_CHECK_EQ(host, a, b) do {					\
	u64 _rtc_a = (u64)(a), _rtc_b = (u64)(b);			\
									\
	if (_rtc_a != _rtc_b)						\
		rtc_env_check_failed(host, __FILE__, __LINE__,		\
				     #a " == " #b, _rtc_a, _rtc_b);	\
} while (0)

/* rtc_default_cfg without pre-vote and check-quorum */
struct raft_config rtc_cfg_nopv(void);

/*
 * Figure 8 (a)-(e) with five nodes: a leader must not commit an entry of an
 * older term by counting replicas.  variant 0 ends with (d) (the entry is
 * overwritten), 1 with (e) (it commits with one of the leader's term).
 */
void rtc_scn_figure8(void *host, int variant);

/*
 * Fast backup: node 1 (log lead) wins and repairs node 3 (log foll); the
 * first reject must carry want_xterm and move next to want_next, every
 * reject's hints must describe the follower's log, and at most max_rejects
 * rejects may be needed.
 */
struct rtc_backup_case {
	const char *name;
	u64 lead[16];
	u32 n_lead;
	u64 foll[40];
	u32 n_foll;
	u64 want_next;
	u64 want_xterm;
	u32 max_rejects;
};

extern const struct rtc_backup_case rtc_backup_cases[];
extern const u32 rtc_n_backup_cases;
void rtc_scn_fast_backup(void *host, const struct rtc_backup_case *t);

/*
 * Leader l of a fresh 3-node cluster compacts at 8 past a follower f that
 * was down; f restarts and makes the first chunk of the snapshot durable.
 * Returns l (0 if no leader), f in *fp.
 */
u32 rtc_snap_mid_install(struct rtc_cluster *c, u32 *fp);

/*
 * An install interrupted by a crash resumes at its durable offset; the
 * node is Inconsistent (no reads, no campaign) until it completes.
 */
void rtc_scn_snapshot_resume(void *host);

/*
 * The leader checkpoints further while the follower is down mid-install:
 * the follower's own transfer is continued, then topped up incrementally;
 * with fail the host gives the old snapshot up and the leader starts over
 * with FRESH.
 */
void rtc_scn_snapshot_resume_older(void *host, bool fail);

#endif /* RRAFT_RTC_SCENARIOS_H */
