/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtc_env_user.h - the userspace environment of the shared test host
 * (rtc_env_user.c).
 */
#ifndef RRAFT_RTC_ENV_USER_H
#define RRAFT_RTC_ENV_USER_H

#include "rtc_cluster.h"

extern const struct rtc_env rtc_env_user;
/* failed checks so far */
extern unsigned int rtc_env_check_fails;

#endif /* RRAFT_RTC_ENV_USER_H */
