/* The escape core's runtime: exit and write through Linux-convention ecalls (a7 = 93 exit with
 * the code in a0, a7 = 64 write(fd, buf, len)), so a program runs unchanged on the tessera core and
 * under qemu-riscv32; a small console (no printf); MMIO helpers; memset/memcpy. */
#ifndef TSR_RT_H
#define TSR_RT_H

#include <stddef.h>
#include <stdint.h>

/* The variant's generated memory map (TSR_IMEM_BASE, TSR_MMIO_*, TSR_SYS_*, ...). */
#include <tsr_memmap.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- system calls (ecall) ---- */
__attribute__((noreturn)) void tsr_exit(int code);
long tsr_write(int fd, const void* buf, size_t len);

/* ---- console (fd 1, line buffered) ---- */
void tsr_putc(char c);
void tsr_puts(const char* s);           /* no newline added */
void tsr_put_dec(int32_t v);            /* signed decimal */
void tsr_put_udec(uint32_t v);          /* unsigned decimal */
void tsr_put_hex32(uint32_t v);         /* 8 lower-case hex digits */
void tsr_put_hex_bytes(const void* p, size_t n); /* 2 hex digits per byte, 32 bytes per line */
void tsr_put_u64(uint64_t v);           /* unsigned decimal */
void tsr_flush(void);

/* ---- MMIO ---- */
static inline uint32_t tsr_mmio_read32(uintptr_t addr) {
  return *(volatile const uint32_t*)addr;
}
static inline void tsr_mmio_write32(uintptr_t addr, uint32_t v) { *(volatile uint32_t*)addr = v; }
static inline uint8_t tsr_mmio_read8(uintptr_t addr) { return *(volatile const uint8_t*)addr; }
static inline void tsr_mmio_write8(uintptr_t addr, uint8_t v) { *(volatile uint8_t*)addr = v; }
/* Accelerator CSR (byte offset TSR_CSR_* of tsr_isa.h) and core-local MMIO register (byte offset
 * TSR_MMIO_*). Both windows take aligned word accesses only. */
static inline uint32_t tsr_csr_read(uint32_t off) { return tsr_mmio_read32(TSR_ACSR_BASE + off); }
static inline void tsr_csr_write(uint32_t off, uint32_t v) { tsr_mmio_write32(TSR_ACSR_BASE + off, v); }
static inline uint32_t tsr_core_mmio_read(uint32_t off) {
  return tsr_mmio_read32(TSR_MMIO_BASE + off);
}
static inline void tsr_core_mmio_write(uint32_t off, uint32_t v) {
  tsr_mmio_write32(TSR_MMIO_BASE + off, v);
}
/* The core's 64-bit cycle and retired-instruction counters. HI and LO are the live halves, so read
 * HI, LO, HI and retry when LO wrapped in between (as RV32 does with rdcycleh). Only on the
 * tessera core: qemu-riscv32 has no MMIO there. */
static inline uint64_t tsr_read_counter64(uint32_t hi_off, uint32_t lo_off) {
  uint32_t hi, lo;
  do {
    hi = tsr_core_mmio_read(hi_off);
    lo = tsr_core_mmio_read(lo_off);
  } while (tsr_core_mmio_read(hi_off) != hi);
  return ((uint64_t)hi << 32) | lo;
}
static inline uint64_t tsr_read_cycles(void) {
  return tsr_read_counter64(TSR_MMIO_CYCLE_HI, TSR_MMIO_CYCLE_LO);
}
static inline uint64_t tsr_read_instret(void) {
  return tsr_read_counter64(TSR_MMIO_INSTRET_HI, TSR_MMIO_INSTRET_LO);
}

/* ---- the escape-op entry ---- */
/* Runs the request block at `req` (see tsr_escape_abi.h); writes and returns its status. */
uint32_t tsr_escape_dispatch(volatile uint32_t* req);
/* Calls op `func` with its argument words; returns its status (TSR_ESC_ERR_FUNC if not linked). */
uint32_t tsr_escape_call(uint32_t func, const volatile uint32_t* args);
/* Serves ESCAPE commands from the core-local MMIO registers, forever (see docs/firmware.md). */
__attribute__((noreturn)) void tsr_escape_serve(void);

/* C library pieces the compiler may call. */
void* memset(void* d, int c, size_t n);
void* memcpy(void* d, const void* s, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* TSR_RT_H */
