// SPDX-License-Identifier: GPL-2.0
/*
 * wire_test.c - userspace tests of the rraft wire codec (kmod/rraft_wire.c).
 *
 * Round trips of every message type and field, every single-byte
 * corruption, every truncation, deterministic random garbage (raw and with
 * valid checksums so the semantic checks are reached), oversized lengths,
 * allocation failures and allocation bounds, handshake frames.
 * Built with ASan + UBSan (leaks are failures too).
 *
 *	wire_test [-n garbage_iterations] [-c corpus_dir]
 *
 * -c writes a seed corpus for the libFuzzer target (wire_fuzz.c).
 * Last line: "N passed, N failed".
 */
#include <stdio.h>
#include <stdarg.h>
#include <sys/stat.h>
#include "rraft_wire.h"

void *(*raft_test_malloc_hook)(size_t size);

static int passed, failed;
static const char *cur_test;
static int cur_fail;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		if (cur_fail++ < 5) {					\
			printf("FAIL %s:%d %s: %s: ", __FILE__, __LINE__, \
			       cur_test, #cond);			\
			printf(__VA_ARGS__);				\
			printf("\n");					\
		}							\
	}								\
} while (0)

static void begin(const char *name)
{
	cur_test = name;
	cur_fail = 0;
}

static void end(void)
{
	if (cur_fail) {
		failed++;
		printf("not ok %s (%d failures)\n", cur_test, cur_fail);
	} else {
		passed++;
		printf("ok %s\n", cur_test);
	}
}

/* ---- deterministic PRNG (xorshift64*) ---------------------------------- */

static u64 rng_state = 0x9e3779b97f4a7c15ull;

static u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static u64 rnd_below(u64 n);
/* A term the decoder accepts: extremes included. */
static u64 rnd_term(void)
{
	switch (rnd_below(4)) {
	case 0: return RRAFT_WIRE_MAX_TERM;
	case 1: return rnd_below(100);
	default: return rnd_below(RRAFT_WIRE_MAX_TERM + 1);
	}
}

static u64 rnd_below(u64 n)
{
	return n ? rnd() % n : 0;
}

/* A value with a fair chance of being an edge case. */
static u64 rnd_u64(void)
{
	switch (rnd_below(6)) {
	case 0: return 0;
	case 1: return ~0ull;
	case 2: return rnd_below(100);
	case 3: return 1ull << rnd_below(64);
	default: return rnd();
	}
}

static u32 rnd_id(void)
{
	return rnd_below(3) ? 1 + (u32)rnd_below(9) : 1 + (u32)rnd_below(0xfffffffe);
}

/* ---- allocation accounting ------------------------------------------- */

static size_t alloc_bytes;
static long alloc_fail_at = -1;	/* fail the n-th allocation (0-based) */
static long alloc_count;

static void *count_malloc(size_t size)
{
	if (alloc_fail_at >= 0 && alloc_count++ == alloc_fail_at)
		return NULL;
	alloc_bytes += size;
	return malloc(size ? size : 1);
}

/* ---- message construction and comparison ------------------------------ */

static void rnd_conf(struct raft_conf *c)
{
	u32 used[3 * RAFT_MAX_MEMBERS], nused = 0, i, j, id;
	u32 *lists[3] = { c->voters, c->voters_old, c->learners };
	u8 *counts[3] = { &c->n_voters, &c->n_voters_old, &c->n_learners };

	memset(c, 0, sizeof(*c));
	for (i = 0; i < 3; i++) {
		*counts[i] = (u8)rnd_below(RAFT_MAX_MEMBERS + 1);
		if (i == 1 && rnd_below(2))
			*counts[i] = 0;
		for (j = 0; j < *counts[i]; j++) {
			u32 k;
again:
			id = rnd_id();
			/* unique within a list; a learner is never a voter */
			for (k = 0; k < j; k++)
				if (lists[i][k] == id)
					goto again;
			if (i == 2)
				for (k = 0; k < nused; k++)
					if (used[k] == id)
						goto again;
			lists[i][j] = id;
			if (i < 2)
				used[nused++] = id;
		}
	}
}

static u8 *rnd_bytes(u32 len)
{
	u8 *p = len ? malloc(len) : NULL;
	u32 i;

	for (i = 0; i < len; i++)
		p[i] = (u8)rnd();
	return p;
}

static u32 rnd_len(void)
{
	switch (rnd_below(5)) {
	case 0: return 0;
	case 1: return 1 + (u32)rnd_below(16);
	case 2: return 4096;
	default: return (u32)rnd_below(5000);
	}
}

/* A random valid message of the given type (heap-owned entries/data). */
static void make_msg(struct raft_msg *m, u32 type)
{
	u32 i;

	memset(m, 0, sizeof(*m));
	m->type = type;
	m->from = rnd_id();
	m->to = rnd_id();
	m->flags = (u32)rnd_below(64);
	m->term = rnd_term();
	m->index = rnd_u64();
	m->log_term = rnd_term();
	m->commit = rnd_u64();
	m->ctx = rnd_u64();
	m->applied = rnd_u64();
	m->hint_term = rnd_term();
	m->hint_index = rnd_u64();
	m->hint_len = rnd_u64();
	m->offset = rnd_u64();
	if (type == RAFT_MSG_SNAPSHOT || type == RAFT_MSG_SNAPSHOT_RESP ||
	    rnd_below(4) == 0) {
		m->snap.index = rnd_u64();
		m->snap.term = rnd_term();
		rnd_conf(&m->snap.conf);
	}
	if (type == RAFT_MSG_APPEND && rnd_below(5)) {
		u64 t;

		m->n_entries = 1 + (u32)rnd_below(rnd_below(4) ? 8 : 300);
		m->index = rnd_below(1ull << 40);
		m->term = 1 + rnd_below(1ull << 40);
		m->log_term = rnd_below(m->term + 1);
		t = m->log_term;
		m->entries = calloc(m->n_entries, sizeof(*m->entries));
		for (i = 0; i < m->n_entries; i++) {
			struct raft_entry *e = &m->entries[i];

			if (rnd_below(4) == 0)
				t += rnd_below(m->term - t + 1);
			e->term = t;
			e->index = m->index + 1 + i;
			e->type = (u32)rnd_below(3);
			e->len = m->n_entries > 50 ? (u32)rnd_below(64) : rnd_len();
			e->data = rnd_bytes(e->len);
		}
	}
	if (type == RAFT_MSG_SNAPSHOT && rnd_below(5)) {
		m->len = rnd_below(8) ? rnd_len() : 65536 + (u32)rnd_below(100000);
		m->data = rnd_bytes(m->len);
	}
}

static bool conf_eq(const struct raft_conf *a, const struct raft_conf *b)
{
	return a->n_voters == b->n_voters && a->n_voters_old == b->n_voters_old &&
	       a->n_learners == b->n_learners &&
	       !memcmp(a->voters, b->voters, a->n_voters * 4) &&
	       !memcmp(a->voters_old, b->voters_old, a->n_voters_old * 4) &&
	       !memcmp(a->learners, b->learners, a->n_learners * 4);
}

static const char *msg_diff(const struct raft_msg *a, const struct raft_msg *b)
{
	u32 i;

#define F(x) if (a->x != b->x) return #x
	F(type); F(from); F(to); F(flags); F(term); F(index); F(log_term);
	F(commit); F(ctx); F(applied); F(hint_term); F(hint_index);
	F(hint_len); F(offset); F(len); F(n_entries);
	F(snap.index); F(snap.term);
#undef F
	if (!conf_eq(&a->snap.conf, &b->snap.conf))
		return "snap.conf";
	if (a->len && memcmp(a->data, b->data, a->len))
		return "data";
	for (i = 0; i < a->n_entries; i++) {
		const struct raft_entry *x = &a->entries[i], *y = &b->entries[i];

		if (x->term != y->term || x->index != y->index ||
		    x->type != y->type || x->len != y->len ||
		    (x->len && memcmp(x->data, y->data, x->len)))
			return "entry";
	}
	return NULL;
}

static u8 *encode_new(const struct raft_msg *m, u32 *len)
{
	u64 size = rraft_wire_msg_size(m);
	u8 *buf;
	int n;

	if (!size)
		return NULL;
	buf = malloc(size);
	n = rraft_wire_encode(m, buf, (u32)size);
	if (n != (int)size) {
		free(buf);
		return NULL;
	}
	*len = (u32)size;
	return buf;
}

static bool is_zero_msg(const struct raft_msg *m)
{
	static const struct raft_msg z;

	return !memcmp(m, &z, sizeof(z));
}

/* Fix header and body crc of a (possibly mutated) frame in place. */
static void fix_crcs(u8 *buf, u32 len)
{
	if (len < RRAFT_WIRE_HDR_SIZE)
		return;
	rr_put_le32(rraft_wire_crc(buf, 16), buf + 16);
	if (len >= RRAFT_WIRE_OVERHEAD)
		rr_put_le32(rraft_wire_crc(buf + RRAFT_WIRE_HDR_SIZE,
					   len - RRAFT_WIRE_OVERHEAD),
			    buf + len - RRAFT_WIRE_TRAILER_SIZE);
}

/*
 * Decode buf; a success must re-encode to the very same bytes (the
 * encoding is canonical) and a failure must leave m zeroed.
 */
static int decode_check(const u8 *buf, u32 len)
{
	struct raft_msg m;
	u32 elen = 0;
	u8 *again;
	int err;

	err = rraft_wire_decode(buf, len, &m);
	if (err) {
		CHECK(is_zero_msg(&m), "failed decode left data behind");
		CHECK(err == -EBADMSG || err == -EPROTO || err == -EMSGSIZE ||
		      err == -ENOMEM, "unexpected error %d", err);
		return err;
	}
	again = encode_new(&m, &elen);
	CHECK(again && elen == len && !memcmp(again, buf, len),
	      "decoded frame does not re-encode identically (len %u/%u)",
	      len, elen);
	free(again);
	rraft_wire_msg_free(&m);
	return 0;
}

/* ---- tests ------------------------------------------------------------ */

static void test_crc(void)
{
	begin("crc32c known answer");
	CHECK(rraft_wire_crc("123456789", 9) == 0xe3069283u, "crc %08x",
	      rraft_wire_crc("123456789", 9));
	CHECK(rraft_wire_crc("", 0) == 0, "empty");
	end();
}

static void test_golden(void)
{
	/* Pins the layout: a heartbeat, byte for byte. */
	static const u8 want_hdr[16] = {
		'R', 'R', 'F', 'T', 4, 0, RAFT_MSG_HEARTBEAT, 0,
		0, 0, 0, 0, RRAFT_WIRE_MSG_FIXED, 0, 0, 0,
	};
	struct raft_msg m = {
		.type = RAFT_MSG_HEARTBEAT, .from = 1, .to = 2, .term = 3,
		.commit = 0x0102030405060708ull, .ctx = 9,
	};
	u8 buf[256];
	int n;

	begin("golden heartbeat layout");
	n = rraft_wire_encode(&m, buf, sizeof(buf));
	CHECK(n == RRAFT_WIRE_OVERHEAD + RRAFT_WIRE_MSG_FIXED, "len %d", n);
	CHECK(!memcmp(buf, want_hdr, 16), "header bytes");
	CHECK(rr_get_le32(buf + 16) == rraft_wire_crc(buf, 16), "hdr crc");
	CHECK(rr_get_le32(buf + 20) == 1 && rr_get_le32(buf + 24) == 2,
	      "from/to");
	CHECK(rr_get_le64(buf + 20 + 16) == 3, "term at body+16");
	CHECK(buf[20 + 40] == 8 && buf[20 + 47] == 1, "commit LE at body+40");
	CHECK(rr_get_le64(buf + 20 + 48) == 9, "ctx at body+48");
	end();
}

static void test_roundtrip(void)
{
	char name[64];
	u32 type, i, len = 0;

	for (type = 1; type <= RAFT_MSG_TYPE_MAX; type++) {
		snprintf(name, sizeof(name), "round trip %s (type %u)",
			 raft_msg_type_name(type), type);
		begin(name);
		for (i = 0; i < 300; i++) {
			struct raft_msg m, d;
			const char *diff;
			u8 *buf;
			int err;

			make_msg(&m, type);
			buf = encode_new(&m, &len);
			CHECK(buf, "encode failed");
			if (!buf) {
				rraft_wire_msg_free(&m);
				continue;
			}
			CHECK(len == rraft_wire_msg_size(&m), "size");
			err = rraft_wire_decode(buf, len, &d);
			CHECK(!err, "decode %d", err);
			if (!err) {
				diff = msg_diff(&m, &d);
				CHECK(!diff, "field %s differs", diff);
				rraft_wire_msg_free(&d);
				CHECK(is_zero_msg(&d) || (!d.entries && !d.data),
				      "msg_free left pointers");
			}
			free(buf);
			rraft_wire_msg_free(&m);
		}
		end();
	}
}

static void test_extremes(void)
{
	struct raft_entry e[2] = {
		{ .term = RRAFT_WIRE_MAX_TERM, .index = ~0ull - 1,
		  .type = RAFT_ENTRY_CONF },
		{ .term = RRAFT_WIRE_MAX_TERM, .index = ~0ull,
		  .type = RAFT_ENTRY_NOOP },
	};
	struct raft_msg m = {
		.type = RAFT_MSG_APPEND, .from = ~0u, .to = ~0u, .flags = 0x3f,
		.term = RRAFT_WIRE_MAX_TERM, .index = ~0ull - 2,
		.log_term = RRAFT_WIRE_MAX_TERM,
		.commit = ~0ull, .ctx = ~0ull, .applied = ~0ull,
		.hint_term = RRAFT_WIRE_MAX_TERM, .hint_index = ~0ull,
		.hint_len = ~0ull,
		.offset = ~0ull, .n_entries = 2, .entries = e,
		.snap = { .index = ~0ull, .term = RRAFT_WIRE_MAX_TERM },
	};
	struct raft_msg d;
	u32 len = 0;
	u8 *buf;

	begin("round trip with every field at its maximum");
	m.snap.conf.n_voters = RAFT_MAX_MEMBERS;
	for (u32 i = 0; i < RAFT_MAX_MEMBERS; i++)
		m.snap.conf.voters[i] = ~0u - i;
	buf = encode_new(&m, &len);
	CHECK(buf, "encode");
	if (buf) {
		CHECK(!rraft_wire_decode(buf, len, &d), "decode");
		CHECK(!msg_diff(&m, &d), "differs: %s", msg_diff(&m, &d));
		rraft_wire_msg_free(&d);
		free(buf);
	}
	/* One more entry would overflow the index: rejected by the decoder. */
	m.index = ~0ull - 1;
	e[0].index = ~0ull;
	m.n_entries = 1;
	buf = encode_new(&m, &len);
	CHECK(buf, "encode");
	if (buf) {
		CHECK(!rraft_wire_decode(buf, len, &d), "last possible index");
		rraft_wire_msg_free(&d);
		free(buf);
	}
	m.index = ~0ull;
	buf = encode_new(&m, &len);
	if (buf) {
		CHECK(rraft_wire_decode(buf, len, &d) == -EBADMSG,
		      "index overflow accepted");
		free(buf);
	}
	end();
}

static void test_encode_rejects(void)
{
	struct raft_entry e = { .term = 1, .index = 1 };
	struct raft_msg m = { .type = RAFT_MSG_HEARTBEAT, .from = 1, .to = 2 };
	u8 data[4] = { 1, 2, 3, 4 }, buf[512];
	u32 i;

	begin("encoder refuses what it must not send");
	CHECK(rraft_wire_encode(&m, buf, sizeof(buf)) > 0, "valid heartbeat");
	CHECK(rraft_wire_encode(&m, buf, 100) == -ENOSPC, "small buffer");
	m.type = 0;
	CHECK(rraft_wire_encode(&m, buf, sizeof(buf)) == -EINVAL, "type 0");
	m.type = RAFT_MSG_TYPE_MAX + 1;
	CHECK(rraft_wire_encode(&m, buf, sizeof(buf)) == -EINVAL, "type max+1");
	m.type = 0x10005;
	CHECK(rraft_wire_encode(&m, buf, sizeof(buf)) == -EINVAL, "type 0x10005");
	m.type = RAFT_MSG_HEARTBEAT;
	m.from = 0;
	CHECK(rraft_wire_encode(&m, buf, sizeof(buf)) == -EINVAL, "from 0");
	m.from = 1;
	m.to = 0;
	CHECK(rraft_wire_encode(&m, buf, sizeof(buf)) == -EINVAL, "to 0");
	m.to = 2;
	m.flags = 0x40;
	CHECK(rraft_wire_encode(&m, buf, sizeof(buf)) == -EINVAL, "flag 0x40");
	m.flags = 0;
	m.term = RRAFT_WIRE_MAX_TERM + 1;
	CHECK(rraft_wire_encode(&m, buf, sizeof(buf)) == -EINVAL, "term max+1");
	m.term = 3;
	m.log_term = ~0ull;
	CHECK(rraft_wire_encode(&m, buf, sizeof(buf)) == -EINVAL, "log_term ~0");
	m.log_term = 0;
	m.hint_term = RRAFT_WIRE_MAX_TERM + 1;
	CHECK(rraft_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
	      "hint_term max+1");
	m.hint_term = 0;
	m.snap.term = ~0ull;
	CHECK(rraft_wire_encode(&m, buf, sizeof(buf)) == -EINVAL, "snap.term ~0");
	m.snap.term = 0;
	/*
	 * Entries go only on an append, data only on a snapshot, and neither
	 * through a NULL pointer: pass 0 entries on a heartbeat, then an append;
	 * pass 1 data on an append, then a snapshot.
	 */
	for (i = 0; i < 2; i++) {
		const char *what = i ? "data" : "entries";

		if (i) {
			m.len = 4;
			m.data = data;
		} else {
			m.n_entries = 1;
			m.entries = &e;
		}
		CHECK(rraft_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
		      "%s on type %u", what, m.type);
		m.type = i ? RAFT_MSG_SNAPSHOT : RAFT_MSG_APPEND;
		CHECK(rraft_wire_encode(&m, buf, sizeof(buf)) > 0,
		      "%s on type %u", what, m.type);
		if (i)
			m.data = NULL;
		else
			m.entries = NULL;
		CHECK(rraft_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
		      "NULL %s", what);
		m.n_entries = 0;
	}
	m.len = RRAFT_WIRE_MAX_BODY;
	m.data = data;	/* never read: refused on size */
	CHECK(rraft_wire_msg_size(&m) == 0, "oversized snapshot chunk");
	m.len = 0;
	m.type = RAFT_MSG_APPEND;
	m.n_entries = RRAFT_WIRE_MAX_ENTRIES + 1;
	m.entries = &e;	/* never read: refused on count */
	CHECK(rraft_wire_msg_size(&m) == 0, "too many entries");
	end();
}

/* Every byte of every frame, changed in every way tried, is rejected. */
static void test_flips(void)
{
	u32 type, k, pos, len = 0;
	static const u8 xors[] = { 0x01, 0x80, 0xff, 0x5a, 0x10 };

	begin("every single-byte change is rejected");
	for (type = 1; type <= RAFT_MSG_TYPE_MAX; type++) {
		for (k = 0; k < 4; k++) {
			struct raft_msg m;
			u8 *buf;

			make_msg(&m, type);
			if (m.len > 20000) {	/* keep the quadratic part short */
				free(m.data);
				m.len = 2000;
				m.data = rnd_bytes(m.len);
			}
			buf = encode_new(&m, &len);
			rraft_wire_msg_free(&m);
			if (!buf)
				continue;
			for (pos = 0; pos < len; pos++) {
				for (u32 x = 0; x < sizeof(xors); x++) {
					struct raft_msg d;
					int err;

					buf[pos] ^= xors[x];
					err = rraft_wire_decode(buf, len, &d);
					CHECK(err, "flip at %u ^%02x of type %u accepted",
					      pos, xors[x], type);
					if (!err)
						rraft_wire_msg_free(&d);
					buf[pos] ^= xors[x];
				}
			}
			CHECK(decode_check(buf, len) == 0, "restored frame");
			free(buf);
		}
	}
	end();
}

static void test_truncation(void)
{
	u32 type, cut, len = 0;

	begin("every truncation and every extension is rejected");
	for (type = 1; type <= RAFT_MSG_TYPE_MAX; type++) {
		struct raft_msg m;
		u8 *buf, *big;

		make_msg(&m, type);
		buf = encode_new(&m, &len);
		rraft_wire_msg_free(&m);
		if (!buf)
			continue;
		for (cut = 0; cut < len; cut++) {
			/* a copy of exactly cut bytes: ASan sees any overread */
			u8 *t = malloc(cut ? cut : 1);
			struct raft_msg d;

			memcpy(t, buf, cut);
			CHECK(rraft_wire_decode(t, cut, &d) != 0,
			      "truncated to %u accepted", cut);
			CHECK(is_zero_msg(&d), "left data");
			free(t);
		}
		big = malloc(len + 8);
		memcpy(big, buf, len);
		memset(big + len, 0, 8);
		for (cut = 1; cut <= 8; cut++) {
			struct raft_msg d;

			CHECK(rraft_wire_decode(big, len + cut, &d) != 0,
			      "extended by %u accepted", cut);
		}
		free(big);
		free(buf);
	}
	end();
}

static void put_frame(u8 *buf, u16 type, u32 flags, u32 body_len)
{
	rraft_wire_put_header(buf, type, flags, body_len);
	rr_put_le32(rraft_wire_crc(buf + RRAFT_WIRE_HDR_SIZE, body_len),
		    buf + RRAFT_WIRE_HDR_SIZE + body_len);
}

static void test_header(void)
{
	struct rraft_wire_hdr h;
	u8 buf[256];
	struct raft_msg d;

	begin("header checks: magic, version, type, flags, limits");
	memset(buf, 0, sizeof(buf));
	rraft_wire_put_header(buf, RAFT_MSG_VOTE, 0, 10);
	CHECK(!rraft_wire_check_header(buf, 20, &h) && h.type == RAFT_MSG_VOTE &&
	      h.body_len == 10 && h.flags == 0, "valid header");
	CHECK(rraft_wire_check_header(buf, 19, &h) == -EBADMSG, "short");
	buf[0] = 'X';
	CHECK(rraft_wire_check_header(buf, 20, &h) == -EPROTO, "magic");
	rraft_wire_put_header(buf, RAFT_MSG_VOTE, 0, 10);
	buf[4] = 1;
	rr_put_le32(rraft_wire_crc(buf, 16), buf + 16);
	CHECK(rraft_wire_check_header(buf, 20, &h) == -EPROTO, "version 1");
	buf[4] = 2;
	rr_put_le32(rraft_wire_crc(buf, 16), buf + 16);
	CHECK(rraft_wire_check_header(buf, 20, &h) == -EPROTO, "version 2");
	buf[4] = 3;
	rr_put_le32(rraft_wire_crc(buf, 16), buf + 16);
	CHECK(rraft_wire_check_header(buf, 20, &h) == -EPROTO,
	      "version 3 (no zero-range command)");
	buf[4] = 5;
	rr_put_le32(rraft_wire_crc(buf, 16), buf + 16);
	CHECK(rraft_wire_check_header(buf, 20, &h) == -EPROTO, "version 5");
	rraft_wire_put_header(buf, 0, 0, 10);
	CHECK(rraft_wire_check_header(buf, 20, &h) == -EPROTO, "type 0");
	rraft_wire_put_header(buf, RAFT_MSG_TYPE_MAX + 1, 0, 10);
	CHECK(rraft_wire_check_header(buf, 20, &h) == -EPROTO, "type max + 1");
	rraft_wire_put_header(buf, 0xffff, 0, 10);
	CHECK(rraft_wire_check_header(buf, 20, &h) == -EPROTO, "type 0xffff");
	rraft_wire_put_header(buf, RAFT_MSG_VOTE, RRAFT_WF_LAST, 10);
	CHECK(rraft_wire_check_header(buf, 20, &h) == -EPROTO, "LAST on msg");
	rraft_wire_put_header(buf, RRAFT_WT_FRAG, RRAFT_WF_SNAP, 10);
	CHECK(rraft_wire_check_header(buf, 20, &h) == -EPROTO, "SNAP on frag");
	rraft_wire_put_header(buf, RRAFT_WT_HELLO, 0x80000000u, 10);
	CHECK(rraft_wire_check_header(buf, 20, &h) == -EPROTO, "high flag");
	rraft_wire_put_header(buf, RRAFT_WT_FRAG, RRAFT_WF_LAST, 10);
	CHECK(!rraft_wire_check_header(buf, 20, &h), "frag last");
	rraft_wire_put_header(buf, RAFT_MSG_APPEND, 0, RRAFT_WIRE_MAX_BODY + 1);
	CHECK(rraft_wire_check_header(buf, 20, &h) == -EMSGSIZE, "max body + 1");
	rraft_wire_put_header(buf, RAFT_MSG_APPEND, 0, ~0u);
	CHECK(rraft_wire_check_header(buf, 20, &h) == -EMSGSIZE, "body ~0");
	rraft_wire_put_header(buf, RAFT_MSG_APPEND, 0, RRAFT_WIRE_MAX_BODY);
	CHECK(!rraft_wire_check_header(buf, 20, &h), "max body");
	/* a handshake or fragment frame is not a message */
	memset(buf, 0, sizeof(buf));
	put_frame(buf, RRAFT_WT_FRAG, 0, RRAFT_WIRE_MSG_FIXED);
	CHECK(rraft_wire_decode(buf, RRAFT_WIRE_OVERHEAD + RRAFT_WIRE_MSG_FIXED,
				&d) == -EPROTO, "frag decoded as message");
	end();
}

/* Valid checksums around bad contents: the semantic checks answer. */
static void test_semantics(void)
{
	struct raft_entry e[2] = {
		{ .term = 5, .index = 11, .len = 3, .data = (u8 *)"abc" },
		{ .term = 5, .index = 12, .len = 0 },
	};
	struct raft_msg m = {
		.type = RAFT_MSG_APPEND, .from = 1, .to = 2, .term = 5,
		.index = 10, .log_term = 4, .n_entries = 2, .entries = e,
	};
	u32 len = 0, body = RRAFT_WIRE_HDR_SIZE, ent;
	struct raft_msg d;
	u8 *buf, *t;
	int err;

	begin("valid crcs, invalid contents");
	buf = encode_new(&m, &len);
	CHECK(buf && !rraft_wire_decode(buf, len, &d), "base frame");
	rraft_wire_msg_free(&d);
	t = malloc(len);
	ent = body + RRAFT_WIRE_MSG_FIXED;
#define MUTATE(what, stmt, want) do {					\
		memcpy(t, buf, len);					\
		stmt;							\
		fix_crcs(t, len);					\
		err = rraft_wire_decode(t, len, &d);			\
		CHECK(err == (want), "%s: got %d", what, err);		\
		if (!err)						\
			rraft_wire_msg_free(&d);			\
	} while (0)
	MUTATE("unchanged", (void)0, 0);
	MUTATE("from 0", rr_put_le32(0, t + body), -EBADMSG);
	MUTATE("to 0", rr_put_le32(0, t + body + 4), -EBADMSG);
	MUTATE("unknown msg flag", rr_put_le32(0x40, t + body + 8), -EBADMSG);
	MUTATE("n_entries 3", rr_put_le32(3, t + body + 12), -EBADMSG);
	MUTATE("n_entries 1", rr_put_le32(1, t + body + 12), -EBADMSG);
	MUTATE("n_entries huge", rr_put_le32(0x40000000, t + body + 12),
	       -EBADMSG);
	MUTATE("n_entries max+1", rr_put_le32(RRAFT_WIRE_MAX_ENTRIES + 1,
					      t + body + 12), -EBADMSG);
	MUTATE("reserved", rr_put_le32(1, t + body + 100), -EBADMSG);
	MUTATE("data len on append", rr_put_le32(1, t + body + 96), -EBADMSG);
	MUTATE("data len huge", rr_put_le32(~0u, t + body + 96), -EBADMSG);
	MUTATE("entry len past end", rr_put_le32(1000, t + ent + 20), -EBADMSG);
	MUTATE("entry len ~0", rr_put_le32(~0u, t + ent + 20), -EBADMSG);
	MUTATE("entry type 3", rr_put_le32(3, t + ent + 16), -EBADMSG);
	MUTATE("entry index gap", rr_put_le64(12, t + ent + 8), -EBADMSG);
	MUTATE("entry term above msg term", rr_put_le64(6, t + ent), -EBADMSG);
	MUTATE("entry term below prev", rr_put_le64(3, t + ent), -EBADMSG);
	MUTATE("second entry term decreases",
	       rr_put_le64(4, t + ent + 24 + 3), -EBADMSG);
	MUTATE("term max+1", rr_put_le64(RRAFT_WIRE_MAX_TERM + 1, t + body + 16),
	       -EBADMSG);
	MUTATE("term ~0", rr_put_le64(~0ull, t + body + 16), -EBADMSG);
	MUTATE("log_term ~0", rr_put_le64(~0ull, t + body + 32), -EBADMSG);
	MUTATE("hint_term max+1",
	       rr_put_le64(RRAFT_WIRE_MAX_TERM + 1, t + body + 64), -EBADMSG);
	MUTATE("type vote with entries", rr_put_le16(RAFT_MSG_VOTE, t + 6),
	       -EBADMSG);
	MUTATE("snap flag without room",
	       rr_put_le32(RRAFT_WF_SNAP, t + 8), -EBADMSG);
	free(t);
	free(buf);

	/* snapshot meta: non-canonical zero block, bad conf */
	{
		struct raft_msg s = { .type = RAFT_MSG_SNAPSHOT_RESP, .from = 1,
				      .to = 2, .snap = { .index = 7 } };
		u32 sb = body + RRAFT_WIRE_MSG_FIXED;

		buf = encode_new(&s, &len);
		t = malloc(len);
		MUTATE("snap ok", (void)0, 0);
		MUTATE("zero snap meta", rr_put_le64(0, t + sb), -EBADMSG);
		MUTATE("conf n_voters 10", t[sb + 16] = 10, -EBADMSG);
		MUTATE("conf reserved byte", t[sb + 16 + 3] = 1, -EBADMSG);
		MUTATE("conf id outside count", t[sb + 16 + 4] = 1, -EBADMSG);
		MUTATE("conf voter id 0", t[sb + 16] = 1, -EBADMSG);
		free(t);
		free(buf);
	}
	/* snapshot data length */
	{
		u8 data[5] = "hello";
		struct raft_msg s = { .type = RAFT_MSG_SNAPSHOT, .from = 1,
				      .to = 2, .len = 5, .data = data };

		buf = encode_new(&s, &len);
		t = malloc(len);
		MUTATE("chunk ok", (void)0, 0);
		MUTATE("chunk len +1", rr_put_le32(6, t + body + 96), -EBADMSG);
		MUTATE("chunk len -1", rr_put_le32(4, t + body + 96), -EBADMSG);
		MUTATE("chunk len 0", rr_put_le32(0, t + body + 96), -EBADMSG);
		free(t);
		free(buf);
	}
#undef MUTATE
	end();
}

/* Allocation is bounded by the frame; every failure is reported cleanly. */
static void test_alloc(void)
{
	u32 i, len = 0;

	begin("allocation failures are -ENOMEM and leak nothing");
	raft_test_malloc_hook = count_malloc;
	for (i = 0; i < 200; i++) {
		struct raft_msg m, d;
		long n, total;
		u8 *buf;

		make_msg(&m, i % 2 ? RAFT_MSG_APPEND : RAFT_MSG_SNAPSHOT);
		raft_test_malloc_hook = NULL;
		buf = encode_new(&m, &len);
		raft_test_malloc_hook = count_malloc;
		rraft_wire_msg_free(&m);
		if (!buf)
			continue;
		alloc_fail_at = -1;
		alloc_count = 0;
		alloc_bytes = 0;
		CHECK(!rraft_wire_decode(buf, len, &d), "decode");
		rraft_wire_msg_free(&d);
		CHECK(alloc_bytes <= 2 * (size_t)len, "allocated %zu for %u bytes",
		      alloc_bytes, len);
		total = alloc_count;
		for (n = 0; n < total && n < 40; n++) {
			int err;

			alloc_fail_at = n;
			alloc_count = 0;
			err = rraft_wire_decode(buf, len, &d);
			CHECK(err == -ENOMEM, "failing alloc %ld gave %d", n, err);
			CHECK(is_zero_msg(&d), "left data after ENOMEM");
		}
		alloc_fail_at = -1;
		free(buf);
	}
	raft_test_malloc_hook = NULL;
	end();
}

/*
 * An append whose entry run turns out malformed late (found by wire_fuzz:
 * the entry array had been allocated for all of them, plus the data of the
 * good ones, 2.1 times the frame) is refused before anything is allocated.
 */
static void test_alloc_bad_run(void)
{
	struct raft_entry ents[95];
	u8 payload[95][16];
	struct raft_msg m = {
		.type = RAFT_MSG_APPEND, .from = 1, .to = 2, .term = 7,
		.index = 1000, .log_term = 6, .commit = 1000,
		.n_entries = 95, .entries = ents,
	}, d;
	u32 i, len, at, body_len;
	u8 *buf;
	int k;

	begin("malformed entry run: refused before any allocation");
	for (i = 0; i < 95; i++) {
		memset(payload[i], (int)i, sizeof(payload[i]));
		ents[i] = (struct raft_entry){ .term = 7, .index = 1001 + i,
			.type = RAFT_ENTRY_NORMAL, .len = 16, .data = payload[i] };
	}
	buf = encode_new(&m, &len);
	CHECK(buf && len == RRAFT_WIRE_OVERHEAD + RRAFT_WIRE_MSG_FIXED +
	      95 * (RRAFT_WIRE_ENTRY_HDR + 16), "encode (len %u)", len);
	if (!buf) {
		end();
		return;
	}
	body_len = len - RRAFT_WIRE_OVERHEAD;
	at = RRAFT_WIRE_HDR_SIZE + RRAFT_WIRE_MSG_FIXED +
	     94 * (RRAFT_WIRE_ENTRY_HDR + 16);
	for (k = 0; k < 4; k++) {
		u8 save[RRAFT_WIRE_ENTRY_HDR];

		memcpy(save, buf + at, sizeof(save));
		if (k == 0)		/* a gap in the indexes */
			rr_put_le64(1001 + 95, buf + at + 8);
		else if (k == 1)	/* data beyond the frame */
			rr_put_le32(17, buf + at + 20);
		else if (k == 2)	/* a term going back */
			rr_put_le64(5, buf + at);
		else			/* unknown entry type */
			rr_put_le32(RAFT_ENTRY_CONF + 1, buf + at + 16);
		rr_put_le32(rraft_wire_crc(buf + RRAFT_WIRE_HDR_SIZE, body_len),
			    buf + len - RRAFT_WIRE_TRAILER_SIZE);
		alloc_fail_at = 1L << 30;	/* count, never fail */
		alloc_count = 0;
		alloc_bytes = 0;
		raft_test_malloc_hook = count_malloc;
		CHECK(rraft_wire_decode(buf, len, &d) == -EBADMSG,
		      "case %d refused", k);
		raft_test_malloc_hook = NULL;
		CHECK(alloc_count == 0 && alloc_bytes == 0,
		      "case %d: %ld allocations, %zu bytes", k, alloc_count,
		      alloc_bytes);
		CHECK(is_zero_msg(&d), "case %d: message left zeroed", k);
		memcpy(buf + at, save, sizeof(save));
	}
	rr_put_le32(rraft_wire_crc(buf + RRAFT_WIRE_HDR_SIZE, body_len),
		    buf + len - RRAFT_WIRE_TRAILER_SIZE);
	alloc_fail_at = -1;
	alloc_bytes = 0;
	raft_test_malloc_hook = count_malloc;
	CHECK(!rraft_wire_decode(buf, len, &d) && d.n_entries == 95 &&
	      d.entries[94].index == 1095 && d.entries[94].data[0] == 94,
	      "the unmodified frame decodes");
	raft_test_malloc_hook = NULL;
	CHECK(alloc_bytes <= 95 * sizeof(struct raft_entry) + 95 * 16,
	      "allocated %zu", alloc_bytes);
	rraft_wire_msg_free(&d);
	free(buf);
	end();
}

#define POOL 64

static void test_garbage(u32 iters)
{
	u32 i, n, len, ok = 0, pool_len[POOL];
	u8 *buf = malloc(200000), *pool[POOL];
	size_t worst = 0;

	begin("random garbage (raw, valid crcs, mutated frames) never crashes");
	for (i = 0; i < POOL; i++) {
		struct raft_msg m;

		make_msg(&m, 1 + i % RAFT_MSG_TYPE_MAX);
		if (m.len > 100000) {
			free(m.data);
			m.len = 1000;
			m.data = rnd_bytes(1000);
		}
		pool[i] = encode_new(&m, &pool_len[i]);
		rraft_wire_msg_free(&m);
	}
	raft_test_malloc_hook = count_malloc;
	for (i = 0; i < iters; i++) {
		if (i % 4 == 3) {
			/* a valid frame with a few targeted changes, crcs fixed */
			u32 k = (u32)rnd_below(POOL), muts = 1 + (u32)rnd_below(4);

			len = pool_len[k];
			memcpy(buf, pool[k], len);
			while (muts--) {
				u32 at = RRAFT_WIRE_HDR_SIZE +
					 (u32)rnd_below(len - RRAFT_WIRE_HDR_SIZE);
				u32 v = (u32)rnd_u64();

				if (rnd_below(3) == 0)
					at = (at & ~3u) < len - 4 ? at & ~3u : at;
				if (rnd_below(4) == 0)
					at = 6 + 2 * (u32)rnd_below(2);	/* type/flags */
				if (at + 4 <= len)
					rr_put_le32(rnd_below(2) ? v : (u32)rnd_below(5000), buf + at);
				else
					buf[at] = (u8)v;
			}
			if (rnd_below(8) == 0)	/* grow or shrink */
				len = len + (u32)rnd_below(64) - 32 > RRAFT_WIRE_OVERHEAD ?
				      len + (u32)rnd_below(64) - 32 : len;
			fix_crcs(buf, len);
			rr_put_le32(len - RRAFT_WIRE_OVERHEAD, buf + 12);
			fix_crcs(buf, len);
			goto decode;
		}
		len = (u32)rnd_below(i % 16 ? 300 : 70000);
		for (n = 0; n < len; n++)
			buf[n] = (u8)rnd();
		if (i % 2 && len >= RRAFT_WIRE_OVERHEAD) {
			/* a plausible header so the body checks are reached */
			rraft_wire_put_header(buf, (u16)(1 + rnd_below(13)),
					      (u32)rnd_below(4),
					      len - RRAFT_WIRE_OVERHEAD);
			if (len >= RRAFT_WIRE_HDR_SIZE + 16 && rnd_below(2)) {
				/* small ids and counts are more interesting */
				rr_put_le32((u32)rnd_below(4), buf + 20);
				rr_put_le32((u32)rnd_below(4), buf + 24);
				rr_put_le32((u32)rnd_below(4), buf + 28);
				rr_put_le32((u32)rnd_below(4), buf + 32);
			}
			fix_crcs(buf, len);
		}
decode:
		alloc_bytes = 0;
		if (decode_check(buf, len) == 0)
			ok++;
		if (alloc_bytes > worst)
			worst = alloc_bytes;
		CHECK(alloc_bytes <= 2 * (size_t)len + 64,
		      "allocated %zu for %u bytes", alloc_bytes, len);
	}
	raft_test_malloc_hook = NULL;
	for (i = 0; i < POOL; i++)
		free(pool[i]);
	printf("  %u inputs, %u decoded (re-encoded identically), worst allocation %zu bytes\n",
	       iters, ok, worst);
	free(buf);
	end();
}

static void test_handshake(void)
{
	struct rraft_wire_hello h = {
		.proto = RRAFT_WIRE_VERSION, .flags = RRAFT_WIRE_HELLO_AUTH,
		.cluster_id = 0x1122334455667788ull, .from = 3, .to = 7,
		.data_bytes = 0x0000012345678e00ull,
	}, g;
	u8 hello[RRAFT_WIRE_HELLO_FRAME], auth[RRAFT_WIRE_AUTH_FRAME];
	u8 ok[RRAFT_WIRE_AUTH_OK_FRAME], mac[32], mac2[32];
	u8 in1[RRAFT_WIRE_AUTH_INPUT_SIZE], in2[RRAFT_WIRE_AUTH_INPUT_SIZE];
	u8 na[32], nb[32];
	u32 i;

	begin("handshake frames: HELLO, AUTH, AUTH_OK");
	for (i = 0; i < 16; i++)
		h.ident[i] = (u8)(0xc0 + i);
	for (i = 0; i < 32; i++) {
		h.nonce[i] = (u8)i;
		mac[i] = (u8)(0xa0 + i);
		na[i] = (u8)i;
		nb[i] = (u8)(i + 1);
	}
	rraft_wire_encode_hello(&h, hello);
	CHECK(!rraft_wire_decode_hello(hello, sizeof(hello), &g), "hello");
	CHECK(!memcmp(&g, &h, sizeof(g)), "hello fields");
	CHECK(g.data_bytes == 0x0000012345678e00ull, "hello data size");
	/* Pins the HELLO layout (wire version 4), byte for byte. */
	CHECK(RRAFT_WIRE_HELLO_SIZE == 80 && sizeof(hello) == 104,
	      "hello size %d", RRAFT_WIRE_HELLO_SIZE);
	CHECK(!memcmp(hello, "RRFT", 4) && rr_get_le16(hello + 4) == 4 &&
	      rr_get_le16(hello + 6) == RRAFT_WT_HELLO &&
	      rr_get_le32(hello + 8) == 0 && rr_get_le32(hello + 12) == 80 &&
	      rr_get_le32(hello + 16) == rraft_wire_crc(hello, 16),
	      "hello header bytes");
	CHECK(rr_get_le32(hello + 20) == RRAFT_WIRE_VERSION &&
	      rr_get_le32(hello + 24) == RRAFT_WIRE_HELLO_AUTH &&
	      hello[28] == 0x88 && hello[35] == 0x11 &&
	      rr_get_le32(hello + 36) == 3 && rr_get_le32(hello + 40) == 7,
	      "hello proto/flags/cluster/from/to at body+0..23");
	CHECK(hello[44] == 0x00 && hello[45] == 0x8e && hello[46] == 0x67 &&
	      hello[48] == 0x23 && hello[49] == 0x01 && hello[50] == 0 &&
	      hello[51] == 0, "hello data size LE at body+24");
	CHECK(hello[52] == 0 && hello[53] == 1 && hello[83] == 31,
	      "hello nonce at body+32");
	CHECK(hello[84] == 0xc0 && hello[99] == 0xcf,
	      "hello member identity at body+64");
	CHECK(rr_get_le32(hello + 100) == rraft_wire_crc(hello + 20, 80),
	      "hello body crc");
	h.data_bytes = 0;
	rraft_wire_encode_hello(&h, hello);
	CHECK(!rraft_wire_decode_hello(hello, sizeof(hello), &g) &&
	      g.data_bytes == 0, "hello data size 0 (not checked)");
	h.data_bytes = ~0ull << 9;
	rraft_wire_encode_hello(&h, hello);
	CHECK(!rraft_wire_decode_hello(hello, sizeof(hello), &g) &&
	      g.data_bytes == ~0ull << 9, "hello largest data size");
	h.data_bytes = (1ull << 30) + 1;
	rraft_wire_encode_hello(&h, hello);
	CHECK(rraft_wire_decode_hello(hello, sizeof(hello), &g) == -EBADMSG,
	      "hello data size not a multiple of 512");
	h.data_bytes = (1ull << 30) + 256;
	rraft_wire_encode_hello(&h, hello);
	CHECK(rraft_wire_decode_hello(hello, sizeof(hello), &g) == -EBADMSG,
	      "hello data size with a half sector");
	h.data_bytes = 1ull << 30;
	rraft_wire_encode_hello(&h, hello);
	CHECK(!rraft_wire_decode_hello(hello, sizeof(hello), &g) &&
	      g.data_bytes == 1ull << 30, "hello data size 1 GiB");
	CHECK(rraft_wire_decode_hello(hello, sizeof(hello) - 1, &g), "short hello");
	for (i = 0; i < sizeof(hello); i++) {
		hello[i] ^= 0x40;
		CHECK(rraft_wire_decode_hello(hello, sizeof(hello), &g),
		      "hello flip %u", i);
		hello[i] ^= 0x40;
	}
	h.flags = 2;
	rraft_wire_encode_hello(&h, hello);
	CHECK(rraft_wire_decode_hello(hello, sizeof(hello), &g) == -EBADMSG,
	      "unknown hello flag");
	h.flags = 0;
	h.from = 0;
	rraft_wire_encode_hello(&h, hello);
	CHECK(rraft_wire_decode_hello(hello, sizeof(hello), &g) == -EBADMSG,
	      "hello from 0");
	h.from = 3;
	h.proto = 99;
	rraft_wire_encode_hello(&h, hello);
	CHECK(!rraft_wire_decode_hello(hello, sizeof(hello), &g) && g.proto == 99,
	      "other protocol version is reported, not hidden");

	rraft_wire_encode_auth(mac, auth);
	CHECK(!rraft_wire_decode_auth(auth, sizeof(auth), mac2) &&
	      !memcmp(mac, mac2, 32), "auth");
	for (i = 0; i < sizeof(auth); i++) {
		auth[i] ^= 1;
		CHECK(rraft_wire_decode_auth(auth, sizeof(auth), mac2),
		      "auth flip %u", i);
		auth[i] ^= 1;
	}
	rraft_wire_encode_auth_ok(ok);
	CHECK(!rraft_wire_decode_auth_ok(ok, sizeof(ok)), "auth ok");
	CHECK(rraft_wire_decode_auth_ok(auth, sizeof(auth)) == -EPROTO,
	      "auth as auth_ok");
	CHECK(rraft_wire_decode_auth(ok, sizeof(ok), mac2) == -EPROTO,
	      "auth_ok as auth");
	CHECK(rraft_wire_decode_hello(auth, sizeof(auth), &g) == -EPROTO,
	      "auth as hello");

	/* The MAC input binds direction, ids, cluster and both nonces. */
	rraft_wire_auth_input(in1, 5, 1, 2, na, nb);
	CHECK(!memcmp(in1, "RRAFTAU1", 8) && rr_get_le64(in1 + 8) == 5 &&
	      rr_get_le32(in1 + 16) == 1 && rr_get_le32(in1 + 20) == 2 &&
	      !memcmp(in1 + 24, na, 32) && !memcmp(in1 + 56, nb, 32),
	      "auth input layout");
	rraft_wire_auth_input(in2, 5, 2, 1, nb, na);
	CHECK(memcmp(in1, in2, sizeof(in1)), "reflection gives the same input");
	rraft_wire_auth_input(in2, 6, 1, 2, na, nb);
	CHECK(memcmp(in1, in2, sizeof(in1)), "cluster not bound");
	end();
}

static void write_file(const char *dir, const char *name, const u8 *p, u32 len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(p, 1, len, f);
	fclose(f);
}

/* Seeds for wire_fuzz: byte 0 selects the mode (see wire_fuzz.c). */
static void write_corpus(const char *dir)
{
	u32 type, k, len = 0;
	char name[64];
	u8 *buf, *seed;

	mkdir(dir, 0755);
	for (type = 1; type <= RAFT_MSG_TYPE_MAX; type++) {
		for (k = 0; k < 3; k++) {
			struct raft_msg m;

			make_msg(&m, type);
			if (m.len > 4000) {
				free(m.data);
				m.len = 100;
				m.data = rnd_bytes(100);
			}
			buf = encode_new(&m, &len);
			rraft_wire_msg_free(&m);
			if (!buf || len > 8000) {
				free(buf);
				continue;
			}
			seed = malloc(len + 1);
			memcpy(seed + 1, buf, len);
			seed[0] = 0;
			snprintf(name, sizeof(name), "msg-%u-%u", type, k);
			write_file(dir, name, seed, len + 1);
			seed[0] = 1;
			snprintf(name, sizeof(name), "fix-%u-%u", type, k);
			write_file(dir, name, seed, len + 1);
			free(seed);
			free(buf);
		}
	}
}

int main(int argc, char **argv)
{
	u32 iters = 200000;
	const char *corpus = NULL;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* nothing lost if a sanitizer aborts */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			iters = (u32)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-c") && i + 1 < argc)
			corpus = argv[++i];
	}
	if (corpus) {
		write_corpus(corpus);
		return 0;
	}
	test_crc();
	test_golden();
	test_roundtrip();
	test_extremes();
	test_encode_rejects();
	test_header();
	test_semantics();
	test_flips();
	test_truncation();
	test_alloc();
	test_alloc_bad_run();
	test_handshake();
	test_garbage(iters);
	printf("wire: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
