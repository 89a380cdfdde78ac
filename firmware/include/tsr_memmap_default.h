/* Stand-in for the generator's include/tsr_memmap.h (the escape core's memory map), used until a
 * variant's generated header is on the include path. Same agreed addresses and default sizes. */
#ifndef TSR_MEMMAP_DEFAULT_H
#define TSR_MEMMAP_DEFAULT_H

#define TSR_IMEM_BASE 0x00000000u
#define TSR_IMEM_SIZE 0x00004000u
#define TSR_DMEM_BASE 0x00010000u
#define TSR_DMEM_SIZE 0x00004000u
#define TSR_SPAD_BASE 0x10000000u
#define TSR_CSR_BASE 0x20000000u
#define TSR_CORE_MMIO_BASE 0x30000000u

#endif /* TSR_MEMMAP_DEFAULT_H */
