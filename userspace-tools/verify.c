// SPDX-License-Identifier: GPL-2.0
/*
 * verify.c - "rraftctl verify": online verify of the replicated data area,
 * in the manner of "drbdadm verify", but split in two steps that need no
 * extra network protocol:
 *
 *   rraftctl verify --local r0 > $(hostname).sums     (on every member)
 *   rraftctl verify --compare a.sums b.sums c.sums    (anywhere)
 *
 * --local prints one crc32c per range of the data area (the backing device
 * past the rraft metadata and log); --compare reports ranges that differ and
 * exits 1 if there is one.
 */

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rraftctl.h"
#include "rraft_format.h"	/* kmod/: the superblock codec */

static int dev_size(int fd, unsigned long long *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size))
			return -errno;
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		*size = (unsigned long long)st.st_size;
		return 0;
	}
	return -ENOTBLK;
}

struct sb_info {
	unsigned long long data_off, data_bytes;
	uint32_t node;
};

/*
 * Where the data area is, from the superblock (block 0, decoded and checked
 * by the module's own codec, kmod/rraft_format.c).  0, or -1 with *why set.
 */
static int read_sb(int fd, unsigned long long dev_bytes, struct sb_info *info,
		   const char **why)
{
	struct rr_sb sb;
	uint8_t *blk;
	ssize_t n;
	int rc = -1;

	if (posix_memalign((void **)&blk, RR_BLOCK_SIZE, RR_BLOCK_SIZE)) {
		*why = "out of memory";
		return -1;
	}
	n = pread(fd, blk, RR_BLOCK_SIZE, 0);
	if (n != RR_BLOCK_SIZE)
		*why = n < 0 ? strerror(errno) : "device shorter than one block";
	else
		rc = rraft_sb_decode(&sb, blk, dev_bytes, why);
	if (rc == -ENOENT)
		*why = "no rraft superblock (not formatted?)";
	free(blk);
	if (rc)
		return -1;
	info->data_off = sb.data_off * RR_BLOCK_SIZE;
	info->data_bytes = sb.data_blocks * RR_BLOCK_SIZE;
	info->node = sb.node_id;
	return 0;
}

/* What verify --local checksums, and what its header line says. */
struct local {
	char label[64], backing[256], node[32], applied[32];
	unsigned long long offset, size, total;
	bool have_offset;
	int fd;
	bool direct;		/* fd is O_DIRECT */
};

/* From the running device NAME: checkpoint, then node, applied, backing. */
static int local_from_dev(const char *name, const struct rr_verify_opts *o,
			  struct local *l)
{
	char buf[256];
	int minor = -1, rc;

	rc = rr_resolve(name, &minor, l->label, sizeof(l->label));
	if (rc)
		return rc;
	if (!rr_dev_exists(minor)) {
		rr_err("%s: rraft%d does not exist (is the resource up?)",
		       l->label, minor);
		return RR_ENOTFOUND;
	}
	if (!o->no_checkpoint &&
	    rr_dev_write(minor, "checkpoint", "1", true) != RR_OK)
		rr_warn("%s: checkpoint failed (%s), checksumming the data area as it is",
			l->label, strerror(rr_write_errno ? rr_write_errno : EIO));
	if (rr_dev_read(minor, "node_id", l->node, sizeof(l->node)) ||
	    !l->node[0])
		strcpy(l->node, "?");
	if (rr_dev_read(minor, "applied_index", l->applied,
			sizeof(l->applied)) || !l->applied[0])
		strcpy(l->applied, "?");
	if (!o->backing &&
	    rr_dev_read(minor, "backing", l->backing, sizeof(l->backing)))
		l->backing[0] = '\0';
	if (!o->have_offset &&
	    !rr_dev_read(minor, "data_offset", buf, sizeof(buf)) &&
	    !rr_arg_u64(buf, 0, ULLONG_MAX, &l->offset))
		l->have_offset = true;
	return RR_OK;
}

/* Open the backing device (O_DIRECT if it can be); its size in l->total. */
static int local_open(struct local *l)
{
	int rc;

	l->direct = true;
	l->fd = open(l->backing, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (l->fd < 0 && errno == EINVAL) {
		l->direct = false;
		l->fd = open(l->backing, O_RDONLY | O_CLOEXEC);
	}
	if (l->fd < 0) {
		rr_err("cannot open %s: %s", l->backing, strerror(errno));
		return errno == ENOENT ? RR_ENOTFOUND : RR_EFAIL;
	}
	rc = dev_size(l->fd, &l->total);
	if (rc) {
		rr_err("%s: cannot get size: %s", l->backing, strerror(-rc));
		close(l->fd);
		return RR_EFAIL;
	}
	return RR_OK;
}

/* Where the data area is: --offset, data_offset, else the superblock. */
static int local_area(struct local *l, const struct rr_verify_opts *o)
{
	unsigned long long sb_size = 0;
	struct sb_info sb;
	const char *why;

	if (!l->have_offset || !o->have_size) {
		if (read_sb(l->fd, l->total, &sb, &why)) {
			if (!l->have_offset) {
				rr_err("%s: %s; give --offset", l->backing, why);
				return RR_EFAIL;
			}
		} else {
			if (!l->have_offset)
				l->offset = sb.data_off;
			if (!o->have_size && l->offset == sb.data_off)
				sb_size = sb.data_bytes;
			if (!strcmp(l->node, "?"))
				snprintf(l->node, sizeof(l->node), "%u",
					 sb.node);
		}
	}
	if (l->offset > l->total) {
		rr_err("%s: offset %llu is past the end (%llu bytes)",
		       l->backing, l->offset, l->total);
		return RR_EUSAGE;
	}
	l->size = sb_size ? sb_size : l->total - l->offset;
	if (o->have_size) {
		if (o->size > l->size) {
			rr_err("%s: --size %llu goes past the end of the device",
			       l->backing, o->size);
			return RR_EUSAGE;
		}
		l->size = o->size;
	}
	return RR_OK;
}

/* Read want bytes at off; falls back to buffered reads if O_DIRECT fails. */
static unsigned long long local_read(struct local *l, void *data,
				     unsigned long long off,
				     unsigned long long want)
{
	unsigned long long got = 0;
	ssize_t n;

	errno = 0;
	while (got < want) {
		n = pread(l->fd, (char *)data + got, want - got,
			  (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EINVAL && l->direct) {
			/* unaligned offset or length: buffered */
			int fd2 = open(l->backing, O_RDONLY | O_CLOEXEC);

			if (fd2 < 0)
				break;
			close(l->fd);
			l->fd = fd2;
			l->direct = false;
			continue;
		}
		if (n <= 0)
			break;
		got += (unsigned long long)n;
	}
	return got;
}

/* The header line, then "START LENGTH CRC" per range. */
static int local_sums(struct local *l, const struct rr_verify_opts *o)
{
	unsigned long long pos, want, got;
	void *data;

	if (posix_memalign(&data, 4096, o->range)) {
		rr_err("out of memory for a %llu-byte range", o->range);
		return RR_EFAIL;
	}
	printf("# rraft-verify 1 name=%s node=%s applied=%s alg=crc32c",
	       l->label, l->node, l->applied);
	printf(" range=%llu offset=%llu size=%llu backing=%s\n", o->range,
	       l->offset, l->size, l->backing);
	for (pos = 0; pos < l->size; pos += want) {
		want = l->size - pos < o->range ? l->size - pos : o->range;
		got = local_read(l, data, l->offset + pos, want);
		if (got < want) {
			rr_err("%s: read error at %llu: %s", l->backing,
			       l->offset + pos + got,
			       errno ? strerror(errno) : "unexpected end of device");
			free(data);
			return RR_EFAIL;
		}
		printf("%llu %llu %08x\n", pos, want,
		       ~rr_crc32c(~0u, data, want));
	}
	free(data);
	return RR_OK;
}

static int verify_local(int argc, char **argv, const struct rr_verify_opts *o)
{
	struct local l = {
		.label = "-", .node = "?", .applied = "?", .fd = -1,
	};
	int rc;

	if (argc > 1 || (!argc && !o->backing)) {
		rr_err("--local: give one resource, or --backing");
		return RR_EUSAGE;
	}
	if (argc) {
		rc = local_from_dev(argv[0], o, &l);
		if (rc)
			return rc;
	}
	if (o->backing)
		snprintf(l.backing, sizeof(l.backing), "%s", o->backing);
	if (o->have_offset) {
		l.offset = o->offset;
		l.have_offset = true;
	}
	if (!l.backing[0]) {
		rr_err("%s: cannot find the backing device; give --backing",
		       l.label);
		return RR_ENOTFOUND;
	}
	rc = local_open(&l);
	if (rc)
		return rc;
	rc = local_area(&l, o);
	if (!rc)
		rc = local_sums(&l, o);
	close(l.fd);
	if (!rc && (fflush(stdout) || ferror(stdout))) {
		rr_err("write error: %s", strerror(errno));
		return RR_EFAIL;
	}
	return rc;
}

struct sums {
	const char *file;
	char label[96];
	char applied[32];
	unsigned long long range, size;
	unsigned long long n;
	unsigned long long *start, *len;
	uint32_t *crc;
};

static char *hdr_get(const char *hdr, const char *key, char *out, size_t len)
{
	char pat[32];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(hdr, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	n = strcspn(p, "\n ");
	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

static int load_sums(const char *file, struct sums *s)
{
	char line[1024], v[64], name[64], node[32];
	unsigned long long cap = 0, lineno = 0;
	FILE *f;

	memset(s, 0, sizeof(*s));
	s->file = file;
	f = fopen(file, "r");
	if (!f) {
		rr_err("cannot open %s: %s", file, strerror(errno));
		return errno == ENOENT ? RR_ENOTFOUND : RR_EFAIL;
	}
	if (!fgets(line, sizeof(line), f) ||
	    strncmp(line, "# rraft-verify 1 ", 17) ||
	    !hdr_get(line, "range", v, sizeof(v)) ||
	    rr_arg_u64(v, 1, ULLONG_MAX, &s->range) ||
	    !hdr_get(line, "size", v, sizeof(v)) ||
	    rr_arg_u64(v, 0, ULLONG_MAX, &s->size)) {
		rr_err("%s: not the output of 'rraftctl verify --local'", file);
		fclose(f);
		return RR_EUSAGE;
	}
	if (!hdr_get(line, "applied", s->applied, sizeof(s->applied)))
		strcpy(s->applied, "?");
	if (!hdr_get(line, "name", name, sizeof(name)))
		strcpy(name, "?");
	if (hdr_get(line, "node", node, sizeof(node)) && strcmp(node, "?"))
		snprintf(s->label, sizeof(s->label), "node%s", node);
	else
		snprintf(s->label, sizeof(s->label), "%s", file);
	lineno = 1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b;
		unsigned int c;
		char extra;

		lineno++;
		if (sscanf(line, "%llu %llu %x %c", &a, &b, &c, &extra) != 3) {
			rr_err("%s:%llu: malformed line", file, lineno);
			fclose(f);
			return RR_EUSAGE;
		}
		if (s->n == cap) {
			cap = cap ? cap * 2 : 1024;
			s->start = realloc(s->start, cap * sizeof(*s->start));
			s->len = realloc(s->len, cap * sizeof(*s->len));
			s->crc = realloc(s->crc, cap * sizeof(*s->crc));
			if (!s->start || !s->len || !s->crc) {
				rr_err("out of memory");
				fclose(f);
				return RR_EFAIL;
			}
		}
		s->start[s->n] = a;
		s->len[s->n] = b;
		s->crc[s->n] = c;
		s->n++;
	}
	fclose(f);
	if (s->n != (s->size + s->range - 1) / s->range) {
		rr_err("%s: truncated: %llu ranges, header promises %llu",
		       file, s->n, (s->size + s->range - 1) / s->range);
		return RR_EUSAGE;
	}
	return RR_OK;
}

static int verify_compare(int argc, char **argv)
{
	struct sums *s;
	unsigned long long i, differ = 0;
	bool applied_differ = false;
	const char *ref = NULL;
	int k, rc = RR_OK;

	if (argc < 2) {
		rr_err("--compare: give at least two files");
		return RR_EUSAGE;
	}
	s = calloc((size_t)argc, sizeof(*s));
	if (!s) {
		rr_err("out of memory");
		return RR_EFAIL;
	}
	for (k = 0; k < argc; k++) {
		rc = load_sums(argv[k], &s[k]);
		if (rc)
			goto out;
	}
	/* two files from the same node get their file names as labels */
	for (k = 1; k < argc; k++) {
		int j;

		for (j = 0; j < k; j++)
			if (!strcmp(s[j].label, s[k].label)) {
				snprintf(s[j].label, sizeof(s[j].label), "%s", s[j].file);
				snprintf(s[k].label, sizeof(s[k].label), "%s", s[k].file);
			}
	}
	for (k = 1; k < argc; k++) {
		if (s[k].range != s[0].range || s[k].size != s[0].size) {
			rr_err("%s and %s are not comparable: range %llu/%llu, size %llu/%llu",
			       s[0].file, s[k].file, s[0].range, s[k].range,
			       s[0].size, s[k].size);
			rc = RR_EFAIL;
			goto out;
		}
	}
	/* "?": checksummed from a backing device that was not up */
	for (k = 0; k < argc; k++) {
		if (!strcmp(s[k].applied, "?"))
			continue;
		if (!ref)
			ref = s[k].applied;
		else if (strcmp(ref, s[k].applied))
			applied_differ = true;
	}
	for (i = 0; i < s[0].n; i++) {
		bool same = true;

		for (k = 1; k < argc; k++)
			if (s[k].crc[i] != s[0].crc[i] ||
			    s[k].start[i] != s[0].start[i])
				same = false;
		if (same)
			continue;
		differ++;
		printf("differ offset:%llu length:%llu",
		       s[0].start[i], s[0].len[i]);
		for (k = 0; k < argc; k++)
			printf(" %s:%08x", s[k].label, s[k].crc[i]);
		putchar('\n');
	}
	if (applied_differ) {
		printf("note: applied indexes differ:");
		for (k = 0; k < argc; k++)
			printf(" %s:%s", s[k].label, s[k].applied);
		printf(" (writes were in flight; quiesce I/O and rerun to be sure)\n");
	}
	printf("verify: %d members, %llu ranges of %llu bytes, ",
	       argc, s[0].n, s[0].range);
	if (differ)
		printf("%llu differ\n", differ);
	else
		printf("all identical\n");
	rc = differ ? RR_EFAIL : RR_OK;
out:
	for (k = 0; k < argc; k++) {
		free(s[k].start);
		free(s[k].len);
		free(s[k].crc);
	}
	free(s);
	return rc;
}

int rr_cmd_verify(int argc, char **argv, const struct rr_verify_opts *o)
{
	if (o->local && o->compare) {
		rr_err("--local and --compare exclude each other");
		return RR_EUSAGE;
	}
	if (o->compare)
		return verify_compare(argc, argv);
	return verify_local(argc, argv, o);
}
