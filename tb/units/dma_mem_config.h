// The AXI memory model as the DMA unit tests use it: one region at `base`, full bandwidth of a
// `bus`-byte data path, a fixed latency and up to `outstanding` bursts in flight.
#pragma once

#include <cstdint>

#include "tessera/tb/axi_mem.h"

namespace tsr::tb {

inline AxiMemory::Config dma_mem_config(uint64_t base, uint64_t size, int bus, int latency,
                                        int outstanding = 32) {
  AxiMemory::Config c;
  c.base = base;
  c.size = size;
  c.data_bytes = bus;
  c.latency_cycles = latency;
  c.bytes_per_cycle = bus;
  c.max_outstanding = outstanding;
  return c;
}

}  // namespace tsr::tb
