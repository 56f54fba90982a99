// Process-wide allocator policy for tensor workloads.
#pragma once

namespace claw {

// Makes glibc keep freed memory for reuse instead of returning it to the kernel. A forward pass
// frees and reallocates the same large temporaries (logits, attention scores) every time; handed
// back, each comes back as fresh pages whose first touch faults, which on virtual machines
// costs more than the arithmetic (prefill ran at a third of its speed). The price is that the
// process keeps its peak footprint. Call once at startup, before large allocations.
void keep_freed_memory();

// Undoes keep_freed_memory() for work that goes through a model one layer at a time (claw
// compress, a streamed eval): there the point is a bounded footprint, and a heap that is never
// trimmed grows with every differently sized temporary (SliceGPT's float32 rotations of each
// layer took a 14B compression from 10 GB halfway to 22 GB at the end). Blocks of 1 MB and more
// come from mmap again and go back to the kernel when freed.
void return_freed_memory();

// Hands the heap's free pages back to the kernel once, keeping the policy: for a process that
// has just released something large (a model, in claw bench's turns) and is about to ask the
// kernel whether the next one fits.
void trim_freed_memory();

}  // namespace claw
