/*
 * ext4's on-disk layouts, as Linux's fs/ext4/ext4.h and ext4_extents.h
 * define them. Every field is little-endian; both Ferrite architectures
 * are little-endian, so fields are read directly (packed structs: a
 * corrupt image may put anything anywhere). Only what the driver reads.
 */
#pragma once
#include <ferrite/types.h>

#define EXT4_SUPER_MAGIC 0xEF53
#define EXT4_SUPER_OFFSET 1024
#define EXT4_ROOT_INO 2
#define EXT4_GOOD_OLD_INODE_SIZE 128
#define EXT4_GOOD_OLD_FIRST_INO 11
#define EXT4_N_BLOCKS 15
#define EXT4_NAME_LEN 255

/* s_feature_compat */
#define EXT4_FEATURE_COMPAT_HAS_JOURNAL 0x0004
#define EXT4_FEATURE_COMPAT_DIR_INDEX 0x0020
#define EXT4_FEATURE_COMPAT_RESIZE_INODE 0x0010
#define EXT4_FEATURE_COMPAT_SPARSE_SUPER2 0x0200
/* s_feature_ro_compat */
#define EXT4_FEATURE_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT4_FEATURE_RO_COMPAT_LARGE_FILE 0x0002
#define EXT4_FEATURE_RO_COMPAT_HUGE_FILE 0x0008
#define EXT4_FEATURE_RO_COMPAT_GDT_CSUM 0x0010
#define EXT4_FEATURE_RO_COMPAT_DIR_NLINK 0x0020
#define EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE 0x0040
#define EXT4_FEATURE_RO_COMPAT_METADATA_CSUM 0x0400
/* What this driver writes correctly: any other RO_COMPAT bit (quota,
 * bigalloc, project, verity, orphan_file...) makes the mount read-only. */
#define EXT4_RO_COMPAT_WRITE (EXT4_FEATURE_RO_COMPAT_SPARSE_SUPER | \
	EXT4_FEATURE_RO_COMPAT_LARGE_FILE | EXT4_FEATURE_RO_COMPAT_HUGE_FILE | \
	EXT4_FEATURE_RO_COMPAT_DIR_NLINK | EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE | \
	EXT4_FEATURE_RO_COMPAT_METADATA_CSUM)
/* INCOMPAT bits the writer handles (meta_bg, inline data, ea_inode,
 * mmp, casefold...: read-only). */
#define EXT4_INCOMPAT_WRITE (EXT4_FEATURE_INCOMPAT_FILETYPE | EXT4_FEATURE_INCOMPAT_EXTENTS | \
	EXT4_FEATURE_INCOMPAT_64BIT | EXT4_FEATURE_INCOMPAT_FLEX_BG | \
	EXT4_FEATURE_INCOMPAT_CSUM_SEED | EXT4_FEATURE_INCOMPAT_LARGEDIR)
/* s_feature_incompat */
#define EXT4_FEATURE_INCOMPAT_COMPRESSION 0x0001
#define EXT4_FEATURE_INCOMPAT_FILETYPE 0x0002
#define EXT4_FEATURE_INCOMPAT_RECOVER 0x0004
#define EXT4_FEATURE_INCOMPAT_JOURNAL_DEV 0x0008
#define EXT4_FEATURE_INCOMPAT_META_BG 0x0010
#define EXT4_FEATURE_INCOMPAT_EXTENTS 0x0040
#define EXT4_FEATURE_INCOMPAT_64BIT 0x0080
#define EXT4_FEATURE_INCOMPAT_MMP 0x0100
#define EXT4_FEATURE_INCOMPAT_FLEX_BG 0x0200
#define EXT4_FEATURE_INCOMPAT_EA_INODE 0x0400
#define EXT4_FEATURE_INCOMPAT_DIRDATA 0x1000
#define EXT4_FEATURE_INCOMPAT_CSUM_SEED 0x2000
#define EXT4_FEATURE_INCOMPAT_LARGEDIR 0x4000
#define EXT4_FEATURE_INCOMPAT_INLINE_DATA 0x8000
#define EXT4_FEATURE_INCOMPAT_ENCRYPT 0x10000
#define EXT4_FEATURE_INCOMPAT_CASEFOLD 0x20000
/* What this driver reads correctly. RECOVER is known but refused (no
 * journal replay yet); the rest are unknown or change what a name or a
 * byte means (compression, encryption, casefolding, dirdata). */
#define EXT4_INCOMPAT_READ (EXT4_FEATURE_INCOMPAT_FILETYPE | EXT4_FEATURE_INCOMPAT_META_BG | \
	EXT4_FEATURE_INCOMPAT_EXTENTS | EXT4_FEATURE_INCOMPAT_64BIT | EXT4_FEATURE_INCOMPAT_MMP | \
	EXT4_FEATURE_INCOMPAT_FLEX_BG | EXT4_FEATURE_INCOMPAT_EA_INODE | \
	EXT4_FEATURE_INCOMPAT_CSUM_SEED | EXT4_FEATURE_INCOMPAT_LARGEDIR | \
	EXT4_FEATURE_INCOMPAT_INLINE_DATA)

struct ext4_super_block {
	uint32_t s_inodes_count;          /* 0x00 */
	uint32_t s_blocks_count_lo;
	uint32_t s_r_blocks_count_lo;
	uint32_t s_free_blocks_count_lo;
	uint32_t s_free_inodes_count;     /* 0x10 */
	uint32_t s_first_data_block;
	uint32_t s_log_block_size;
	uint32_t s_log_cluster_size;
	uint32_t s_blocks_per_group;      /* 0x20 */
	uint32_t s_clusters_per_group;
	uint32_t s_inodes_per_group;
	uint32_t s_mtime;
	uint32_t s_wtime;                 /* 0x30 */
	uint16_t s_mnt_count;
	uint16_t s_max_mnt_count;
	uint16_t s_magic;                 /* 0x38 */
	uint16_t s_state;
	uint16_t s_errors;
	uint16_t s_minor_rev_level;
	uint32_t s_lastcheck;             /* 0x40 */
	uint32_t s_checkinterval;
	uint32_t s_creator_os;
	uint32_t s_rev_level;
	uint16_t s_def_resuid;            /* 0x50 */
	uint16_t s_def_resgid;
	uint32_t s_first_ino;
	uint16_t s_inode_size;            /* 0x58 */
	uint16_t s_block_group_nr;
	uint32_t s_feature_compat;
	uint32_t s_feature_incompat;      /* 0x60 */
	uint32_t s_feature_ro_compat;
	uint8_t s_uuid[16];               /* 0x68 */
	char s_volume_name[16];           /* 0x78 */
	char s_last_mounted[64];          /* 0x88 */
	uint32_t s_algorithm_usage_bitmap; /* 0xc8 */
	uint8_t s_prealloc_blocks;
	uint8_t s_prealloc_dir_blocks;
	uint16_t s_reserved_gdt_blocks;
	uint8_t s_journal_uuid[16];       /* 0xd0 */
	uint32_t s_journal_inum;          /* 0xe0 */
	uint32_t s_journal_dev;
	uint32_t s_last_orphan;
	uint32_t s_hash_seed[4];          /* 0xec */
	uint8_t s_def_hash_version;       /* 0xfc */
	uint8_t s_jnl_backup_type;
	uint16_t s_desc_size;             /* 0xfe */
	uint32_t s_default_mount_opts;    /* 0x100 */
	uint32_t s_first_meta_bg;
	uint32_t s_mkfs_time;
	uint32_t s_jnl_blocks[17];        /* 0x10c */
	uint32_t s_blocks_count_hi;       /* 0x150 */
	uint32_t s_r_blocks_count_hi;
	uint32_t s_free_blocks_count_hi;
	uint16_t s_min_extra_isize;       /* 0x15c */
	uint16_t s_want_extra_isize;
	uint32_t s_flags;                 /* 0x160 */
	uint16_t s_raid_stride;
	uint16_t s_mmp_interval;
	uint64_t s_mmp_block;             /* 0x168 */
	uint32_t s_raid_stripe_width;     /* 0x170 */
	uint8_t s_log_groups_per_flex;
	uint8_t s_checksum_type;
	uint16_t s_reserved_pad;
	uint8_t s_pad1[0x248 - 0x178];    /* kbytes written .. quota inodes */
	uint32_t s_overhead_clusters;     /* 0x248 */
	uint32_t s_backup_bgs[2];         /* 0x24c */
	uint8_t s_pad2[0x270 - 0x254];
	uint32_t s_checksum_seed;         /* 0x270 */
	uint8_t s_pad3[0x3fc - 0x274];
	uint32_t s_checksum;              /* 0x3fc */
} __attribute__((packed));
_Static_assert(sizeof(struct ext4_super_block) == 1024, "ext4 superblock");
_Static_assert(__builtin_offsetof(struct ext4_super_block, s_desc_size) == 0xfe, "s_desc_size");
_Static_assert(__builtin_offsetof(struct ext4_super_block, s_blocks_count_hi) == 0x150, "hi");
_Static_assert(__builtin_offsetof(struct ext4_super_block, s_log_groups_per_flex) == 0x174, "flex");
_Static_assert(__builtin_offsetof(struct ext4_super_block, s_checksum_seed) == 0x270, "seed");

#define EXT4_CRC32C_CHKSUM 1 /* s_checksum_type */
#define EXT4_DESC_SIZE_32 32
#define EXT4_DESC_SIZE_64 64
#define EXT4_DESC_SIZE_MAX 1024

struct ext4_group_desc {
	uint32_t bg_block_bitmap_lo;
	uint32_t bg_inode_bitmap_lo;
	uint32_t bg_inode_table_lo;
	uint16_t bg_free_blocks_count_lo;
	uint16_t bg_free_inodes_count_lo;
	uint16_t bg_used_dirs_count_lo;
	uint16_t bg_flags;
	uint32_t bg_exclude_bitmap_lo;
	uint16_t bg_block_bitmap_csum_lo;
	uint16_t bg_inode_bitmap_csum_lo;
	uint16_t bg_itable_unused_lo;
	uint16_t bg_checksum;             /* 0x1e */
	/* 64bit feature, desc_size >= 64 */
	uint32_t bg_block_bitmap_hi;
	uint32_t bg_inode_bitmap_hi;
	uint32_t bg_inode_table_hi;
	uint16_t bg_free_blocks_count_hi;
	uint16_t bg_free_inodes_count_hi;
	uint16_t bg_used_dirs_count_hi;
	uint16_t bg_itable_unused_hi;
	uint32_t bg_exclude_bitmap_hi;
	uint16_t bg_block_bitmap_csum_hi;
	uint16_t bg_inode_bitmap_csum_hi;
	uint32_t bg_reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct ext4_group_desc) == 64, "ext4 group descriptor");

/* bg_flags */
#define EXT4_BG_INODE_UNINIT 0x0001
#define EXT4_BG_BLOCK_UNINIT 0x0002
#define EXT4_BG_INODE_ZEROED 0x0004

/* s_state */
#define EXT4_VALID_FS 0x0001

/* i_flags */
#define EXT4_INDEX_FL 0x00001000
#define EXT4_HUGE_FILE_FL 0x00040000
#define EXT4_EXTENTS_FL 0x00080000
#define EXT4_EA_INODE_FL 0x00200000
#define EXT4_INLINE_DATA_FL 0x10000000

struct ext4_inode {
	uint16_t i_mode;          /* 0x00 */
	uint16_t i_uid;
	uint32_t i_size_lo;
	uint32_t i_atime;         /* 0x08 */
	uint32_t i_ctime;
	uint32_t i_mtime;         /* 0x10 */
	uint32_t i_dtime;
	uint16_t i_gid;           /* 0x18 */
	uint16_t i_links_count;
	uint32_t i_blocks_lo;
	uint32_t i_flags;         /* 0x20 */
	uint32_t i_version_lo;
	uint32_t i_block[EXT4_N_BLOCKS]; /* 0x28 */
	uint32_t i_generation;    /* 0x64 */
	uint32_t i_file_acl_lo;
	uint32_t i_size_high;     /* 0x6c */
	uint32_t i_obso_faddr;
	uint16_t i_blocks_high;   /* 0x74 */
	uint16_t i_file_acl_high;
	uint16_t i_uid_high;
	uint16_t i_gid_high;
	uint16_t i_checksum_lo;   /* 0x7c */
	uint16_t i_reserved;
	/* large inodes: present when 128 + i_extra_isize covers them */
	uint16_t i_extra_isize;   /* 0x80 */
	uint16_t i_checksum_hi;
	uint32_t i_ctime_extra;   /* 0x84 */
	uint32_t i_mtime_extra;
	uint32_t i_atime_extra;
	uint32_t i_crtime;
	uint32_t i_crtime_extra;
	uint32_t i_version_hi;
	uint32_t i_projid;        /* 0x9c */
} __attribute__((packed));
_Static_assert(sizeof(struct ext4_inode) == 0xa0, "ext4 inode");
/* Does the large-inode field f lie inside 128 + extra_isize bytes? */
#define EXT4_INODE_HAS(extra_isize, f) \
	(__builtin_offsetof(struct ext4_inode, f) + sizeof(((struct ext4_inode *)0)->f) <= \
	 EXT4_GOOD_OLD_INODE_SIZE + (size_t)(extra_isize))

/* Extent trees (ext4_extents.h) */
#define EXT4_EXT_MAGIC 0xF30A
#define EXT4_EXT_MAX_DEPTH 5
#define EXT4_EXT_INIT_MAX_LEN 32768u

struct ext4_extent_header {
	uint16_t eh_magic;
	uint16_t eh_entries;
	uint16_t eh_max;
	uint16_t eh_depth;
	uint32_t eh_generation;
} __attribute__((packed));

struct ext4_extent { /* leaf */
	uint32_t ee_block;
	uint16_t ee_len;   /* > 32768: unwritten, length ee_len - 32768 */
	uint16_t ee_start_hi;
	uint32_t ee_start_lo;
} __attribute__((packed));

struct ext4_extent_idx { /* interior */
	uint32_t ei_block;
	uint32_t ei_leaf_lo;
	uint16_t ei_leaf_hi;
	uint16_t ei_unused;
} __attribute__((packed));

struct ext4_extent_tail {
	uint32_t et_checksum; /* after eh_max entries of a tree block */
} __attribute__((packed));

/* Directory entries */
struct ext4_dir_entry_2 {
	uint32_t inode;
	uint16_t rec_len;
	uint8_t name_len;
	uint8_t file_type;
	char name[];
} __attribute__((packed));
#define EXT4_DIR_ENTRY_HEADER 8

/* The checksum tail of a leaf block: looks like an empty 12-byte entry. */
struct ext4_dir_entry_tail {
	uint32_t det_reserved_zero1;
	uint16_t det_rec_len;      /* 12 */
	uint8_t det_reserved_zero2;
	uint8_t det_reserved_ft;   /* 0xDE */
	uint32_t det_checksum;
} __attribute__((packed));
#define EXT4_DIR_TAIL_FT 0xDE

/* file_type values in directory entries */
enum { EXT4_FT_UNKNOWN, EXT4_FT_REG_FILE, EXT4_FT_DIR, EXT4_FT_CHRDEV, EXT4_FT_BLKDEV,
       EXT4_FT_FIFO, EXT4_FT_SOCK, EXT4_FT_SYMLINK, EXT4_FT_MAX };

/* In-inode extended attributes (inline data lives in "system.data") */
#define EXT4_XATTR_MAGIC 0xEA020000
#define EXT4_XATTR_INDEX_SYSTEM 7
struct ext4_xattr_entry {
	uint8_t e_name_len;
	uint8_t e_name_index;
	uint16_t e_value_offs;
	uint32_t e_value_inum;
	uint32_t e_value_size;
	uint32_t e_hash;
	char e_name[];
} __attribute__((packed));
#define EXT4_XATTR_ENTRY_SIZE 16
