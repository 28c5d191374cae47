// SPDX-License-Identifier: GPL-2.0
/*
 * rraft-sim: deterministic cluster simulator for the rraft Raft core.
 *
 *   rraft-sim --nodes N --seeds A-B [--steps S] [--faults LIST]
 *   rraft-sim --nodes N --seed X --trace [--steps S] [--faults LIST]
 *   rraft-sim --script FILE [--rewrite]
 *   rraft-sim --bench [--nodes N] [--steps S]
 *
 * Each seed runs in a child process, so a core assertion (abort) or a
 * sanitizer report fails that seed only and the run goes on.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <time.h>
#include "sim.h"

#define LL(x) ((unsigned long long)(x))

static const char *const fault_names[] = {
	"drop", "dup", "delay", "reorder", "partition", "oneway", "crash",
	"disk", "drift", "conf", "snapshot", "transfer", "pause",
};

static int parse_faults(const char *s, u32 *out)
{
	char buf[512], *tok, *save = NULL;
	u32 f = 0, i;

	if (!strcmp(s, "all")) {
		*out = F_ALL;
		return 0;
	}
	if (!strcmp(s, "none") || !*s) {
		*out = 0;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(fault_names) / sizeof(fault_names[0]); i++)
			if (!strcmp(tok, fault_names[i]))
				break;
		if (i == sizeof(fault_names) / sizeof(fault_names[0])) {
			fprintf(stderr, "rraft-sim: unknown fault '%s'\n", tok);
			return -1;
		}
		f |= 1u << i;
	}
	*out = f;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: rraft-sim --nodes N --seeds A-B [--steps S] [--faults LIST]\n"
		"       rraft-sim --nodes N --seed X [--trace] [--steps S] [--faults LIST]\n"
		"       rraft-sim --script FILE [--rewrite]\n"
		"       rraft-sim --bench [--nodes N] [--steps S]\n"
		"       --mutate stale-read|early-ack|forget-vote|lose-tail|tick-firings:\n"
		"         deliberately break the host to prove the checkers catch it\n"
		"         (seeds should FAIL)\n"
		"faults: all, none, or a comma list of drop,dup,delay,reorder,partition,\n"
		"        oneway,crash,disk,drift,conf,snapshot,transfer,pause\n");
	exit(2);
}

static int run_one_forked(u64 seed, u32 n, u64 steps, u32 faults)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0)
		exit(sim_run_seed(seed, n, steps, faults, false));
	if (waitpid(pid, &st, 0) < 0) {
		perror("waitpid");
		exit(2);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFSIGNALED(st))
		printf("seed %llu: FAIL killed by signal %d (core assertion or crash)  [replay: %s --nodes %u --seed %llu --steps %llu --faults %s --trace]\n",
		       LL(seed), WTERMSIG(st), sim_argv0, n, LL(seed), LL(steps),
		       sim_faults_str);
	else if (WEXITSTATUS(st) != 1)
		printf("seed %llu: FAIL exit status %d (sanitizer or leak report above)  [replay: %s --nodes %u --seed %llu --steps %llu --faults %s --trace]\n",
		       LL(seed), WEXITSTATUS(st), sim_argv0, n, LL(seed), LL(steps),
		       sim_faults_str);
	return 1;
}

int main(int argc, char **argv)
{
	u32 n = 3, faults = F_ALL;
	u64 a = 1, b = 0, steps = 200, seed = 0;
	bool have_seed = false, have_range = false, trace = false, bench = false;
	bool rewrite = false, nofork = false;
	const char *script = NULL, *fstr = "all";
	u64 pass = 0, fail = 0, x;
	int i;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(arg, "--nodes") && val) {
			n = (u32)strtoul(val, NULL, 0);
			i++;
		} else if (!strcmp(arg, "--seeds") && val) {
			char *e;

			a = strtoull(val, &e, 0);
			b = *e == '-' ? strtoull(e + 1, NULL, 0) : a;
			have_range = true;
			i++;
		} else if (!strcmp(arg, "--seed") && val) {
			seed = strtoull(val, NULL, 0);
			have_seed = true;
			i++;
		} else if (!strcmp(arg, "--steps") && val) {
			steps = strtoull(val, NULL, 0);
			i++;
		} else if (!strcmp(arg, "--faults") && val) {
			fstr = val;
			if (parse_faults(val, &faults))
				usage();
			i++;
		} else if (!strcmp(arg, "--script") && val) {
			script = val;
			i++;
		} else if (!strcmp(arg, "--trace")) {
			trace = true;
		} else if (!strcmp(arg, "--rewrite")) {
			rewrite = true;
		} else if (!strcmp(arg, "--bench")) {
			bench = true;
		} else if (!strcmp(arg, "--mutate") && val) {
			if (!strcmp(val, "stale-read"))
				sim_mutate |= M_STALE_READ;
			else if (!strcmp(val, "early-ack"))
				sim_mutate |= M_EARLY_ACK;
			else if (!strcmp(val, "forget-vote"))
				sim_mutate |= M_FORGET_VOTE;
			else if (!strcmp(val, "lose-tail"))
				sim_mutate |= M_LOSE_TAIL;
			else if (!strcmp(val, "tick-firings"))
				sim_mutate |= M_TICK_FIRINGS;
			else
				usage();
			i++;
		} else if (!strcmp(arg, "--no-fork")) {
			nofork = true;
		} else {
			usage();
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sim_argv0 = argv[0];
	sim_faults_str = fstr;
	if (script)
		return script_run(script, rewrite) ? 1 : 0;
	if (n < 1 || n > 7 || (n + 1 >= SIM_MAX_NODES))
		usage();
	if (steps < 10)
		steps = 10;
	if (bench) {
		struct timespec t0, t1, c0, c1;
		double dt, ct;
		u64 cnt = 0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
		do {
			if (sim_run_seed(1000 + cnt, n, steps, F_ALL, false))
				fail++;
			else
				pass++;
			cnt++;
			clock_gettime(CLOCK_MONOTONIC, &t1);
			dt = (double)(t1.tv_sec - t0.tv_sec) +
			     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		} while (dt < 5.0 && cnt < 100000);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
		ct = (double)(c1.tv_sec - c0.tv_sec) +
		     (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
		printf("sim bench: %llu seeds (%u nodes, %llu steps, all faults) in %.2fs wall, %.2fs cpu: %.1f seeds/s wall, %.1f seeds/s per cpu-second\n",
		       LL(cnt), n, LL(steps), dt, ct, (double)cnt / dt,
		       ct > 0 ? (double)cnt / ct : 0.0);
		printf("%llu passed, %llu failed\n", LL(pass), LL(fail));
		return fail ? 1 : 0;
	}
	if (have_seed) {
		int rc = sim_run_seed(seed, n, steps, faults, trace);

		printf("%d passed, %d failed\n", rc == 0, rc != 0);
		return rc ? 1 : 0;
	}
	if (!have_range || b < a)
		usage();
	for (x = a; x <= b; x++) {
		int rc = nofork ? sim_run_seed(x, n, steps, faults, false) :
			 run_one_forked(x, n, steps, faults);

		if (rc) {
			fail++;
		} else {
			pass++;
		}
	}
	printf("%llu passed, %llu failed\n", LL(pass), LL(fail));
	return fail ? 1 : 0;
}

#ifdef SIM_DEFINE_MALLOC_HOOK
void *(*raft_test_malloc_hook)(size_t size);
#endif
