// Process-wide allocator policy for tensor workloads.
#pragma once

namespace claw {

// Makes glibc keep freed memory for reuse instead of returning it to the kernel. A forward pass
// frees and reallocates the same large temporaries (logits, attention scores) every time; handed
// back, each comes back as fresh pages whose first touch faults, which on virtual machines
// costs more than the arithmetic (prefill ran at a third of its speed). The price is that the
// process keeps its peak footprint. Call once at startup, before large allocations.
void keep_freed_memory();

}  // namespace claw
