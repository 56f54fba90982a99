#include "core/allocator.h"

#include <malloc.h>

#include <climits>

namespace claw {

void keep_freed_memory() {
#if defined(__GLIBC__)
  // Serve large blocks from the heap (which is reused) rather than from mmap (which is returned
  // on free), and never trim the heap's top.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
#endif
}

void return_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_MAX, 1 << 16);  // glibc's default
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 20);
  malloc_trim(0);
#endif
}

void trim_freed_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace claw
