/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rraft_compat.h - the few kernel API differences between Debian's 6.1 and
 * 6.12 kernels that the glue touches.  The 6.1 branches are built and
 * tested; the 6.12 branches follow the 6.12 headers (see
 * /work/shared/reference/kernel-apis-and-style.md) and are kept compiling
 * in principle.
 */
#ifndef RRAFT_COMPAT_H
#define RRAFT_COMPAT_H

#include <linux/version.h>
#include <linux/blkdev.h>
#include <linux/blk-mq.h>
#include <linux/device.h>
#include <linux/fs.h>

struct rraft_bdev_handle {
	struct block_device *bdev;
	void *priv;		/* 6.12: the struct file from bdev_file_open_by_path */
};

#if KERNEL_VERSION(6, 9, 0) <= LINUX_VERSION_CODE

static inline int rraft_bdev_open(struct rraft_bdev_handle *h,
				  const char *path, void *holder)
{
	struct file *f = bdev_file_open_by_path(path, BLK_OPEN_READ |
						BLK_OPEN_WRITE, holder, NULL);

	if (IS_ERR(f))
		return PTR_ERR(f);
	h->priv = f;
	h->bdev = file_bdev(f);
	return 0;
}

static inline void rraft_bdev_close(struct rraft_bdev_handle *h)
{
	fput(h->priv);
}

#define RRAFT_CLASS_CONST const

/*
 * 6.12: limits are passed at allocation time.  zero_sectors: the largest
 * discard and write-zeroes request (0: neither is supported).
 */
static inline struct gendisk *rraft_alloc_disk(struct blk_mq_tag_set *set,
					       void *data, unsigned int lbs,
					       unsigned int max_sectors,
					       unsigned short max_segs,
					       unsigned int zero_sectors)
{
	struct queue_limits lim = {
		.logical_block_size = lbs,
		.physical_block_size = lbs,
		.io_min = lbs,
		.max_hw_sectors = max_sectors,
		.max_segments = max_segs,
		.max_hw_discard_sectors = zero_sectors,
		.max_write_zeroes_sectors = zero_sectors,
		.discard_granularity = lbs,
	};

	return blk_mq_alloc_disk(set, &lim, data);
}

#define RRAFT_BDOPS_OPEN_ARGS	struct gendisk *disk, blk_mode_t mode
#define RRAFT_BDOPS_OPEN_DISK	disk
#define RRAFT_BDOPS_RELEASE_ARGS struct gendisk *disk
#define RRAFT_BDOPS_OPEN_WRITE	(!!(mode & BLK_OPEN_WRITE))
/* release does not get the mode: 1 write, 0 read, -1 unknown */
#define RRAFT_BDOPS_RELEASE_WRITE (-1)

#else /* 6.1 */

static inline int rraft_bdev_open(struct rraft_bdev_handle *h,
				  const char *path, void *holder)
{
	struct block_device *b = blkdev_get_by_path(path, FMODE_READ |
						    FMODE_WRITE | FMODE_EXCL,
						    holder);

	if (IS_ERR(b))
		return PTR_ERR(b);
	h->bdev = b;
	h->priv = NULL;
	return 0;
}

static inline void rraft_bdev_close(struct rraft_bdev_handle *h)
{
	blkdev_put(h->bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
}

#define RRAFT_CLASS_CONST

static inline struct gendisk *rraft_alloc_disk(struct blk_mq_tag_set *set,
					       void *data, unsigned int lbs,
					       unsigned int max_sectors,
					       unsigned short max_segs,
					       unsigned int zero_sectors)
{
	struct gendisk *disk = blk_mq_alloc_disk(set, data);

	if (IS_ERR(disk))
		return disk;
	blk_queue_max_discard_sectors(disk->queue, zero_sectors);
	blk_queue_max_write_zeroes_sectors(disk->queue, zero_sectors);
	disk->queue->limits.discard_granularity = lbs;
	blk_queue_logical_block_size(disk->queue, lbs);
	blk_queue_physical_block_size(disk->queue, lbs);
	blk_queue_io_min(disk->queue, lbs);
	blk_queue_max_hw_sectors(disk->queue, max_sectors);
	blk_queue_max_segments(disk->queue, max_segs);
	/*
	 * Every completed write is committed on a majority and written to
	 * the data area: there is no volatile cache to flush.
	 */
	blk_queue_write_cache(disk->queue, false, false);
	blk_queue_flag_set(QUEUE_FLAG_NONROT, disk->queue);
	blk_queue_flag_clear(QUEUE_FLAG_ADD_RANDOM, disk->queue);
	return disk;
}

#define RRAFT_BDOPS_OPEN_ARGS	struct block_device *bdev, fmode_t mode
#define RRAFT_BDOPS_OPEN_DISK	bdev->bd_disk
#define RRAFT_BDOPS_RELEASE_ARGS struct gendisk *disk, fmode_t mode
#define RRAFT_BDOPS_OPEN_WRITE	(!!(mode & FMODE_WRITE))
#define RRAFT_BDOPS_RELEASE_WRITE (!!(mode & FMODE_WRITE))

#endif

#endif /* RRAFT_COMPAT_H */
