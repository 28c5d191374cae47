/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rraft_wire.h - the rraft wire format (see
 * Documentation/design/wire-protocol.rst).
 *
 * Environment-neutral: builds into rraft.ko and into the userspace tests and
 * fuzzers (tests/fuzz).  Everything is little-endian and crc32c-checked.
 *
 * A frame is a 20-byte header, a body and a 4-byte crc32c of the body:
 *
 *	0  magic     u32  "RRFT"
 *	4  version   u16  RRAFT_WIRE_VERSION
 *	6  type      u16  1..RAFT_MSG_TYPE_MAX (a raft_msg) or RRAFT_WT_*
 *	8  flags     u32  RRAFT_WF_*
 *	12 body_len  u32
 *	16 hdr_crc   u32  crc32c of bytes 0..15
 *	20 body      body_len bytes
 *	.. body_crc  u32  crc32c of the body
 *
 * The decoders never read outside the buffer they are given, check every
 * length against the buffer and against the limits below, and allocate at
 * most what the frame's own bytes justify.
 */
#ifndef RRAFT_WIRE_H
#define RRAFT_WIRE_H

#include "rraft_codec.h"
#include "raft/raft.h"

#define RRAFT_WIRE_MAGIC	0x54465252u	/* "RRFT" as LE bytes */
#define RRAFT_WIRE_VERSION	4
#define RRAFT_WIRE_HDR_SIZE	20
#define RRAFT_WIRE_TRAILER_SIZE	4
#define RRAFT_WIRE_OVERHEAD	(RRAFT_WIRE_HDR_SIZE + RRAFT_WIRE_TRAILER_SIZE)

/* Frame types beyond the raft message types (1..RAFT_MSG_TYPE_MAX). */
#define RRAFT_WT_HELLO		32
#define RRAFT_WT_AUTH		33
#define RRAFT_WT_AUTH_OK	34
#define RRAFT_WT_FRAG		35

/* Header flags. */
#define RRAFT_WF_SNAP		0x01	/* raft message: snapshot meta present */
#define RRAFT_WF_LAST		0x02	/* FRAG: last fragment */

/*
 * Limits.  A message frame (header + body + crc) is at most
 * RRAFT_WIRE_MAX_BODY + RRAFT_WIRE_OVERHEAD bytes.  On a connection, no
 * record carries a body longer than RRAFT_WIRE_SLICE: bigger message
 * frames travel as FRAG records whose bodies are consecutive slices of the
 * whole frame, so a control message waits behind at most one slice.
 */
#define RRAFT_WIRE_MAX_BODY	((4u << 20) + (64u << 10))
#define RRAFT_WIRE_MAX_FRAME	(RRAFT_WIRE_MAX_BODY + RRAFT_WIRE_OVERHEAD)
#define RRAFT_WIRE_MAX_ENTRIES	8192u
#define RRAFT_WIRE_SLICE	(64u << 10)
/*
 * The largest term a message may carry (term, log_term, hint_term, the
 * snapshot's and the entries' terms).  A term near U64_MAX from a peer
 * would be stored as every node's term, and term + 1 would wrap: no
 * election could ever succeed again.  2^62 is never reached by elections.
 */
#define RRAFT_WIRE_MAX_TERM	0x4000000000000000ull	/* 2^62 */

/* Message body layout. */
#define RRAFT_WIRE_MSG_FIXED	104
#define RRAFT_WIRE_SNAP_SIZE	(16 + RAFT_CONF_ENCODED_SIZE)
#define RRAFT_WIRE_ENTRY_HDR	24

/*
 * Handshake.  HELLO body: proto u32, flags u32, cluster_id u64, from u32,
 * to u32, data_bytes u64 (a multiple of RRAFT_WIRE_SECTOR), nonce, ident
 * (the sender's member identity, all zero: none).
 */
#define RRAFT_WIRE_SECTOR	512
#define RRAFT_WIRE_NONCE_SIZE	32
#define RRAFT_WIRE_MAC_SIZE	32	/* HMAC-SHA256 */
#define RRAFT_WIRE_IDENT_SIZE	16
#define RRAFT_WIRE_HELLO_SIZE	(4 + 4 + 8 + 4 + 4 + 8 + RRAFT_WIRE_NONCE_SIZE + \
				 RRAFT_WIRE_IDENT_SIZE)
#define RRAFT_WIRE_HELLO_AUTH	0x01	/* HELLO flag: sender has a secret */
#define RRAFT_WIRE_AUTH_INPUT_SIZE (8 + 8 + 4 + 4 + 2 * RRAFT_WIRE_NONCE_SIZE)

struct rraft_wire_hdr {
	u16 type;
	u32 flags;
	u32 body_len;
};

struct rraft_wire_hello {
	u32 proto;		/* RRAFT_WIRE_VERSION of the sender */
	u32 flags;		/* RRAFT_WIRE_HELLO_* */
	u64 cluster_id;
	u32 from;		/* sender's node id */
	u32 to;			/* node id the sender believes it talks to */
	u64 data_bytes;		/* sender's data area size, 0: not checked */
	u8 nonce[RRAFT_WIRE_NONCE_SIZE];
	u8 ident[RRAFT_WIRE_IDENT_SIZE];	/* sender's member identity */
};

/* Frame-level helpers. */
u32 rraft_wire_crc(const void *p, u32 len);
void rraft_wire_put_header(u8 *hdr, u16 type, u32 flags, u32 body_len);
int rraft_wire_check_header(const u8 *buf, u32 len, struct rraft_wire_hdr *h);
int rraft_wire_check_frame(const u8 *buf, u32 len, struct rraft_wire_hdr *h);
bool rraft_wire_type_is_msg(u16 type);
bool rraft_wire_msg_is_bulk(u32 type);

/* Raft messages. */
u64 rraft_wire_msg_size(const struct raft_msg *m);
int rraft_wire_encode(const struct raft_msg *m, u8 *buf, u32 len);
int rraft_wire_decode(const u8 *buf, u32 len, struct raft_msg *m);
void rraft_wire_msg_free(struct raft_msg *m);

/* Handshake frames. */
#define RRAFT_WIRE_HELLO_FRAME	(RRAFT_WIRE_OVERHEAD + RRAFT_WIRE_HELLO_SIZE)
#define RRAFT_WIRE_AUTH_FRAME	(RRAFT_WIRE_OVERHEAD + RRAFT_WIRE_MAC_SIZE)
#define RRAFT_WIRE_AUTH_OK_FRAME RRAFT_WIRE_OVERHEAD
#define RRAFT_WIRE_HS_MAX_FRAME	RRAFT_WIRE_HELLO_FRAME

void rraft_wire_encode_hello(const struct rraft_wire_hello *h,
			     u8 out[RRAFT_WIRE_HELLO_FRAME]);
int rraft_wire_decode_hello(const u8 *buf, u32 len, struct rraft_wire_hello *h);
void rraft_wire_encode_auth(const u8 mac[RRAFT_WIRE_MAC_SIZE],
			    u8 out[RRAFT_WIRE_AUTH_FRAME]);
int rraft_wire_decode_auth(const u8 *buf, u32 len, u8 mac[RRAFT_WIRE_MAC_SIZE]);
void rraft_wire_encode_auth_ok(u8 out[RRAFT_WIRE_AUTH_OK_FRAME]);
int rraft_wire_decode_auth_ok(const u8 *buf, u32 len);

/*
 * The bytes the signer MACs: a label, the cluster id, signer and verifier
 * ids, the verifier's nonce (the challenge) and the signer's own nonce.
 * Binding both ids and both nonces makes a reflected or replayed AUTH
 * useless.
 */
void rraft_wire_auth_input(u8 out[RRAFT_WIRE_AUTH_INPUT_SIZE], u64 cluster_id,
			   u32 signer, u32 verifier,
			   const u8 verifier_nonce[RRAFT_WIRE_NONCE_SIZE],
			   const u8 signer_nonce[RRAFT_WIRE_NONCE_SIZE]);

#endif /* RRAFT_WIRE_H */
