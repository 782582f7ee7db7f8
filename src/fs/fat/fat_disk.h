/*
 * FAT12/16/32 on-disk layout (Microsoft's "FAT: General Overview of
 * On-Disk Format", the layout Linux's fs/fat and dosfstools use). Every
 * field is little-endian and many are unaligned, so the driver reads and
 * writes them through the byte accessors below, never through a packed
 * struct. Offsets are in bytes.
 */
#pragma once
#include <ferrite/types.h>

/* ---- boot sector (BIOS parameter block) ---- */
#define BPB_BYTES_PER_SEC 11  /* u16 */
#define BPB_SEC_PER_CLUS 13   /* u8 */
#define BPB_RSVD_SEC_CNT 14   /* u16 */
#define BPB_NUM_FATS 16       /* u8 */
#define BPB_ROOT_ENT_CNT 17   /* u16: 0 on FAT32 */
#define BPB_TOT_SEC16 19      /* u16 */
#define BPB_MEDIA 21          /* u8 */
#define BPB_FAT_SZ16 22       /* u16: 0 on FAT32 */
#define BPB_TOT_SEC32 32      /* u32 */
/* FAT12/16 extended BPB */
#define BS16_STATE 37         /* u8: Linux's dirty flag (FAT_STATE_DIRTY) */
#define BS16_BOOT_SIG 38
#define BS16_VOL_ID 39
/* FAT32 extended BPB */
#define BPB32_FAT_SZ32 36     /* u32 */
#define BPB32_EXT_FLAGS 40    /* u16: bit 7 = only FAT number (bits 0-3) is active */
#define BPB32_FS_VER 42       /* u16: must be 0 */
#define BPB32_ROOT_CLUS 44    /* u32 */
#define BPB32_FS_INFO 48      /* u16 */
#define BS32_STATE 65         /* u8 */
#define BS32_BOOT_SIG 66
#define BS32_VOL_ID 67
#define BS_SIGNATURE 510      /* 0x55 0xAA */

#define FAT_STATE_DIRTY 0x01  /* set while mounted read-write (Linux fat_set_state) */
/* FAT[1]'s "clean shutdown" bit (FAT16/32; Windows' dirty flag, which
 * fsck.fat reads too): cleared while mounted read-write. */
#define FAT16_CLEAN_BIT 0x8000u
#define FAT32_CLEAN_BIT 0x08000000u

/* ---- FSInfo sector (FAT32) ---- */
#define FSI_LEAD_SIG 0        /* 0x41615252 */
#define FSI_STRUC_SIG 484     /* 0x61417272 */
#define FSI_FREE_COUNT 488    /* 0xFFFFFFFF: unknown */
#define FSI_NXT_FREE 492      /* 0xFFFFFFFF: unknown */
#define FSI_TRAIL_SIG 508     /* 0xAA550000 */
#define FSI_LEAD_MAGIC 0x41615252u
#define FSI_STRUC_MAGIC 0x61417272u
#define FSI_TRAIL_MAGIC 0xAA550000u

/* ---- FAT entries ---- */
#define FAT_FREE 0
#define FAT12_BAD 0xFF7u
#define FAT16_BAD 0xFFF7u
#define FAT32_BAD 0x0FFFFFF7u
#define FAT32_MASK 0x0FFFFFFFu
/* Linux's limits on the cluster counts of each type (fs/fat/fat.h) */
#define MAX_FAT12 0xFF4
#define MAX_FAT16 0xFFF4
#define MAX_FAT32 0x0FFFFFF6

/* ---- directory entries (32 bytes) ---- */
#define DIR_ENTRY_SIZE 32
#define DE_NAME 0             /* 11 bytes: 8 + 3, space padded */
#define DE_ATTR 11
#define DE_NTRES 12           /* Windows NT case flags */
#define DE_CRT_TIME_TENTH 13
#define DE_CRT_TIME 14
#define DE_CRT_DATE 16
#define DE_LST_ACC_DATE 18
#define DE_FST_CLUS_HI 20
#define DE_WRT_TIME 22
#define DE_WRT_DATE 24
#define DE_FST_CLUS_LO 26
#define DE_FILE_SIZE 28

#define ATTR_RO 0x01
#define ATTR_HIDDEN 0x02
#define ATTR_SYS 0x04
#define ATTR_VOLUME 0x08
#define ATTR_DIR 0x10
#define ATTR_ARCH 0x20
#define ATTR_LFN 0x0F         /* RO | HIDDEN | SYS | VOLUME */

#define NTRES_LOWER_BASE 0x08
#define NTRES_LOWER_EXT 0x10

#define DE_FREE 0xE5          /* name[0] of a deleted entry */
#define DE_END 0x00           /* name[0]: this and every later entry are free */
#define DE_KANJI_E5 0x05      /* name[0] standing for a real 0xE5 */

/* ---- long file name entries ---- */
#define LFN_ORD 0
#define LFN_NAME1 1           /* 5 UTF-16 units */
#define LFN_CHKSUM 13
#define LFN_NAME2 14          /* 6 units */
#define LFN_NAME3 28          /* 2 units */
#define LFN_LAST 0x40         /* in ord: the entry holding the name's end */
#define LFN_CHARS 13          /* UTF-16 units per entry */
#define LFN_MAX_SLOTS 20      /* 255 units */
#define FAT_LFN_MAX 255

#define MSDOS_SUPER_MAGIC 0x4d44

static inline uint16_t get_le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}
static inline uint32_t get_le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static inline void put_le16(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}
static inline void put_le32(void *p, uint32_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}
