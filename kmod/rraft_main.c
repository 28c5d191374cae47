// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_main.c - module init/exit and the rraft-control class: format,
 * create and remove write-only class attributes (the zram-control
 * pattern) over the device table.  The devices themselves live in
 * rraft_dev.c.  See Documentation/design/kernel-glue.rst, "Control".
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/idr.h>
#include "rraft.h"

int rraft_major;
static DEFINE_MUTEX(rr_ctl_mutex);	/* rr_idr only, never across I/O */
static DEFINE_MUTEX(rr_format_mutex);	/* one format at a time */
static DEFINE_IDR(rr_idr);

/*
 * The control mutex covers the device table only, never device I/O: a
 * device being removed keeps its minor reserved (a NULL entry) while it is
 * torn down outside the mutex, so a hung backing disk under one device
 * does not block format, create or remove of the others.
 */
static int rr_create(const struct rr_create_args *a)
{
	struct rraft_dev *dev;
	int err;

	mutex_lock(&rr_ctl_mutex);
	if (idr_find(&rr_idr, a->minor)) {
		pr_warn("rraft: create: minor %u is in use\n", a->minor);
		err = -EEXIST;
		goto out;
	}
	/* reserved (NULL) while the device is created */
	err = idr_alloc(&rr_idr, NULL, a->minor, a->minor + 1, GFP_KERNEL);
	if (err == -ENOSPC) {
		pr_warn("rraft: create: rraft%u is being created or removed\n",
			a->minor);
		err = -EBUSY;
	}
out:
	mutex_unlock(&rr_ctl_mutex);
	if (err < 0)
		return err;
	err = rraft_dev_create(a, &dev);	/* reads the backing disk */
	mutex_lock(&rr_ctl_mutex);
	if (err)
		idr_remove(&rr_idr, a->minor);
	else
		idr_replace(&rr_idr, dev, a->minor);
	mutex_unlock(&rr_ctl_mutex);
	return err;
}

/* Take rraft<minor> out of the table (its minor stays reserved). */
static struct rraft_dev *rr_remove_begin(unsigned int minor, int *err)
{
	struct rraft_dev *dev;

	mutex_lock(&rr_ctl_mutex);
	dev = idr_find(&rr_idr, minor);
	if (!dev) {
		pr_warn("rraft: remove: no device rraft%u\n", minor);
		*err = -ENODEV;
		goto out;
	}
	mutex_lock(&dev->disk->open_mutex);
	if (disk_openers(dev->disk)) {
		mutex_unlock(&dev->disk->open_mutex);
		pr_warn("rraft: remove: rraft%u is open\n", minor);
		*err = -EBUSY;
		dev = NULL;
		goto out;
	}
	dev->removing = true;
	mutex_unlock(&dev->disk->open_mutex);
	idr_replace(&rr_idr, NULL, minor);
out:
	mutex_unlock(&rr_ctl_mutex);
	return dev;
}

static int rr_remove(unsigned int minor)
{
	struct rraft_dev *dev;
	int err = 0;

	dev = rr_remove_begin(minor, &err);
	if (!dev)
		return err;
	rraft_dev_destroy(dev);		/* may wait for the backing disk */
	mutex_lock(&rr_ctl_mutex);
	idr_remove(&rr_idr, minor);
	mutex_unlock(&rr_ctl_mutex);
	return 0;
}

/* ---- rraft-control class ---- */

static void rr_perr_ctl(const char *what, const struct rr_perr *e)
{
	if (e->tok[0])
		pr_warn("rraft: %s: %s '%s'\n", what, e->msg, e->tok);
	else
		pr_warn("rraft: %s: %s\n", what, e->msg);
}

static ssize_t format_store(RRAFT_CLASS_CONST struct class *class,
			    RRAFT_CLASS_CONST struct class_attribute *attr,
			    const char *buf, size_t count)
{
	struct rr_format_args *a;
	struct rr_perr e;
	int err;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	err = rraft_parse_format(a, buf, count, &e);
	if (err) {
		rr_perr_ctl("format", &e);
	} else {
		mutex_lock(&rr_format_mutex);
		err = rraft_store_format(a);
		mutex_unlock(&rr_format_mutex);
	}
	kfree(a);
	return err ? err : count;
}

static ssize_t create_store(RRAFT_CLASS_CONST struct class *class,
			    RRAFT_CLASS_CONST struct class_attribute *attr,
			    const char *buf, size_t count)
{
	struct rr_create_args *a;
	struct rr_perr e;
	int err;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	err = rraft_parse_create(a, buf, count, &e);
	if (err)
		rr_perr_ctl("create", &e);
	else
		err = rr_create(a);
	memzero_explicit(a->secret, sizeof(a->secret));
	kfree(a);
	return err ? err : count;
}

static ssize_t remove_store(RRAFT_CLASS_CONST struct class *class,
			    RRAFT_CLASS_CONST struct class_attribute *attr,
			    const char *buf, size_t count)
{
	struct rr_perr e;
	u64 minor;
	int err;

	err = rraft_parse_u64(buf, count, 0, RR_MAX_MINOR, &minor, &e);
	if (err) {
		rr_perr_ctl("remove", &e);
		return err;
	}
	err = rr_remove((unsigned int)minor);
	return err ? err : count;
}

static CLASS_ATTR_WO(format);
static CLASS_ATTR_WO(create);
static CLASS_ATTR_WO(remove);

static struct attribute *rr_control_class_attrs[] = {
	&class_attr_format.attr,
	&class_attr_create.attr,
	&class_attr_remove.attr,
	NULL,
};
ATTRIBUTE_GROUPS(rr_control_class);

static struct class rr_control_class = {
	.name = "rraft-control",
#if KERNEL_VERSION(6, 4, 0) > LINUX_VERSION_CODE
	.owner = THIS_MODULE,
#endif
	.class_groups = rr_control_class_groups,
};

static int __init rr_init(void)
{
	int err;

	rraft_major = register_blkdev(0, RRAFT_NAME);
	if (rraft_major < 0)
		return rraft_major;
	err = class_register(&rr_control_class);
	if (err) {
		unregister_blkdev(rraft_major, RRAFT_NAME);
		return err;
	}
	pr_info("rraft: loaded (major %d)\n", rraft_major);
	return 0;
}

static int rr_exit_cb(int id, void *p, void *data)
{
	if (p)		/* NULL: reserved by a create or remove, none runs now */
		rraft_dev_destroy(p);
	return 0;
}

static void __exit rr_exit(void)
{
	class_unregister(&rr_control_class);
	mutex_lock(&rr_ctl_mutex);
	idr_for_each(&rr_idr, rr_exit_cb, NULL);
	idr_destroy(&rr_idr);
	mutex_unlock(&rr_ctl_mutex);
	unregister_blkdev(rraft_major, RRAFT_NAME);
	pr_info("rraft: unloaded\n");
}

module_init(rr_init);
module_exit(rr_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rraft: a block device replicated with Raft");
MODULE_SOFTDEP("pre: crc32c");
