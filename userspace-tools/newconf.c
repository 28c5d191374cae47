// SPDX-License-Identifier: GPL-2.0
/*
 * newconf.c - "rraftctl new-config": write a new resource configuration
 * file (mode 0600, never over an existing one) with a random shared secret
 * unless one is given or the operator asks for insecure = yes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "rraftctl.h"

#define RR_SECRET_BYTES 24	/* 192 random bits, 48 hex characters */

static int random_secret(char *out, size_t len)
{
	unsigned char b[RR_SECRET_BYTES];
	size_t i;

	if (len < 2 * sizeof(b) + 1 ||
	    getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -1;
	for (i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	memset(b, 0, sizeof(b));
	return 0;
}

/* "1@10.0.0.1:7789,2@..." -> one node block per line */
static int write_nodes(FILE *f, const char *nodes)
{
	char buf[3072], *save = NULL, *tok, *at;

	if (strlen(nodes) >= sizeof(buf))
		return -1;
	strcpy(buf, nodes);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		at = strchr(tok, '@');
		if (!at)
			return -1;
		*at = '\0';
		fprintf(f, "node %s { address = %s }\n", tok, at + 1);
	}
	return 0;
}

int rr_conf_new(const struct rr_newconf *nc)
{
	static struct rr_conf check;
	char path[RR_PATH_LEN], secret[72] = "";
	int fd, rc;
	FILE *f;

	if (nc->path)
		snprintf(path, sizeof(path), "%s", nc->path);
	else if (snprintf(path, sizeof(path), "%s/%s.conf", rr_conf_dir(),
			  nc->name) >= (int)sizeof(path))
		return RR_EUSAGE;
	if (nc->secret) {
		snprintf(secret, sizeof(secret), "%s", nc->secret);
	} else if (!nc->insecure && random_secret(secret, sizeof(secret))) {
		rr_err("cannot get random bytes for a secret: %s",
		       strerror(errno));
		return RR_EFAIL;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rr_err("cannot create %s: %s%s", path, strerror(errno),
		       errno == EEXIST ? " (not overwritten)" : "");
		return errno == EEXIST ? RR_ECONFIG : RR_EFAIL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
		return RR_EFAIL;
	}
	fprintf(f, "# rraft resource %s, written by rraftctl new-config\n"
		"minor   = %d\ncluster = 0x%llx\nbacking = %s\n",
		nc->name, nc->minor, nc->cluster, nc->backing);
	if (secret[0])
		fprintf(f, "secret  = %s\n", secret);
	else
		fprintf(f, "insecure = yes   # peers are not authenticated\n");
	rc = write_nodes(f, nc->nodes);
	memset(secret, 0, sizeof(secret));
	if (fclose(f) || rc) {
		rr_err("cannot write %s", path);
		unlink(path);
		return RR_EFAIL;
	}
	rc = rr_conf_load(nc->name, path, &check, false);
	memset(&check, 0, sizeof(check));
	if (rc) {
		unlink(path);
		return rc;
	}
	printf("wrote %s%s\n", path,
	       nc->secret ? "" : nc->insecure ? " (insecure: no secret)" :
	       " with a new random secret: copy it to every node");
	return RR_OK;
}
