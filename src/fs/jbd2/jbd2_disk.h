/*
 * The jbd2 on-disk format (private to src/fs/jbd2): every field is big
 * endian. The journal is a ring of blocks [s_first, s_maxlen) after its
 * superblock (journal block 0); a transaction is one or more descriptor
 * blocks (each followed by the blocks its tags name), revoke blocks, and
 * a commit block, all stamped with the transaction's sequence number.
 * See docs/jbd2.md.
 */
#pragma once
#include <ferrite/types.h>

#define JBD2_MAGIC 0xc03b3998u

enum jbd2_block_type {
	JBD2_DESCRIPTOR_BLOCK = 1,
	JBD2_COMMIT_BLOCK = 2,
	JBD2_SUPERBLOCK_V1 = 3,
	JBD2_SUPERBLOCK_V2 = 4,
	JBD2_REVOKE_BLOCK = 5,
};

/* Features. */
#define JBD2_FEATURE_COMPAT_CHECKSUM 0x1        /* v1: crc32 in the commit block */
#define JBD2_FEATURE_INCOMPAT_REVOKE 0x1
#define JBD2_FEATURE_INCOMPAT_64BIT 0x2
#define JBD2_FEATURE_INCOMPAT_ASYNC_COMMIT 0x4
#define JBD2_FEATURE_INCOMPAT_CSUM_V2 0x8
#define JBD2_FEATURE_INCOMPAT_CSUM_V3 0x10
#define JBD2_FEATURE_INCOMPAT_FAST_COMMIT 0x20
#define JBD2_KNOWN_INCOMPAT                                                          \
	(JBD2_FEATURE_INCOMPAT_REVOKE | JBD2_FEATURE_INCOMPAT_64BIT |                \
	 JBD2_FEATURE_INCOMPAT_ASYNC_COMMIT | JBD2_FEATURE_INCOMPAT_CSUM_V2 |        \
	 JBD2_FEATURE_INCOMPAT_CSUM_V3)

#define JBD2_CRC32C_CHKSUM 4 /* s_checksum_type */

/* Tag flags. */
#define JBD2_FLAG_ESCAPE 1    /* the block started with JBD2_MAGIC: restore it */
#define JBD2_FLAG_SAME_UUID 2 /* no 16-byte UUID follows this tag */
#define JBD2_FLAG_DELETED 4
#define JBD2_FLAG_LAST_TAG 8

struct jbd2_header {
	uint32_t h_magic;
	uint32_t h_blocktype;
	uint32_t h_sequence;
};

struct jbd2_superblock {
	struct jbd2_header s_header;
	uint32_t s_blocksize;      /* 0x0c */
	uint32_t s_maxlen;         /* 0x10: blocks in the journal */
	uint32_t s_first;          /* 0x14: first block of the log */
	uint32_t s_sequence;       /* 0x18: first transaction expected */
	uint32_t s_start;          /* 0x1c: block of it; 0: the journal is empty */
	uint32_t s_errno;          /* 0x20 */
	uint32_t s_feature_compat; /* 0x24 */
	uint32_t s_feature_incompat;
	uint32_t s_feature_ro_compat;
	uint8_t s_uuid[16];        /* 0x30 */
	uint32_t s_nr_users;       /* 0x40 */
	uint32_t s_dynsuper;
	uint32_t s_max_transaction;
	uint32_t s_max_trans_data;
	uint8_t s_checksum_type;   /* 0x50 */
	uint8_t s_padding2[3];
	uint32_t s_num_fc_blks;    /* 0x54 */
	uint32_t s_head;           /* 0x58 */
	uint32_t s_padding[40];
	uint32_t s_checksum;       /* 0xfc: crc32c(~0, the 1024 bytes with this 0) */
	uint8_t s_users[16 * 48];  /* 0x100 */
};
_Static_assert(sizeof(struct jbd2_superblock) == 1024, "jbd2 superblock is 1 KiB");

/* Tags (what follows the header of a descriptor block). */
struct jbd2_tag3 {          /* csum v3: 16 bytes */
	uint32_t t_blocknr;
	uint32_t t_flags;
	uint32_t t_blocknr_high;
	uint32_t t_checksum; /* crc32c(seed, be32 sequence, the logged block) */
};
struct jbd2_tag {           /* otherwise: 8, 10, 12 or 14 bytes (see tag_bytes) */
	uint32_t t_blocknr;
	uint16_t t_checksum; /* csum v2: low 16 bits */
	uint16_t t_flags;
	uint32_t t_blocknr_high;
};

/* The last 4 bytes of a descriptor or revoke block under csum v2/v3. */
struct jbd2_block_tail {
	uint32_t t_checksum; /* crc32c(seed, the block with this 0) */
};

struct jbd2_revoke_header {
	struct jbd2_header r_header;
	uint32_t r_count; /* bytes used, header included */
};

struct jbd2_commit_block {
	struct jbd2_header h;
	uint8_t h_chksum_type;
	uint8_t h_chksum_size;
	uint8_t h_padding[2];
	uint32_t h_chksum[8]; /* [0]: crc32c(seed, the block with it 0), csum v2/v3 */
	uint64_t h_commit_sec;
	uint32_t h_commit_nsec;
};

/* Byte swaps by hand: riscv64 without Zbb would call libgcc's __bswap*. */
static inline uint16_t be16(uint16_t v) { return (uint16_t)(v << 8 | v >> 8); }
static inline uint32_t be32(uint32_t v)
{
	return v << 24 | (v & 0xff00) << 8 | (v >> 8 & 0xff00) | v >> 24;
}
static inline uint64_t be64(uint64_t v)
{
	return (uint64_t)be32((uint32_t)v) << 32 | be32((uint32_t)(v >> 32));
}
