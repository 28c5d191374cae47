// SPDX-License-Identifier: GPL-2.0
/*
 * conf.c - the rraft resource configuration file, /etc/rraft/<name>.conf.
 *
 *	# comment
 *	minor   = 0
 *	cluster = 0x5eed
 *	backing = /dev/vdb          # default for nodes without their own
 *	log     = 64M
 *	secret  = s3cret            # or: insecure = yes
 *	node 1 { address = 10.77.0.1:7789 }
 *	node 2 {
 *		address = 10.77.0.2
 *		backing = /dev/vdc
 *		host    = beta
 *	}
 *
 * Tokens are separated by white space, '=', '{', '}' and ';'.  A value may
 * be double-quoted.  Every error names the file and line and makes the
 * command exit with RR_ECONFIG.
 */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <ifaddrs.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rraftctl.h"

const char *rr_conf_dir(void)
{
	const char *d = getenv("RRAFT_CONF_DIR");

	return d && *d ? d : "/etc/rraft";
}

enum tok_type { T_EOF, T_WORD, T_EQ, T_LBRACE, T_RBRACE, T_SEMI, T_ERR };

struct lexer {
	const char *p;
	int line;
	int tok_line;
	char word[512];
	const char *file;
	bool quiet;
};

static bool conf_err_begin(const struct lexer *lx, int line)
{
	if (lx->quiet)
		return false;
	fprintf(stderr, "%s: %s:%d: ", rr_prog, lx->file, line);
	return true;
}

/* "rraftctl: FILE:LINE: message", unless loading quietly */
#define conf_err(lx, line, ...)						\
	((void)(conf_err_begin(lx, line) &&				\
		fprintf(stderr, __VA_ARGS__) >= 0 && fputc('\n', stderr)))

static bool is_special(char c)
{
	return c == '=' || c == '{' || c == '}' || c == ';' || c == '#' ||
	       c == '"';
}

static enum tok_type next_tok(struct lexer *lx)
{
	size_t n = 0;

	for (;;) {
		while (*lx->p && isspace((unsigned char)*lx->p)) {
			if (*lx->p == '\n')
				lx->line++;
			lx->p++;
		}
		if (*lx->p != '#')
			break;
		while (*lx->p && *lx->p != '\n')
			lx->p++;
	}
	lx->tok_line = lx->line;
	switch (*lx->p) {
	case '\0':
		return T_EOF;
	case '=':
		lx->p++;
		return T_EQ;
	case '{':
		lx->p++;
		return T_LBRACE;
	case '}':
		lx->p++;
		return T_RBRACE;
	case ';':
		lx->p++;
		return T_SEMI;
	case '"':
		lx->p++;
		while (*lx->p && *lx->p != '"' && *lx->p != '\n') {
			if (n + 1 >= sizeof(lx->word)) {
				conf_err(lx, lx->line, "value too long");
				return T_ERR;
			}
			lx->word[n++] = *lx->p++;
		}
		if (*lx->p != '"') {
			conf_err(lx, lx->line, "unterminated quoted string");
			return T_ERR;
		}
		lx->p++;
		lx->word[n] = '\0';
		return T_WORD;
	}
	while (*lx->p && !isspace((unsigned char)*lx->p) &&
	       !is_special(*lx->p)) {
		if (n + 1 >= sizeof(lx->word)) {
			conf_err(lx, lx->line, "word too long");
			return T_ERR;
		}
		lx->word[n++] = *lx->p++;
	}
	lx->word[n] = '\0';
	return T_WORD;
}

static const char *tok_desc(enum tok_type t)
{
	switch (t) {
	case T_EOF: return "end of file";
	case T_WORD: return "a word";
	case T_EQ: return "'='";
	case T_LBRACE: return "'{'";
	case T_RBRACE: return "'}'";
	case T_SEMI: return "';'";
	default: return "an error";
	}
}

/* Parse "key = value"; the key is already in lx->word.  0 or -1. */
static int read_value(struct lexer *lx, const char *key, char *val, size_t len)
{
	enum tok_type t = next_tok(lx);
	int eq_line = lx->tok_line;

	if (t == T_ERR)
		return -1;
	if (t != T_EQ) {
		conf_err(lx, lx->tok_line, "expected '=' after '%s', found %s",
			 key, tok_desc(t));
		return -1;
	}
	t = next_tok(lx);
	if (t == T_ERR)
		return -1;
	/* the value must be on the line of its '=' */
	if (t != T_WORD || !lx->word[0] || lx->tok_line != eq_line) {
		conf_err(lx, eq_line, "missing value for '%s'", key);
		return -1;
	}
	if (strlen(lx->word) >= len) {
		conf_err(lx, lx->tok_line, "value of '%s' too long", key);
		return -1;
	}
	strcpy(val, lx->word);
	return 0;
}

static bool valid_path(const char *s)
{
	if (s[0] != '/')
		return false;
	for (; *s; s++)
		if (isspace((unsigned char)*s) || !isprint((unsigned char)*s))
			return false;
	return true;
}

static bool valid_secret(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64)
		return false;
	for (; *s; s++)
		if (!isgraph((unsigned char)*s))
			return false;
	return true;
}

static int parse_bool(const char *s, bool *b)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1")) {
		*b = true;
		return 0;
	}
	if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0")) {
		*b = false;
		return 0;
	}
	return -1;
}

/* A yes/no value of key; 0, or -1 with the error reported. */
static int conf_bool(struct lexer *lx, const char *key, const char *val,
		     bool *b)
{
	if (!parse_bool(val, b))
		return 0;
	conf_err(lx, lx->tok_line, "%s must be yes or no, not '%s'", key, val);
	return -1;
}

/* The keys of a node block. */
enum node_key { N_ADDRESS, N_BACKING, N_HOST, N_LEARNER, N_NKEYS };

static const char *const node_keys[N_NKEYS] = {
	[N_ADDRESS] = "address",
	[N_BACKING] = "backing",
	[N_HOST] = "host",
	[N_LEARNER] = "learner",
};

/* The value of key k of node n (the key is lx->word).  0 or -1. */
static int node_value(struct lexer *lx, struct rr_node *n, enum node_key k,
		      char *addr)
{
	char val[512];

	if (read_value(lx, node_keys[k], val, sizeof(val)))
		return -1;
	switch (k) {
	case N_ADDRESS:
		/* the port default is applied once 'port' is known */
		if (strlen(val) > 63) {
			conf_err(lx, lx->tok_line, "bad address '%s'", val);
			return -1;
		}
		strcpy(addr, val);
		n->line = lx->tok_line;
		return 0;
	case N_BACKING:
		if (strlen(val) >= sizeof(n->backing)) {
			conf_err(lx, lx->tok_line, "value of 'backing' too long");
			return -1;
		}
		if (!valid_path(val)) {
			conf_err(lx, lx->tok_line,
				 "backing must be an absolute path without spaces, not '%s'",
				 val);
			return -1;
		}
		strcpy(n->backing, val);
		return 0;
	case N_HOST:
		if (strlen(val) >= sizeof(n->host)) {
			conf_err(lx, lx->tok_line, "value of 'host' too long");
			return -1;
		}
		strcpy(n->host, val);
		return 0;
	case N_LEARNER:
		return conf_bool(lx, "learner", val, &n->learner);
	case N_NKEYS:
		break;
	}
	return -1;
}

/* "node ID {": a new node in c.  0 or -1. */
static int node_open(struct lexer *lx, struct rr_conf *c, struct rr_node **out)
{
	struct rr_node *n;
	unsigned long long id;
	enum tok_type t;
	int line = lx->tok_line, i;

	t = next_tok(lx);
	if (t != T_WORD || rr_arg_u64(lx->word, 1, 65535, &id)) {
		if (t != T_ERR)
			conf_err(lx, lx->tok_line,
				 "'node' needs an id 1..65535, found '%s'",
				 t == T_WORD ? lx->word : tok_desc(t));
		return -1;
	}
	for (i = 0; i < c->nnodes; i++) {
		if (c->nodes[i].id == id) {
			conf_err(lx, line, "node %u defined twice (first on line %d)",
				 (unsigned int)id, c->nodes[i].line);
			return -1;
		}
	}
	if (c->nnodes >= RR_MAX_NODES) {
		conf_err(lx, line, "more than %d nodes", RR_MAX_NODES);
		return -1;
	}
	n = &c->nodes[c->nnodes];
	memset(n, 0, sizeof(*n));
	n->id = (unsigned int)id;
	n->line = line;
	t = next_tok(lx);
	if (t != T_LBRACE) {
		if (t != T_ERR)
			conf_err(lx, lx->tok_line, "expected '{' after 'node %u'",
				 n->id);
		return -1;
	}
	*out = n;
	return 0;
}

/* "node ID { key = value ... }"; addrs[] gets the address as written. */
static int parse_node(struct lexer *lx, struct rr_conf *c, char addrs[][64])
{
	bool seen[N_NKEYS] = { false };
	struct rr_node *n;
	enum tok_type t;
	int k;

	if (node_open(lx, c, &n))
		return -1;
	for (;;) {
		t = next_tok(lx);
		if (t == T_ERR)
			return -1;
		if (t == T_RBRACE)
			break;
		if (t == T_SEMI)
			continue;
		if (t != T_WORD) {
			conf_err(lx, lx->tok_line,
				 "expected a key or '}' in node %u, found %s",
				 n->id, tok_desc(t));
			return -1;
		}
		for (k = 0; k < N_NKEYS && strcmp(lx->word, node_keys[k]); k++)
			;
		if (k == N_NKEYS) {
			conf_err(lx, lx->tok_line, "unknown key '%s' in node %u",
				 lx->word, n->id);
			return -1;
		}
		if (seen[k]) {
			conf_err(lx, lx->tok_line, "duplicate '%s' in node %u",
				 node_keys[k], n->id);
			return -1;
		}
		seen[k] = true;
		if (node_value(lx, n, k, addrs[c->nnodes]))
			return -1;
	}
	if (!seen[N_ADDRESS]) {
		conf_err(lx, n->line, "node %u has no address", n->id);
		return -1;
	}
	c->nnodes++;
	return 0;
}

static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The keys outside node blocks. */
enum conf_key {
	K_MINOR, K_CLUSTER, K_BACKING, K_LOG, K_SECRET, K_PORT, K_THIS_NODE,
	K_IO_TIMEOUT, K_SYNC_RATE, K_INSECURE, K_NKEYS,
};

static const char *const conf_keys[K_NKEYS] = {
	[K_MINOR] = "minor",
	[K_CLUSTER] = "cluster",
	[K_BACKING] = "backing",
	[K_LOG] = "log",
	[K_SECRET] = "secret",
	[K_PORT] = "port",
	[K_THIS_NODE] = "this-node",
	[K_IO_TIMEOUT] = "io-timeout",
	[K_SYNC_RATE] = "sync-rate",
	[K_INSECURE] = "insecure",
};

/* The numeric keys: their range, and what the error message says of it. */
static const struct {
	unsigned long long min, max;
	const char *must;	/* "KEY must be <must>, not 'VALUE'" */
} num_keys[K_NKEYS] = {
	[K_MINOR] = { 0, 255, "0..255" },
	[K_CLUSTER] = { 1, ULLONG_MAX, "a non-zero 64-bit number" },
	[K_PORT] = { 1, 65535, "1..65535" },
	[K_THIS_NODE] = { 1, 65535, "a node id 1..65535" },
	[K_IO_TIMEOUT] = { 1, 3600, "1..3600 seconds" },
	[K_SYNC_RATE] = { 0, 1ULL << 31, "KiB/s (0 = unlimited)" },
};

static int set_num_key(struct lexer *lx, struct rr_conf *c, enum conf_key k,
		       const char *val)
{
	unsigned long long v;

	if (rr_arg_u64(val, num_keys[k].min, num_keys[k].max, &v)) {
		conf_err(lx, lx->tok_line, "%s must be %s, not '%s'",
			 conf_keys[k], num_keys[k].must, val);
		return -1;
	}
	switch (k) {
	case K_MINOR:
		c->minor = (int)v;
		break;
	case K_CLUSTER:
		c->cluster = v;
		break;
	case K_PORT:
		c->port = (unsigned int)v;
		break;
	case K_THIS_NODE:
		c->this_node = (unsigned int)v;
		break;
	case K_IO_TIMEOUT:
		c->io_timeout = (long)v;
		break;
	default:	/* K_SYNC_RATE */
		c->sync_rate = (long)v;
		break;
	}
	return 0;
}

static int set_key(struct lexer *lx, struct rr_conf *c, enum conf_key k,
		   const char *val)
{
	unsigned long long v;

	switch (k) {
	case K_BACKING:
		if (!valid_path(val) || strlen(val) >= sizeof(c->backing)) {
			conf_err(lx, lx->tok_line,
				 "backing must be an absolute path without spaces, not '%s'",
				 val);
			return -1;
		}
		strcpy(c->backing, val);
		return 0;
	case K_LOG:
		if (rr_parse_size(val, &v) || v < (1 << 20) || v % 4096 ||
		    strchr("tT", val[strlen(val) - 1]) ||
		    strlen(val) >= sizeof(c->log)) {
			conf_err(lx, lx->tok_line,
				 "log must be a multiple of 4K, at least 1M (K/M/G suffix), not '%s'",
				 val);
			return -1;
		}
		strcpy(c->log, val);
		return 0;
	case K_SECRET:
		if (!valid_secret(val)) {
			conf_err(lx, lx->tok_line,
				 "secret must be 1..64 printable characters without spaces");
			return -1;
		}
		strcpy(c->secret, val);
		return 0;
	case K_INSECURE:
		return conf_bool(lx, "insecure", val, &c->insecure);
	default:
		return set_num_key(lx, c, k, val);
	}
}

/* What the file says, while it is being read. */
struct conf_parse {
	struct lexer lx;
	char addrs[RR_MAX_NODES][64];	/* node addresses as written */
	int seen_line[K_NKEYS];		/* where each key was set, or 0 */
};

/* "key = value" outside a node block; the key is in lx->word. */
static int parse_key(struct conf_parse *cp, struct rr_conf *c)
{
	struct lexer *lx = &cp->lx;
	char val[512];
	int k;

	for (k = 0; k < K_NKEYS && strcmp(lx->word, conf_keys[k]); k++)
		;
	if (k == K_NKEYS) {
		conf_err(lx, lx->tok_line, "unknown key '%s'", lx->word);
		return -1;
	}
	if (cp->seen_line[k]) {
		conf_err(lx, lx->tok_line, "duplicate '%s' (first on line %d)",
			 conf_keys[k], cp->seen_line[k]);
		return -1;
	}
	cp->seen_line[k] = lx->tok_line;
	if (read_value(lx, conf_keys[k], val, sizeof(val)))
		return -1;
	return set_key(lx, c, k, val);
}

static int parse_file(struct conf_parse *cp, struct rr_conf *c)
{
	struct lexer *lx = &cp->lx;
	enum tok_type t;

	for (;;) {
		t = next_tok(lx);
		if (t == T_EOF)
			return 0;
		if (t == T_ERR)
			return -1;
		if (t == T_SEMI)
			continue;
		if (t != T_WORD) {
			conf_err(lx, lx->tok_line, "expected a key, found %s",
				 tok_desc(t));
			return -1;
		}
		if (!strcmp(lx->word, "node") ? parse_node(lx, c, cp->addrs) :
		    parse_key(cp, c))
			return -1;
	}
}

/* Node addresses (with the port default), backing devices, duplicates. */
static int check_nodes(struct conf_parse *cp, struct rr_conf *c)
{
	struct lexer *lx = &cp->lx;
	int i, j;

	for (i = 0; i < c->nnodes; i++) {
		struct rr_node *n = &c->nodes[i];

		if (rr_norm_addr(cp->addrs[i], c->port, n->addr,
				 sizeof(n->addr))) {
			conf_err(lx, n->line,
				 "node %u: address must be an IPv4 address with an optional :port, not '%s'",
				 n->id, cp->addrs[i]);
			return -1;
		}
		if (!n->backing[0] && !c->backing[0]) {
			conf_err(lx, n->line,
				 "node %u has no backing device (set 'backing' globally or in the node)",
				 n->id);
			return -1;
		}
		for (j = 0; j < i; j++) {
			if (!strcmp(c->nodes[j].addr, n->addr)) {
				conf_err(lx, n->line,
					 "nodes %u and %u have the same address %s",
					 c->nodes[j].id, n->id, n->addr);
				return -1;
			}
		}
	}
	return 0;
}

/* The checks of the whole file, once it is read. */
static int check_conf(struct conf_parse *cp, struct rr_conf *c)
{
	struct lexer *lx = &cp->lx;
	int i;

	if (c->minor < 0) {
		conf_err(lx, lx->line, "missing 'minor'");
		return -1;
	}
	if (!c->cluster) {
		conf_err(lx, lx->line, "missing 'cluster'");
		return -1;
	}
	if (!c->nnodes) {
		conf_err(lx, lx->line, "no 'node' blocks");
		return -1;
	}
	if (check_nodes(cp, c))
		return -1;
	for (i = 0; i < c->nnodes; i++)
		if (!c->nodes[i].learner)
			break;
	if (i == c->nnodes) {
		conf_err(lx, lx->line, "every node is a learner; at least one must be a voter");
		return -1;
	}
	if (c->insecure && c->secret[0]) {
		conf_err(lx, cp->seen_line[K_INSECURE],
			 "insecure = yes and a secret: give one of them");
		return -1;
	}
	if (c->this_node && !rr_conf_node(c, c->this_node)) {
		conf_err(lx, cp->seen_line[K_THIS_NODE],
			 "this-node %u is not defined", c->this_node);
		return -1;
	}
	return 0;
}

/* Defaults, the file's path and the resource's name.  RR_OK or RR_EUSAGE. */
static int conf_init(const char *name, const char *path, struct rr_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->minor = -1;
	c->io_timeout = -1;
	c->sync_rate = -1;
	c->port = RR_DEFAULT_PORT;
	if (path)
		copy_str(c->path, sizeof(c->path), path);
	else if (name)
		snprintf(c->path, sizeof(c->path), "%s/%s.conf",
			 rr_conf_dir(), name);
	else
		return RR_EUSAGE;
	if (name) {
		copy_str(c->name, sizeof(c->name), name);
	} else {
		const char *b = strrchr(c->path, '/');
		char *dot;

		copy_str(c->name, sizeof(c->name), b ? b + 1 : c->path);
		dot = strstr(c->name, ".conf");
		if (dot && !dot[5])
			*dot = '\0';
	}
	return RR_OK;
}

/* The whole file (at most 1 MiB), NUL-terminated, in *out. */
static int read_file(const char *path, bool quiet, char **out, size_t *out_len)
{
	char *buf = NULL, *nb = NULL;
	size_t cap = 0, len = 0, got;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		if (!quiet)
			rr_err("cannot open config %s: %s", path, strerror(errno));
		return errno == ENOENT ? RR_ENOTFOUND : RR_ECONFIG;
	}
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			nb = cap > (1 << 20) ? NULL : realloc(buf, cap);
			if (!nb)
				break;
			buf = nb;
		}
		got = fread(buf + len, 1, 4096, f);
		len += got;
	} while (got == 4096);
	fclose(f);
	if (cap > (1 << 20)) {
		free(buf);
		if (!quiet)
			rr_err("%s: file too large", path);
		return RR_ECONFIG;
	}
	if (!nb) {
		free(buf);
		rr_err("out of memory");
		return RR_EFAIL;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return RR_OK;
}

int rr_conf_load(const char *name, const char *path, struct rr_conf *c,
		 bool quiet)
{
	static struct conf_parse cp;
	struct stat st;
	size_t len;
	char *buf;
	int rc;

	rc = conf_init(name, path, c);
	if (!rc)
		rc = read_file(c->path, quiet, &buf, &len);
	if (rc)
		return rc;
	memset(&cp, 0, sizeof(cp));
	cp.lx.line = 1;
	cp.lx.quiet = quiet;
	cp.lx.file = c->path;
	cp.lx.p = buf;
	if (strlen(buf) != len) {
		conf_err(&cp.lx, 1, "file contains a NUL byte");
		rc = RR_ECONFIG;
	} else if (parse_file(&cp, c) || check_conf(&cp, c)) {
		rc = RR_ECONFIG;
	}
	free(buf);
	if (!rc && c->secret[0] && !quiet && !stat(c->path, &st) &&
	    (st.st_mode & 0004))
		rr_warn("%s holds the secret and is world-readable (chmod 600)",
			c->path);
	return rc;
}

const struct rr_node *rr_conf_node(const struct rr_conf *c, unsigned int id)
{
	int i;

	for (i = 0; i < c->nnodes; i++)
		if (c->nodes[i].id == id)
			return &c->nodes[i];
	return NULL;
}

const char *rr_node_backing(const struct rr_conf *c, const struct rr_node *n)
{
	return n->backing[0] ? n->backing : c->backing;
}

static bool host_matches(const char *want, const char *have)
{
	size_t n;

	if (!strcmp(want, have))
		return true;
	/* "beta" matches "beta.example.org" and the other way round */
	n = strcspn(want, ".");
	if (n == strcspn(have, ".") && !strncmp(want, have, n) &&
	    (!want[n] || !have[n]))
		return true;
	return false;
}

/*
 * Which node is this host: --node, else this-node, else the node whose
 * 'host' is our hostname, else the node whose address is configured on a
 * local interface.
 */
int rr_conf_local_node(const struct rr_conf *c, unsigned int override,
		       const struct rr_node **out)
{
	const struct rr_node *found = NULL;
	struct ifaddrs *ifa, *i;
	char host[256];
	int k, matches = 0;

	if (override || c->this_node) {
		unsigned int id = override ? override : c->this_node;

		*out = rr_conf_node(c, id);
		if (!*out) {
			rr_err("%s: node %u is not defined", c->path, id);
			return RR_ECONFIG;
		}
		return RR_OK;
	}
	if (!gethostname(host, sizeof(host))) {
		host[sizeof(host) - 1] = '\0';
		for (k = 0; k < c->nnodes; k++) {
			if (c->nodes[k].host[0] &&
			    host_matches(c->nodes[k].host, host)) {
				found = &c->nodes[k];
				matches++;
			}
		}
		if (matches == 1) {
			*out = found;
			return RR_OK;
		}
		if (matches > 1) {
			rr_err("%s: several nodes have host '%s'; use --node",
			       c->path, host);
			return RR_ECONFIG;
		}
	}
	if (getifaddrs(&ifa) == 0) {
		for (k = 0; k < c->nnodes; k++) {
			char ip[64], *colon;

			snprintf(ip, sizeof(ip), "%s", c->nodes[k].addr);
			colon = strchr(ip, ':');
			if (colon)
				*colon = '\0';
			for (i = ifa; i; i = i->ifa_next) {
				char a[INET_ADDRSTRLEN];
				struct sockaddr_in *sin;

				if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
					continue;
				sin = (struct sockaddr_in *)i->ifa_addr;
				if (!inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a)))
					continue;
				if (!strcmp(a, ip)) {
					found = &c->nodes[k];
					matches++;
					break;
				}
			}
		}
		freeifaddrs(ifa);
	}
	if (matches == 1) {
		*out = found;
		return RR_OK;
	}
	if (matches > 1)
		rr_err("%s: addresses of several nodes are local; use --node or this-node",
		       c->path);
	else
		rr_err("%s: cannot tell which node this host is (no matching host or local address); use --node or this-node",
		       c->path);
	return RR_ECONFIG;
}

/* Find the resource whose config says minor = N, for naming devices. */
bool rr_conf_name_for_minor(int minor, char *name, size_t len)
{
	static struct rr_conf c;
	struct dirent *de;
	bool found = false;
	DIR *d;

	d = opendir(rr_conf_dir());
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char rname[64];

		if (n <= 5 || strcmp(de->d_name + n - 5, ".conf") ||
		    n - 5 >= sizeof(rname))
			continue;
		memcpy(rname, de->d_name, n - 5);
		rname[n - 5] = '\0';
		if (rr_conf_load(rname, NULL, &c, true) == RR_OK &&
		    c.minor == minor) {
			snprintf(name, len, "%s", rname);
			found = true;
		}
	}
	closedir(d);
	return found;
}
