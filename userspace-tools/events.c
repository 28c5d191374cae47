// SPDX-License-Identifier: GPL-2.0
/*
 * events.c - "rraftctl watch" and "rraftctl events" (like drbdsetup
 * events2): the state of every device from sysfs ("exists" lines), then one
 * line per change, driven by the kernel's uevents (a NETLINK_KOBJECT_UEVENT
 * socket, libc only).  rraft sends a "change" uevent with RRAFT_*
 * properties for every role, term, leader, disk, membership and peer
 * connection change (Documentation/ABI/testing/sysfs-block-rraft); the
 * block layer sends "remove" when the disk goes.  A change is reported
 * from the event's own properties, never by reading sysfs again, so a
 * device being torn down is never reported half gone; a device appears
 * with its first rraft event ("create") and disappears with its removal
 * ("destroy").  If the socket overflowed (ENOBUFS), sysfs is read again
 * and compared, as at start.
 *
 * RRAFT_UEVENT_SOCKET=PATH (the tests) binds a Unix datagram socket at PATH
 * instead; each datagram is one uevent in the kernel's format
 * ("ACTION@DEVPATH\0KEY=VALUE\0...").
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "rraftctl.h"

#define EV_MINORS	256
#define EV_BUF		8192

enum { W_ROLE, W_TERM, W_LEADER, W_DISK, W_CONF, W_MEMBERS, W_NF };
static const char *const w_key[W_NF] = {
	"role", "term", "leader", "disk", "conf", "members",
};

static const int w_attr[W_NF] = {
	A_ROLE, A_TERM, A_LEADER, A_DISK, A_CONF_PHASE, A_MEMBERS,
};

/* The uevent property of each field ("members" is three of them). */
static const char *const w_prop[W_NF] = {
	"RRAFT_ROLE", "RRAFT_TERM", "RRAFT_LEADER", "RRAFT_DISK", "RRAFT_CONF",
	NULL,
};

struct wsnap {
	bool up;
	char name[64];
	char what[96];		/* RRAFT_EVENT of the last event */
	char f[W_NF][128];
	int npeers;
	unsigned int id[RR_MAX_PEER_DIRS];
	char conn[RR_MAX_PEER_DIRS][32];
};

/* One received uevent: its properties. */
struct uev {
	char buf[EV_BUF + 1];
	const char *kv[64];
	int n;
};

struct ev_ctx {
	bool events;		/* "events" (full lines), else "watch" (diffs) */
	bool json;
	bool timestamps;
	long left;		/* events still to print, <0: unlimited */
	int want;		/* the one minor watched, or -1 */
	const char *label;	/* its name */
	struct wsnap *old;	/* EV_MINORS */
};

/* ------------------------------------------------------------ the socket */

static int uev_open(void)
{
	const char *path = getenv("RRAFT_UEVENT_SOCKET");
	int fd, sz = 4 << 20;

	if (path && *path) {
		struct sockaddr_un un = { .sun_family = AF_UNIX };

		if (strlen(path) >= sizeof(un.sun_path)) {
			rr_err("RRAFT_UEVENT_SOCKET: path too long");
			return -1;
		}
		strcpy(un.sun_path, path);
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto fail;
		unlink(path);
		if (bind(fd, (struct sockaddr *)&un, sizeof(un)))
			goto fail_close;
		return fd;
	}
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
		    NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		goto fail;
	{
		struct sockaddr_nl nl = {
			.nl_family = AF_NETLINK, .nl_groups = 1,
		};

		/* a bigger queue where allowed; else the default */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		if (bind(fd, (struct sockaddr *)&nl, sizeof(nl)))
			goto fail_close;
	}
	return fd;
fail_close:
	close(fd);
fail:
	rr_err("cannot open the uevent socket: %s", strerror(errno));
	return -1;
}

/* Receive one uevent: 1, 0 (not one from the kernel), -ENOBUFS, -errno. */
static int uev_recv(int fd, struct uev *u)
{
	struct sockaddr_storage from;
	struct iovec iov = { u->buf, EV_BUF };
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n = recvmsg(fd, &mh, 0);
	size_t at;

	if (n < 0)
		return -errno;
	if (from.ss_family == AF_NETLINK &&
	    ((struct sockaddr_nl *)&from)->nl_pid != 0)
		return 0;	/* not the kernel's */
	u->buf[n] = '\0';
	u->n = 0;
	if (!strchr(u->buf, '@'))
		return 0;	/* libudev's format, or garbage */
	for (at = strlen(u->buf) + 1; at < (size_t)n && u->n < 64;
	     at += strlen(u->buf + at) + 1)
		if (u->buf[at])
			u->kv[u->n++] = u->buf + at;
	return 1;
}

static const char *uev_get(const struct uev *u, const char *key)
{
	size_t n = strlen(key);
	int i;

	for (i = 0; i < u->n; i++)
		if (!strncmp(u->kv[i], key, n) && u->kv[i][n] == '=')
			return u->kv[i] + n + 1;
	return NULL;
}

/* The minor of an rraft disk's uevent, else -1. */
static int uev_minor(const struct uev *u)
{
	const char *sub = uev_get(u, "SUBSYSTEM"), *name = uev_get(u, "DEVNAME");
	const char *type = uev_get(u, "DEVTYPE");
	unsigned long long m;

	if (!sub || strcmp(sub, "block") || !name || (type && strcmp(type, "disk")))
		return -1;
	if (!strncmp(name, "/dev/", 5))
		name += 5;
	if (strncmp(name, "rraft", 5) || name[5] < '0' || name[5] > '9' ||
	    rr_arg_u64(name + 5, 0, EV_MINORS - 1, &m))
		return -1;
	return (int)m;
}

/* ------------------------------------------------------------ snapshots */

static void ev_name(const struct ev_ctx *x, int minor, char *buf, size_t len)
{
	if (x->want >= 0)
		snprintf(buf, len, "%s", x->label);
	else if (!rr_conf_name_for_minor(minor, buf, len))
		snprintf(buf, len, "rraft%d", minor);
}

static void snap_peer(struct wsnap *s, unsigned int id, const char *conn)
{
	char cbuf[32];

	if (s->npeers >= RR_MAX_PEER_DIRS)
		return;
	s->id[s->npeers] = id;
	snprintf(s->conn[s->npeers], sizeof(s->conn[0]), "%s",
		 rr_conn_display(conn, cbuf, sizeof(cbuf)));
	s->npeers++;
}

/* From sysfs; false for a device without every field (half gone). */
static bool snap_sysfs(const struct rr_dev_state *st, struct wsnap *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < W_NF; i++) {
		if (!st->present[w_attr[i]] || !st->val[w_attr[i]][0])
			return false;
		snprintf(s->f[i], sizeof(s->f[i]), "%s", st->val[w_attr[i]]);
	}
	for (i = 0; i < st->npeers; i++)
		snap_peer(s, st->peers[i].id, rr_peer_get(&st->peers[i], "conn"));
	snprintf(s->name, sizeof(s->name), "%s", st->name);
	s->up = true;
	return true;
}

/* From an rraft "change" uevent; false unless it has every property. */
static bool snap_uevent(const struct uev *u, struct wsnap *s)
{
	const char *v = uev_get(u, "RRAFT_VOTERS");
	const char *o = uev_get(u, "RRAFT_VOTERS_OLD");
	const char *l = uev_get(u, "RRAFT_LEARNERS");
	const char *p = uev_get(u, "RRAFT_PEERS");
	const char *w = uev_get(u, "RRAFT_EVENT");
	char buf[512], *save = NULL, *tok;
	int i;

	memset(s, 0, sizeof(*s));
	if (!v || !o || !l || !p || !w)
		return false;
	for (i = 0; i < W_MEMBERS; i++) {
		const char *f = uev_get(u, w_prop[i]);

		if (!f || !*f)
			return false;
		snprintf(s->f[i], sizeof(s->f[i]), "%s", f);
	}
	snprintf(s->f[W_MEMBERS], sizeof(s->f[0]), "voters=%s old=%s learners=%s",
		 v, o, l);
	snprintf(s->what, sizeof(s->what), "%s", w);
	snprintf(buf, sizeof(buf), "%s", p);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		unsigned long long id;

		if (!colon)
			continue;
		*colon = '\0';
		if (!rr_arg_u64(tok, 1, 65535, &id))
			snap_peer(s, (unsigned int)id, colon + 1);
	}
	s->up = true;
	return true;
}

/* --------------------------------------------------------------- output */

static void ev_prefix(const struct ev_ctx *x)
{
	struct timeval tv;
	struct tm tm;
	char buf[64];

	if (!x->timestamps)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	if (x->json)
		printf("\"time\": \"%s.%03ldZ\", ", buf, (long)(tv.tv_usec / 1000));
	else
		printf("%s.%03ldZ ", buf, (long)(tv.tv_usec / 1000));
}

/* Start an event line; false once --count events have been printed. */
static bool ev_begin(struct ev_ctx *x, bool counts)
{
	if (counts) {
		if (!x->left)
			return false;
		if (x->left > 0)
			x->left--;
	}
	if (x->json)
		putchar('{');
	ev_prefix(x);
	return true;
}

/* "voters=1,2,3 old= learners=4" -> " voters:1,2,3 learners:4" */
static void print_members(const char *m)
{
	char buf[128], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", m);
	for (tok = strtok_r(buf, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq || !eq[1])
			continue;
		*eq = '\0';
		printf(" %s:%s", tok, eq + 1);
	}
}

static void print_field(int i, const char *v)
{
	if (i == W_MEMBERS)
		print_members(v);
	else
		printf(" %s:%s", w_key[i], v);
}

/*
 * JSON: "key": [1, 2] from "1,2" (numbers, as they are), or, quoted,
 * "key": ["a", "b"] from "a,b" (strings)
 */
static void json_list(const char *key, const char *list, bool quoted)
{
	char buf[128], *save = NULL, *tok;
	bool first = true;

	printf(", \"%s\": [", key);
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		printf("%s", first ? "" : ", ");
		if (quoted)
			rr_json_str(tok);
		else
			fputs(tok, stdout);
		first = false;
	}
	putchar(']');
}

/* JSON: the members string as "voters", "voters_old", "learners" lists */
static void json_members(const char *m)
{
	static const char *const keys[] = { "voters", "old", "learners" };
	static const char *const names[] = { "voters", "voters_old", "learners" };
	char buf[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *p = strstr(m, keys[i]);
		size_t n;

		buf[0] = '\0';
		if (p && p[strlen(keys[i])] == '=') {
			p += strlen(keys[i]) + 1;
			n = strcspn(p, " \t");
			snprintf(buf, sizeof(buf), "%.*s", (int)n, p);
		}
		json_list(names[i], buf, false);
	}
}

static void json_state(const char *verb, const char *name, int minor,
		       const struct wsnap *s)
{
	int i;

	printf("\"event\": \"%s\", \"device\": ", verb);
	rr_json_str(name);
	printf(", \"minor\": %d", minor);
	if (!s) {
		puts("}");
		return;
	}
	if (s->what[0])
		json_list("what", s->what, true);
	for (i = 0; i < W_MEMBERS; i++) {
		printf(", \"%s\": ", w_key[i]);
		if (i == W_TERM || i == W_LEADER)
			printf("%s", s->f[i]);
		else
			rr_json_str(s->f[i]);
	}
	json_members(s->f[W_MEMBERS]);
	printf(", \"peers\": [");
	for (i = 0; i < s->npeers; i++) {
		printf("%s{\"id\": %u, \"connection\": ", i ? ", " : "",
		       s->id[i]);
		rr_json_str(s->conn[i]);
		putchar('}');
	}
	puts("]}");
}

/* events: one line with the whole state (or "destroy": none) */
static void ev_line(struct ev_ctx *x, const char *verb, int minor,
		    const struct wsnap *s, const char *name, bool counts)
{
	int i;

	if (!ev_begin(x, counts))
		return;
	if (x->json) {
		json_state(verb, name, minor, s);
		return;
	}
	printf("%s device %s minor:%d", verb, name, minor);
	if (s) {
		if (s->what[0])
			printf(" what:%s", s->what);
		for (i = 0; i < W_NF; i++)
			print_field(i, s->f[i]);
		if (s->npeers)
			printf(" peers:");
		for (i = 0; i < s->npeers; i++)
			printf("%s%u:%s", i ? "," : "", s->id[i], s->conn[i]);
	}
	putchar('\n');
}

/* watch: the device line and a line per peer */
static void w_full(struct ev_ctx *x, const char *verb, int minor,
		   const struct wsnap *s, bool counts)
{
	int i;

	if (x->events) {
		ev_line(x, verb, minor, s, s->name, counts);
		return;
	}
	if (!ev_begin(x, counts))
		return;
	printf("%s device %s minor:%d", verb, s->name, minor);
	for (i = 0; i < W_NF; i++)
		print_field(i, s->f[i]);
	putchar('\n');
	for (i = 0; i < s->npeers; i++) {
		if (!ev_begin(x, counts))
			return;
		printf("%s peer %s peer:%u connection:%s\n", verb, s->name,
		       s->id[i], s->conn[i]);
	}
}

static int w_find(const struct wsnap *s, unsigned int id)
{
	int i;

	for (i = 0; i < s->npeers; i++)
		if (s->id[i] == id)
			return i;
	return -1;
}

static bool snap_differs(const struct wsnap *o, const struct wsnap *n)
{
	int i;

	for (i = 0; i < W_NF; i++)
		if (strcmp(o->f[i], n->f[i]))
			return true;
	if (o->npeers != n->npeers)
		return true;
	for (i = 0; i < n->npeers; i++)
		if (o->id[i] != n->id[i] || strcmp(o->conn[i], n->conn[i]))
			return true;
	return false;
}

/* watch: the fields and peers that changed */
static void w_diff(struct ev_ctx *x, int minor, const struct wsnap *o,
		   const struct wsnap *n)
{
	bool any = false;
	int i, j;

	if (x->events) {
		if (snap_differs(o, n))
			ev_line(x, "change", minor, n, n->name, true);
		return;
	}
	for (i = 0; i < W_NF; i++)
		if (strcmp(o->f[i], n->f[i]))
			any = true;
	if (any && ev_begin(x, true)) {
		printf("change device %s", n->name);
		for (i = 0; i < W_NF; i++)
			if (strcmp(o->f[i], n->f[i]))
				print_field(i, n->f[i]);
		putchar('\n');
	}
	for (i = 0; i < n->npeers; i++) {
		j = w_find(o, n->id[i]);
		if (j < 0) {
			if (ev_begin(x, true))
				printf("create peer %s peer:%u connection:%s\n",
				       n->name, n->id[i], n->conn[i]);
		} else if (strcmp(o->conn[j], n->conn[i])) {
			if (ev_begin(x, true))
				printf("change peer %s peer:%u connection:%s\n",
				       n->name, n->id[i], n->conn[i]);
		}
	}
	for (i = 0; i < o->npeers; i++)
		if (w_find(n, o->id[i]) < 0 && ev_begin(x, true))
			printf("destroy peer %s peer:%u\n", n->name, o->id[i]);
}

static void ev_destroy(struct ev_ctx *x, int minor)
{
	struct wsnap *o = &x->old[minor];

	if (!o->up)
		return;
	if (x->events)
		ev_line(x, "destroy", minor, NULL, o->name, true);
	else if (ev_begin(x, true))
		printf("destroy device %s minor:%d\n", o->name, minor);
	o->up = false;
}

/* A new state of a device: create, or the changes. */
static void ev_update(struct ev_ctx *x, int minor, struct wsnap *s)
{
	if (!x->old[minor].up)
		w_full(x, "create", minor, s, true);
	else
		w_diff(x, minor, &x->old[minor], s);
	x->old[minor] = *s;
}

/* ----------------------------------------------------------- the stream */

/* Read every device from sysfs: at start ("exists") and after an overflow. */
static void ev_scan(struct ev_ctx *x, bool first)
{
	static struct rr_dev_state st;
	bool seen[EV_MINORS] = { false };
	int minors[EV_MINORS], n, i;
	struct wsnap cur;

	n = rr_list_minors(minors, EV_MINORS);
	for (i = 0; i < n; i++) {
		int m = minors[i];

		if (x->want >= 0 && m != x->want)
			continue;
		if (rr_state_read(m, &st))
			continue;
		ev_name(x, m, st.name, sizeof(st.name));
		if (!snap_sysfs(&st, &cur))
			continue;	/* going away: its removal follows */
		seen[m] = true;
		if (first) {
			w_full(x, "exists", m, &cur, false);
			x->old[m] = cur;
		} else {
			ev_update(x, m, &cur);
		}
	}
	for (i = 0; i < EV_MINORS; i++)
		if (x->old[i].up && !seen[i])
			ev_destroy(x, i);
	if (first && ev_begin(x, false)) {
		if (x->json)
			puts("\"event\": \"exists\", \"device\": \"-\"}");
		else
			puts("exists -");
	}
}

static void ev_handle(struct ev_ctx *x, const struct uev *u)
{
	const char *action = uev_get(u, "ACTION");
	int m = uev_minor(u);
	struct wsnap s;

	if (m < 0 || !action || (x->want >= 0 && m != x->want))
		return;
	if (!strcmp(action, "remove")) {
		ev_destroy(x, m);
	} else if (!strcmp(action, "change") && snap_uevent(u, &s)) {
		ev_name(x, m, s.name, sizeof(s.name));
		ev_update(x, m, &s);
	}
	/* "add": the device is reported with its first rraft event */
}

static int ev_run(struct ev_ctx *x, int argc, char **argv)
{
	static struct uev u;
	struct pollfd pfd[2];
	sigset_t sigs;
	int fd, sfd, rc = RR_OK, want = -1;
	char label[64];

	if (argc > 1) {
		rr_err("at most one resource");
		return RR_EUSAGE;
	}
	if (argc == 1) {
		rc = rr_resolve(argv[0], &want, label, sizeof(label));
		if (rc)
			return rc;
	}
	x->want = want;
	x->label = label;
	/* SIGINT/SIGTERM end the stream: read from a signalfd */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0) {
		rr_err("signalfd: %s", strerror(errno));
		return RR_EFAIL;
	}
	fd = uev_open();	/* before the scan: no change falls between */
	x->old = calloc(EV_MINORS, sizeof(*x->old));
	if (fd < 0 || !x->old) {
		if (!x->old)
			rr_err("out of memory");
		rc = RR_EFAIL;
		goto out;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ev_scan(x, true);
	pfd[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	while (x->left && !fflush(stdout) && !ferror(stdout)) {
		int r;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			rr_err("poll: %s", strerror(errno));
			rc = RR_EFAIL;
			break;
		}
		if (pfd[1].revents)
			break;
		if (!pfd[0].revents)
			continue;
		r = uev_recv(fd, &u);
		if (r == -ENOBUFS)
			ev_scan(x, false);	/* events were lost */
		else if (r == 1)
			ev_handle(x, &u);
		else if (r < 0 && r != -EINTR && r != -EAGAIN) {
			rr_err("receiving uevents: %s", strerror(-r));
			rc = RR_EFAIL;
			break;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	close(sfd);
	free(x->old);
	if (fflush(stdout) || ferror(stdout))
		rc = RR_EFAIL;
	return rc;
}

int rr_cmd_watch(int argc, char **argv, long count, bool timestamps)
{
	struct ev_ctx x = {
		.timestamps = timestamps, .left = count > 0 ? count : -1,
	};

	return ev_run(&x, argc, argv);
}

int rr_cmd_events(int argc, char **argv, long count, bool json,
		  bool timestamps)
{
	struct ev_ctx x = {
		.events = true, .json = json, .timestamps = timestamps,
		.left = count > 0 ? count : -1,
	};

	return ev_run(&x, argc, argv);
}
