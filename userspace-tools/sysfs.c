// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs.c - reading and writing the rraft sysfs interface:
 *   <root>/class/rraft-control/{format,create,remove}
 *   <root>/block/rraft<minor>/rraft/<attribute>
 * <root> is /sys unless RRAFT_SYSFS says otherwise.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rraftctl.h"

const char *const rr_attr_names[RR_NATTR] = {
	"node_id", "cluster_id", "role", "term", "vote", "leader",
	"commit_index", "applied_index", "persisted_index", "first_index",
	"last_index", "snap_index", "snap_term", "log_used", "log_capacity",
	"members", "conf_phase", "disk_state", "sync_progress", "backing",
	"io_timeout", "sync_rate", "data_offset", "security",
};

const bool rr_attr_numeric[RR_NATTR] = {
	[A_NODE_ID] = true, [A_TERM] = true, [A_VOTE] = true,
	[A_LEADER] = true, [A_COMMIT] = true, [A_APPLIED] = true,
	[A_PERSISTED] = true, [A_FIRST] = true, [A_LAST] = true,
	[A_SNAP_INDEX] = true, [A_SNAP_TERM] = true, [A_LOG_USED] = true,
	[A_LOG_CAP] = true, [A_IO_TIMEOUT] = true, [A_SYNC_RATE] = true,
	[A_DATA_OFFSET] = true,
};

const char *rr_sysfs_root(void)
{
	const char *r = getenv("RRAFT_SYSFS");

	return r && *r ? r : "/sys";
}

const char *rr_errno_name(int e)
{
	static const struct { int e; const char *n; } tab[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EIO, "EIO" },
		{ ENXIO, "ENXIO" }, { E2BIG, "E2BIG" }, { EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EBUSY, "EBUSY" },
		{ EEXIST, "EEXIST" }, { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" },
		{ ENOSPC, "ENOSPC" }, { EROFS, "EROFS" }, { ERANGE, "ERANGE" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { ENOTCONN, "ENOTCONN" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { EALREADY, "EALREADY" },
		{ EINPROGRESS, "EINPROGRESS" }, { EUCLEAN, "EUCLEAN" },
		{ ESTALE, "ESTALE" }, { EADDRINUSE, "EADDRINUSE" },
		{ EADDRNOTAVAIL, "EADDRNOTAVAIL" }, { ENOTBLK, "ENOTBLK" },
		{ EFBIG, "EFBIG" }, { EMSGSIZE, "EMSGSIZE" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tab); i++)
		if (tab[i].e == e)
			return tab[i].n;
	return "?";
}

int rr_write_errno;

static int do_write(const char *path, const char *val, const char *what,
		    bool quiet)
{
	char line[4096];
	ssize_t w;
	size_t n;
	int fd;

	rr_write_errno = 0;
	n = (size_t)snprintf(line, sizeof(line), "%s\n", val);
	if (n >= sizeof(line)) {
		rr_err("%s: value too long for sysfs", what);
		return RR_EUSAGE;
	}
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		rr_err("cannot open %s: %s", path, strerror(errno));
		return errno == ENOENT ? RR_ENOTFOUND : RR_EFAIL;
	}
	w = write(fd, line, n);
	if (w < 0) {
		int e = errno;

		close(fd);
		rr_write_errno = e;
		if (!quiet)
			rr_err("kernel refused %s: %s (%s); see dmesg", what,
			       strerror(e), rr_errno_name(e));
		return RR_EKERNEL;
	}
	if (close(fd) < 0) {
		int e = errno;

		rr_write_errno = e;
		if (!quiet)
			rr_err("kernel refused %s: %s (%s); see dmesg", what,
			       strerror(e), rr_errno_name(e));
		return RR_EKERNEL;
	}
	if ((size_t)w != n) {
		rr_err("%s: short write to %s", what, path);
		return RR_EFAIL;
	}
	return RR_OK;
}

int rr_sysfs_write(const char *path, const char *val, const char *what)
{
	return do_write(path, val, what, false);
}

/* RR_OK if the module's control class is there, else a message and 5 */
int rr_ctl_present(void)
{
	char dir[RR_PATH_LEN];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/class/rraft-control", rr_sysfs_root());
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		rr_err("rraft module not loaded (no %s); run 'modprobe rraft'",
		       dir);
		return RR_ENOTFOUND;
	}
	return RR_OK;
}

int rr_ctl_write(const char *file, const char *val)
{
	char path[RR_PATH_LEN + 64], what[64];
	int rc = rr_ctl_present();

	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/class/rraft-control/%s",
		 rr_sysfs_root(), file);
	snprintf(what, sizeof(what), "%s", file);
	return do_write(path, val, what, false);
}

static void dev_path(int minor, const char *attr, char *buf, size_t len)
{
	snprintf(buf, len, "%s/block/rraft%d/rraft%s%s", rr_sysfs_root(),
		 minor, attr ? "/" : "", attr ? attr : "");
}

bool rr_dev_exists(int minor)
{
	char path[RR_PATH_LEN];
	struct stat st;

	dev_path(minor, NULL, path, sizeof(path));
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

int rr_dev_write(int minor, const char *attr, const char *val, bool quiet)
{
	char path[RR_PATH_LEN];

	if (!rr_dev_exists(minor)) {
		rr_err("rraft%d does not exist (is the resource up?)", minor);
		return RR_ENOTFOUND;
	}
	dev_path(minor, attr, path, sizeof(path));
	return do_write(path, val, attr, quiet);
}

/* Read an attribute, strip trailing white space.  0 or -errno. */
int rr_dev_read(int minor, const char *attr, char *buf, size_t len)
{
	char path[RR_PATH_LEN];
	ssize_t n;
	size_t got = 0;
	int fd;

	dev_path(minor, attr, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got + 1 < len) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			close(fd);
			return -e;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	while (got && isspace((unsigned char)buf[got - 1]))
		buf[--got] = '\0';
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int rr_list_minors(int *minors, int max)
{
	char dir[RR_PATH_LEN];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/block", rr_sysfs_root());
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		unsigned long long m;

		if (strncmp(de->d_name, "rraft", 5) ||
		    rr_arg_u64(de->d_name + 5, 0, 255, &m) ||
		    !isdigit((unsigned char)de->d_name[5]))
			continue;
		if (rr_dev_exists((int)m))
			minors[n++] = (int)m;
	}
	closedir(d);
	qsort(minors, (size_t)n, sizeof(*minors), cmp_int);
	return n;
}

static void parse_peer_line(char *line, struct rr_peer *p)
{
	char *save = NULL, *tok;
	unsigned long long id = 0;

	memset(p, 0, sizeof(*p));
	tok = strtok_r(line, " \t", &save);
	if (tok && !rr_arg_u64(tok, 0, 65535, &id))
		p->id = (unsigned int)id;
	while ((tok = strtok_r(NULL, " \t", &save)) && p->nkv < RR_MAX_KV) {
		char *eq = strchr(tok, '=');
		struct rr_kv *kv = &p->kv[p->nkv];

		if (!eq)
			continue;
		*eq = '\0';
		snprintf(kv->key, sizeof(kv->key), "%s", tok);
		snprintf(kv->val, sizeof(kv->val), "%s", eq + 1);
		p->nkv++;
	}
}

int rr_state_read(int minor, struct rr_dev_state *st)
{
	static char peers[16384];
	char *line, *save = NULL;
	int i;

	memset(st, 0, sizeof(*st));
	st->minor = minor;
	if (!rr_dev_exists(minor))
		return RR_ENOTFOUND;
	if (!rr_conf_name_for_minor(minor, st->name, sizeof(st->name)))
		snprintf(st->name, sizeof(st->name), "rraft%d", minor);
	for (i = 0; i < RR_NATTR; i++)
		st->present[i] = !rr_dev_read(minor, rr_attr_names[i],
					      st->val[i], sizeof(st->val[i]));
	if (rr_dev_read(minor, "peers", peers, sizeof(peers)))
		return RR_OK;
	for (line = strtok_r(peers, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (st->npeers >= RR_MAX_PEER_DIRS)
			break;
		while (isspace((unsigned char)*line))
			line++;
		if (!*line)
			continue;
		parse_peer_line(line, &st->peers[st->npeers]);
		if (st->peers[st->npeers].id)
			st->npeers++;
	}
	return RR_OK;
}

bool rr_state_u64(const struct rr_dev_state *st, int idx, unsigned long long *v)
{
	return st->present[idx] && !rr_arg_u64(st->val[idx], 0, ULLONG_MAX, v);
}

const char *rr_peer_get(const struct rr_peer *p, const char *key)
{
	int i;

	for (i = 0; i < p->nkv; i++)
		if (!strcmp(p->kv[i].key, key))
			return p->kv[i].val;
	return NULL;
}

const struct rr_peer *rr_state_peer(const struct rr_dev_state *st, unsigned int id)
{
	int i;

	for (i = 0; i < st->npeers; i++)
		if (st->peers[i].id == id)
			return &st->peers[i];
	return NULL;
}

/* The leader's last index minus the peer's match index; leader only. */
bool rr_peer_lag(const struct rr_dev_state *st, const struct rr_peer *p,
		 unsigned long long *lag)
{
	const char *m = rr_peer_get(p, "match");
	unsigned long long last, match;

	if (!st->present[A_ROLE] || strcmp(st->val[A_ROLE], "leader"))
		return false;
	if (!m || rr_arg_u64(m, 0, ULLONG_MAX, &match) ||
	    !rr_state_u64(st, A_LAST, &last))
		return false;
	*lag = last > match ? last - match : 0;
	return true;
}

/*
 * The devices a command shows: the one named (argv[0], which must exist;
 * label gets its name), or every device (minors: room for 256).
 */
int rr_select_devices(int argc, char **argv, bool all, int *minors, int *n,
		      char *label, size_t len)
{
	int rc;

	if (argc > 1) {
		rr_err("at most one resource");
		return RR_EUSAGE;
	}
	if (argc == 1 && all) {
		rr_err("give a resource or --all, not both");
		return RR_EUSAGE;
	}
	if (argc == 0) {
		*n = rr_list_minors(minors, 256);
		return RR_OK;
	}
	rc = rr_resolve(argv[0], &minors[0], label, len);
	if (rc)
		return rc;
	if (!rr_dev_exists(minors[0])) {
		rr_err("%s: rraft%d does not exist (is the resource up?)",
		       label, minors[0]);
		return RR_ENOTFOUND;
	}
	*n = 1;
	return RR_OK;
}

/*
 * NAME is a resource name (its config gives the minor), or rraftN, or
 * /dev/rraftN.  label gets the name to show.
 */
int rr_resolve(const char *name, int *minor, char *label, size_t len)
{
	static struct rr_conf c;
	const char *p = name;
	unsigned long long m;
	int rc;

	if (!strncmp(p, "/dev/", 5))
		p += 5;
	if (!strncmp(p, "rraft", 5) && isdigit((unsigned char)p[5]) &&
	    !rr_arg_u64(p + 5, 0, ULLONG_MAX, &m)) {
		if (m > 255) {
			rr_err("%s: minor out of range 0..255", name);
			return RR_EUSAGE;
		}
		*minor = (int)m;
		if (!rr_conf_name_for_minor(*minor, label, len))
			snprintf(label, len, "rraft%d", *minor);
		return RR_OK;
	}
	if (!*name || strchr(name, '/')) {
		rr_err("bad resource name '%s'", name);
		return RR_EUSAGE;
	}
	rc = rr_conf_load(name, NULL, &c, false);
	if (rc)
		return rc;
	*minor = c.minor;
	snprintf(label, len, "%s", name);
	return RR_OK;
}
