// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_net_io.c - the transport's framing after the handshake, all
 * non-blocking (MSG_DONTWAIT) and driven by the socket callbacks: receive
 * (records, reassembly of fragments, decode and deliver) and send (control
 * and bulk queues, bulk sliced into fragments so that control frames
 * overtake it, rraft_net_send).
 */
#include <linux/sched/mm.h>

#include "rraft_net_int.h"

/* ---- receive ------------------------------------------------------------- */

static void rr_deliver(struct rraft_conn *conn, const u8 *buf, u32 len)
{
	struct rraft_net *net = conn->net;
	struct raft_msg m;
	int err;

	err = rraft_wire_decode(buf, len, &m);
	if (err) {
		rraft_net_conn_fail(conn, err, err == -ENOMEM ?
			     "out of memory decoding a message" :
			     "malformed message");
		return;
	}
	if (m.from != conn->peer_id || m.to != net->cfg.node_id) {
		rraft_wire_msg_free(&m);
		rraft_net_conn_fail(conn, -EBADMSG, "message with wrong sender or destination");
		return;
	}
	spin_lock(&net->lock);
	conn->peer->st.msgs_received++;
	spin_unlock(&net->lock);
	if (!READ_ONCE(net->stopping))
		net->ops->deliver(net->ctx, &m);
	rraft_wire_msg_free(&m);
}

static void rr_rx_frag(struct rraft_conn *conn, u32 len)
{
	struct rraft_wire_hdr h, ih;
	const u8 *body = conn->rxbuf + RRAFT_WIRE_HDR_SIZE;
	bool last;
	int err;

	err = rraft_wire_check_frame(conn->rxbuf, len, &h);
	if (err) {
		rraft_net_conn_fail(conn, err, "corrupt fragment");
		return;
	}
	last = h.flags & RRAFT_WF_LAST;
	if (!conn->reasm) {
		err = rraft_wire_check_header(body, h.body_len, &ih);
		if (err || !rraft_wire_type_is_msg(ih.type) || last ||
		    ih.body_len + RRAFT_WIRE_OVERHEAD <= h.body_len) {
			rraft_net_conn_fail(conn, err ? err : -EBADMSG,
					    "bad first fragment");
			return;
		}
		conn->reasm_len = ih.body_len + RRAFT_WIRE_OVERHEAD;
		conn->reasm = kvmalloc(conn->reasm_len, GFP_KERNEL);
		if (!conn->reasm) {
			rraft_net_conn_fail(conn, -ENOMEM, "out of memory");
			return;
		}
		conn->reasm_have = 0;
	}
	if (h.body_len > conn->reasm_len - conn->reasm_have ||
	    (last && h.body_len != conn->reasm_len - conn->reasm_have) ||
	    (!last && h.body_len == conn->reasm_len - conn->reasm_have)) {
		rraft_net_conn_fail(conn, -EBADMSG, "fragment overruns its message");
		return;
	}
	memcpy(conn->reasm + conn->reasm_have, body, h.body_len);
	conn->reasm_have += h.body_len;
	if (!last)
		return;
	rr_deliver(conn, conn->reasm, conn->reasm_len);
	kvfree(conn->reasm);
	conn->reasm = NULL;
}

/* Returns >0 on progress, 0 when the socket is drained, <0 after failing. */
static int rr_rx_step(struct rraft_conn *conn)
{
	struct rraft_net *net = conn->net;
	struct kvec iov;
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct rraft_wire_hdr h;
	int n, err;

	iov.iov_base = conn->rxbuf + conn->rx_have;
	iov.iov_len = conn->rx_need - conn->rx_have;
	n = kernel_recvmsg(conn->sock, &msg, &iov, 1, iov.iov_len,
			   MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == -EAGAIN)
		return 0;
	if (n <= 0) {
		rraft_net_conn_fail(conn, n ? n : -ECONNRESET,
				    n ? "receive error" : "connection closed by peer");
		return -ECONNRESET;
	}
	spin_lock(&net->lock);
	conn->peer->st.bytes_received += n;
	spin_unlock(&net->lock);
	conn->rx_have += n;
	if (conn->rx_have < conn->rx_need)
		return 1;
	if (conn->rx_need == RRAFT_WIRE_HDR_SIZE) {
		err = rraft_wire_check_header(conn->rxbuf, RRAFT_WIRE_HDR_SIZE, &h);
		if (err) {
			rraft_net_conn_fail(conn, err, "bad frame header");
			return err;
		}
		if (h.body_len > RRAFT_WIRE_SLICE ||
		    (!rraft_wire_type_is_msg(h.type) && h.type != RRAFT_WT_FRAG)) {
			rraft_net_conn_fail(conn, -EPROTO, "unexpected frame");
			return -EPROTO;
		}
		conn->rx_need += h.body_len + RRAFT_WIRE_TRAILER_SIZE;
		return 1;
	}
	/* A whole record. */
	n = conn->rx_need;
	conn->rx_have = 0;
	conn->rx_need = RRAFT_WIRE_HDR_SIZE;
	if (rr_get_le16(conn->rxbuf + 6) == RRAFT_WT_FRAG)
		rr_rx_frag(conn, n);
	else
		rr_deliver(conn, conn->rxbuf, n);
	return 1;
}

void rraft_net_rx_work(struct work_struct *w)
{
	struct rraft_conn *conn = container_of(w, struct rraft_conn, rx_work);
	unsigned int noio = memalloc_noio_save();
	int budget = RR_RX_BUDGET, ret = 0;

	while (budget-- > 0) {
		if (READ_ONCE(conn->state) != RR_CONN_UP)
			break;
		ret = rr_rx_step(conn);
		if (ret <= 0)
			break;
	}
	if (ret > 0 && budget < 0)
		queue_work(conn->net->wq, &conn->rx_work);
	memalloc_noio_restore(noio);
}

/* ---- send ---------------------------------------------------------------- */

/* Pick the next record; false if there is nothing to send. */
static bool rr_tx_next(struct rraft_conn *conn)
{
	struct rraft_net *net = conn->net;
	struct rr_frame *f;
	u32 left;

	spin_lock(&net->lock);
	if (conn->state != RR_CONN_UP) {
		spin_unlock(&net->lock);
		return false;
	}
	f = list_first_entry_or_null(&conn->txq_ctrl, struct rr_frame, node);
	if (f) {
		list_del(&f->node);
		conn->ctrl_bytes -= f->len;
		spin_unlock(&net->lock);
		conn->tx_ctrl = f;
		conn->tx_vec[0].iov_base = f->buf;
		conn->tx_vec[0].iov_len = f->len;
		conn->tx_nvec = 1;
		conn->tx_rec_len = f->len;
		conn->tx_rec_sent = 0;
		return true;
	}
	if (!conn->tx_bulk) {
		f = list_first_entry_or_null(&conn->txq_bulk, struct rr_frame,
					     node);
		if (!f) {
			spin_unlock(&net->lock);
			return false;
		}
		list_del(&f->node);
		conn->bulk_bytes -= f->len;
		conn->tx_bulk = f;
		conn->tx_bulk_off = 0;
	}
	spin_unlock(&net->lock);
	f = conn->tx_bulk;
	if (f->len <= RRAFT_WIRE_SLICE + RRAFT_WIRE_OVERHEAD) {
		conn->tx_slice = f->len;
		conn->tx_vec[0].iov_base = f->buf;
		conn->tx_vec[0].iov_len = f->len;
		conn->tx_nvec = 1;
		conn->tx_rec_len = f->len;
	} else {
		left = f->len - conn->tx_bulk_off;
		conn->tx_slice = min(left, RRAFT_WIRE_SLICE);
		rraft_wire_put_header(conn->tx_fraghdr, RRAFT_WT_FRAG,
				      conn->tx_slice == left ? RRAFT_WF_LAST : 0,
				      conn->tx_slice);
		rr_put_le32(rraft_wire_crc(f->buf + conn->tx_bulk_off,
					   conn->tx_slice), conn->tx_fragcrc);
		conn->tx_vec[0].iov_base = conn->tx_fraghdr;
		conn->tx_vec[0].iov_len = RRAFT_WIRE_HDR_SIZE;
		conn->tx_vec[1].iov_base = f->buf + conn->tx_bulk_off;
		conn->tx_vec[1].iov_len = conn->tx_slice;
		conn->tx_vec[2].iov_base = conn->tx_fragcrc;
		conn->tx_vec[2].iov_len = RRAFT_WIRE_TRAILER_SIZE;
		conn->tx_nvec = 3;
		conn->tx_rec_len = conn->tx_slice + RRAFT_WIRE_OVERHEAD;
	}
	conn->tx_rec_sent = 0;
	return true;
}

static void rr_tx_done(struct rraft_conn *conn)
{
	struct rraft_net *net = conn->net;
	struct rr_frame *done = NULL;

	if (conn->tx_ctrl) {
		done = conn->tx_ctrl;
		conn->tx_ctrl = NULL;
	} else {
		conn->tx_bulk_off += conn->tx_slice;
		if (conn->tx_bulk_off == conn->tx_bulk->len) {
			done = conn->tx_bulk;
			conn->tx_bulk = NULL;
		}
	}
	conn->tx_rec_len = 0;
	if (done) {
		spin_lock(&net->lock);
		conn->peer->st.msgs_sent++;
		spin_unlock(&net->lock);
		kvfree(done);
	}
}

void rraft_net_tx_work(struct work_struct *w)
{
	struct rraft_conn *conn = container_of(w, struct rraft_conn, tx_work);
	struct rraft_net *net = conn->net;
	unsigned int noio = memalloc_noio_save();
	u32 budget = RR_TX_BUDGET;
	struct kvec vec[3];
	struct msghdr msg;
	u32 skip, i, nv;
	int n;

	while (budget) {
		if (READ_ONCE(conn->state) != RR_CONN_UP)
			break;
		if (!conn->tx_rec_len && !rr_tx_next(conn))
			break;
		/* The unsent part of the record. */
		skip = conn->tx_rec_sent;
		for (i = 0, nv = 0; i < conn->tx_nvec; i++) {
			if (skip >= conn->tx_vec[i].iov_len) {
				skip -= conn->tx_vec[i].iov_len;
				continue;
			}
			vec[nv].iov_base = (u8 *)conn->tx_vec[i].iov_base + skip;
			vec[nv].iov_len = conn->tx_vec[i].iov_len - skip;
			skip = 0;
			nv++;
		}
		memset(&msg, 0, sizeof(msg));
		msg.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL;
		n = kernel_sendmsg(conn->sock, &msg, vec, nv,
				   conn->tx_rec_len - conn->tx_rec_sent);
		if (n == -EAGAIN)
			break;		/* write_space requeues us */
		if (n <= 0) {
			rraft_net_conn_fail(conn, n ? n : -EIO, "send error");
			break;
		}
		spin_lock(&net->lock);
		conn->peer->st.bytes_sent += n;
		spin_unlock(&net->lock);
		conn->tx_rec_sent += n;
		budget -= min_t(u32, budget, n);
		if (conn->tx_rec_sent == conn->tx_rec_len)
			rr_tx_done(conn);
	}
	if (!budget)
		queue_work(net->wq, &conn->tx_work);
	memalloc_noio_restore(noio);
}

int rraft_net_send(struct rraft_net *net, const struct raft_msg *m)
{
	struct rraft_conn *conn;
	struct rraft_net_peer *p;
	struct rr_frame *f;
	unsigned int noio;
	bool bulk, queued = false;
	u64 size;
	int err;

	size = rraft_wire_msg_size(m);
	if (!size)
		return -EINVAL;
	bulk = rraft_wire_msg_is_bulk(m->type) ||
	       size > RRAFT_WIRE_SLICE + RRAFT_WIRE_OVERHEAD;

	/* Cheap check first: do not encode what would be dropped. */
	spin_lock(&net->lock);
	p = rr_find_peer(net, m->to);
	if (!p) {
		spin_unlock(&net->lock);
		return -ENOENT;
	}
	conn = p->conn;
	if (!conn || conn->state != RR_CONN_UP ||
	    (bulk ? conn->bulk_bytes + size > RR_BULK_QUEUE_MAX :
		    conn->ctrl_bytes + size > RR_CTRL_QUEUE_MAX)) {
		p->st.msgs_dropped++;
		spin_unlock(&net->lock);
		return conn && conn->state == RR_CONN_UP ? -ENOBUFS : -ENOTCONN;
	}
	spin_unlock(&net->lock);

	noio = memalloc_noio_save();
	f = kvmalloc(sizeof(*f) + size, GFP_KERNEL | __GFP_NOWARN);
	memalloc_noio_restore(noio);
	if (f) {
		f->len = size;
		err = rraft_wire_encode(m, f->buf, size);
		if (WARN_ON_ONCE(err != size)) {
			kvfree(f);
			f = NULL;
		}
	}

	spin_lock(&net->lock);
	p = rr_find_peer(net, m->to);
	conn = p ? p->conn : NULL;
	if (f && conn && conn->state == RR_CONN_UP &&
	    (bulk ? conn->bulk_bytes + size <= RR_BULK_QUEUE_MAX :
		    conn->ctrl_bytes + size <= RR_CTRL_QUEUE_MAX)) {
		if (bulk) {
			list_add_tail(&f->node, &conn->txq_bulk);
			conn->bulk_bytes += size;
		} else {
			list_add_tail(&f->node, &conn->txq_ctrl);
			conn->ctrl_bytes += size;
		}
		queue_work(net->wq, &conn->tx_work);
		queued = true;
	} else if (p) {
		p->st.msgs_dropped++;
	}
	spin_unlock(&net->lock);
	if (queued)
		return 0;
	kvfree(f);
	return f ? -ENOTCONN : -ENOMEM;
}

