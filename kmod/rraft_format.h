/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rraft_format.h - rraft's on-disk format and state-machine command codec.
 *
 * Environment-neutral: builds into rraft.ko and into userspace (tests/codec).
 * Everything on disk is little-endian and crc32c-protected (seed ~0, the
 * stored value is the crc of the structure with its crc field zeroed).
 * See Documentation/design/on-disk-format.rst.
 *
 * Backing device layout, in 4 KiB blocks:
 *
 *	0			superblock
 *	1, 2			state slots (hard state + checkpoint), A/B
 *	log_off .. +log_blocks	log ring (batch records, padded to 4 KiB)
 *	data_off .. end		data area = the replicated device's contents
 */
#ifndef RRAFT_FORMAT_H
#define RRAFT_FORMAT_H

#include "rraft_codec.h"
#include "raft/raft.h"

#define RR_BLOCK_SIZE		4096u
#define RR_BLOCK_SHIFT		12

#define RR_SB_MAGIC		0x3142535446415252ull	/* "RRAFTSB1" */
#define RR_FORMAT_VERSION	2u	/* superblock and state record */
#define RR_LOG_VERSION		1u	/* log ring records */
#define RR_STATE_MAGIC		0x54535252u		/* "RRST" */
#define RR_LOG_MAGIC		0x474c5252u		/* "RRLG" */
#define RR_CMD_MAGIC		0x444d4352u		/* unused on disk; reserved */

#define RR_UUID_LEN		16
#define RR_IDENT_LEN		16	/* a member identity (random, per format) */
#define RR_IDENT_MAX		(2 * RAFT_MAX_MEMBERS)
#define RR_STATE_SLOT0		1ull	/* block numbers of the two slots */
#define RR_STATE_SLOTS		2u
#define RR_LOG_OFF		8ull	/* first block of the log ring */
#define RR_DATA_ALIGN		256ull	/* data area starts 1 MiB aligned */
#define RR_MIN_LOG_BYTES	(1024ull * 1024)
#define RR_MIN_DATA_BYTES	(1024ull * 1024)
#define RR_DEFAULT_LOG_BYTES	(64ull << 20)
#define RR_MAX_LOG_BYTES	(16ull << 30)

/* ---- superblock ---- */

struct rr_sb {
	u32 version;
	u32 flags;
	u8 uuid[RR_UUID_LEN];
	u64 cluster_id;
	u32 node_id;
	u32 block_size;
	u64 dev_blocks;		/* backing device size at format time */
	u64 state_off;		/* block of state slot 0 */
	u64 state_blocks;
	u64 log_off;
	u64 log_blocks;
	u64 data_off;
	u64 data_blocks;
	u8 ident[RR_IDENT_LEN];	/* member identity, never all zero */
	struct raft_conf conf;	/* initial configuration (may be empty) */
};

#define RR_SB_SIZE		(128 + RAFT_CONF_ENCODED_SIZE)

/*
 * Lay out a backing device of dev_bytes with a log of log_bytes.
 * Returns 0, -EINVAL (bad log size) or -ENOSPC (too small).
 */
int rraft_sb_layout(struct rr_sb *sb, u64 dev_bytes, u64 log_bytes);
void rraft_sb_encode(const struct rr_sb *sb, u8 *blk /* RR_BLOCK_SIZE */);
/*
 * Decode and validate.  Returns 0, or -ENOENT (no rraft magic: a foreign
 * device), -EUCLEAN (rraft metadata that fails a check).  *why names the
 * failed check (static string).
 */
int rraft_sb_decode(struct rr_sb *sb, const u8 *blk, u64 dev_bytes,
		    const char **why);

/* ---- member identities: which format each member id runs on ---- */

/*
 * The cluster's record of each member's identity (struct rr_sb.ident), as
 * of an applied index: ids strictly increasing, identities non-zero.
 * Encoded as n_entries x {u32 id, u8 ident[16]}.
 */
#define RR_IDENT_ENT_SIZE	(4 + RR_IDENT_LEN)

struct rr_ident {
	u32 id;
	u8 ident[RR_IDENT_LEN];
};

struct rr_idents {
	u32 n;
	struct rr_ident e[RR_IDENT_MAX];
};

void rraft_idents_encode(const struct rr_idents *t, u8 *buf /* n entries */);
/* 0 or -EINVAL (n too big, ids not increasing or out of range, zero ident) */
int rraft_idents_decode(struct rr_idents *t, const u8 *buf, u32 n);
/* The identity recorded for id, or NULL. */
const u8 *rraft_idents_find(const struct rr_idents *t, u32 id);
/* Set (ident non-NULL) or drop (NULL) id's entry, keeping the order. */
int rraft_idents_set(struct rr_idents *t, u32 id, const u8 *ident);
bool rraft_ident_is_zero(const u8 ident[RR_IDENT_LEN]);

/* ---- state record: hard state + checkpoint, double-slotted ---- */

#define RR_STF_INCONSISTENT	0x1	/* a snapshot install is in progress */

struct rr_state {
	u64 seq;		/* higher = newer */
	u8 uuid[RR_UUID_LEN];
	u64 term;
	u32 vote;
	u32 flags;
	u64 commit;
	/* checkpoint: the data area is durable up to snap_index */
	u64 snap_index;
	u64 snap_term;
	struct raft_conf snap_conf;
	/* log ring: logical byte position and seq of the first live record */
	u64 ring_head;
	u64 ring_head_seq;
	/* interrupted snapshot install (flags & RR_STF_INCONSISTENT) */
	u64 pend_index;
	u64 pend_term;
	struct raft_conf pend_conf;
	u64 pend_offset;
	u64 pend_base;
	/* member identities as of snap_index (rr_idents) */
	struct rr_idents idents;
};

#define RR_STATE_IDENTS_OFF	(128 + 2 * RAFT_CONF_ENCODED_SIZE)
#define RR_STATE_SIZE		(RR_STATE_IDENTS_OFF + 4 + \
				 RR_IDENT_MAX * RR_IDENT_ENT_SIZE)

void rraft_state_encode(const struct rr_state *st, u8 *blk /* RR_BLOCK_SIZE */);
/* 0 or -EUCLEAN (*why says which check failed) */
int rraft_state_decode(struct rr_state *st, const u8 *blk,
		       const u8 uuid[RR_UUID_LEN], const char **why);
/*
 * Pick the newest valid slot.  valid[i] tells whether slot i decoded.
 * Returns the slot index or -1 if neither is valid.
 */
int rraft_state_pick(const struct rr_state st[2], const bool valid[2]);

/* ---- log ring records ---- */

/*
 * A record holds one batch of consecutive entries (one raft_ready):
 * a 64-byte header, then per entry {term u64, type u32, len u32, data},
 * padded with zeroes to a whole number of blocks.  The crc covers the
 * header (crc field zeroed) and payload_len bytes of entries.  Each header
 * also carries the crc of the previous record, so replay never continues
 * into a stale record left behind by a different history.
 */
#define RR_LOG_HDR_SIZE		64
#define RR_LOG_ENT_HDR_SIZE	16

struct rr_log_hdr {
	u64 seq;		/* record sequence number, +1 per record */
	u8 uuid[RR_UUID_LEN];
	u64 first_index;
	u32 n_entries;
	u32 payload_len;	/* bytes after the header */
	u32 prev_crc;		/* crc of the previous record (chain) */
	u32 crc;		/* filled by decode */
};

/* Bytes the record for these entries takes, before padding. */
u64 rraft_log_record_bytes(const struct raft_entry *ents, u32 n);
static inline u64 rr_blocks_up(u64 bytes)
{
	return (bytes + RR_BLOCK_SIZE - 1) >> RR_BLOCK_SHIFT;
}

/*
 * Encode a record into buf (at least rraft_log_record_bytes(), padded by the
 * caller).  Entries must have consecutive indexes.  Returns bytes used.
 */
u64 rraft_log_encode(u8 *buf, u64 seq, const u8 uuid[RR_UUID_LEN], u32 prev_crc,
		     const struct raft_entry *ents, u32 n);
/* The crc stored in an encoded record. */
u32 rraft_log_crc(const u8 *buf);
/*
 * Decode the header of a record: 0, -ENOENT (not a record of this device /
 * not the expected seq) or -EUCLEAN (malformed).  max_bytes bounds
 * payload_len.  Does not check the crc (the payload may not be read yet).
 */
int rraft_log_decode_hdr(struct rr_log_hdr *h, const u8 *buf,
			 const u8 uuid[RR_UUID_LEN], u64 seq, u64 max_bytes);
/* Check the crc of a whole record (header + payload_len bytes). */
bool rraft_log_crc_ok(const struct rr_log_hdr *h, const u8 *buf);
/*
 * Iterate the entries of a verified record.  *pos starts at 0; fills e
 * (e->data points into buf) and returns 1, 0 at the end, -EUCLEAN if the
 * record is malformed.
 */
int rraft_log_next_entry(const struct rr_log_hdr *h, const u8 *buf, u32 *pos,
			 u32 i, struct raft_entry *e);

/* ---- state-machine command: the payload of a RAFT_ENTRY_NORMAL ---- */

/*
 * Block write: {u64 byte offset, u32 length, data[length]}, offset and
 * length 4K-aligned, length not 0.
 * Writer claim: exactly {u64 RR_CMD_CLAIM_TAG, u32 node id or 0}; the tag is
 * not 4K-aligned, so it never collides with a block write.
 * Member identities: {u64 RR_CMD_IDENT_TAG, u32 n, n x {u32 id, ident[16]}},
 * the whole table (rr_idents) that replaces the applied one.
 * Zero range (discard / write-zeroes): exactly {u64 RR_CMD_ZERO_TAG,
 * u32 flags, u64 byte offset, u64 length}, offset and length 4K-aligned,
 * length not 0; flags RR_CMD_ZERO_UNMAP (the backing device may unmap).
 */
#define RR_CMD_HDR_SIZE		12
#define RR_CMD_MAX_DATA		(1024u * 1024)
#define RR_CMD_CLAIM_TAG	(~0ull)
#define RR_CMD_IDENT_TAG	(~0ull - 1)
#define RR_CMD_ZERO_TAG		(~0ull - 2)
#define RR_CMD_ZERO_SIZE	(RR_CMD_HDR_SIZE + 16)
#define RR_CMD_ZERO_UNMAP	0x1u
#define RR_CMD_IDENT_MAX_SIZE	(RR_CMD_HDR_SIZE + \
				 RR_IDENT_MAX * RR_IDENT_ENT_SIZE)
#define RR_CMD_MAX_WRITER	65535u

struct rr_cmd {
	bool claim;		/* a writer claim, not a block write */
	u32 writer;		/* claim: node id, 0 = nobody */
	bool ident;		/* member identities (len = entries at data) */
	bool zero;		/* zero range: offset, zero_len (len is 0) */
	bool unmap;		/* zero range: RR_CMD_ZERO_UNMAP */
	u64 zero_len;
	u64 offset;
	u32 len;
	const u8 *data;
};

void rraft_cmd_encode_hdr(u8 *buf, u64 offset, u32 len);
/* buf: RR_CMD_HDR_SIZE bytes. */
void rraft_cmd_encode_claim(u8 *buf, u32 writer);
/* buf: RR_CMD_IDENT_MAX_SIZE bytes; returns the bytes used. */
u32 rraft_cmd_encode_idents(u8 *buf, const struct rr_idents *t);
/* buf: RR_CMD_ZERO_SIZE bytes. */
void rraft_cmd_encode_zero(u8 *buf, u64 offset, u64 len, bool unmap);
/*
 * 0 or -EINVAL: short, length mismatch, unaligned, beyond dev_bytes, a
 * claim with trailing bytes or a node id above RR_CMD_MAX_WRITER, an
 * identity table that rraft_idents_decode refuses, a zero range with
 * unknown flags or an empty one.
 */
int rraft_cmd_decode(struct rr_cmd *c, const u8 *buf, u32 len, u64 dev_bytes);

/*
 * Check the entries a peer appends before they are persisted: every
 * NORMAL entry a valid command (rraft_cmd_decode), every CONF entry a valid
 * configuration.  0, or -EINVAL with *bad the index of the first bad one.
 */
int rraft_entries_check(const struct raft_entry *ents, u32 n, u64 dev_bytes,
			u64 *bad);

#endif /* RRAFT_FORMAT_H */
