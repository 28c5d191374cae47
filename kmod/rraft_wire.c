// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_wire.c - encoder and defensive decoder for the rraft wire format.
 *
 * Environment-neutral (rraft_codec.h + raft/raft.h only): the same file
 * builds into rraft.ko and into the userspace tests and fuzzers.
 */
#include "rraft_wire.h"

#define RR_KNOWN_MSGF	(RAFT_MSGF_REJECT | RAFT_MSGF_TRANSFER | \
			 RAFT_MSGF_LAST | RAFT_MSGF_INCONSISTENT | \
			 RAFT_MSGF_RESUME | RAFT_MSGF_FRESH)

static u32 rr_crc(const void *p, u32 len)
{
	return rr_crc32c(~0u, p, len) ^ ~0u;
}

/* The frame checksum: standard crc32c (seed ~0, final inversion). */
u32 rraft_wire_crc(const void *p, u32 len)
{
	return rr_crc(p, len);
}

void rraft_wire_put_header(u8 *hdr, u16 type, u32 flags, u32 body_len)
{
	rr_put_le32(RRAFT_WIRE_MAGIC, hdr);
	rr_put_le16(RRAFT_WIRE_VERSION, hdr + 4);
	rr_put_le16(type, hdr + 6);
	rr_put_le32(flags, hdr + 8);
	rr_put_le32(body_len, hdr + 12);
	rr_put_le32(rr_crc(hdr, 16), hdr + 16);
}

bool rraft_wire_type_is_msg(u16 type)
{
	return type >= 1 && type <= RAFT_MSG_TYPE_MAX;
}

/* Appends and snapshot chunks are bulk; everything else is control. */
bool rraft_wire_msg_is_bulk(u32 type)
{
	return type == RAFT_MSG_APPEND || type == RAFT_MSG_SNAPSHOT;
}

static u32 rr_allowed_flags(u16 type)
{
	if (rraft_wire_type_is_msg(type))
		return RRAFT_WF_SNAP;
	if (type == RRAFT_WT_FRAG)
		return RRAFT_WF_LAST;
	return 0;
}

/*
 * Check a header: magic, version, header crc, known type and flags, body
 * length within the limit.  buf must hold at least RRAFT_WIRE_HDR_SIZE.
 */
int rraft_wire_check_header(const u8 *buf, u32 len, struct rraft_wire_hdr *h)
{
	u16 type;
	u32 flags, body_len;

	if (len < RRAFT_WIRE_HDR_SIZE)
		return -EBADMSG;
	if (rr_get_le32(buf) != RRAFT_WIRE_MAGIC)
		return -EPROTO;
	if (rr_get_le32(buf + 16) != rr_crc(buf, 16))
		return -EBADMSG;
	if (rr_get_le16(buf + 4) != RRAFT_WIRE_VERSION)
		return -EPROTO;
	type = rr_get_le16(buf + 6);
	flags = rr_get_le32(buf + 8);
	body_len = rr_get_le32(buf + 12);
	if (!rraft_wire_type_is_msg(type) && type != RRAFT_WT_HELLO &&
	    type != RRAFT_WT_AUTH && type != RRAFT_WT_AUTH_OK &&
	    type != RRAFT_WT_FRAG)
		return -EPROTO;
	if (flags & ~rr_allowed_flags(type))
		return -EPROTO;
	if (body_len > RRAFT_WIRE_MAX_BODY)
		return -EMSGSIZE;
	h->type = type;
	h->flags = flags;
	h->body_len = body_len;
	return 0;
}

/* Check a whole frame: header, exact length and body crc. */
int rraft_wire_check_frame(const u8 *buf, u32 len, struct rraft_wire_hdr *h)
{
	int err = rraft_wire_check_header(buf, len, h);

	if (err)
		return err;
	if (len - RRAFT_WIRE_HDR_SIZE < RRAFT_WIRE_TRAILER_SIZE ||
	    len - RRAFT_WIRE_OVERHEAD != h->body_len)
		return -EBADMSG;
	if (rr_get_le32(buf + RRAFT_WIRE_HDR_SIZE + h->body_len) !=
	    rr_crc(buf + RRAFT_WIRE_HDR_SIZE, h->body_len))
		return -EBADMSG;
	return 0;
}

static bool rr_has_snap(const struct raft_msg *m)
{
	return m->snap.index || m->snap.term || m->snap.conf.n_voters ||
	       m->snap.conf.n_voters_old || m->snap.conf.n_learners;
}

/* Every term of m's fixed fields and snapshot meta within the limit. */
static bool rr_terms_ok(const struct raft_msg *m)
{
	return m->term <= RRAFT_WIRE_MAX_TERM &&
	       m->log_term <= RRAFT_WIRE_MAX_TERM &&
	       m->hint_term <= RRAFT_WIRE_MAX_TERM &&
	       m->snap.term <= RRAFT_WIRE_MAX_TERM;
}

/* Encoded frame size of m, or 0 if m cannot be encoded. */
u64 rraft_wire_msg_size(const struct raft_msg *m)
{
	u64 size = RRAFT_WIRE_OVERHEAD + RRAFT_WIRE_MSG_FIXED;
	u32 i;

	if (m->type > 0xffff || !rraft_wire_type_is_msg((u16)m->type) ||
	    m->from == RAFT_NONE || m->to == RAFT_NONE ||
	    (m->flags & ~RR_KNOWN_MSGF) || !rr_terms_ok(m))
		return 0;
	if (m->n_entries > RRAFT_WIRE_MAX_ENTRIES ||
	    (m->n_entries && (!m->entries || m->type != RAFT_MSG_APPEND)))
		return 0;
	if (m->len && (!m->data || m->type != RAFT_MSG_SNAPSHOT))
		return 0;
	if (rr_has_snap(m))
		size += RRAFT_WIRE_SNAP_SIZE;
	for (i = 0; i < m->n_entries; i++) {
		if (m->entries[i].len && !m->entries[i].data)
			return 0;
		size += RRAFT_WIRE_ENTRY_HDR + (u64)m->entries[i].len;
	}
	size += m->len;
	if (size > RRAFT_WIRE_MAX_FRAME)
		return 0;
	return size;
}

/*
 * Encode m into buf.  Returns the frame length, -EINVAL if m is not
 * encodable (bad type, entries or data where the type has none, too big)
 * or -ENOSPC if buf is too small.
 */
int rraft_wire_encode(const struct raft_msg *m, u8 *buf, u32 len)
{
	u64 size = rraft_wire_msg_size(m);
	u32 flags = 0, i;
	u8 *p;

	if (!size)
		return -EINVAL;
	if (size > len)
		return -ENOSPC;
	if (rr_has_snap(m))
		flags |= RRAFT_WF_SNAP;
	rraft_wire_put_header(buf, (u16)m->type, flags,
			      (u32)size - RRAFT_WIRE_OVERHEAD);
	p = buf + RRAFT_WIRE_HDR_SIZE;
	rr_put_le32(m->from, p);
	rr_put_le32(m->to, p + 4);
	rr_put_le32(m->flags, p + 8);
	rr_put_le32(m->n_entries, p + 12);
	rr_put_le64(m->term, p + 16);
	rr_put_le64(m->index, p + 24);
	rr_put_le64(m->log_term, p + 32);
	rr_put_le64(m->commit, p + 40);
	rr_put_le64(m->ctx, p + 48);
	rr_put_le64(m->applied, p + 56);
	rr_put_le64(m->hint_term, p + 64);
	rr_put_le64(m->hint_index, p + 72);
	rr_put_le64(m->hint_len, p + 80);
	rr_put_le64(m->offset, p + 88);
	rr_put_le32(m->len, p + 96);
	rr_put_le32(0, p + 100);
	p += RRAFT_WIRE_MSG_FIXED;
	if (flags & RRAFT_WF_SNAP) {
		rr_put_le64(m->snap.index, p);
		rr_put_le64(m->snap.term, p + 8);
		raft_conf_encode(&m->snap.conf, p + 16);
		p += RRAFT_WIRE_SNAP_SIZE;
	}
	for (i = 0; i < m->n_entries; i++) {
		const struct raft_entry *e = &m->entries[i];

		rr_put_le64(e->term, p);
		rr_put_le64(e->index, p + 8);
		rr_put_le32(e->type, p + 16);
		rr_put_le32(e->len, p + 20);
		p += RRAFT_WIRE_ENTRY_HDR;
		if (e->len)
			memcpy(p, e->data, e->len);
		p += e->len;
	}
	if (m->len)
		memcpy(p, m->data, m->len);
	p += m->len;
	rr_put_le32(rr_crc(buf + RRAFT_WIRE_HDR_SIZE,
			   (u32)size - RRAFT_WIRE_OVERHEAD), p);
	return (int)size;
}

void rraft_wire_msg_free(struct raft_msg *m)
{
	u32 i;

	if (m->entries) {
		for (i = 0; i < m->n_entries; i++)
			raft_free(m->entries[i].data);
		raft_free(m->entries);
	}
	raft_free(m->data);
	m->entries = NULL;
	m->n_entries = 0;
	m->data = NULL;
	m->len = 0;
}

/*
 * Check the entry headers of an append: a contiguous run after prevLogIndex
 * whose terms never decrease and never exceed the leader's term, each with
 * its data inside the frame.  Done before anything is allocated, so a
 * malformed run costs no allocation and a good one at most the entry array
 * (RRAFT_WIRE_ENTRY_HDR bytes on the wire each) plus the data bytes.
 */
static int rr_check_entries(const struct raft_msg *m, const u8 *p, u32 rem)
{
	u64 prev_term = m->log_term, term, index;
	u32 i, type, len;

	for (i = 0; i < m->n_entries; i++) {
		if (rem < RRAFT_WIRE_ENTRY_HDR)
			return -EBADMSG;
		term = rr_get_le64(p);
		index = rr_get_le64(p + 8);
		type = rr_get_le32(p + 16);
		len = rr_get_le32(p + 20);
		p += RRAFT_WIRE_ENTRY_HDR;
		rem -= RRAFT_WIRE_ENTRY_HDR;
		if (type > RAFT_ENTRY_CONF || len > rem ||
		    index != m->index + 1 + i || term < prev_term ||
		    term > m->term)
			return -EBADMSG;
		prev_term = term;
		p += len;
		rem -= len;
	}
	return 0;
}

static int rr_decode_entries(struct raft_msg *m, const u8 **pp, u32 *left)
{
	const u8 *p = *pp;
	u32 rem = *left, i;

	if (m->n_entries > RRAFT_WIRE_MAX_ENTRIES ||
	    (m->n_entries && m->type != RAFT_MSG_APPEND))
		return -EBADMSG;
	/* Every entry needs its header: the allocation is bounded by rem. */
	if ((u64)m->n_entries * RRAFT_WIRE_ENTRY_HDR > rem)
		return -EBADMSG;
	if (m->n_entries && m->index > ~0ull - m->n_entries)
		return -EBADMSG;
	if (!m->n_entries)
		return 0;
	if (rr_check_entries(m, p, rem))
		return -EBADMSG;
	m->entries = raft_calloc(m->n_entries, sizeof(*m->entries));
	if (!m->entries)
		return -ENOMEM;
	for (i = 0; i < m->n_entries; i++) {
		struct raft_entry *e = &m->entries[i];

		e->term = rr_get_le64(p);
		e->index = rr_get_le64(p + 8);
		e->type = rr_get_le32(p + 16);
		e->len = rr_get_le32(p + 20);
		p += RRAFT_WIRE_ENTRY_HDR;
		rem -= RRAFT_WIRE_ENTRY_HDR;
		if (e->len) {
			e->data = raft_malloc(e->len);
			if (!e->data)
				return -ENOMEM;
			memcpy(e->data, p, e->len);
		}
		p += e->len;
		rem -= e->len;
	}
	*pp = p;
	*left = rem;
	return 0;
}

/*
 * Decode one complete frame into m.  On success m owns allocated entries
 * and data: release them with rraft_wire_msg_free().  On error nothing is
 * allocated and m is zeroed.  Returns 0, -EBADMSG (malformed, crc), -EPROTO
 * (not an rraft frame, other version, unknown type or flag), -EMSGSIZE
 * (over the limits) or -ENOMEM.
 */
int rraft_wire_decode(const u8 *buf, u32 len, struct raft_msg *m)
{
	struct rraft_wire_hdr h;
	const u8 *p;
	u32 rem;
	int err;

	memset(m, 0, sizeof(*m));
	err = rraft_wire_check_frame(buf, len, &h);
	if (err)
		return err;
	if (!rraft_wire_type_is_msg(h.type))
		return -EPROTO;
	if (h.body_len < RRAFT_WIRE_MSG_FIXED)
		return -EBADMSG;
	p = buf + RRAFT_WIRE_HDR_SIZE;
	rem = h.body_len;
	m->type = h.type;
	m->from = rr_get_le32(p);
	m->to = rr_get_le32(p + 4);
	m->flags = rr_get_le32(p + 8);
	m->n_entries = rr_get_le32(p + 12);
	m->term = rr_get_le64(p + 16);
	m->index = rr_get_le64(p + 24);
	m->log_term = rr_get_le64(p + 32);
	m->commit = rr_get_le64(p + 40);
	m->ctx = rr_get_le64(p + 48);
	m->applied = rr_get_le64(p + 56);
	m->hint_term = rr_get_le64(p + 64);
	m->hint_index = rr_get_le64(p + 72);
	m->hint_len = rr_get_le64(p + 80);
	m->offset = rr_get_le64(p + 88);
	m->len = rr_get_le32(p + 96);
	if (rr_get_le32(p + 100) != 0 || m->from == RAFT_NONE ||
	    m->to == RAFT_NONE || (m->flags & ~RR_KNOWN_MSGF))
		goto bad;
	p += RRAFT_WIRE_MSG_FIXED;
	rem -= RRAFT_WIRE_MSG_FIXED;
	if (h.flags & RRAFT_WF_SNAP) {
		if (rem < RRAFT_WIRE_SNAP_SIZE)
			goto bad;
		m->snap.index = rr_get_le64(p);
		m->snap.term = rr_get_le64(p + 8);
		if (raft_conf_decode(&m->snap.conf, p + 16,
				     RAFT_CONF_ENCODED_SIZE))
			goto bad;
		p += RRAFT_WIRE_SNAP_SIZE;
		rem -= RRAFT_WIRE_SNAP_SIZE;
		/* Canonical form: an all-zero snapshot meta is left out. */
		if (!rr_has_snap(m))
			goto bad;
	}
	/* entry terms never exceed m->term (rr_decode_entries) */
	if (!rr_terms_ok(m))
		goto bad;
	err = rr_decode_entries(m, &p, &rem);
	if (err)
		goto out;
	if (m->len && m->type != RAFT_MSG_SNAPSHOT)
		goto bad;
	if (m->len != rem)
		goto bad;
	if (m->len) {
		m->data = raft_malloc(m->len);
		if (!m->data) {
			err = -ENOMEM;
			goto out;
		}
		memcpy(m->data, p, m->len);
	}
	return 0;
bad:
	err = -EBADMSG;
out:
	rraft_wire_msg_free(m);
	memset(m, 0, sizeof(*m));
	return err;
}

/* Handshake frames. */

void rraft_wire_encode_hello(const struct rraft_wire_hello *h,
			     u8 out[RRAFT_WIRE_HELLO_FRAME])
{
	u8 *p = out + RRAFT_WIRE_HDR_SIZE;

	rraft_wire_put_header(out, RRAFT_WT_HELLO, 0, RRAFT_WIRE_HELLO_SIZE);
	rr_put_le32(h->proto, p);
	rr_put_le32(h->flags, p + 4);
	rr_put_le64(h->cluster_id, p + 8);
	rr_put_le32(h->from, p + 16);
	rr_put_le32(h->to, p + 20);
	rr_put_le64(h->data_bytes, p + 24);
	memcpy(p + 32, h->nonce, RRAFT_WIRE_NONCE_SIZE);
	memcpy(p + 64, h->ident, RRAFT_WIRE_IDENT_SIZE);
	rr_put_le32(rr_crc(p, RRAFT_WIRE_HELLO_SIZE), p + RRAFT_WIRE_HELLO_SIZE);
}

static int rr_check_hs(const u8 *buf, u32 len, u16 type, u32 body_len)
{
	struct rraft_wire_hdr h;
	int err = rraft_wire_check_frame(buf, len, &h);

	if (err)
		return err;
	if (h.type != type)
		return -EPROTO;
	if (h.body_len != body_len)
		return -EBADMSG;
	return 0;
}

/*
 * A HELLO is accepted by the decoder whatever protocol version its body
 * names (so the caller can report "peer speaks version N"); the frame
 * header itself must be our version.
 */
int rraft_wire_decode_hello(const u8 *buf, u32 len, struct rraft_wire_hello *h)
{
	const u8 *p = buf + RRAFT_WIRE_HDR_SIZE;
	int err = rr_check_hs(buf, len, RRAFT_WT_HELLO, RRAFT_WIRE_HELLO_SIZE);

	if (err)
		return err;
	h->proto = rr_get_le32(p);
	h->flags = rr_get_le32(p + 4);
	h->cluster_id = rr_get_le64(p + 8);
	h->from = rr_get_le32(p + 16);
	h->to = rr_get_le32(p + 20);
	h->data_bytes = rr_get_le64(p + 24);
	memcpy(h->nonce, p + 32, RRAFT_WIRE_NONCE_SIZE);
	memcpy(h->ident, p + 64, RRAFT_WIRE_IDENT_SIZE);
	if ((h->flags & ~RRAFT_WIRE_HELLO_AUTH) || h->from == RAFT_NONE ||
	    (h->data_bytes & (RRAFT_WIRE_SECTOR - 1)))
		return -EBADMSG;
	return 0;
}

void rraft_wire_encode_auth(const u8 mac[RRAFT_WIRE_MAC_SIZE],
			    u8 out[RRAFT_WIRE_AUTH_FRAME])
{
	u8 *p = out + RRAFT_WIRE_HDR_SIZE;

	rraft_wire_put_header(out, RRAFT_WT_AUTH, 0, RRAFT_WIRE_MAC_SIZE);
	memcpy(p, mac, RRAFT_WIRE_MAC_SIZE);
	rr_put_le32(rr_crc(p, RRAFT_WIRE_MAC_SIZE), p + RRAFT_WIRE_MAC_SIZE);
}

int rraft_wire_decode_auth(const u8 *buf, u32 len, u8 mac[RRAFT_WIRE_MAC_SIZE])
{
	int err = rr_check_hs(buf, len, RRAFT_WT_AUTH, RRAFT_WIRE_MAC_SIZE);

	if (err)
		return err;
	memcpy(mac, buf + RRAFT_WIRE_HDR_SIZE, RRAFT_WIRE_MAC_SIZE);
	return 0;
}

void rraft_wire_encode_auth_ok(u8 out[RRAFT_WIRE_AUTH_OK_FRAME])
{
	rraft_wire_put_header(out, RRAFT_WT_AUTH_OK, 0, 0);
	rr_put_le32(rr_crc(out + RRAFT_WIRE_HDR_SIZE, 0),
		    out + RRAFT_WIRE_HDR_SIZE);
}

int rraft_wire_decode_auth_ok(const u8 *buf, u32 len)
{
	return rr_check_hs(buf, len, RRAFT_WT_AUTH_OK, 0);
}

void rraft_wire_auth_input(u8 out[RRAFT_WIRE_AUTH_INPUT_SIZE], u64 cluster_id,
			   u32 signer, u32 verifier,
			   const u8 verifier_nonce[RRAFT_WIRE_NONCE_SIZE],
			   const u8 signer_nonce[RRAFT_WIRE_NONCE_SIZE])
{
	memcpy(out, "RRAFTAU1", 8);
	rr_put_le64(cluster_id, out + 8);
	rr_put_le32(signer, out + 16);
	rr_put_le32(verifier, out + 20);
	memcpy(out + 24, verifier_nonce, RRAFT_WIRE_NONCE_SIZE);
	memcpy(out + 24 + RRAFT_WIRE_NONCE_SIZE, signer_nonce,
	       RRAFT_WIRE_NONCE_SIZE);
}
