// SPDX-License-Identifier: GPL-2.0
/*
 * status.c - "rraftctl status" (like drbdadm status): reads
 * /sys/block/rraft<N>/rraft/.
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

void rr_json_str(const char *s)
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
		rr_json_str(s);
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
		rr_json_str(tok);
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
	rr_json_str(st->name);
	printf(",\n    \"minor\": %d", st->minor);
	for (i = 0; i < RR_NATTR; i++) {
		printf(",\n    ");
		rr_json_str(rr_attr_names[i]);
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
			rr_json_str(st->val[i]);
	}
	printf(",\n    \"peers\": [");
	for (k = 0; k < st->npeers; k++) {
		const struct rr_peer *p = &st->peers[k];
		unsigned long long lag;

		printf("%s\n      {\"id\": %u", k ? "," : "", p->id);
		for (i = 0; i < p->nkv; i++) {
			const char *key = p->kv[i].key, *v = p->kv[i].val;

			fputs(", ", stdout);
			rr_json_str(key);
			fputs(": ", stdout);
			if ((!strcmp(key, "active") || !strcmp(key, "learner")) &&
			    (!strcmp(v, "0") || !strcmp(v, "1")))
				fputs(v[0] == '1' ? "true" : "false", stdout);
			else if (!strcmp(key, "addr") || !strcmp(key, "conn") ||
				 !strcmp(key, "state"))
				rr_json_str(v);
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
const char *rr_conn_display(const char *conn, char *buf, size_t len)
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
	if (st->present[A_SECURITY] && !strcmp(st->val[A_SECURITY], "insecure"))
		printf(" security:insecure");
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
		if (st->present[A_SECURITY])
			printf(" security:%s", st->val[A_SECURITY]);
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
		       rr_conn_display(conn, cbuf, sizeof(cbuf)));
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

	rc = rr_select_devices(argc, argv, all, minors, &n, label, sizeof(label));
	if (rc)
		return rc;
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
