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
static DEFINE_MUTEX(rr_ctl_mutex);	/* rr_idr, format/create/remove */
static DEFINE_IDR(rr_idr);

static int rr_create(const struct rr_create_args *a)
{
	struct rraft_dev *dev;
	int err;

	if (idr_find(&rr_idr, a->minor)) {
		pr_warn("rraft: create: minor %u is in use\n", a->minor);
		return -EEXIST;
	}
	/* reserved while the device is created; rr_ctl_mutex is held */
	err = idr_alloc(&rr_idr, NULL, a->minor, a->minor + 1, GFP_KERNEL);
	if (err < 0)
		return err;
	err = rraft_dev_create(a, &dev);
	if (err) {
		idr_remove(&rr_idr, a->minor);
		return err;
	}
	idr_replace(&rr_idr, dev, a->minor);
	return 0;
}

static int rr_remove(unsigned int minor)
{
	struct rraft_dev *dev = idr_find(&rr_idr, minor);

	if (!dev) {
		pr_warn("rraft: remove: no device rraft%u\n", minor);
		return -ENODEV;
	}
	mutex_lock(&dev->disk->open_mutex);
	if (disk_openers(dev->disk)) {
		mutex_unlock(&dev->disk->open_mutex);
		pr_warn("rraft: remove: rraft%u is open\n", minor);
		return -EBUSY;
	}
	dev->removing = true;
	mutex_unlock(&dev->disk->open_mutex);
	idr_remove(&rr_idr, minor);
	rraft_dev_destroy(dev);
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
		mutex_lock(&rr_ctl_mutex);
		err = rraft_store_format(a);
		mutex_unlock(&rr_ctl_mutex);
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
	if (err) {
		rr_perr_ctl("create", &e);
	} else {
		mutex_lock(&rr_ctl_mutex);
		err = rr_create(a);
		mutex_unlock(&rr_ctl_mutex);
	}
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
	mutex_lock(&rr_ctl_mutex);
	err = rr_remove((unsigned int)minor);
	mutex_unlock(&rr_ctl_mutex);
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
