// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_net_hs.c - the transport's handshake, run with blocking socket
 * calls bounded by timeouts: HELLO both ways (cluster, node ids, protocol
 * version, data area size), the HMAC-SHA256 challenge-response when a
 * secret is set, AUTH_OK; then the conn is attached to its peer and
 * callback-driven I/O starts.  See Documentation/design/wire-protocol.rst.
 */
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <crypto/hash.h>
#include <crypto/algapi.h>

#include "rraft_net_int.h"

/* ---- handshake ------------------------------------------------------------ */

static int rr_send_all(struct socket *sock, const void *buf, size_t len)
{
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int n = kernel_sendmsg(sock, &msg, &iov, 1, len);

	if (n == len)
		return 0;
	if (n == -EAGAIN)
		return -ETIMEDOUT;
	return n < 0 ? n : -ECONNRESET;
}

static int rr_recv_all(struct socket *sock, void *buf, size_t len,
		       const char **why)
{
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int n = kernel_recvmsg(sock, &msg, &iov, 1, len,
			       MSG_WAITALL | MSG_NOSIGNAL);

	if (n == len)
		return 0;
	if (n == -EAGAIN) {
		*why = "timed out";
		return -ETIMEDOUT;
	}
	if (n < 0) {
		*why = "receive error";
		return n;
	}
	if (n >= 4 && rr_get_le32(buf) != RRAFT_WIRE_MAGIC) {
		*why = "not an rraft peer (bad magic)";
		return -EPROTO;
	}
	*why = "connection closed by peer";
	return -ECONNRESET;
}

/* Receive one handshake frame of the given type into buf. */
static int rr_hs_recv(struct socket *sock, u8 *buf, u16 type, u32 body_len,
		      const char **why)
{
	struct rraft_wire_hdr h;
	int err;

	err = rr_recv_all(sock, buf, RRAFT_WIRE_HDR_SIZE, why);
	if (err)
		return err;
	err = rraft_wire_check_header(buf, RRAFT_WIRE_HDR_SIZE, &h);
	if (err) {
		if (rr_get_le32(buf) != RRAFT_WIRE_MAGIC)
			*why = "not an rraft peer (bad magic)";
		else if (rr_get_le16(buf + 4) != RRAFT_WIRE_VERSION)
			*why = "unsupported protocol version (another rraft release)";
		else
			*why = "bad frame header";
		return err;
	}
	if (h.type != type) {
		*why = "unexpected frame during handshake";
		return -EPROTO;
	}
	if (h.body_len != body_len) {
		*why = "bad handshake frame length";
		return -EBADMSG;
	}
	err = rr_recv_all(sock, buf + RRAFT_WIRE_HDR_SIZE,
			  body_len + RRAFT_WIRE_TRAILER_SIZE, why);
	if (err)
		return err;
	return 0;
}

static int rr_mac(const u8 *key, u32 klen, const u8 *in, u32 len, u8 *out)
{
	struct crypto_shash *tfm;
	int err;

	tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	err = crypto_shash_setkey(tfm, key, klen);
	if (!err)
		err = crypto_shash_tfm_digest(tfm, in, len, out);
	crypto_free_shash(tfm);
	return err;
}

struct rr_hs {
	struct rraft_wire_hello mine;
	struct rraft_wire_hello theirs;
	u8 secret[RRAFT_SECRET_MAX];
	u32 secret_len;
	u8 buf[RRAFT_WIRE_HS_MAX_FRAME];
	u8 in[RRAFT_WIRE_AUTH_INPUT_SIZE];
	u8 mac[RRAFT_WIRE_MAC_SIZE];
	u8 peer_mac[RRAFT_WIRE_MAC_SIZE];
};

/* The peer's member identity against the one recorded for its id. */
static int rr_hs_check_ident(struct rraft_conn *conn,
			     const struct rraft_wire_hello *t, const char **why)
{
	struct rraft_net *net = conn->net;
	struct rraft_net_peer *p;
	u8 want[RRAFT_NET_IDENT_LEN];
	bool has_want = false;

	memcpy(conn->ident, t->ident, sizeof(conn->ident));
	spin_lock(&net->lock);
	p = rr_find_peer(net, t->from);
	if (p && p->has_want) {
		has_want = true;
		memcpy(want, p->ident_want, sizeof(want));
	}
	spin_unlock(&net->lock);
	if (!has_want || !memcmp(want, t->ident, sizeof(want)))
		return 0;
	snprintf(conn->why_buf, sizeof(conn->why_buf),
		 "member identity %16phN is not the recorded %16phN",
		 t->ident, want);
	*why = conn->why_buf;
	return -EKEYREJECTED;
}

static int rr_hs_check_hello(struct rraft_conn *conn, struct rr_hs *hs,
			     const char **why)
{
	struct rraft_net *net = conn->net;
	struct rraft_wire_hello *t = &hs->theirs;
	int err;

	err = rraft_wire_decode_hello(hs->buf, RRAFT_WIRE_HELLO_FRAME, t);
	if (err) {
		*why = "malformed HELLO";
		return err;
	}
	if (t->proto != RRAFT_WIRE_VERSION) {
		*why = "unsupported protocol version";
		return -EPROTONOSUPPORT;
	}
	if (t->cluster_id != net->cfg.cluster_id) {
		*why = "wrong cluster id";
		return -EACCES;
	}
	if (t->to != net->cfg.node_id) {
		*why = "peer expects another node id here";
		return -EACCES;
	}
	if (conn->dialer) {
		if (t->from != conn->peer_id) {
			*why = "unexpected node id at this address";
			return -EACCES;
		}
	} else {
		struct rraft_net_peer *p;
		__be32 want = 0;

		spin_lock(&net->lock);
		p = rr_find_peer(net, t->from);
		if (p)
			want = p->addr.sin_addr.s_addr;
		spin_unlock(&net->lock);
		conn->peer_id = t->from;
		if (!p) {
			*why = "unknown node id";
			return -EACCES;
		}
		/* without a secret, at least the address must be the peer's */
		if (!hs->secret_len && want != conn->addr.sin_addr.s_addr) {
			snprintf(conn->why_buf, sizeof(conn->why_buf),
				 "no secret and the source address is not node %u's configured %pI4",
				 t->from, &want);
			*why = conn->why_buf;
			return -EACCES;
		}
		if (rr_we_dial(net, t->from)) {
			*why = "peer with higher id dialed (the lower id dials)";
			return -EACCES;
		}
	}
	if (hs->secret_len && !(t->flags & RRAFT_WIRE_HELLO_AUTH)) {
		*why = "peer has no secret, authentication required";
		return -EKEYREJECTED;
	}
	if (!hs->secret_len && (t->flags & RRAFT_WIRE_HELLO_AUTH)) {
		*why = "peer requires authentication, no secret set here";
		return -EKEYREJECTED;
	}
	err = rr_hs_check_ident(conn, t, why);
	if (err)
		return err;
	/*
	 * Last check, so that a mismatch here means everything else matched:
	 * the acceptor then still answers with its HELLO, and both sides log
	 * both sizes.  Replicating between different sizes would fail the
	 * smaller member at the first write or snapshot chunk past its end.
	 */
	if (net->cfg.data_bytes && t->data_bytes != net->cfg.data_bytes) {
		snprintf(conn->why_buf, sizeof(conn->why_buf),
			 "data area size differs (peer %llu KiB, ours %llu KiB)",
			 t->data_bytes >> 10, net->cfg.data_bytes >> 10);
		*why = conn->why_buf;
		return -EMEDIUMTYPE;
	}
	return 0;
}

static int rr_hs_send_auth(struct rraft_conn *conn, struct rr_hs *hs,
			   const char **why)
{
	int err;

	rraft_wire_auth_input(hs->in, conn->net->cfg.cluster_id,
			      conn->net->cfg.node_id, conn->peer_id,
			      hs->theirs.nonce, hs->mine.nonce);
	err = rr_mac(hs->secret, hs->secret_len, hs->in, sizeof(hs->in),
		     hs->mac);
	if (err) {
		*why = "hmac(sha256) unavailable";
		return err;
	}
	rraft_wire_encode_auth(hs->mac, hs->buf);
	err = rr_send_all(conn->sock, hs->buf, RRAFT_WIRE_AUTH_FRAME);
	if (err)
		*why = "send failed";
	return err;
}

static int rr_hs_recv_auth(struct rraft_conn *conn, struct rr_hs *hs,
			   const char **why)
{
	int err;

	err = rr_hs_recv(conn->sock, hs->buf, RRAFT_WT_AUTH,
			 RRAFT_WIRE_MAC_SIZE, why);
	if (err) {
		if (err == -ECONNRESET)
			*why = "closed by peer during authentication (wrong secret?)";
		return err;
	}
	err = rraft_wire_decode_auth(hs->buf, RRAFT_WIRE_AUTH_FRAME,
				     hs->peer_mac);
	if (err) {
		*why = "malformed AUTH";
		return err;
	}
	rraft_wire_auth_input(hs->in, conn->net->cfg.cluster_id, conn->peer_id,
			      conn->net->cfg.node_id, hs->mine.nonce,
			      hs->theirs.nonce);
	err = rr_mac(hs->secret, hs->secret_len, hs->in, sizeof(hs->in),
		     hs->mac);
	if (err) {
		*why = "hmac(sha256) unavailable";
		return err;
	}
	if (crypto_memneq(hs->mac, hs->peer_mac, RRAFT_WIRE_MAC_SIZE)) {
		*why = "authentication failed (wrong secret)";
		return -EKEYREJECTED;
	}
	return 0;
}

/*
 * The handshake, dialer D and acceptor A:
 *	D->A HELLO, A->D HELLO, [D->A AUTH, A->D AUTH], D->A AUTH_OK.
 * A answers only after checking D's HELLO (and D's AUTH), so D knows it is
 * accepted once it has A's HELLO (and A's AUTH).
 */
static int rr_handshake(struct rraft_conn *conn, struct rr_hs *hs,
			const char **why)
{
	struct rraft_net *net = conn->net;
	struct socket *sock = conn->sock;
	int err;

	spin_lock(&net->lock);
	hs->secret_len = net->cfg.secret_len;
	memcpy(hs->secret, net->cfg.secret, hs->secret_len);
	conn->secret_gen = net->secret_gen;
	spin_unlock(&net->lock);

	hs->mine.proto = RRAFT_WIRE_VERSION;
	hs->mine.flags = hs->secret_len ? RRAFT_WIRE_HELLO_AUTH : 0;
	hs->mine.cluster_id = net->cfg.cluster_id;
	hs->mine.from = net->cfg.node_id;
	hs->mine.data_bytes = net->cfg.data_bytes;
	memcpy(hs->mine.ident, net->cfg.ident, sizeof(hs->mine.ident));
	get_random_bytes(hs->mine.nonce, sizeof(hs->mine.nonce));

	if (conn->dialer) {
		hs->mine.to = conn->peer_id;
		rraft_wire_encode_hello(&hs->mine, hs->buf);
		err = rr_send_all(sock, hs->buf, RRAFT_WIRE_HELLO_FRAME);
		if (err) {
			*why = "send failed";
			return err;
		}
	}
	err = rr_hs_recv(sock, hs->buf, RRAFT_WT_HELLO, RRAFT_WIRE_HELLO_SIZE,
			 why);
	if (err)
		return err;
	err = rr_hs_check_hello(conn, hs, why);
	/* on a size mismatch the dialer gets our HELLO, to log it too */
	if (err && (err != -EMEDIUMTYPE || conn->dialer))
		return err;
	if (!conn->dialer) {
		int serr;

		hs->mine.to = conn->peer_id;
		rraft_wire_encode_hello(&hs->mine, hs->buf);
		serr = rr_send_all(sock, hs->buf, RRAFT_WIRE_HELLO_FRAME);
		if (err)
			return err;
		if (serr) {
			*why = "send failed";
			return serr;
		}
	}
	if (hs->secret_len) {
		if (conn->dialer) {
			err = rr_hs_send_auth(conn, hs, why);
			if (!err)
				err = rr_hs_recv_auth(conn, hs, why);
		} else {
			err = rr_hs_recv_auth(conn, hs, why);
			if (!err)
				err = rr_hs_send_auth(conn, hs, why);
		}
		if (err)
			return err;
		conn->authed = true;
	}
	if (conn->dialer) {
		rraft_wire_encode_auth_ok(hs->buf);
		err = rr_send_all(sock, hs->buf, RRAFT_WIRE_AUTH_OK_FRAME);
		if (err)
			*why = "send failed";
		return err;
	}
	err = rr_hs_recv(sock, hs->buf, RRAFT_WT_AUTH_OK, 0, why);
	if (!err)
		err = rraft_wire_decode_auth_ok(hs->buf, RRAFT_WIRE_AUTH_OK_FRAME);
	if (err && !*why)
		*why = "malformed AUTH_OK";
	return err;
}

/*
 * Attach a handshaken conn to its peer and start callback-driven I/O.
 * Consumes the caller's (owner) reference.
 */
static int rr_conn_up(struct rraft_conn *conn, const char **why)
{
	struct rraft_net *net = conn->net;
	struct rraft_conn *old = NULL;
	struct rraft_net_peer *p;

	conn->rxbuf = kvmalloc(RR_RXBUF_SIZE, GFP_KERNEL);
	if (!conn->rxbuf) {
		*why = "out of memory";
		return -ENOMEM;
	}
	spin_lock(&net->lock);
	p = rr_find_peer(net, conn->peer_id);
	if (net->stopping || !p || (conn->peer && conn->peer != p) ||
	    conn->secret_gen != net->secret_gen) {
		spin_unlock(&net->lock);
		*why = "configuration changed during handshake";
		return -ESTALE;
	}
	if (p->has_want && memcmp(p->ident_want, conn->ident,
				  sizeof(conn->ident))) {
		spin_unlock(&net->lock);
		*why = "member identity recorded during handshake differs";
		return -EKEYREJECTED;
	}
	if (!conn->peer) {
		conn->peer = p;
		p->nref++;
	}
	if (p->conn && p->conn != conn) {
		old = p->conn;
		rraft_net_conn_fail_locked(old);
	}
	p->conn = conn;
	p->hs_state = RRAFT_PEER_CONNECTED;
	p->last_why[0] = '\0';
	p->backoff_ms = RR_BACKOFF_MIN_MS;
	if (p->ever_up)
		p->st.reconnects++;
	p->ever_up = true;
	conn->state = RR_CONN_UP;
	kref_get(&conn->kref);	/* the peer's reference */
	spin_unlock(&net->lock);

	pr_info("rraft%u: peer %u (%pISpc) connected%s\n", net->cfg.minor,
		p->id, &conn->addr, conn->authed ? ", authenticated" : "");
	rraft_net_install_callbacks(conn);
	queue_work(net->wq, &conn->rx_work);	/* data that came early */
	rraft_net_report_state(net, p);
	rraft_net_conn_put(conn);			/* the handshake's reference */
	return 0;
}

void rraft_net_hs_run(struct rraft_conn *conn)
{
	struct rraft_net *net = conn->net;
	const char *why = NULL;
	struct rr_hs *hs;
	unsigned int noio;
	int err;

	noio = memalloc_noio_save();
	hs = kzalloc(sizeof(*hs), GFP_KERNEL);
	if (!hs) {
		err = -ENOMEM;
		why = "out of memory";
	} else {
		err = rr_handshake(conn, hs, &why);
		memzero_explicit(hs, sizeof(*hs));
		kfree(hs);
	}
	if (!err)
		err = rr_conn_up(conn, &why);
	memalloc_noio_restore(noio);
	if (!err)
		return;
	if (!READ_ONCE(net->stopping) && !conn->shut)
		rraft_net_log_peer_failure(net, conn->peer_id, &conn->addr, err,
					   "handshake failed", why ? why : "error");
	spin_lock(&net->lock);
	list_del_init(&conn->node);
	spin_unlock(&net->lock);
	rraft_net_conn_put(conn);
}

void rraft_net_hs_work(struct work_struct *w)
{
	struct rraft_conn *conn = container_of(w, struct rraft_conn, hs_work);
	struct rraft_net *net = conn->net;

	rraft_net_hs_run(conn);
	spin_lock(&net->lock);
	net->n_accepting -= conn->stranger;
	spin_unlock(&net->lock);
}

