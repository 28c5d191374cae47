// SPDX-License-Identifier: GPL-2.0
/*
 * status.c - "rraftctl status" (like drbdadm status) and "rraftctl watch"
 * (like drbdsetup events2): both read /sys/block/rraft<N>/rraft/.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/time.h>

#include "rraftctl.h"

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* A number if it parses as one, a string otherwise. */
static void json_num_or_str(const char *s)
{
	unsigned long long v;

	if (!rr_arg_u64(s, 0, ULLONG_MAX, &v) && isdigit((unsigned char)s[0]) &&
	    strncmp(s, "0x", 2))
		printf("%llu", (unsigned long long)v);
	else
		json_str(s);
}

/*
 * "voters=1,2,3 old= learners=4" -> {"voters": [1, 2, 3], "old": [], ...}
 * "done=1 left=2" -> {"done": 1, "left": 2}
 */
static void json_kv_object(const char *s, bool lists)
{
	char buf[256], *save = NULL, *tok;
	bool first = true;

	snprintf(buf, sizeof(buf), "%s", s);
	putchar('{');
	for (tok = strtok_r(buf, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '='), *item, *isave = NULL;
		bool ifirst = true;

		if (!eq)
			continue;
		*eq = '\0';
		printf("%s", first ? "" : ", ");
		first = false;
		json_str(tok);
		fputs(": ", stdout);
		if (!lists) {
			json_num_or_str(eq + 1);
			continue;
		}
		putchar('[');
		for (item = strtok_r(eq + 1, ",", &isave); item;
		     item = strtok_r(NULL, ",", &isave)) {
			printf("%s", ifirst ? "" : ", ");
			ifirst = false;
			json_num_or_str(item);
		}
		putchar(']');
	}
	putchar('}');
}

static void status_json(const struct rr_dev_state *st, bool first)
{
	int i, k;

	printf("%s  {\n    \"name\": ", first ? "" : ",\n");
	json_str(st->name);
	printf(",\n    \"minor\": %d", st->minor);
	for (i = 0; i < RR_NATTR; i++) {
		printf(",\n    ");
		json_str(rr_attr_names[i]);
		fputs(": ", stdout);
		if (!st->present[i])
			fputs("null", stdout);
		else if (i == A_MEMBERS)
			json_kv_object(st->val[i], true);
		else if (i == A_SYNC)
			json_kv_object(st->val[i], false);
		else if (rr_attr_numeric[i])
			json_num_or_str(st->val[i]);
		else
			json_str(st->val[i]);
	}
	printf(",\n    \"peers\": [");
	for (k = 0; k < st->npeers; k++) {
		const struct rr_peer *p = &st->peers[k];
		unsigned long long lag;

		printf("%s\n      {\"id\": %u", k ? "," : "", p->id);
		for (i = 0; i < p->nkv; i++) {
			const char *key = p->kv[i].key, *v = p->kv[i].val;

			fputs(", ", stdout);
			json_str(key);
			fputs(": ", stdout);
			if ((!strcmp(key, "active") || !strcmp(key, "learner")) &&
			    (!strcmp(v, "0") || !strcmp(v, "1")))
				fputs(v[0] == '1' ? "true" : "false", stdout);
			else if (!strcmp(key, "addr") || !strcmp(key, "conn") ||
				 !strcmp(key, "state"))
				json_str(v);
			else
				json_num_or_str(v);
		}
		if (rr_peer_lag(st, p, &lag))
			printf(", \"lag\": %llu", (unsigned long long)lag);
		else
			fputs(", \"lag\": null", stdout);
		putchar('}');
	}
	printf("%s]\n  }", st->npeers ? "\n    " : "");
}

/*
 * The kernel reports connection states in lower case ("connected"); shown
 * the way drbdadm users know them ("Connected").
 */
static const char *conn_display(const char *conn, char *buf, size_t len)
{
	if (!conn || !*conn)
		return "unknown";
	snprintf(buf, len, "%s", conn);
	buf[0] = (char)toupper((unsigned char)buf[0]);
	return buf;
}

static const char *attr_or(const struct rr_dev_state *st, int idx, const char *def)
{
	return st->present[idx] && st->val[idx][0] ? st->val[idx] : def;
}

static void status_text(const struct rr_dev_state *st, bool verbose)
{
	unsigned long long done, left;
	int k;

	printf("%s", st->name);
	if (st->present[A_NODE_ID])
		printf(" node:%s", st->val[A_NODE_ID]);
	printf(" role:%s", attr_or(st, A_ROLE, "unknown"));
	if (st->present[A_TERM])
		printf(" term:%s", st->val[A_TERM]);
	if (st->present[A_LEADER])
		printf(" leader:%s", strcmp(st->val[A_LEADER], "0") ?
		       st->val[A_LEADER] : "none");
	if (st->present[A_COMMIT])
		printf(" commit:%s", st->val[A_COMMIT]);
	if (st->present[A_APPLIED])
		printf(" applied:%s", st->val[A_APPLIED]);
	printf(" disk:%s", attr_or(st, A_DISK, "unknown"));
	if (st->present[A_SYNC] && strcmp(attr_or(st, A_DISK, ""), "UpToDate") &&
	    sscanf(st->val[A_SYNC], "done=%llu left=%llu",
		   (unsigned long long *)&done, (unsigned long long *)&left) == 2 &&
	    done + left)
		printf(" sync:%.1f%%", 100.0 * (double)done / (double)(done + left));
	if (st->present[A_CONF_PHASE] && strcmp(st->val[A_CONF_PHASE], "stable"))
		printf(" conf:%s", st->val[A_CONF_PHASE]);
	putchar('\n');
	if (verbose) {
		printf("  members:%s", attr_or(st, A_MEMBERS, "?"));
		printf(" log:%s..%s", attr_or(st, A_FIRST, "?"),
		       attr_or(st, A_LAST, "?"));
		printf(" log-used:%s/%s", attr_or(st, A_LOG_USED, "?"),
		       attr_or(st, A_LOG_CAP, "?"));
		printf(" snap:%s/%s", attr_or(st, A_SNAP_INDEX, "?"),
		       attr_or(st, A_SNAP_TERM, "?"));
		printf(" persisted:%s", attr_or(st, A_PERSISTED, "?"));
		printf(" backing:%s\n", attr_or(st, A_BACKING, "?"));
	}
	for (k = 0; k < st->npeers; k++) {
		const struct rr_peer *p = &st->peers[k];
		const char *conn = rr_peer_get(p, "conn");
		const char *learner = rr_peer_get(p, "learner");
		const char *state = rr_peer_get(p, "state");
		unsigned long long lag;

		bool connected = conn && !strcasecmp(conn, "Connected");

		char cbuf[32];

		printf("  peer %u connection:%s", p->id,
		       conn_display(conn, cbuf, sizeof(cbuf)));
		/* like drbdadm status: progress only for connected peers */
		if (connected && rr_peer_lag(st, p, &lag))
			printf(" lag:%llu", (unsigned long long)lag);
		if (learner && !strcmp(learner, "1"))
			printf(" learner:yes");
		if (connected && state && strcmp(state, "replicate") &&
		    !strcmp(attr_or(st, A_ROLE, ""), "leader"))
			printf(" replication:%s", state);
		if (verbose) {
			static const char *const keys[] = {
				"addr", "match", "next", "state", "active",
				"sent", "recv",
			};
			size_t i;

			for (i = 0; i < ARRAY_SIZE(keys); i++) {
				const char *v = rr_peer_get(p, keys[i]);

				if (v)
					printf(" %s:%s", keys[i], v);
			}
		}
		putchar('\n');
	}
}

int rr_cmd_status(int argc, char **argv, bool all, bool json, bool verbose)
{
	static struct rr_dev_state st;
	int minors[256], n = 0, i, rc;
	char label[64];

	if (argc > 1) {
		rr_err("at most one resource");
		return RR_EUSAGE;
	}
	if (argc == 1 && all) {
		rr_err("give a resource or --all, not both");
		return RR_EUSAGE;
	}
	if (argc == 1) {
		rc = rr_resolve(argv[0], &minors[0], label, sizeof(label));
		if (rc)
			return rc;
		if (!rr_dev_exists(minors[0])) {
			rr_err("%s: rraft%d does not exist (is the resource up?)",
			       label, minors[0]);
			return RR_ENOTFOUND;
		}
		n = 1;
	} else {
		n = rr_list_minors(minors, 256);
	}
	if (json)
		printf("[\n");
	for (i = 0; i < n; i++) {
		rc = rr_state_read(minors[i], &st);
		if (rc)
			continue;	/* went away meanwhile */
		if (argc == 1)
			snprintf(st.name, sizeof(st.name), "%s", label);
		if (json)
			status_json(&st, i == 0);
		else
			status_text(&st, verbose);
	}
	if (json)
		printf("%s]\n", n ? "\n" : "");
	if (fflush(stdout)) {
		rr_err("write error: %s", strerror(errno));
		return RR_EFAIL;
	}
	return RR_OK;
}

/* ---------------------------------------------------------------- watch */

enum { W_ROLE, W_TERM, W_LEADER, W_DISK, W_CONF, W_MEMBERS, W_NF };
static const char *const w_key[W_NF] = {
	"role", "term", "leader", "disk", "conf", "members",
};

static const int w_attr[W_NF] = {
	A_ROLE, A_TERM, A_LEADER, A_DISK, A_CONF_PHASE, A_MEMBERS,
};

struct wsnap {
	bool up;
	char name[64];
	char f[W_NF][128];
	int npeers;
	unsigned int id[RR_MAX_PEER_DIRS];
	char conn[RR_MAX_PEER_DIRS][32];
};

static bool w_timestamps;
static long w_left;		/* events still to print, <0: unlimited */

static void w_prefix(void)
{
	struct timeval tv;
	struct tm tm;
	char buf[64];

	if (!w_timestamps)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%s.%03ldZ ", buf, (long)(tv.tv_usec / 1000));
}

/* "voters=1,2,3 old= learners=4" -> " voters:1,2,3 learners:4" */
static void w_print_members(const char *m)
{
	char buf[128], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", m);
	for (tok = strtok_r(buf, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq || !eq[1])
			continue;
		*eq = '\0';
		printf(" %s:%s", tok, eq + 1);
	}
}

static void w_field(int i, const char *v)
{
	if (i == W_MEMBERS)
		w_print_members(v);
	else
		printf(" %s:%s", w_key[i], v);
}

/* Start an event line; false once --count events have been printed. */
static bool w_begin(bool counts)
{
	if (counts) {
		if (!w_left)
			return false;
		if (w_left > 0)
			w_left--;
	}
	w_prefix();
	return true;
}

static void w_take(int minor, const struct rr_dev_state *st, struct wsnap *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->up = true;
	snprintf(s->name, sizeof(s->name), "%s", st->name);
	(void)minor;
	for (i = 0; i < W_NF; i++)
		snprintf(s->f[i], sizeof(s->f[i]), "%s",
			 st->present[w_attr[i]] ? st->val[w_attr[i]] : "?");
	for (i = 0; i < st->npeers; i++) {
		const char *c = rr_peer_get(&st->peers[i], "conn");

		char cbuf[32];

		s->id[i] = st->peers[i].id;
		snprintf(s->conn[i], sizeof(s->conn[i]), "%s",
			 conn_display(c, cbuf, sizeof(cbuf)));
	}
	s->npeers = st->npeers;
}

static void w_full(const char *verb, int minor, const struct wsnap *s,
		   bool counts)
{
	int i;

	if (!w_begin(counts))
		return;
	printf("%s device %s minor:%d", verb, s->name, minor);
	for (i = 0; i < W_NF; i++)
		w_field(i, s->f[i]);
	putchar('\n');
	for (i = 0; i < s->npeers; i++) {
		if (!w_begin(counts))
			return;
		printf("%s peer %s peer:%u connection:%s\n", verb, s->name,
		       s->id[i], s->conn[i]);
	}
}

static int w_find(const struct wsnap *s, unsigned int id)
{
	int i;

	for (i = 0; i < s->npeers; i++)
		if (s->id[i] == id)
			return i;
	return -1;
}

static void w_diff(int minor, const struct wsnap *o, const struct wsnap *n)
{
	bool any = false;
	int i, j;

	for (i = 0; i < W_NF; i++)
		if (strcmp(o->f[i], n->f[i]))
			any = true;
	if (any && w_begin(true)) {
		printf("change device %s", n->name);
		for (i = 0; i < W_NF; i++)
			if (strcmp(o->f[i], n->f[i]))
				w_field(i, n->f[i]);
		putchar('\n');
	}
	for (i = 0; i < n->npeers; i++) {
		j = w_find(o, n->id[i]);
		if (j < 0) {
			if (w_begin(true))
				printf("create peer %s peer:%u connection:%s\n",
				       n->name, n->id[i], n->conn[i]);
		} else if (strcmp(o->conn[j], n->conn[i])) {
			if (w_begin(true))
				printf("change peer %s peer:%u connection:%s\n",
				       n->name, n->id[i], n->conn[i]);
		}
	}
	for (i = 0; i < o->npeers; i++)
		if (w_find(n, o->id[i]) < 0 && w_begin(true))
			printf("destroy peer %s peer:%u\n", n->name, o->id[i]);
	(void)minor;
}

/* Sleep for ms; true if SIGINT or SIGTERM arrived. */
static bool w_wait(const sigset_t *sigs, long ms)
{
	unsigned long long end = rr_now_ms() + (unsigned long long)ms, now;
	struct timespec ts;

	for (;;) {
		now = rr_now_ms();
		if (now >= end)
			return false;
		ts.tv_sec = (time_t)((end - now) / 1000);
		ts.tv_nsec = (long)((end - now) % 1000) * 1000000L;
		if (sigtimedwait(sigs, NULL, &ts) > 0)
			return true;
		if (errno != EINTR && errno != EAGAIN)
			return false;
	}
}

int rr_cmd_watch(int argc, char **argv, long count, long interval_ms,
		 bool timestamps)
{
	static struct rr_dev_state st;
	struct wsnap *old, cur;
	sigset_t sigs;
	int want = -1, minors[256], n, i, rc;
	char label[64];
	bool first = true;

	if (argc > 1) {
		rr_err("at most one resource");
		return RR_EUSAGE;
	}
	if (argc == 1) {
		rc = rr_resolve(argv[0], &want, label, sizeof(label));
		if (rc)
			return rc;
	}
	old = calloc(256, sizeof(*old));
	if (!old) {
		rr_err("out of memory");
		return RR_EFAIL;
	}
	/* SIGINT/SIGTERM end the watch: taken synchronously while sleeping */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	w_timestamps = timestamps;
	w_left = count > 0 ? count : -1;

	for (;;) {
		bool seen[256] = { false };

		n = rr_list_minors(minors, 256);
		for (i = 0; i < n; i++) {
			int m = minors[i];

			if (want >= 0 && m != want)
				continue;
			if (rr_state_read(m, &st))
				continue;
			if (want >= 0)
				snprintf(st.name, sizeof(st.name), "%s", label);
			seen[m] = true;
			w_take(m, &st, &cur);
			if (first)
				w_full("exists", m, &cur, false);
			else if (!old[m].up)
				w_full("create", m, &cur, true);
			else
				w_diff(m, &old[m], &cur);
			old[m] = cur;
		}
		for (i = 0; i < 256; i++) {
			if (old[i].up && !seen[i]) {
				if (!first && w_begin(true))
					printf("destroy device %s minor:%d\n",
					       old[i].name, i);
				old[i].up = false;
			}
		}
		if (first) {
			w_prefix();
			printf("exists -\n");
			first = false;
		}
		if (fflush(stdout) || ferror(stdout))
			break;
		if (!w_left || w_wait(&sigs, interval_ms))
			break;
	}
	free(old);
	return ferror(stdout) ? RR_EFAIL : RR_OK;
}
