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
 * sign, no white space.  kmod/rraft_parse.c's rr_parse_u64(), so the tool
 * reads a number as the kernel does.  0 or -1.
 */
int rr_arg_u64(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *out)
{
	struct rr_perr err;
	u64 v;

	if (!s || strchr(s, '\n') ||
	    rr_parse_u64(s, strlen(s), min, max, &v, &err))
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
	O_LISTEN, O_PEERS, O_SECRET, O_COUNT, O_INTERVAL, O_TIMESTAMPS,
	O_VOTER, O_TIMEOUT, O_NOWAIT, O_MAXLAG, O_LOCAL, O_COMPARE,
	O_OFFSET, O_SIZE, O_RANGE, O_NOCKPT, O_LEARNER,
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
	{ "interval", required_argument, NULL, O_INTERVAL },
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
	{ NULL, 0, NULL, 0 },
};

struct opts {
	unsigned int node;
	const char *config;
	bool json, all, verbose, force, timestamps, voter, no_wait, learner;
	const char *backing, *members, *log, *listen, *peers, *secret;
	unsigned long long cluster;
	int minor;
	long count, interval, timeout;
	unsigned long long max_lag;
	struct rr_verify_opts v;
};

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct opts *o);
	const char *allowed;	/* long option names, space separated */
	const char *usage;
};

static int cmd_format(int argc, char **argv, struct opts *o);
static int cmd_up(int argc, char **argv, struct opts *o);
static int cmd_down(int argc, char **argv, struct opts *o);
static int cmd_status(int argc, char **argv, struct opts *o);
static int cmd_watch(int argc, char **argv, struct opts *o);
static int cmd_promote(int argc, char **argv, struct opts *o);
static int cmd_add(int argc, char **argv, struct opts *o);
static int cmd_remove(int argc, char **argv, struct opts *o);
static int cmd_transfer(int argc, char **argv, struct opts *o);
static int cmd_verify(int argc, char **argv, struct opts *o);
static int cmd_replace(int argc, char **argv, struct opts *o);

static const struct cmd cmds[] = {
	{ "format", cmd_format, "node config force learner backing cluster members log",
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
	{ "up", cmd_up, "node config minor backing listen peers secret",
	  "Usage: rraftctl up NAME [--node N] [--config FILE]\n"
	  "       rraftctl up --minor N --backing DEV [--listen IP:PORT]\n"
	  "                   [--peers ID@IP:PORT,...] [--secret S]\n"
	  "Create /dev/rraftN on a formatted backing device and connect to\n"
	  "the peers; then apply io-timeout and sync-rate from the config.\n" },
	{ "down", cmd_down, "config minor",
	  "Usage: rraftctl down NAME|rraftN\n"
	  "       rraftctl down --minor N\n"
	  "Tear down /dev/rraftN (fails with EBUSY while it is open).\n" },
	{ "status", cmd_status, "all json verbose",
	  "Usage: rraftctl status [NAME|rraftN|--all] [--json] [--verbose]\n"
	  "Show role, term, leader, commit/applied index, disk state and each\n"
	  "peer's connection and lag (leader's last index - match index).\n"
	  "  -j, --json      machine-readable JSON array, one object per device\n"
	  "  -v, --verbose   also members, log, checkpoint and peer counters\n" },
	{ "watch", cmd_watch, "count interval timestamps",
	  "Usage: rraftctl watch [NAME|rraftN] [--count N] [--interval MS]\n"
	  "                      [--timestamps]\n"
	  "Print the current state as 'exists' lines, then 'exists -', then one\n"
	  "line per change of role, term, leader, disk, conf phase, members or\n"
	  "peer connection (like drbdsetup events2).  Stops on SIGINT/SIGTERM\n"
	  "or after --count change events.  Polls every --interval ms (200).\n" },
	{ "promote", cmd_promote, "no-wait timeout",
	  "Usage: rraftctl promote NAME [--no-wait] [--timeout SECS]\n"
	  "Make this node the leader (leadership transfer to it) and wait until\n"
	  "it is (default timeout 30 s).\n" },
	{ "transfer", cmd_transfer, "no-wait timeout",
	  "Usage: rraftctl transfer NAME ID [--no-wait] [--timeout SECS]\n"
	  "Hand leadership to node ID (run on the leader) and wait until ID\n"
	  "is the leader (default timeout 30 s).\n" },
	{ "add", cmd_add, "config voter no-wait timeout max-lag",
	  "Usage: rraftctl add NAME ID [IP[:PORT]] [--voter] [--max-lag N]\n"
	  "                    [--timeout SECS] [--no-wait]\n"
	  "Add node ID as a learner (run on the leader; the address defaults to\n"
	  "the node's address in the config).  With --voter, follow its catch-up\n"
	  "and promote it to voter once its lag is at most --max-lag entries\n"
	  "(default 64).  Default timeout: none.\n" },
	{ "remove", cmd_remove, "no-wait timeout",
	  "Usage: rraftctl remove NAME ID [--no-wait] [--timeout SECS]\n"
	  "Remove node ID from the cluster (joint consensus; run on the leader)\n"
	  "and wait until the change is complete (default timeout 60 s).\n" },
	{ "verify", cmd_verify,
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
	{ "replace", cmd_replace, "config no-wait timeout",
	  "Usage: rraftctl replace NAME OLD NEW [IP[:PORT]] [--timeout SECS]\n"
	  "                        [--no-wait]\n"
	  "On the leader: add node NEW (address from the config by default) as a\n"
	  "learner; the kernel swaps it for voter OLD in one change once it has\n"
	  "caught up.  Waits until NEW is a voter and OLD is gone (default\n"
	  "timeout: none).\n" },
};

static void main_usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: rraftctl COMMAND [ARGS]   (rraftctl COMMAND --help for details)\n"
		"       rraftctl --version\n"
		"Commands:\n"
		"  format    write rraft metadata to a backing device\n"
		"  up        create /dev/rraftN and connect to the peers\n"
		"  down      tear /dev/rraftN down\n"
		"  status    show state (--json for scripts)\n"
		"  watch     print state changes as they happen\n"
		"  promote   make this node the leader\n"
		"  transfer  hand leadership to another node\n"
		"  add       add a node (learner, optionally promoted to voter)\n"
		"  remove    remove a node\n"
		"  replace   replace a voter by a new node in one change\n"
		"  verify    compare the data areas of all members\n"
		"Config files: $RRAFT_CONF_DIR (default /etc/rraft)/NAME.conf\n"
		"Exit codes: 0 ok, 1 failure, 2 usage, 3 config error,\n"
		"            4 kernel refused, 5 not found\n");
	(void)i;
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
		     struct opts *o, struct rr_conf *conf)
{
	if (argc < 1 && !o->config)
		return usage_err(c, "missing resource NAME");
	if (argc >= 1 && (strchr(argv[0], '/') || !argv[0][0]))
		return usage_err(c, "bad resource name '%s'", argv[0]);
	return rr_conf_load(argc >= 1 ? argv[0] : NULL, o->config, conf,
			    false);
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
		if (rr_arg_u64(tok, 1, 65535, &v) ||
		    !strncmp(tok, "0x", 2))
			return false;
	return true;
}

static int cmd_format(int argc, char **argv, struct opts *o)
{
	const struct cmd *c = &cmds[0];
	static struct rr_conf conf;
	const struct rr_node *me;
	char line[2048], members[1024] = "";
	const char *backing, *log = "";
	unsigned long long cluster;
	unsigned int node;
	int rc;

	if (o->backing || o->cluster || o->members || o->log) {
		/* direct form */
		unsigned long long sz;

		if (argc || o->config || o->learner)
			return usage_err(c, "give either NAME or --backing/--cluster, not both");
		if (!o->backing || !o->node || !o->cluster)
			return usage_err(c, "needs --backing, --node and --cluster");
		if (o->backing[0] != '/' || strpbrk(o->backing, " \t\n"))
			return usage_err(c, "--backing needs an absolute path without spaces");
		if (o->members && !valid_members(o->members))
			return usage_err(c, "--members needs ids like 1,2,3, not '%s'",
					 o->members);
		if (o->log && (rr_parse_size(o->log, &sz) || sz < (1 << 20) ||
			       sz % 4096))
			return usage_err(c, "--log needs a multiple of 4K, at least 1M, not '%s'",
					 o->log);
		backing = o->backing;
		node = o->node;
		cluster = o->cluster;
		if (o->members)
			snprintf(members, sizeof(members), "%s", o->members);
		if (o->log)
			log = o->log;
	} else {
		if (argc > 1)
			return usage_err(c, "too many arguments");
		rc = load_conf(c, argc, argv, o, &conf);
		if (rc)
			return rc;
		rc = rr_conf_local_node(&conf, o->node, &me);
		if (rc)
			return rc;
		backing = rr_node_backing(&conf, me);
		node = me->id;
		cluster = conf.cluster;
		if (!me->learner && !o->learner)
			join_members(&conf, members, sizeof(members));
		log = conf.log;
	}
	snprintf(line, sizeof(line), "backing=%s node=%u cluster=0x%llx%s%s%s%s%s",
		 backing, node, (unsigned long long)cluster,
		 members[0] ? " members=" : "", members,
		 log[0] ? " log=" : "", log, o->force ? " force=1" : "");
	rc = rr_ctl_write("format", line);
	if (rc)
		return rc;
	printf("formatted %s: node %u, cluster 0x%llx, %s%s\n", backing, node,
	       (unsigned long long)cluster,
	       members[0] ? "members " : "joins later as a learner",
	       members);
	return RR_OK;
}

static bool wait_dir(int minor, long timeout_ms)
{
	unsigned long long end = rr_now_ms() + (unsigned long long)timeout_ms;

	while (!rr_dev_exists(minor)) {
		if (rr_now_ms() >= end)
			return false;
		rr_sleep_ms(50);
	}
	return true;
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

static int cmd_up(int argc, char **argv, struct opts *o)
{
	const struct cmd *c = &cmds[1];
	static struct rr_conf conf;
	const struct rr_node *me;
	char line[4096], peers[3072] = "", listen[64] = "", num[32];
	const char *backing, *secret = "";
	size_t off = 0;
	int minor, rc, i;

	if (o->minor >= 0 || o->backing || o->listen || o->peers || o->secret) {
		if (argc || o->config)
			return usage_err(c, "give either NAME or --minor/--backing, not both");
		if (o->minor < 0 || !o->backing)
			return usage_err(c, "the direct form needs --minor and --backing");
		if (o->backing[0] != '/' || strpbrk(o->backing, " \t\n"))
			return usage_err(c, "--backing needs an absolute path without spaces");
		if (o->listen && rr_norm_addr(o->listen, RR_DEFAULT_PORT, listen,
					      sizeof(listen)))
			return usage_err(c, "--listen needs IP[:PORT], not '%s'",
					 o->listen);
		if (o->peers && parse_peers(o->peers, peers, sizeof(peers)))
			return usage_err(c, "--peers needs ID@IP[:PORT],..., not '%s'",
					 o->peers);
		if (o->secret && (!*o->secret || strlen(o->secret) > 64 ||
				  strpbrk(o->secret, " \t\n")))
			return usage_err(c, "--secret needs 1..64 characters without spaces");
		minor = o->minor;
		backing = o->backing;
		if (o->secret)
			secret = o->secret;
		conf.io_timeout = -1;
		conf.sync_rate = -1;
	} else {
		if (argc > 1)
			return usage_err(c, "too many arguments");
		rc = load_conf(c, argc, argv, o, &conf);
		if (rc)
			return rc;
		rc = rr_conf_local_node(&conf, o->node, &me);
		if (rc)
			return rc;
		minor = conf.minor;
		backing = rr_node_backing(&conf, me);
		snprintf(listen, sizeof(listen), "%s", me->addr);
		for (i = 0; i < conf.nnodes; i++) {
			const struct rr_node *n = &conf.nodes[i];

			if (n == me)
				continue;
			off += (size_t)snprintf(peers + off, sizeof(peers) - off,
						"%s%u@%s", off ? "," : "", n->id,
						n->addr);
		}
		secret = conf.secret;
	}
	snprintf(line, sizeof(line), "minor=%d backing=%s%s%s%s%s%s%s", minor,
		 backing, listen[0] ? " listen=" : "", listen,
		 peers[0] ? " peers=" : "", peers,
		 secret[0] ? " secret=" : "", secret);
	rc = rr_ctl_write("create", line);
	if (rc)
		return rc;
	if (conf.io_timeout >= 0 || conf.sync_rate >= 0) {
		if (!wait_dir(minor, 5000)) {
			rr_err("rraft%d did not appear in sysfs", minor);
			return RR_EFAIL;
		}
		if (conf.io_timeout >= 0) {
			snprintf(num, sizeof(num), "%ld", conf.io_timeout);
			rc = rr_dev_write(minor, "io_timeout", num, false);
			if (rc)
				return rc;
		}
		if (conf.sync_rate >= 0) {
			snprintf(num, sizeof(num), "%ld", conf.sync_rate);
			rc = rr_dev_write(minor, "sync_rate", num, false);
			if (rc)
				return rc;
		}
	}
	printf("rraft%d is up on %s\n", minor, backing);
	return RR_OK;
}

static int cmd_down(int argc, char **argv, struct opts *o)
{
	const struct cmd *c = &cmds[2];
	static struct rr_conf conf;
	char num[16], label[64];
	int minor, rc;

	if (o->minor >= 0) {
		if (argc || o->config)
			return usage_err(c, "give either NAME or --minor, not both");
		minor = o->minor;
	} else if (o->config) {
		if (argc > 1)
			return usage_err(c, "too many arguments");
		rc = rr_conf_load(argc ? argv[0] : NULL, o->config, &conf, false);
		if (rc)
			return rc;
		minor = conf.minor;
	} else {
		if (argc != 1)
			return usage_err(c, argc ? "too many arguments" :
					 "missing resource NAME");
		rc = rr_resolve(argv[0], &minor, label, sizeof(label));
		if (rc)
			return rc;
	}
	rc = rr_ctl_present();
	if (rc)
		return rc;
	if (!rr_dev_exists(minor)) {
		rr_err("rraft%d does not exist (already down?)", minor);
		return RR_ENOTFOUND;
	}
	snprintf(num, sizeof(num), "%d", minor);
	rc = rr_ctl_write("remove", num);
	if (rc)
		return rc;
	printf("rraft%d is down\n", minor);
	return RR_OK;
}

static int cmd_status(int argc, char **argv, struct opts *o)
{
	return rr_cmd_status(argc, argv, o->all, o->json, o->verbose);
}

static int cmd_watch(int argc, char **argv, struct opts *o)
{
	return rr_cmd_watch(argc, argv, o->count, o->interval, o->timestamps);
}

/* Resolve NAME to an existing device. */
static int need_dev(const struct cmd *c, const char *name, int *minor,
		    char *label, size_t len)
{
	int rc = rr_resolve(name, minor, label, len);

	(void)c;
	if (rc)
		return rc;
	if (!rr_dev_exists(*minor)) {
		rr_err("%s: rraft%d does not exist (is the resource up?)", label,
		       *minor);
		return RR_ENOTFOUND;
	}
	return RR_OK;
}

/* members string "voters=1,2 old= learners=3": is id in list key? */
static bool members_has(const char *m, const char *key, unsigned int id)
{
	char buf[256], *save = NULL, *tok;
	size_t kl = strlen(key);

	snprintf(buf, sizeof(buf), "%s", m);
	for (tok = strtok_r(buf, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *item, *isave = NULL;
		unsigned long long v;

		if (strncmp(tok, key, kl) || tok[kl] != '=')
			continue;
		for (item = strtok_r(tok + kl + 1, ",", &isave); item;
		     item = strtok_r(NULL, ",", &isave))
			if (!rr_arg_u64(item, 0, ULLONG_MAX, &v) && v == id)
				return true;
	}
	return false;
}

enum wait_what { W_IS_LEADER, W_LEADER_IS, W_VOTER, W_GONE };

/* Poll until the condition holds; RR_OK, or RR_EFAIL on timeout. */
static int wait_for(int minor, const char *label, enum wait_what what,
		    unsigned int id, long timeout_s)
{
	unsigned long long end = rr_now_ms() + (unsigned long long)timeout_s * 1000;
	char role[64], leader[64], members[256], phase[64];

	for (;;) {
		bool ok = false;

		if (!rr_dev_exists(minor)) {
			rr_err("%s: rraft%d went away", label, minor);
			return RR_ENOTFOUND;
		}
		role[0] = '\0';
		leader[0] = '\0';
		members[0] = '\0';
		phase[0] = '\0';
		rr_dev_read(minor, "role", role, sizeof(role));
		rr_dev_read(minor, "leader", leader, sizeof(leader));
		rr_dev_read(minor, "members", members, sizeof(members));
		if (rr_dev_read(minor, "conf_phase", phase, sizeof(phase)))
			strcpy(phase, "stable");
		switch (what) {
		case W_IS_LEADER:
			ok = !strcmp(role, "leader");
			break;
		case W_LEADER_IS: {
			unsigned long long l;

			ok = !rr_arg_u64(leader, 0, ULLONG_MAX, &l) && l == id;
			break;
		}
		case W_VOTER:
			ok = members_has(members, "voters", id) &&
			     !members_has(members, "learners", id) &&
			     !strcmp(phase, "stable");
			break;
		case W_GONE:
			ok = !members_has(members, "voters", id) &&
			     !members_has(members, "learners", id) &&
			     !members_has(members, "old", id) &&
			     !strcmp(phase, "stable");
			break;
		}
		if (ok)
			return RR_OK;
		if (timeout_s > 0 && rr_now_ms() >= end) {
			rr_err("%s: timed out after %ld s (role:%s leader:%s members:%s conf:%s)",
			       label, timeout_s, role[0] ? role : "?",
			       leader[0] ? leader : "?",
			       members[0] ? members : "?", phase);
			return RR_EFAIL;
		}
		rr_sleep_ms(200);
	}
}

static int parse_id(const struct cmd *c, const char *s, unsigned int *id)
{
	unsigned long long v;

	if (rr_arg_u64(s, 1, 65535, &v))
		return usage_err(c, "node id must be 1..65535, not '%s'", s);
	*id = (unsigned int)v;
	return RR_OK;
}

static int cmd_promote(int argc, char **argv, struct opts *o)
{
	const struct cmd *c = &cmds[5];
	char label[64];
	int minor, rc;

	if (argc != 1)
		return usage_err(c, argc ? "too many arguments" :
				 "missing resource NAME");
	rc = need_dev(c, argv[0], &minor, label, sizeof(label));
	if (rc)
		return rc;
	rc = rr_dev_write(minor, "promote", "1", false);
	if (rc || o->no_wait)
		return rc;
	rc = wait_for(minor, label, W_IS_LEADER, 0,
		      o->timeout >= 0 ? o->timeout : 30);
	if (!rc)
		printf("%s: this node is the leader\n", label);
	return rc;
}

static int cmd_transfer(int argc, char **argv, struct opts *o)
{
	const struct cmd *c = &cmds[6];
	char label[64], num[16];
	unsigned int id = 0;
	int minor, rc;

	if (argc != 2)
		return usage_err(c, "needs NAME and ID");
	rc = parse_id(c, argv[1], &id);
	if (rc)
		return rc;
	rc = need_dev(c, argv[0], &minor, label, sizeof(label));
	if (rc)
		return rc;
	snprintf(num, sizeof(num), "%u", id);
	rc = rr_dev_write(minor, "transfer", num, false);
	if (rc || o->no_wait)
		return rc;
	rc = wait_for(minor, label, W_LEADER_IS, id,
		      o->timeout >= 0 ? o->timeout : 30);
	if (!rc)
		printf("%s: node %u is the leader\n", label, id);
	return rc;
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

static int cmd_add(int argc, char **argv, struct opts *o)
{
	const struct cmd *c = &cmds[7];
	static struct rr_dev_state st;
	char label[64], addr[64], line[128], num[16];
	long timeout = o->timeout >= 0 ? o->timeout : 0;
	unsigned long long end, last_print = 0, lag = 0, last_lag = ~0ULL;
	char last_state[16] = "";
	unsigned int id = 0;
	int minor, rc;

	if (argc < 2 || argc > 3)
		return usage_err(c, "needs NAME, ID and optionally IP[:PORT]");
	rc = parse_id(c, argv[1], &id);
	if (rc)
		return rc;
	rc = need_dev(c, argv[0], &minor, label, sizeof(label));
	if (rc)
		return rc;
	rc = node_addr(c, o, label, id, argc == 3 ? argv[2] : NULL, addr,
		       sizeof(addr));
	if (rc)
		return rc;
	snprintf(line, sizeof(line), "%u@%s", id, addr);
	rc = rr_dev_write(minor, "add_learner", line, false);
	if (rc)
		return rc;
	printf("%s: node %u (%s) added as a learner\n", label, id, addr);
	if (!o->voter)
		return RR_OK;

	/* follow the catch-up, then promote */
	end = rr_now_ms() + (unsigned long long)timeout * 1000;
	snprintf(num, sizeof(num), "%u", id);
	for (;;) {
		const struct rr_peer *p;
		const char *state;
		bool caught_up = false;

		if (rr_state_read(minor, &st)) {
			rr_err("%s: rraft%d went away", label, minor);
			return RR_ENOTFOUND;
		}
		p = rr_state_peer(&st, id);
		if (p && rr_peer_lag(&st, p, &lag)) {
			state = rr_peer_get(p, "state");
			caught_up = lag <= o->max_lag &&
				    (!state || !strcmp(state, "replicate"));
			/* a line per change, else one every 5 s */
			if (lag != last_lag || strcmp(last_state, state ? state : "") ||
			    rr_now_ms() - last_print >= 5000 || caught_up) {
				const char *sent = rr_peer_get(p, "sent");

				printf("%s: node %u catching up: lag %llu%s%s%s%s\n",
				       label, id, lag, state ? " state " : "",
				       state ? state : "", sent ? " sent " : "",
				       sent ? sent : "");
				last_print = rr_now_ms();
				last_lag = lag;
				snprintf(last_state, sizeof(last_state), "%s",
					 state ? state : "");
			}
		} else if (st.present[A_ROLE] && strcmp(st.val[A_ROLE], "leader")) {
			rr_err("%s: this node is no longer the leader (role %s)",
			       label, st.val[A_ROLE]);
			return RR_EFAIL;
		}
		if (caught_up) {
			rc = rr_dev_write(minor, "promote_voter", num, true);
			if (!rc)
				break;
			if (rc != RR_EKERNEL ||
			    (rr_write_errno != EBUSY && rr_write_errno != EAGAIN)) {
				if (rc == RR_EKERNEL)
					rr_err("kernel refused promote_voter: %s (%s); see dmesg",
					       strerror(rr_write_errno),
					       rr_errno_name(rr_write_errno));
				return rc;
			}
		}
		if (timeout > 0 && rr_now_ms() >= end) {
			rr_err("%s: node %u did not catch up within %ld s (lag %llu)",
			       label, id, timeout, (unsigned long long)lag);
			return RR_EFAIL;
		}
		rr_sleep_ms(200);
	}
	if (!o->no_wait) {
		long left = timeout;

		if (timeout > 0) {
			unsigned long long now = rr_now_ms();

			left = now >= end ? 1 : (long)((end - now + 999) / 1000);
		}
		rc = wait_for(minor, label, W_VOTER, id, left);
		if (rc)
			return rc;
	}
	printf("%s: node %u is a voter\n", label, id);
	return RR_OK;
}

static int cmd_remove(int argc, char **argv, struct opts *o)
{
	const struct cmd *c = &cmds[8];
	char label[64], num[16];
	unsigned int id = 0;
	int minor, rc;

	if (argc != 2)
		return usage_err(c, "needs NAME and ID");
	rc = parse_id(c, argv[1], &id);
	if (rc)
		return rc;
	rc = need_dev(c, argv[0], &minor, label, sizeof(label));
	if (rc)
		return rc;
	snprintf(num, sizeof(num), "%u", id);
	rc = rr_dev_write(minor, "remove", num, false);
	if (rc || o->no_wait)
		return rc;
	rc = wait_for(minor, label, W_GONE, id,
		      o->timeout >= 0 ? o->timeout : 60);
	if (!rc)
		printf("%s: node %u removed\n", label, id);
	return rc;
}

static int cmd_replace(int argc, char **argv, struct opts *o)
{
	const struct cmd *c = &cmds[10];
	char label[64], addr[64], line[128];
	long timeout = o->timeout >= 0 ? o->timeout : 0;
	unsigned int old_id = 0, new_id = 0;
	int minor, rc;

	if (argc < 3 || argc > 4)
		return usage_err(c, "needs NAME, OLD, NEW and optionally IP[:PORT]");
	rc = parse_id(c, argv[1], &old_id);
	if (!rc)
		rc = parse_id(c, argv[2], &new_id);
	if (rc)
		return rc;
	if (old_id == new_id)
		return usage_err(c, "OLD and NEW are the same node");
	rc = need_dev(c, argv[0], &minor, label, sizeof(label));
	if (rc)
		return rc;
	rc = node_addr(c, o, label, new_id, argc == 4 ? argv[3] : NULL, addr,
		       sizeof(addr));
	if (rc)
		return rc;
	snprintf(line, sizeof(line), "%u:%u@%s", old_id, new_id, addr);
	rc = rr_dev_write(minor, "replace", line, false);
	if (rc)
		return rc;
	printf("%s: replacing node %u by node %u (%s)\n", label, old_id, new_id,
	       addr);
	if (o->no_wait)
		return RR_OK;
	rc = wait_for(minor, label, W_VOTER, new_id, timeout);
	if (!rc)
		rc = wait_for(minor, label, W_GONE, old_id, timeout);
	if (!rc)
		printf("%s: node %u replaced by node %u\n", label, old_id, new_id);
	return rc;
}

static int cmd_verify(int argc, char **argv, struct opts *o)
{
	return rr_cmd_verify(argc, argv, &o->v);
}

int main(int argc, char **argv)
{
	const struct cmd *c = NULL;
	char *nargv[256], prog[64];
	struct opts o;
	unsigned long long v;
	size_t i;
	int opt, nargc;

	if (argc < 2) {
		main_usage(stderr);
		return RR_EUSAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("rraftctl %s\n", RRAFTCTL_VERSION);
		return RR_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			for (i = 0; i < ARRAY_SIZE(cmds); i++)
				if (!strcmp(cmds[i].name, argv[2])) {
					fputs(cmds[i].usage, stdout);
					return RR_OK;
				}
		}
		main_usage(stdout);
		return RR_OK;
	}
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmds[i].name, argv[1]))
			c = &cmds[i];
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

	memset(&o, 0, sizeof(o));
	o.minor = -1;
	o.interval = 200;
	o.timeout = -1;
	o.max_lag = 64;
	o.v.range = 1 << 20;
	while ((opt = getopt_long(nargc, nargv, "hn:c:jav", long_opts,
				  NULL)) != -1) {
		const struct option *lo;

		if (opt == '?')
			return usage_err(c, "bad option");
		for (lo = long_opts; lo->name; lo++)
			if (lo->val == opt)
				break;
		if (!lo->name || !allowed(c, lo->name))
			return usage_err(c, "option --%s does not apply here",
					 lo->name ? lo->name : "?");
		switch (opt) {
		case O_HELP:
			fputs(c->usage, stdout);
			return RR_OK;
		case O_NODE:
			if (parse_uint_opt(c, "node", optarg, 1, 65535, &v))
				return RR_EUSAGE;
			o.node = (unsigned int)v;
			break;
		case O_CONFIG:
			o.config = optarg;
			break;
		case O_JSON:
			o.json = true;
			break;
		case O_ALL:
			o.all = true;
			break;
		case O_VERBOSE:
			o.verbose = true;
			break;
		case O_FORCE:
			o.force = true;
			break;
		case O_BACKING:
			o.backing = optarg;
			o.v.backing = optarg;
			break;
		case O_CLUSTER:
			if (rr_arg_u64(optarg, 1, ULLONG_MAX, &o.cluster))
				return usage_err(c, "--cluster needs a non-zero number, not '%s'",
						 optarg);
			break;
		case O_MEMBERS:
			o.members = optarg;
			break;
		case O_LOG:
			o.log = optarg;
			break;
		case O_MINOR:
			if (parse_uint_opt(c, "minor", optarg, 0, 255, &v))
				return RR_EUSAGE;
			o.minor = (int)v;
			break;
		case O_LISTEN:
			o.listen = optarg;
			break;
		case O_PEERS:
			o.peers = optarg;
			break;
		case O_SECRET:
			o.secret = optarg;
			break;
		case O_COUNT:
			if (parse_uint_opt(c, "count", optarg, 1, 1000000000, &v))
				return RR_EUSAGE;
			o.count = (long)v;
			break;
		case O_INTERVAL:
			if (parse_uint_opt(c, "interval", optarg, 10, 3600000, &v))
				return RR_EUSAGE;
			o.interval = (long)v;
			break;
		case O_TIMESTAMPS:
			o.timestamps = true;
			break;
		case O_VOTER:
			o.voter = true;
			break;
		case O_TIMEOUT:
			if (parse_uint_opt(c, "timeout", optarg, 0, 86400 * 365, &v))
				return RR_EUSAGE;
			o.timeout = (long)v;
			break;
		case O_NOWAIT:
			o.no_wait = true;
			break;
		case O_MAXLAG:
			if (parse_uint_opt(c, "max-lag", optarg, 0, UINT64_MAX, &v))
				return RR_EUSAGE;
			o.max_lag = v;
			break;
		case O_LOCAL:
			o.v.local = true;
			break;
		case O_COMPARE:
			o.v.compare = true;
			break;
		case O_OFFSET:
			if (rr_parse_size(optarg, &o.v.offset))
				return usage_err(c, "--offset needs a byte count, not '%s'",
						 optarg);
			o.v.have_offset = true;
			break;
		case O_SIZE:
			if (rr_parse_size(optarg, &o.v.size))
				return usage_err(c, "--size needs a byte count, not '%s'",
						 optarg);
			o.v.have_size = true;
			break;
		case O_RANGE:
			if (rr_parse_size(optarg, &o.v.range) || !o.v.range ||
			    o.v.range > (256ULL << 20))
				return usage_err(c, "--range-size needs 1..256M bytes, not '%s'",
						 optarg);
			break;
		case O_NOCKPT:
			o.v.no_checkpoint = true;
			break;
		case O_LEARNER:
			o.learner = true;
			break;
		default:
			return usage_err(c, "bad option");
		}
	}
	return c->fn(nargc - optind, nargv + optind, &o);
}
