/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rraftctl.h - shared declarations of the rraft userspace control tool.
 *
 * rraftctl only talks to the kernel through sysfs (see
 * Documentation/ABI/testing/sysfs-class-rraft-control and sysfs-block-rraft).
 * RRAFT_SYSFS replaces /sys and RRAFT_CONF_DIR replaces /etc/rraft so the
 * test suite can run it against a fake tree.
 */
#ifndef RRAFTCTL_H
#define RRAFTCTL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rraft_parse.h"	/* kmod/: rraft_parse_u64(), RR_DEFAULT_PORT */

#define RRAFTCTL_VERSION	"0.1.0"

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define RR_MAX_NODES		64
#define RR_MAX_PEER_DIRS	64	/* peers/ entries read per device */
#define RR_MAX_KV		16
#define RR_PATH_LEN		4096

/* Exit codes, documented in rraftctl(8). */
enum rr_exit {
	RR_OK = 0,		/* success */
	RR_EFAIL = 1,		/* failure, timeout, verify difference */
	RR_EUSAGE = 2,		/* bad command line */
	RR_ECONFIG = 3,		/* bad configuration file */
	RR_EKERNEL = 4,		/* the kernel refused a sysfs write */
	RR_ENOTFOUND = 5,	/* no such config, device or module */
};

struct rr_node {
	unsigned int id;
	char addr[64];		/* normalised "a.b.c.d:port" */
	char backing[256];
	char host[64];
	bool learner;
	int line;
};

struct rr_conf {
	char name[64];
	char path[RR_PATH_LEN];
	int minor;		/* -1: unset */
	unsigned long long cluster;	/* 0: unset */
	char log[32];		/* "" : kernel default */
	char backing[256];
	char secret[72];
	bool insecure;		/* insecure = yes: no secret, on purpose */
	unsigned int port;
	unsigned int this_node;	/* 0: unset */
	long io_timeout;	/* -1: unset */
	long sync_rate;		/* -1: unset */
	int nnodes;
	struct rr_node nodes[RR_MAX_NODES];
};

/* rraftctl.c */
extern const char *rr_prog;
/*
 * One-line messages on stderr, "rraftctl CMD: ..." and "rraftctl: warning:
 * ...": macros around fprintf so the compiler checks every format.
 */
void rr_msg_begin(const char *what);
void rr_msg_end(void);
#define rr_err(...)	(rr_msg_begin(NULL), fprintf(stderr, __VA_ARGS__), rr_msg_end())
#define rr_warn(...)	(rr_msg_begin("warning"), fprintf(stderr, __VA_ARGS__), \
			 rr_msg_end())
int rr_arg_u64(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *out);
int rr_parse_size(const char *s, unsigned long long *out);
int rr_norm_addr(const char *s, unsigned int def_port, char *out, size_t len);
void rr_sleep_ms(unsigned int ms);
unsigned long long rr_now_ms(void);

/*
 * plan.c: what a command asks of the kernel, step by step (rr_plan_run).
 * Steps act on the device minor (or on the control directory) and name it
 * label in messages.
 */
enum rr_step_kind {
	RR_STEP_CTL_WRITE,	/* write text to the control file attr */
	RR_STEP_DEV_WRITE,	/* write text to the device's attribute attr */
	RR_STEP_DEV_APPEAR,	/* wait up to 5 s for the device in sysfs */
	RR_STEP_WAIT,		/* poll until condition what of node id holds */
	RR_STEP_CATCH_UP,	/* follow learner id's catch-up, then promote */
	RR_STEP_PRINT,		/* print text and a newline */
};

enum rr_wait_what {
	RR_W_IS_LEADER,		/* this node is the leader */
	RR_W_LEADER_IS,		/* node id is the leader */
	RR_W_VOTER,		/* node id is a voter, configuration stable */
	RR_W_GONE,		/* node id is no member, configuration stable */
};

#define RR_PLAN_STEPS	8

struct rr_step {
	enum rr_step_kind kind;
	const char *attr;
	char text[4096];
	enum rr_wait_what what;
	unsigned int id;
};

struct rr_plan {
	int minor;
	char label[64];
	long timeout;		/* s, from the first wait to the last; 0: none */
	unsigned long long max_lag;	/* RR_STEP_CATCH_UP: caught up at this lag */
	int n;
	struct rr_step steps[RR_PLAN_STEPS];
};

void rr_plan_add(struct rr_plan *p, enum rr_step_kind kind, const char *attr,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void rr_plan_wait(struct rr_plan *p, enum rr_wait_what what, unsigned int id);
void rr_plan_catch_up(struct rr_plan *p, unsigned int id);
void rr_plan_appear(struct rr_plan *p);
int rr_plan_run(const struct rr_plan *p);

/* conf.c */
const char *rr_conf_dir(void);
int rr_conf_load(const char *name, const char *path, struct rr_conf *c,
		 bool quiet);
const struct rr_node *rr_conf_node(const struct rr_conf *c, unsigned int id);
int rr_conf_local_node(const struct rr_conf *c, unsigned int override,
		       const struct rr_node **out);
const char *rr_node_backing(const struct rr_conf *c, const struct rr_node *n);
bool rr_conf_name_for_minor(int minor, char *name, size_t len);

/* newconf.c: rraftctl new-config */
struct rr_newconf {
	const char *name, *path;	/* path NULL: $RRAFT_CONF_DIR/NAME.conf */
	int minor;
	unsigned long long cluster;
	const char *backing;
	const char *nodes;		/* normalised "ID@IP:PORT,..." */
	const char *secret;		/* NULL: a random one, unless insecure */
	bool insecure;
};

int rr_conf_new(const struct rr_newconf *nc);

/* sysfs.c */
struct rr_kv {
	char key[24];
	char val[96];
};

struct rr_peer {
	unsigned int id;
	int nkv;
	struct rr_kv kv[RR_MAX_KV];
};

#define RR_NATTR 24

struct rr_dev_state {
	int minor;
	char name[64];
	bool present[RR_NATTR];
	char val[RR_NATTR][256];
	int npeers;
	struct rr_peer peers[RR_MAX_PEER_DIRS];
};

/* indexes into rr_state.val, in the order of rr_attr_names[] */
enum rr_attr_idx {
	A_NODE_ID, A_CLUSTER_ID, A_ROLE, A_TERM, A_VOTE, A_LEADER,
	A_COMMIT, A_APPLIED, A_PERSISTED, A_FIRST, A_LAST, A_SNAP_INDEX,
	A_SNAP_TERM, A_LOG_USED, A_LOG_CAP, A_MEMBERS, A_CONF_PHASE,
	A_DISK, A_SYNC, A_BACKING, A_IO_TIMEOUT, A_SYNC_RATE, A_DATA_OFFSET,
	A_SECURITY,
};

extern const char *const rr_attr_names[RR_NATTR];
extern const bool rr_attr_numeric[RR_NATTR];

const char *rr_sysfs_root(void);
extern int rr_write_errno;
int rr_sysfs_write(const char *path, const char *val, const char *what);
int rr_ctl_present(void);
int rr_ctl_write(const char *file, const char *val);
int rr_dev_write(int minor, const char *attr, const char *val, bool quiet);
int rr_dev_read(int minor, const char *attr, char *buf, size_t len);
bool rr_dev_exists(int minor);
int rr_list_minors(int *minors, int max);
int rr_state_read(int minor, struct rr_dev_state *st);
bool rr_state_u64(const struct rr_dev_state *st, int idx, unsigned long long *v);
const char *rr_peer_get(const struct rr_peer *p, const char *key);
const struct rr_peer *rr_state_peer(const struct rr_dev_state *st, unsigned int id);
bool rr_peer_lag(const struct rr_dev_state *st, const struct rr_peer *p,
		 unsigned long long *lag);
int rr_resolve(const char *name, int *minor, char *label, size_t len);
int rr_select_devices(int argc, char **argv, bool all, int *minors, int *n,
		      char *label, size_t len);
const char *rr_errno_name(int e);

/* status.c */
int rr_cmd_status(int argc, char **argv, bool all, bool json, bool verbose);
void rr_json_str(const char *s);
const char *rr_conn_display(const char *conn, char *buf, size_t len);

/* prom.c */
int rr_cmd_prometheus(int argc, char **argv, bool all);

/* events.c */
int rr_cmd_watch(int argc, char **argv, long count, bool timestamps);
int rr_cmd_events(int argc, char **argv, long count, bool json,
		  bool timestamps);

/* verify.c */
struct rr_verify_opts {
	bool local;
	bool compare;
	bool have_offset;
	unsigned long long offset;
	bool have_size;
	unsigned long long size;
	unsigned long long range;
	bool no_checkpoint;
	const char *backing;
};

int rr_cmd_verify(int argc, char **argv, const struct rr_verify_opts *o);

#endif /* RRAFTCTL_H */
