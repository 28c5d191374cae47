// SPDX-License-Identifier: GPL-2.0
/*
 * rraftctl - control tool for rraft, the Raft-replicated block device.
 *
 * Every command is a thin wrapper around the sysfs interface described in
 * Documentation/ABI/testing/sysfs-class-rraft-control and sysfs-block-rraft,
 * driven by a per-resource configuration file (conf.c) or by options.
 * See rraftctl(8) for the user documentation and the exit codes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rraftctl.h"

const char *rr_prog = "rraftctl";
static const char *cur_cmd;

void rr_msg_begin(const char *what)
{
	fflush(stdout);
	if (what)
		fprintf(stderr, "%s: %s: ", rr_prog, what);
	else if (cur_cmd)
		fprintf(stderr, "%s %s: ", rr_prog, cur_cmd);
	else
		fprintf(stderr, "%s: ", rr_prog);
}

void rr_msg_end(void)
{
	fputc('\n', stderr);
}

/*
 * The whole string s as a number in [min, max]: decimal, or hex with 0x; no
 * sign, no white space.  kmod/rraft_parse.c's rraft_parse_u64(), so the tool
 * reads a number as the kernel does.  0 or -1.
 */
int rr_arg_u64(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *out)
{
	struct rr_perr err;
	u64 v;

	if (!s || strchr(s, '\n') ||
	    rraft_parse_u64(s, strlen(s), min, max, &v, &err))
		return -1;
	*out = v;
	return 0;
}

/* "64M", "1G", "4096", "512K" -> bytes. */
int rr_parse_size(const char *s, unsigned long long *out)
{
	char num[32];
	size_t n = strlen(s);
	unsigned int shift = 0;
	unsigned long long v;

	if (!n || n >= sizeof(num))
		return -1;
	strcpy(num, s);
	switch (num[n - 1]) {
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	}
	if (shift)
		num[n - 1] = '\0';
	if (rr_arg_u64(num, 0, ULLONG_MAX, &v) || !strncmp(num, "0x", 2))
		return -1;
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

/* "10.0.0.1" or "10.0.0.1:7789" -> "10.0.0.1:7789". */
int rr_norm_addr(const char *s, unsigned int def_port, char *out, size_t len)
{
	char ip[64];
	const char *colon = strchr(s, ':');
	struct in_addr a;
	unsigned long long port = def_port;
	size_t n = colon ? (size_t)(colon - s) : strlen(s);

	if (!n || n >= sizeof(ip))
		return -1;
	memcpy(ip, s, n);
	ip[n] = '\0';
	if (inet_pton(AF_INET, ip, &a) != 1)
		return -1;
	if (colon && (rr_arg_u64(colon + 1, 1, 65535, &port) ||
		      !strncmp(colon + 1, "0x", 2)))
		return -1;
	if ((size_t)snprintf(out, len, "%s:%u", ip, (unsigned int)port) >= len)
		return -1;
	return 0;
}

void rr_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

unsigned long long rr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------- options */

enum {
	O_HELP = 'h', O_NODE = 'n', O_CONFIG = 'c', O_JSON = 'j',
	O_ALL = 'a', O_VERBOSE = 'v',
	O_FORCE = 256, O_BACKING, O_CLUSTER, O_MEMBERS, O_LOG, O_MINOR,
	O_LISTEN, O_PEERS, O_SECRET, O_COUNT, O_TIMESTAMPS,
	O_VOTER, O_TIMEOUT, O_NOWAIT, O_MAXLAG, O_LOCAL, O_COMPARE,
	O_OFFSET, O_SIZE, O_RANGE, O_NOCKPT, O_LEARNER, O_PROMETHEUS,
	O_INSECURE, O_NODES,
};

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, O_HELP },
	{ "node", required_argument, NULL, O_NODE },
	{ "config", required_argument, NULL, O_CONFIG },
	{ "json", no_argument, NULL, O_JSON },
	{ "all", no_argument, NULL, O_ALL },
	{ "verbose", no_argument, NULL, O_VERBOSE },
	{ "force", no_argument, NULL, O_FORCE },
	{ "backing", required_argument, NULL, O_BACKING },
	{ "cluster", required_argument, NULL, O_CLUSTER },
	{ "members", required_argument, NULL, O_MEMBERS },
	{ "log", required_argument, NULL, O_LOG },
	{ "minor", required_argument, NULL, O_MINOR },
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "peers", required_argument, NULL, O_PEERS },
	{ "secret", required_argument, NULL, O_SECRET },
	{ "count", required_argument, NULL, O_COUNT },
	{ "timestamps", no_argument, NULL, O_TIMESTAMPS },
	{ "voter", no_argument, NULL, O_VOTER },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "no-wait", no_argument, NULL, O_NOWAIT },
	{ "max-lag", required_argument, NULL, O_MAXLAG },
	{ "local", no_argument, NULL, O_LOCAL },
	{ "compare", no_argument, NULL, O_COMPARE },
	{ "offset", required_argument, NULL, O_OFFSET },
	{ "size", required_argument, NULL, O_SIZE },
	{ "range-size", required_argument, NULL, O_RANGE },
	{ "no-checkpoint", no_argument, NULL, O_NOCKPT },
	{ "learner", no_argument, NULL, O_LEARNER },
	{ "prometheus", no_argument, NULL, O_PROMETHEUS },
	{ "insecure", no_argument, NULL, O_INSECURE },
	{ "nodes", required_argument, NULL, O_NODES },
	{ NULL, 0, NULL, 0 },
};

struct opts {
	unsigned int node;
	const char *config;
	bool json, all, verbose, force, timestamps, voter, no_wait, learner;
	bool prometheus, insecure;
	const char *backing, *members, *log, *listen, *peers, *secret, *nodes;
	unsigned long long cluster;
	int minor;
	long count, timeout;
	unsigned long long max_lag;
	struct rr_verify_opts v;
};

struct cmd {
	const char *name;
	const char *summary;	/* for "rraftctl --help" */
	/* a command either runs by itself ... */
	int (*run)(const struct cmd *c, int argc, char **argv, struct opts *o);
	/* ... or plans its sysfs writes and waits for rr_plan_run() */
	int (*plan)(const struct cmd *c, int argc, char **argv,
		    const struct opts *o, struct rr_plan *p);
	const struct change *change;	/* plan_change(): what it changes */
	const char *allowed;	/* long option names, space separated */
	const char *usage;
};

static int plan_format(const struct cmd *c, int argc, char **argv,
		       const struct opts *o, struct rr_plan *p);
static int plan_up(const struct cmd *c, int argc, char **argv,
		   const struct opts *o, struct rr_plan *p);
static int plan_down(const struct cmd *c, int argc, char **argv,
		     const struct opts *o, struct rr_plan *p);
static int plan_change(const struct cmd *c, int argc, char **argv,
		       const struct opts *o, struct rr_plan *p);
static int run_status(const struct cmd *c, int argc, char **argv,
		      struct opts *o);
static int run_watch(const struct cmd *c, int argc, char **argv,
		     struct opts *o);
static int run_events(const struct cmd *c, int argc, char **argv,
		      struct opts *o);
static int plan_add(const struct cmd *c, int argc, char **argv,
		    const struct opts *o, struct rr_plan *p);
static int plan_replace(const struct cmd *c, int argc, char **argv,
			const struct opts *o, struct rr_plan *p);
static int run_verify(const struct cmd *c, int argc, char **argv,
		      struct opts *o);
static int run_new_config(const struct cmd *c, int argc, char **argv,
			  struct opts *o);

/*
 * promote, transfer and remove: NAME and the id of the node concerned (none
 * for promote, which writes 1), one write, one wait, one line.
 */
struct change {
	int nids;		/* 0 or 1 */
	const char *attr;	/* the device's attribute written */
	enum rr_wait_what what;	/* then waited for */
	long timeout;		/* s, the default of --timeout */
	const char *done;	/* "<label>: this node|node ID <done>" */
};

static const struct change promote = {
	0, "promote", RR_W_IS_LEADER, 30, "is the leader",
};

static const struct change transfer = {
	1, "transfer", RR_W_LEADER_IS, 30, "is the leader",
};

static const struct change remove_node = {
	1, "remove", RR_W_GONE, 60, "removed",
};

static const struct cmd cmds[] = {
	{ "format", "write rraft metadata to a backing device",
	  NULL, plan_format,
	  NULL,
	  "node config force learner backing cluster members log",
	  "Usage: rraftctl format NAME [--node N] [--config FILE] [--force]\n"
	  "                       [--learner]\n"
	  "       rraftctl format --backing DEV --node N --cluster ID\n"
	  "                       [--members 1,2,3] [--log SIZE] [--force]\n"
	  "Write rraft metadata and an empty log to the backing device\n"
	  "(like drbdadm create-md).  With NAME, everything comes from\n"
	  "the resource's config file; members are its non-learner nodes.\n"
	  "  -n, --node N       this host's node id (default: this-node,\n"
	  "                     host or a local address in the config)\n"
	  "  -c, --config FILE  config file (default $RRAFT_CONF_DIR/NAME.conf)\n"
	  "      --force        overwrite an existing rraft superblock\n"
	  "      --learner      no initial members: the node joins an existing\n"
	  "                     cluster with 'rraftctl add' (as with learner = yes)\n" },
	{ "up", "create /dev/rraftN and connect to the peers",
	  NULL, plan_up,
	  NULL,
	  "node config minor backing listen peers secret insecure",
	  "Usage: rraftctl up NAME [--node N] [--config FILE]\n"
	  "       rraftctl up --minor N --backing DEV [--listen IP:PORT]\n"
	  "                   [--peers ID@IP:PORT,...] [--secret S|--insecure]\n"
	  "Create /dev/rraftN on a formatted backing device and connect to\n"
	  "the peers; then apply io-timeout and sync-rate from the config.\n"
	  "With a network (listen or peers), a shared secret is required\n"
	  "unless --insecure (or insecure = yes in the config) says otherwise.\n" },
	{ "down", "tear /dev/rraftN down",
	  NULL, plan_down,
	  NULL,
	  "config minor",
	  "Usage: rraftctl down NAME|rraftN\n"
	  "       rraftctl down --minor N\n"
	  "Tear down /dev/rraftN (fails with EBUSY while it is open).\n" },
	{ "status", "show state (--json for scripts)",
	  run_status, NULL,
	  NULL,
	  "all json verbose prometheus",
	  "Usage: rraftctl status [NAME|rraftN|--all] [--json] [--verbose]\n"
	  "       rraftctl status [NAME|rraftN|--all] --prometheus\n"
	  "Show role, term, leader, commit/applied index, disk state and each\n"
	  "peer's connection and lag (leader's last index - match index).\n"
	  "  -j, --json      machine-readable JSON array, one object per device\n"
	  "  -v, --verbose   also members, log, checkpoint and peer counters\n"
	  "      --prometheus  the metrics in the Prometheus text format\n" },
	{ "watch", "print state changes as they happen",
	  run_watch, NULL,
	  NULL,
	  "count timestamps",
	  "Usage: rraftctl watch [NAME|rraftN] [--count N] [--timestamps]\n"
	  "Print the current state as 'exists' lines, then 'exists -', then one\n"
	  "line per change of role, term, leader, disk, conf phase, members or\n"
	  "peer connection (like drbdsetup events2), driven by the kernel's\n"
	  "uevents.  Stops on SIGINT/SIGTERM or after --count change events.\n" },
	{ "events", "print every state change, one full line each",
	  run_events, NULL,
	  NULL,
	  "count json timestamps",
	  "Usage: rraftctl events [NAME|rraftN] [--json] [--count N]\n"
	  "                       [--timestamps]\n"
	  "Like watch, but each line carries the device's whole state:\n"
	  "'exists' lines, 'exists -', then 'create', 'change' (with what:\n"
	  "the kernel's RRAFT_EVENT) and 'destroy' lines, driven by uevents.\n"
	  "  -j, --json      one JSON object per line\n" },
	{ "promote", "make this node the leader",
	  NULL, plan_change,
	  &promote,
	  "no-wait timeout",
	  "Usage: rraftctl promote NAME [--no-wait] [--timeout SECS]\n"
	  "Make this node the leader (leadership transfer to it) and wait until\n"
	  "it is (default timeout 30 s).\n" },
	{ "transfer", "hand leadership to another node",
	  NULL, plan_change,
	  &transfer,
	  "no-wait timeout",
	  "Usage: rraftctl transfer NAME ID [--no-wait] [--timeout SECS]\n"
	  "Hand leadership to node ID (run on the leader) and wait until ID\n"
	  "is the leader (default timeout 30 s).\n" },
	{ "add", "add a node (learner, optionally promoted to voter)",
	  NULL, plan_add,
	  NULL,
	  "config voter no-wait timeout max-lag",
	  "Usage: rraftctl add NAME ID [IP[:PORT]] [--voter] [--max-lag N]\n"
	  "                    [--timeout SECS] [--no-wait]\n"
	  "Add node ID as a learner (run on the leader; the address defaults to\n"
	  "the node's address in the config).  With --voter, follow its catch-up\n"
	  "and promote it to voter once its lag is at most --max-lag entries\n"
	  "(default 64).  Default timeout: none.\n" },
	{ "remove", "remove a node",
	  NULL, plan_change,
	  &remove_node,
	  "no-wait timeout",
	  "Usage: rraftctl remove NAME ID [--no-wait] [--timeout SECS]\n"
	  "Remove node ID from the cluster (joint consensus; run on the leader)\n"
	  "and wait until the change is complete (default timeout 60 s).\n" },
	{ "replace", "replace a voter by a new node in one change",
	  NULL, plan_replace,
	  NULL,
	  "config no-wait timeout",
	  "Usage: rraftctl replace NAME OLD NEW [IP[:PORT]] [--timeout SECS]\n"
	  "                        [--no-wait]\n"
	  "On the leader: add node NEW (address from the config by default) as a\n"
	  "learner; the kernel swaps it for voter OLD in one change once it has\n"
	  "caught up.  Waits until NEW is a voter and OLD is gone (default\n"
	  "timeout: none).\n" },
	{ "new-config", "write a new resource config with a random secret",
	  run_new_config, NULL,
	  NULL,
	  "config minor cluster backing nodes secret insecure",
	  "Usage: rraftctl new-config NAME --cluster ID --backing DEV\n"
	  "                           --nodes ID@IP[:PORT],... [--minor N]\n"
	  "                           [--secret S|--insecure] [--config FILE]\n"
	  "Write $RRAFT_CONF_DIR/NAME.conf (or FILE), mode 0600, never over an\n"
	  "existing file.  Without --secret a random 48-character secret is\n"
	  "generated; copy the file to every node.  --insecure writes\n"
	  "insecure = yes instead (peers are not authenticated).\n" },
	{ "verify", "compare the data areas of all members",
	  run_verify, NULL,
	  NULL,
	  "local compare offset size range-size no-checkpoint backing",
	  "Usage: rraftctl verify [--local] NAME [--offset BYTES] [--size BYTES]\n"
	  "                       [--range-size BYTES] [--no-checkpoint]\n"
	  "       rraftctl verify --local --backing DEV --offset BYTES ...\n"
	  "       rraftctl verify --compare FILE FILE...\n"
	  "--local (the default) checkpoints the device, then prints a crc32c of\n"
	  "every range (default 1M) of the local data area.  --compare takes\n"
	  "such outputs from every member and lists the ranges that differ;\n"
	  "it exits 1 if any does.\n"
	  "The data area starts at the device's data_offset (sysfs) or --offset.\n" },
};

static void main_usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: rraftctl COMMAND [ARGS]   (rraftctl COMMAND --help for details)\n"
		"       rraftctl --version\n"
		"Commands:\n");
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %-9s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f,
		"Config files: $RRAFT_CONF_DIR (default /etc/rraft)/NAME.conf\n"
		"Exit codes: 0 ok, 1 failure, 2 usage, 3 config error,\n"
		"            4 kernel refused, 5 not found\n");
}

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static bool allowed(const struct cmd *c, const char *opt)
{
	size_t n = strlen(opt);
	const char *p = c->allowed;

	if (!strcmp(opt, "help"))
		return true;
	while ((p = strstr(p, opt))) {
		if ((p == c->allowed || p[-1] == ' ') &&
		    (p[n] == ' ' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

static const struct cmd *usage_cmd;

static void usage_begin(const struct cmd *c)
{
	usage_cmd = c;
	fprintf(stderr, "%s %s: ", rr_prog, c->name);
}

static int usage_end(void)
{
	fprintf(stderr, "\nTry 'rraftctl %s --help'.\n", usage_cmd->name);
	return RR_EUSAGE;
}

/* "rraftctl CMD: message" and a hint; evaluates to RR_EUSAGE */
#define usage_err(c, ...) (usage_begin(c), fprintf(stderr, __VA_ARGS__), usage_end())

static int parse_uint_opt(const struct cmd *c, const char *name,
			  const char *arg, unsigned long long min, unsigned long long max,
			  unsigned long long *out)
{
	if (rr_arg_u64(arg, min, max, out))
		return usage_err(c, "--%s needs a number %llu..%llu, not '%s'",
				 name, (unsigned long long)min,
				 (unsigned long long)max, arg);
	return 0;
}

/* --------------------------------------------------------- config use */

static int load_conf(const struct cmd *c, int argc, char **argv,
		     const struct opts *o, struct rr_conf *conf)
{
	if (argc < 1 && !o->config)
		return usage_err(c, "missing resource NAME");
	if (argc >= 1 && (strchr(argv[0], '/') || !argv[0][0]))
		return usage_err(c, "bad resource name '%s'", argv[0]);
	return rr_conf_load(argc >= 1 ? argv[0] : NULL, o->config, conf,
			    false);
}

/* NAME's config and this host's node in it */
static int load_conf_node(const struct cmd *c, int argc, char **argv,
			  const struct opts *o, struct rr_conf *conf,
			  const struct rr_node **me)
{
	int rc;

	if (argc > 1)
		return usage_err(c, "too many arguments");
	rc = load_conf(c, argc, argv, o, conf);
	if (rc)
		return rc;
	return rr_conf_local_node(conf, o->node, me);
}

static void join_members(const struct rr_conf *conf, char *buf, size_t len)
{
	unsigned int ids[RR_MAX_NODES], t;
	int n = 0, i, j;
	size_t off = 0;

	for (i = 0; i < conf->nnodes; i++)
		if (!conf->nodes[i].learner)
			ids[n++] = conf->nodes[i].id;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			t = ids[j];
			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%u",
					i ? "," : "", ids[i]);
}

static bool valid_members(const char *s)
{
	char buf[1024], *save = NULL, *tok;
	unsigned long long v;

	if (strlen(s) >= sizeof(buf) || !*s || s[strlen(s) - 1] == ',' ||
	    s[0] == ',' || strstr(s, ",,"))
		return false;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (rr_arg_u64(tok, 1, 65535, &v) || !strncmp(tok, "0x", 2))
			return false;
	return true;
}

static bool valid_backing(const char *s)
{
	return s[0] == '/' && !strpbrk(s, " \t\n");
}

/* ----------------------------------------------------- format, up, down */

struct format_args {
	const char *backing, *log;
	unsigned int node;
	unsigned long long cluster;
	char members[1024];
};

static int format_direct(const struct cmd *c, int argc, const struct opts *o,
			 struct format_args *f)
{
	unsigned long long sz;

	if (argc || o->config || o->learner)
		return usage_err(c, "give either NAME or --backing/--cluster, not both");
	if (!o->backing || !o->node || !o->cluster)
		return usage_err(c, "needs --backing, --node and --cluster");
	if (!valid_backing(o->backing))
		return usage_err(c, "--backing needs an absolute path without spaces");
	if (o->members && !valid_members(o->members))
		return usage_err(c, "--members needs ids like 1,2,3, not '%s'",
				 o->members);
	if (o->log && (rr_parse_size(o->log, &sz) || sz < (1 << 20) ||
		       sz % 4096))
		return usage_err(c, "--log needs a multiple of 4K, at least 1M, not '%s'",
				 o->log);
	f->backing = o->backing;
	f->node = o->node;
	f->cluster = o->cluster;
	snprintf(f->members, sizeof(f->members), "%s",
		 o->members ? o->members : "");
	f->log = o->log ? o->log : "";
	return RR_OK;
}

static int plan_format(const struct cmd *c, int argc, char **argv,
		       const struct opts *o, struct rr_plan *p)
{
	static struct rr_conf conf;
	struct format_args f = { .members = "" };
	const struct rr_node *me;
	int rc;

	if (o->backing || o->cluster || o->members || o->log) {
		rc = format_direct(c, argc, o, &f);
		if (rc)
			return rc;
	} else {
		rc = load_conf_node(c, argc, argv, o, &conf, &me);
		if (rc)
			return rc;
		f.backing = rr_node_backing(&conf, me);
		f.node = me->id;
		f.cluster = conf.cluster;
		if (!me->learner && !o->learner)
			join_members(&conf, f.members, sizeof(f.members));
		f.log = conf.log;
	}
	rr_plan_add(p, RR_STEP_CTL_WRITE, "format",
		    "backing=%s node=%u cluster=0x%llx%s%s%s%s%s", f.backing,
		    f.node, f.cluster, f.members[0] ? " members=" : "",
		    f.members, f.log[0] ? " log=" : "", f.log,
		    o->force ? " force=1" : "");
	rr_plan_add(p, RR_STEP_PRINT, NULL, "formatted %s: node %u, cluster 0x%llx, %s%s",
		    f.backing, f.node, f.cluster,
		    f.members[0] ? "members " : "joins later as a learner",
		    f.members);
	return RR_OK;
}

/* "2@10.0.0.2,3@10.0.0.3:7000" -> "2@10.0.0.2:7789,3@10.0.0.3:7000" */
static int parse_peers(const char *in, char *out, size_t len)
{
	char buf[3072], *save = NULL, *tok;
	unsigned long long id;
	size_t off = 0;

	if (strlen(in) >= sizeof(buf))
		return -1;
	strcpy(buf, in);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *at = strchr(tok, '@'), a[64];

		if (!at)
			return -1;
		*at = '\0';
		if (rr_arg_u64(tok, 1, 65535, &id) ||
		    rr_norm_addr(at + 1, RR_DEFAULT_PORT, a, sizeof(a)))
			return -1;
		off += (size_t)snprintf(out + off, len - off, "%s%llu@%s",
					off ? "," : "", id, a);
		if (off >= len)
			return -1;
	}
	return off ? 0 : -1;
}

static int check_secret_opts(const struct cmd *c, const struct opts *o)
{
	if (o->secret && (!*o->secret || strlen(o->secret) > 64 ||
			  strpbrk(o->secret, " \t\n")))
		return usage_err(c, "--secret needs 1..64 characters without spaces");
	if (o->secret && o->insecure)
		return usage_err(c, "give either --secret or --insecure, not both");
	return RR_OK;
}

static int run_new_config(const struct cmd *c, int argc, char **argv,
			  struct opts *o)
{
	struct rr_newconf nc = { .minor = o->minor < 0 ? 0 : o->minor };
	char nodes[3072];

	if (argc != 1 || strchr(argv[0], '/') || !argv[0][0])
		return usage_err(c, "needs one resource NAME");
	if (!o->cluster || !o->backing || !o->nodes)
		return usage_err(c, "needs --cluster, --backing and --nodes");
	if (!valid_backing(o->backing))
		return usage_err(c, "--backing needs an absolute path without spaces");
	if (parse_peers(o->nodes, nodes, sizeof(nodes)))
		return usage_err(c, "--nodes needs ID@IP[:PORT],..., not '%s'",
				 o->nodes);
	if (check_secret_opts(c, o))
		return RR_EUSAGE;
	nc.name = argv[0];
	nc.path = o->config;
	nc.cluster = o->cluster;
	nc.backing = o->backing;
	nc.nodes = nodes;
	nc.secret = o->secret;
	nc.insecure = o->insecure;
	return rr_conf_new(&nc);
}

struct up_args {
	int minor;
	bool insecure;
	const char *backing, *secret;
	char listen[64], peers[3072];
	long io_timeout, sync_rate;	/* -1: leave the kernel's */
};

static int up_direct(const struct cmd *c, int argc, const struct opts *o,
		     struct up_args *u)
{
	if (argc || o->config)
		return usage_err(c, "give either NAME or --minor/--backing, not both");
	if (o->minor < 0 || !o->backing)
		return usage_err(c, "the direct form needs --minor and --backing");
	if (!valid_backing(o->backing))
		return usage_err(c, "--backing needs an absolute path without spaces");
	if (o->listen && rr_norm_addr(o->listen, RR_DEFAULT_PORT, u->listen,
				      sizeof(u->listen)))
		return usage_err(c, "--listen needs IP[:PORT], not '%s'",
				 o->listen);
	if (o->peers && parse_peers(o->peers, u->peers, sizeof(u->peers)))
		return usage_err(c, "--peers needs ID@IP[:PORT],..., not '%s'",
				 o->peers);
	if (check_secret_opts(c, o))
		return RR_EUSAGE;
	if ((o->listen || o->peers) && !o->secret && !o->insecure)
		return usage_err(c, "--listen/--peers need --secret S (or --insecure)");
	u->insecure = o->insecure;
	u->minor = o->minor;
	u->backing = o->backing;
	if (o->secret)
		u->secret = o->secret;
	return RR_OK;
}

static int up_conf(const struct cmd *c, int argc, char **argv,
		   const struct opts *o, struct up_args *u)
{
	static struct rr_conf conf;
	const struct rr_node *me;
	size_t off = 0;
	int rc, i;

	rc = load_conf_node(c, argc, argv, o, &conf, &me);
	if (rc)
		return rc;
	u->minor = conf.minor;
	u->backing = rr_node_backing(&conf, me);
	snprintf(u->listen, sizeof(u->listen), "%s", me->addr);
	for (i = 0; i < conf.nnodes; i++) {
		const struct rr_node *n = &conf.nodes[i];

		if (n == me)
			continue;
		off += (size_t)snprintf(u->peers + off, sizeof(u->peers) - off,
					"%s%u@%s", off ? "," : "", n->id,
					n->addr);
	}
	if (!conf.secret[0] && !conf.insecure) {
		rr_err("%s has no secret (set secret = ..., or insecure = yes to run without)",
		       conf.path);
		return RR_ECONFIG;
	}
	u->secret = conf.secret;
	u->insecure = conf.insecure;
	u->io_timeout = conf.io_timeout;
	u->sync_rate = conf.sync_rate;
	return RR_OK;
}

static int plan_up(const struct cmd *c, int argc, char **argv,
		   const struct opts *o, struct rr_plan *p)
{
	static struct up_args u;
	int rc;

	memset(&u, 0, sizeof(u));
	u.secret = "";
	u.io_timeout = -1;
	u.sync_rate = -1;
	if (o->minor >= 0 || o->backing || o->listen || o->peers ||
	    o->secret || o->insecure)
		rc = up_direct(c, argc, o, &u);
	else
		rc = up_conf(c, argc, argv, o, &u);
	if (rc)
		return rc;
	p->minor = u.minor;
	rr_plan_add(p, RR_STEP_CTL_WRITE, "create",
		    "minor=%d backing=%s%s%s%s%s%s%s%s", u.minor, u.backing,
		    u.listen[0] ? " listen=" : "", u.listen,
		    u.peers[0] ? " peers=" : "", u.peers,
		    u.secret[0] ? " secret=" : "", u.secret,
		    u.insecure ? " insecure=1" : "");
	if (u.io_timeout >= 0 || u.sync_rate >= 0)
		rr_plan_appear(p);
	if (u.io_timeout >= 0)
		rr_plan_add(p, RR_STEP_DEV_WRITE, "io_timeout", "%ld",
			    u.io_timeout);
	if (u.sync_rate >= 0)
		rr_plan_add(p, RR_STEP_DEV_WRITE, "sync_rate", "%ld",
			    u.sync_rate);
	rr_plan_add(p, RR_STEP_PRINT, NULL, "rraft%d is up on %s", u.minor,
		    u.backing);
	return RR_OK;
}

static int plan_down(const struct cmd *c, int argc, char **argv,
		     const struct opts *o, struct rr_plan *p)
{
	static struct rr_conf conf;
	int rc;

	if (o->minor >= 0) {
		if (argc || o->config)
			return usage_err(c, "give either NAME or --minor, not both");
		p->minor = o->minor;
	} else if (o->config) {
		if (argc > 1)
			return usage_err(c, "too many arguments");
		rc = rr_conf_load(argc ? argv[0] : NULL, o->config, &conf, false);
		if (rc)
			return rc;
		p->minor = conf.minor;
	} else {
		if (argc != 1)
			return usage_err(c, argc ? "too many arguments" :
					 "missing resource NAME");
		rc = rr_resolve(argv[0], &p->minor, p->label, sizeof(p->label));
		if (rc)
			return rc;
	}
	rc = rr_ctl_present();
	if (rc)
		return rc;
	if (!rr_dev_exists(p->minor)) {
		rr_err("rraft%d does not exist (already down?)", p->minor);
		return RR_ENOTFOUND;
	}
	rr_plan_add(p, RR_STEP_CTL_WRITE, "remove", "%d", p->minor);
	rr_plan_add(p, RR_STEP_PRINT, NULL, "rraft%d is down", p->minor);
	return RR_OK;
}

static int run_status(const struct cmd *c, int argc, char **argv,
		      struct opts *o)
{
	if (o->prometheus) {
		if (o->json || o->verbose)
			return usage_err(c, "--prometheus excludes --json and --verbose");
		return rr_cmd_prometheus(argc, argv, o->all);
	}
	return rr_cmd_status(argc, argv, o->all, o->json, o->verbose);
}

static int run_watch(const struct cmd *c, int argc, char **argv,
		     struct opts *o)
{
	(void)c;
	return rr_cmd_watch(argc, argv, o->count, o->timestamps);
}

static int run_events(const struct cmd *c, int argc, char **argv,
		      struct opts *o)
{
	(void)c;
	return rr_cmd_events(argc, argv, o->count, o->json, o->timestamps);
}

/* ------------------------------------------- leadership and membership */

/* Resolve NAME to an existing device: the plan's minor and label. */
static int need_dev(const char *name, struct rr_plan *p)
{
	int rc = rr_resolve(name, &p->minor, p->label, sizeof(p->label));

	if (rc)
		return rc;
	if (!rr_dev_exists(p->minor)) {
		rr_err("%s: rraft%d does not exist (is the resource up?)",
		       p->label, p->minor);
		return RR_ENOTFOUND;
	}
	return RR_OK;
}

static int parse_id(const struct cmd *c, const char *s, unsigned int *id)
{
	unsigned long long v;

	if (rr_arg_u64(s, 1, 65535, &v))
		return usage_err(c, "node id must be 1..65535, not '%s'", s);
	*id = (unsigned int)v;
	return RR_OK;
}

/*
 * argv: NAME, nids node ids (into ids), then an address if with_addr allows
 * one; need: the usage message when the count is wrong.
 */
static int id_args(const struct cmd *c, int argc, char **argv, int nids,
		   bool with_addr, const char *need, unsigned int *ids)
{
	int i, rc;

	if (argc < 1 + nids || argc > 1 + nids + with_addr)
		return usage_err(c, "%s", need);
	for (i = 0; i < nids; i++) {
		rc = parse_id(c, argv[1 + i], &ids[i]);
		if (rc)
			return rc;
	}
	return RR_OK;
}

/* The default of --timeout, or what it says. */
static void plan_timeout(struct rr_plan *p, const struct opts *o, long def)
{
	p->timeout = o->timeout >= 0 ? o->timeout : def;
}

static int plan_change(const struct cmd *c, int argc, char **argv,
		       const struct opts *o, struct rr_plan *p)
{
	const struct change *ch = c->change;
	char subject[24] = "this node";
	unsigned int id = 0;
	int rc;

	if (!ch->nids && argc != 1)
		return usage_err(c, argc ? "too many arguments" :
				 "missing resource NAME");
	rc = id_args(c, argc, argv, ch->nids, false, "needs NAME and ID", &id);
	if (!rc)
		rc = need_dev(argv[0], p);
	if (rc)
		return rc;
	if (ch->nids)
		snprintf(subject, sizeof(subject), "node %u", id);
	rr_plan_add(p, RR_STEP_DEV_WRITE, ch->attr, "%u", ch->nids ? id : 1);
	if (o->no_wait)
		return RR_OK;
	plan_timeout(p, o, ch->timeout);
	rr_plan_wait(p, ch->what, id);
	rr_plan_add(p, RR_STEP_PRINT, NULL, "%s: %s %s", p->label, subject,
		    ch->done);
	return RR_OK;
}

/* The address of node id: given on the command line, or from the config. */
static int node_addr(const struct cmd *c, const struct opts *o,
		     const char *label, unsigned int id, const char *given,
		     char *addr, size_t len)
{
	static struct rr_conf conf;
	const struct rr_node *n;
	int rc;

	if (given) {
		if (rr_norm_addr(given, RR_DEFAULT_PORT, addr, len))
			return usage_err(c, "address must be IP[:PORT], not '%s'",
					 given);
		return RR_OK;
	}
	rc = rr_conf_load(o->config ? NULL : label, o->config, &conf, false);
	if (rc)
		return rc;
	n = rr_conf_node(&conf, id);
	if (!n) {
		rr_err("%s: node %u is not in %s; give its address", label, id,
		       conf.path);
		return RR_ECONFIG;
	}
	snprintf(addr, len, "%s", n->addr);
	return RR_OK;
}

static int plan_add(const struct cmd *c, int argc, char **argv,
		    const struct opts *o, struct rr_plan *p)
{
	char addr[64];
	unsigned int id;
	int rc;

	rc = id_args(c, argc, argv, 1, true,
		     "needs NAME, ID and optionally IP[:PORT]", &id);
	if (!rc)
		rc = need_dev(argv[0], p);
	if (!rc)
		rc = node_addr(c, o, p->label, id, argc == 3 ? argv[2] : NULL,
			       addr, sizeof(addr));
	if (rc)
		return rc;
	rr_plan_add(p, RR_STEP_DEV_WRITE, "add_learner", "%u@%s", id, addr);
	rr_plan_add(p, RR_STEP_PRINT, NULL, "%s: node %u (%s) added as a learner",
		    p->label, id, addr);
	if (!o->voter)
		return RR_OK;
	plan_timeout(p, o, 0);
	p->max_lag = o->max_lag;
	rr_plan_catch_up(p, id);
	if (!o->no_wait)
		rr_plan_wait(p, RR_W_VOTER, id);
	rr_plan_add(p, RR_STEP_PRINT, NULL, "%s: node %u is a voter", p->label,
		    id);
	return RR_OK;
}

static int plan_replace(const struct cmd *c, int argc, char **argv,
			const struct opts *o, struct rr_plan *p)
{
	unsigned int ids[2];	/* old, new */
	char addr[64];
	int rc;

	rc = id_args(c, argc, argv, 2, true,
		     "needs NAME, OLD, NEW and optionally IP[:PORT]", ids);
	if (rc)
		return rc;
	if (ids[0] == ids[1])
		return usage_err(c, "OLD and NEW are the same node");
	rc = need_dev(argv[0], p);
	if (!rc)
		rc = node_addr(c, o, p->label, ids[1],
			       argc == 4 ? argv[3] : NULL, addr, sizeof(addr));
	if (rc)
		return rc;
	rr_plan_add(p, RR_STEP_DEV_WRITE, "replace", "%u:%u@%s", ids[0], ids[1],
		    addr);
	rr_plan_add(p, RR_STEP_PRINT, NULL, "%s: replacing node %u by node %u (%s)",
		    p->label, ids[0], ids[1], addr);
	if (o->no_wait)
		return RR_OK;
	plan_timeout(p, o, 0);
	rr_plan_wait(p, RR_W_VOTER, ids[1]);
	rr_plan_wait(p, RR_W_GONE, ids[0]);
	rr_plan_add(p, RR_STEP_PRINT, NULL, "%s: node %u replaced by node %u",
		    p->label, ids[0], ids[1]);
	return RR_OK;
}

static int run_verify(const struct cmd *c, int argc, char **argv,
		      struct opts *o)
{
	(void)c;
	return rr_cmd_verify(argc, argv, &o->v);
}

/* ------------------------------------------------------------- options */

/* The flag a no-argument option sets, or NULL. */
static bool *opt_flag(struct opts *o, int opt)
{
	switch (opt) {
	case O_JSON:		return &o->json;
	case O_ALL:		return &o->all;
	case O_VERBOSE:		return &o->verbose;
	case O_FORCE:		return &o->force;
	case O_TIMESTAMPS:	return &o->timestamps;
	case O_VOTER:		return &o->voter;
	case O_NOWAIT:		return &o->no_wait;
	case O_LOCAL:		return &o->v.local;
	case O_COMPARE:		return &o->v.compare;
	case O_NOCKPT:		return &o->v.no_checkpoint;
	case O_LEARNER:		return &o->learner;
	case O_PROMETHEUS:	return &o->prometheus;
	case O_INSECURE:	return &o->insecure;
	}
	return NULL;
}

/* The string an option with a plain string argument sets, or NULL. */
static const char **opt_string(struct opts *o, int opt)
{
	switch (opt) {
	case O_CONFIG:		return &o->config;
	case O_MEMBERS:		return &o->members;
	case O_LOG:		return &o->log;
	case O_LISTEN:		return &o->listen;
	case O_PEERS:		return &o->peers;
	case O_SECRET:		return &o->secret;
	case O_NODES:		return &o->nodes;
	}
	return NULL;
}

/* The numeric options: their range, and where the value goes. */
static int opt_number(const struct cmd *c, struct opts *o, int opt,
		      const char *arg)
{
	unsigned long long v;

	switch (opt) {
	case O_NODE:
		if (parse_uint_opt(c, "node", arg, 1, 65535, &v))
			return RR_EUSAGE;
		o->node = (unsigned int)v;
		return RR_OK;
	case O_MINOR:
		if (parse_uint_opt(c, "minor", arg, 0, 255, &v))
			return RR_EUSAGE;
		o->minor = (int)v;
		return RR_OK;
	case O_COUNT:
		if (parse_uint_opt(c, "count", arg, 1, 1000000000, &v))
			return RR_EUSAGE;
		o->count = (long)v;
		return RR_OK;
	case O_TIMEOUT:
		if (parse_uint_opt(c, "timeout", arg, 0, 86400 * 365, &v))
			return RR_EUSAGE;
		o->timeout = (long)v;
		return RR_OK;
	case O_MAXLAG:
		return parse_uint_opt(c, "max-lag", arg, 0, UINT64_MAX,
				      &o->max_lag) ? RR_EUSAGE : RR_OK;
	}
	return -1;
}

/* The options with arguments of their own kind. */
static int opt_special(const struct cmd *c, struct opts *o, int opt,
		       const char *arg)
{
	switch (opt) {
	case O_BACKING:
		o->backing = arg;
		o->v.backing = arg;
		return RR_OK;
	case O_CLUSTER:
		if (rr_arg_u64(arg, 1, ULLONG_MAX, &o->cluster))
			return usage_err(c, "--cluster needs a non-zero number, not '%s'",
					 arg);
		return RR_OK;
	case O_OFFSET:
		if (rr_parse_size(arg, &o->v.offset))
			return usage_err(c, "--offset needs a byte count, not '%s'",
					 arg);
		o->v.have_offset = true;
		return RR_OK;
	case O_SIZE:
		if (rr_parse_size(arg, &o->v.size))
			return usage_err(c, "--size needs a byte count, not '%s'",
					 arg);
		o->v.have_size = true;
		return RR_OK;
	case O_RANGE:
		if (rr_parse_size(arg, &o->v.range) || !o->v.range ||
		    o->v.range > (256ULL << 20))
			return usage_err(c, "--range-size needs 1..256M bytes, not '%s'",
					 arg);
		return RR_OK;
	}
	return usage_err(c, "bad option");
}

static int set_opt(const struct cmd *c, struct opts *o, int opt,
		   const char *arg)
{
	bool *flag = opt_flag(o, opt);
	const char **str = opt_string(o, opt);
	int rc;

	if (flag) {
		*flag = true;
		return RR_OK;
	}
	if (str) {
		*str = arg;
		return RR_OK;
	}
	rc = opt_number(c, o, opt, arg);
	return rc >= 0 ? rc : opt_special(c, o, opt, arg);
}

/*
 * The options of command c; RR_OK, RR_EUSAGE, or -1 after printing the
 * command's help.
 */
static int parse_opts(const struct cmd *c, int argc, char **argv,
		      struct opts *o)
{
	const struct option *lo;
	int opt, rc;

	memset(o, 0, sizeof(*o));
	o->minor = -1;
	o->timeout = -1;
	o->max_lag = 64;
	o->v.range = 1 << 20;
	while ((opt = getopt_long(argc, argv, "hn:c:jav", long_opts,
				  NULL)) != -1) {
		if (opt == '?')
			return usage_err(c, "bad option");
		for (lo = long_opts; lo->name; lo++)
			if (lo->val == opt)
				break;
		if (!lo->name || !allowed(c, lo->name))
			return usage_err(c, "option --%s does not apply here",
					 lo->name ? lo->name : "?");
		if (opt == O_HELP) {
			fputs(c->usage, stdout);
			return -1;
		}
		rc = set_opt(c, o, opt, optarg);
		if (rc)
			return rc;
	}
	return RR_OK;
}

/* "rraftctl --version", "--help", "help [COMMAND]": 1 if argv was one */
static int global_opts(int argc, char **argv)
{
	const struct cmd *c;

	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("rraftctl %s\n", RRAFTCTL_VERSION);
		return 1;
	}
	if (strcmp(argv[1], "--help") && strcmp(argv[1], "-h") &&
	    strcmp(argv[1], "help"))
		return 0;
	c = argc > 2 && !strcmp(argv[1], "help") ? find_cmd(argv[2]) : NULL;
	if (c)
		fputs(c->usage, stdout);
	else
		main_usage(stdout);
	return 1;
}

int main(int argc, char **argv)
{
	static struct rr_plan plan;
	const struct cmd *c;
	char *nargv[256], prog[64];
	struct opts o;
	int nargc, rc;

	if (argc < 2) {
		main_usage(stderr);
		return RR_EUSAGE;
	}
	if (global_opts(argc, argv))
		return RR_OK;
	c = find_cmd(argv[1]);
	if (!c) {
		fprintf(stderr, "%s: unknown command '%s'\n", rr_prog, argv[1]);
		main_usage(stderr);
		return RR_EUSAGE;
	}
	if (argc - 1 >= (int)(ARRAY_SIZE(nargv)))
		return usage_err(c, "too many arguments");
	snprintf(prog, sizeof(prog), "rraftctl %s", c->name);
	nargv[0] = prog;
	for (nargc = 1; nargc < argc - 1; nargc++)
		nargv[nargc] = argv[nargc + 1];
	nargv[nargc] = NULL;
	cur_cmd = c->name;

	rc = parse_opts(c, nargc, nargv, &o);
	if (rc)
		return rc < 0 ? RR_OK : rc;
	if (c->run)
		return c->run(c, nargc - optind, nargv + optind, &o);
	rc = c->plan(c, nargc - optind, nargv + optind, &o, &plan);
	return rc ? rc : rr_plan_run(&plan);
}
