/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rraft_parse.h - strict parsers for rraft's sysfs strings.
 *
 * Environment-neutral (kernel and userspace).  Every parser returns 0 or
 * -EINVAL and on error fills struct rr_perr with a static message and the
 * offending key or token, so the caller prints exactly one dmesg line.
 */
#ifndef RRAFT_PARSE_H
#define RRAFT_PARSE_H

#include "rraft_codec.h"
#include "raft/raft.h"

#define RR_PATH_MAX		256
#define RR_MAX_PEERS		(2 * RAFT_MAX_MEMBERS)
#define RR_SECRET_MAX		64
#define RR_DEFAULT_PORT		7789
#define RR_MAX_MINOR		255
#define RR_MAX_NODE_ID		65535
#define RR_INPUT_MAX		4096

struct rr_perr {
	const char *msg;	/* static, e.g. "unknown key" */
	char tok[40];		/* the key or token concerned, NUL-terminated */
};

struct rr_addr {
	u8 ip[4];		/* a.b.c.d -> {a, b, c, d} */
	u16 port;
};

struct rr_peer_arg {
	u32 id;
	struct rr_addr addr;
};

struct rr_format_args {
	char backing[RR_PATH_MAX];
	u32 node;
	u64 cluster;
	u32 members[RAFT_MAX_MEMBERS];
	u32 n_members;
	u64 log_bytes;		/* RR default 64M when log= is absent */
	bool log_given;		/* log= was given */
	bool force;
};

struct rr_create_args {
	u32 minor;
	char backing[RR_PATH_MAX];
	bool has_listen;
	struct rr_addr listen;
	struct rr_peer_arg peers[RR_MAX_PEERS];
	u32 n_peers;
	u8 secret[RR_SECRET_MAX];
	u32 secret_len;
	bool insecure;		/* insecure=1: a transport without a secret */
};

/* "backing=/dev/vdb node=1 cluster=0x5eed members=1,2,3 log=64M force=1" */
int rraft_parse_format(struct rr_format_args *a, const char *buf, size_t len,
		       struct rr_perr *err);
/*
 * "minor=0 backing=/dev/vdb listen=ip:port peers=2@ip:port,... secret=s"
 * (or insecure=1 instead of secret=; one of them when listen= or peers=)
 */
int rraft_parse_create(struct rr_create_args *a, const char *buf, size_t len,
		       struct rr_perr *err);

/* One decimal (or 0x-hex) u64 in [min, max]; trailing newline allowed. */
int rraft_parse_u64(const char *buf, size_t len, u64 min, u64 max, u64 *out,
		    struct rr_perr *err);
/* "a.b.c.d[:port]" */
int rraft_parse_addr(const char *buf, size_t len, struct rr_addr *out,
		     struct rr_perr *err);
/* "<id>@a.b.c.d[:port]" */
int rraft_parse_peer(const char *buf, size_t len, struct rr_peer_arg *out,
		     struct rr_perr *err);
/* "<old>:<new>@a.b.c.d[:port]" */
int rraft_parse_replace(const char *buf, size_t len, u32 *old_id,
			struct rr_peer_arg *out, struct rr_perr *err);
/* A secret: 1..64 bytes, printable, no spaces; one trailing newline allowed. */
int rraft_parse_secret(const char *buf, size_t len, u8 *out, u32 *out_len,
		       struct rr_perr *err);

#endif /* RRAFT_PARSE_H */
