// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_parse.c - strict parsers for rraft's sysfs strings
 * (environment-neutral, see rraft_parse.h).
 */
#include "rraft_parse.h"

struct span {
	const char *p;
	size_t n;
};

static int fail(struct rr_perr *err, const char *msg, const char *tok,
		size_t n)
{
	size_t i;

	err->msg = msg;
	if (n > sizeof(err->tok) - 1)
		n = sizeof(err->tok) - 1;
	for (i = 0; i < n && tok[i]; i++)
		err->tok[i] = (tok[i] >= 0x20 && tok[i] < 0x7f) ? tok[i] : '?';
	err->tok[i] = 0;
	return -EINVAL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Strip one trailing newline; refuse embedded NULs and empty input. */
static int trim_value(const char *buf, size_t len, struct span *s,
		      struct rr_perr *err)
{
	size_t i;

	if (len > RR_INPUT_MAX)
		return fail(err, "input too long", "", 0);
	for (i = 0; i < len; i++)
		if (!buf[i])
			return fail(err, "embedded NUL byte", "", 0);
	if (len && buf[len - 1] == '\n')
		len--;
	if (!len)
		return fail(err, "empty value", "", 0);
	s->p = buf;
	s->n = len;
	return 0;
}

static int num(struct span s, u64 min, u64 max, u64 *out, const char *key,
	       struct rr_perr *err)
{
	u64 v = 0, base = 10, d;
	size_t i = 0;

	if (s.n >= 2 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == s.n)
		return fail(err, "bad number for", key, 64);
	for (; i < s.n; i++) {
		char c = s.p[i];

		if (c >= '0' && c <= '9')
			d = (u64)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (u64)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (u64)(c - 'A' + 10);
		else
			return fail(err, "bad number for", key, 64);
		if (v > (~0ull - d) / base)
			return fail(err, "number overflows for", key, 64);
		v = v * base + d;
	}
	if (v < min || v > max)
		return fail(err, "value out of range for", key, 64);
	*out = v;
	return 0;
}

static size_t key_len(const char *key)
{
	size_t n = 0;

	while (key[n])
		n++;
	return n;
}

static int num32(struct span s, u32 min, u32 max, u32 *out, const char *key,
		 struct rr_perr *err)
{
	u64 v;
	int ret = num(s, min, max, &v, key, err);

	if (!ret)
		*out = (u32)v;
	return ret;
}

/* 0 or 1 */
static int flag_arg(struct span s, bool *out, const char *key,
		    struct rr_perr *err)
{
	u32 b;

	if (num32(s, 0, 1, &b, key, err))
		return -EINVAL;
	*out = b;
	return 0;
}

/* 64M, 1G, 4096, 512K */
static int size_arg(struct span s, u64 *out, const char *key,
		    struct rr_perr *err)
{
	unsigned int shift = 0;
	u64 v;

	if (s.n) {
		switch (s.p[s.n - 1]) {
		case 'K': case 'k':
			shift = 10;
			break;
		case 'M': case 'm':
			shift = 20;
			break;
		case 'G': case 'g':
			shift = 30;
			break;
		}
	}
	if (shift)
		s.n--;
	if (num(s, 1, ~0ull >> 34, &v, key, err))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

static int addr_arg(struct span s, struct rr_addr *a, const char *key,
		    struct rr_perr *err)
{
	size_t i = 0, start;
	int part;
	u64 v;

	for (part = 0; part < 4; part++) {
		start = i;
		while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9')
			i++;
		if (i == start || i - start > 3)
			return fail(err, "bad IPv4 address for", key, 64);
		if (num((struct span){ s.p + start, i - start }, 0, 255, &v,
			key, err))
			return fail(err, "bad IPv4 address for", key, 64);
		a->ip[part] = (u8)v;
		if (part < 3) {
			if (i >= s.n || s.p[i] != '.')
				return fail(err, "bad IPv4 address for", key, 64);
			i++;
		}
	}
	a->port = RR_DEFAULT_PORT;
	if (i == s.n)
		return 0;
	if (s.p[i] != ':')
		return fail(err, "bad IPv4 address for", key, 64);
	i++;
	if (num((struct span){ s.p + i, s.n - i }, 1, 65535, &v, key, err))
		return fail(err, "bad port for", key, 64);
	a->port = (u16)v;
	return 0;
}

static int peer_arg(struct span s, struct rr_peer_arg *p, const char *key,
		    struct rr_perr *err)
{
	size_t at = 0;

	while (at < s.n && s.p[at] != '@')
		at++;
	if (at == s.n)
		return fail(err, "peer needs <id>@<address> in", key, 64);
	if (num32((struct span){ s.p, at }, 1, RR_MAX_NODE_ID, &p->id, key, err))
		return -EINVAL;
	return addr_arg((struct span){ s.p + at + 1, s.n - at - 1 }, &p->addr,
			key, err);
}

/* Split s at commas; calls fn for every element (no empty ones). */
static int id_list(struct span s, u32 *ids, u32 max, u32 *n, const char *key,
		   struct rr_perr *err)
{
	size_t i = 0, start;
	u32 j;

	*n = 0;
	while (i <= s.n) {
		start = i;
		while (i < s.n && s.p[i] != ',')
			i++;
		if (i == start)
			return fail(err, "empty list element in", key, 64);
		if (*n == max)
			return fail(err, "too many ids in", key, 64);
		if (num32((struct span){ s.p + start, i - start }, 1,
			  RR_MAX_NODE_ID, &ids[*n], key, err))
			return -EINVAL;
		for (j = 0; j < *n; j++)
			if (ids[j] == ids[*n])
				return fail(err, "duplicate id in", key, 64);
		(*n)++;
		i++;
	}
	return 0;
}

static int peer_list(struct span s, struct rr_peer_arg *peers, u32 max,
		     u32 *n, const char *key, struct rr_perr *err)
{
	size_t i = 0, start;
	u32 j;

	*n = 0;
	while (i <= s.n) {
		start = i;
		while (i < s.n && s.p[i] != ',')
			i++;
		if (i == start)
			return fail(err, "empty list element in", key, 64);
		if (*n == max)
			return fail(err, "too many peers in", key, 64);
		if (peer_arg((struct span){ s.p + start, i - start },
			     &peers[*n], key, err))
			return -EINVAL;
		for (j = 0; j < *n; j++)
			if (peers[j].id == peers[*n].id)
				return fail(err, "duplicate peer id in", key, 64);
		(*n)++;
		i++;
	}
	return 0;
}

static int secret_arg(struct span s, u8 *out, u32 *out_len, const char *key,
		      struct rr_perr *err)
{
	size_t i;

	if (!s.n || s.n > RR_SECRET_MAX)
		return fail(err, "secret must be 1..64 bytes:", key, 64);
	for (i = 0; i < s.n; i++)
		if ((u8)s.p[i] <= 0x20 || (u8)s.p[i] >= 0x7f)
			return fail(err, "secret must be printable, no spaces:",
				    key, 64);
	memcpy(out, s.p, s.n);
	*out_len = (u32)s.n;
	return 0;
}

static int path_arg(struct span s, char *out, const char *key,
		    struct rr_perr *err)
{
	if (!s.n || s.n >= RR_PATH_MAX || s.p[0] != '/')
		return fail(err, "need an absolute path for", key, 64);
	memcpy(out, s.p, s.n);
	out[s.n] = 0;
	return 0;
}

/*
 * Generic key=value line.  Splits buf into tokens, finds each key in keys[]
 * and calls set(idx, value).  Unknown, duplicate and missing required keys
 * are errors.
 */
struct kv_key {
	const char *name;
	bool required;
};

typedef int (*kv_set_fn)(void *ctx, unsigned int idx, struct span v,
			 const char *key, struct rr_perr *err);

static int kv_parse(const char *buf, size_t len, const struct kv_key *keys,
		    unsigned int n_keys, kv_set_fn set, void *ctx,
		    struct rr_perr *err)
{
	u32 seen = 0;
	size_t i = 0, start, eq;
	unsigned int k;
	int ret;

	if (len > RR_INPUT_MAX)
		return fail(err, "input too long", "", 0);
	for (i = 0; i < len; i++)
		if (!buf[i])
			return fail(err, "embedded NUL byte", "", 0);
	i = 0;
	for (;;) {
		while (i < len && is_space(buf[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_space(buf[i]))
			i++;
		eq = start;
		while (eq < i && buf[eq] != '=')
			eq++;
		if (eq == i)
			return fail(err, "expected key=value, got", buf + start,
				    i - start);
		for (k = 0; k < n_keys; k++)
			if (key_len(keys[k].name) == eq - start &&
			    !memcmp(keys[k].name, buf + start, eq - start))
				break;
		if (k == n_keys)
			return fail(err, "unknown key", buf + start, eq - start);
		if (seen & (1u << k))
			return fail(err, "duplicate key", buf + start, eq - start);
		seen |= 1u << k;
		if (eq + 1 == i)
			return fail(err, "empty value for", keys[k].name, 64);
		ret = set(ctx, k, (struct span){ buf + eq + 1, i - eq - 1 },
			  keys[k].name, err);
		if (ret)
			return ret;
	}
	for (k = 0; k < n_keys; k++)
		if (keys[k].required && !(seen & (1u << k)))
			return fail(err, "missing required key", keys[k].name, 64);
	return 0;
}

enum { F_BACKING, F_NODE, F_CLUSTER, F_MEMBERS, F_LOG, F_FORCE, F_NKEYS };

static const struct kv_key format_keys[F_NKEYS] = {
	[F_BACKING] = { "backing", true },
	[F_NODE] = { "node", true },
	[F_CLUSTER] = { "cluster", true },
	[F_MEMBERS] = { "members", false },
	[F_LOG] = { "log", false },
	[F_FORCE] = { "force", false },
};

static int format_set(void *ctx, unsigned int idx, struct span v,
		      const char *key, struct rr_perr *err)
{
	struct rr_format_args *a = ctx;

	switch (idx) {
	case F_BACKING:
		return path_arg(v, a->backing, key, err);
	case F_NODE:
		return num32(v, 1, RR_MAX_NODE_ID, &a->node, key, err);
	case F_CLUSTER:
		return num(v, 1, ~0ull, &a->cluster, key, err);
	case F_MEMBERS:
		return id_list(v, a->members, RAFT_MAX_MEMBERS, &a->n_members,
			       key, err);
	case F_LOG:
		a->log_given = true;
		if (size_arg(v, &a->log_bytes, key, err))
			return -EINVAL;
		if (a->log_bytes < (1ull << 20) || a->log_bytes > (16ull << 30))
			return fail(err, "log size must be 1M..16G:", key, 64);
		if (a->log_bytes % 4096)
			return fail(err, "log size must be a multiple of 4K:",
				    key, 64);
		return 0;
	case F_FORCE:
		return flag_arg(v, &a->force, key, err);
	}
	return fail(err, "internal: bad key index", key, 64);
}

int rraft_parse_format(struct rr_format_args *a, const char *buf, size_t len,
		       struct rr_perr *err)
{
	memset(a, 0, sizeof(*a));
	a->log_bytes = 64ull << 20;
	/* A node may be formatted outside the initial voters (a learner). */
	return kv_parse(buf, len, format_keys, F_NKEYS, format_set, a, err);
}

enum {
	C_MINOR, C_BACKING, C_LISTEN, C_PEERS, C_SECRET, C_INSECURE, C_NKEYS
};

static const struct kv_key create_keys[C_NKEYS] = {
	[C_MINOR] = { "minor", true },
	[C_BACKING] = { "backing", true },
	[C_LISTEN] = { "listen", false },
	[C_PEERS] = { "peers", false },
	[C_SECRET] = { "secret", false },
	[C_INSECURE] = { "insecure", false },
};

static int create_set(void *ctx, unsigned int idx, struct span v,
		      const char *key, struct rr_perr *err)
{
	struct rr_create_args *a = ctx;

	switch (idx) {
	case C_MINOR:
		return num32(v, 0, RR_MAX_MINOR, &a->minor, key, err);
	case C_BACKING:
		return path_arg(v, a->backing, key, err);
	case C_LISTEN:
		a->has_listen = true;
		return addr_arg(v, &a->listen, key, err);
	case C_PEERS:
		return peer_list(v, a->peers, RR_MAX_PEERS, &a->n_peers, key,
				 err);
	case C_SECRET:
		return secret_arg(v, a->secret, &a->secret_len, key, err);
	case C_INSECURE:
		return flag_arg(v, &a->insecure, key, err);
	}
	return fail(err, "internal: bad key index", key, 64);
}

/*
 * A device with a transport (listen= or peers=) needs a shared secret,
 * unless the operator says insecure=1; both at once is a mistake.
 */
int rraft_parse_create(struct rr_create_args *a, const char *buf, size_t len,
		       struct rr_perr *err)
{
	int ret;

	memset(a, 0, sizeof(*a));
	ret = kv_parse(buf, len, create_keys, C_NKEYS, create_set, a, err);
	if (ret)
		return ret;
	if (a->insecure && a->secret_len)
		return fail(err, "give either secret= or insecure=1, not both",
			    "", 0);
	if ((a->has_listen || a->n_peers) && !a->secret_len && !a->insecure)
		return fail(err,
			    "listen= or peers= needs secret= (a shared secret), or insecure=1 to run unauthenticated",
			    "", 0);
	return 0;
}

int rraft_parse_u64(const char *buf, size_t len, u64 min, u64 max, u64 *out,
		    struct rr_perr *err)
{
	struct span s;

	if (trim_value(buf, len, &s, err))
		return -EINVAL;
	return num(s, min, max, out, "value", err);
}

int rraft_parse_addr(const char *buf, size_t len, struct rr_addr *out,
		     struct rr_perr *err)
{
	struct span s;

	if (trim_value(buf, len, &s, err))
		return -EINVAL;
	return addr_arg(s, out, "address", err);
}

int rraft_parse_peer(const char *buf, size_t len, struct rr_peer_arg *out,
		     struct rr_perr *err)
{
	struct span s;

	if (trim_value(buf, len, &s, err))
		return -EINVAL;
	return peer_arg(s, out, "peer", err);
}

int rraft_parse_replace(const char *buf, size_t len, u32 *old_id,
			struct rr_peer_arg *out, struct rr_perr *err)
{
	struct span s;
	size_t c = 0;

	if (trim_value(buf, len, &s, err))
		return -EINVAL;
	while (c < s.n && s.p[c] != ':' && s.p[c] != '@')
		c++;
	if (c == s.n || s.p[c] != ':')
		return fail(err, "expected <old>:<new>@<address>", s.p, s.n);
	if (num32((struct span){ s.p, c }, 1, RR_MAX_NODE_ID, old_id, "replace",
		  err))
		return -EINVAL;
	if (peer_arg((struct span){ s.p + c + 1, s.n - c - 1 }, out, "replace",
		     err))
		return -EINVAL;
	if (out->id == *old_id)
		return fail(err, "old and new id are the same in", "replace", 64);
	return 0;
}

int rraft_parse_secret(const char *buf, size_t len, u8 *out, u32 *out_len,
		       struct rr_perr *err)
{
	struct span s;

	if (trim_value(buf, len, &s, err))
		return -EINVAL;
	return secret_arg(s, out, out_len, "secret", err);
}
