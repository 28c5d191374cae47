/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtc_scenarios.h - the classic Raft scenarios, written once against the
 * shared test host (rtc_cluster.h) and run by the unit tests (tests/unit)
 * and the KUnit suite (kmod/raft/raft_kunit.c): Figure 8, fast log backup
 * (the XTerm/XIndex/XLen hints) and an interrupted snapshot install that
 * resumes.
 *
 * env (struct rtc_env) is handed to rtc_new and reports failed checks: the
 * unit tests pass rtc_env_user, KUnit one whose ctx is its struct kunit.
 * Every failed check and every violation the cluster sees is reported
 * there.
 */
#ifndef RRAFT_RTC_SCENARIOS_H
#define RRAFT_RTC_SCENARIOS_H

#include "rtc_cluster.h"

#define RTC_CHECK(env, cond) do {					\
	const struct rtc_env *_rtc_env = (env);				\
									\
	if (!(cond))							\
		_rtc_env->check_failed(_rtc_env, __FILE__, __LINE__,	\
				       #cond, 0, 0);			\
} while (0)

#define RTC_CHECK_EQ(env, a, b) do {					\
	const struct rtc_env *_rtc_env = (env);				\
	u64 _rtc_a = (u64)(a), _rtc_b = (u64)(b);			\
									\
	if (_rtc_a != _rtc_b)						\
		_rtc_env->check_failed(_rtc_env, __FILE__, __LINE__,	\
				       #a " == " #b, _rtc_a, _rtc_b);	\
} while (0)

/* rtc_default_cfg without pre-vote and check-quorum */
struct raft_config rtc_cfg_nopv(void);

/*
 * Figure 8 (a)-(e) with five nodes: a leader must not commit an entry of an
 * older term by counting replicas.  variant 0 ends with (d) (the entry is
 * overwritten), 1 with (e) (it commits with one of the leader's term).
 */
void rtc_scn_figure8(const struct rtc_env *env, int variant);

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
void rtc_scn_fast_backup(const struct rtc_env *env,
			 const struct rtc_backup_case *t);

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
void rtc_scn_snapshot_resume(const struct rtc_env *env);

/*
 * The leader checkpoints further while the follower is down mid-install:
 * the follower's own transfer is continued, then topped up incrementally;
 * with fail the host gives the old snapshot up and the leader starts over
 * with FRESH.
 */
void rtc_scn_snapshot_resume_older(const struct rtc_env *env, bool fail);

#endif /* RRAFT_RTC_SCENARIOS_H */
