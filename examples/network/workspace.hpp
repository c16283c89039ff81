// examples/network/workspace.hpp — one call for programs that evaluate the MLP many times.
//
// Each batched call of mlp_loss allocates its work space (a few n_l × N matrices, megabytes)
// and frees it on return.  glibc serves blocks above its mmap threshold (128 KiB at start,
// adapted upwards only slowly) with fresh mmap'ed pages, so every call pays page faults and the
// zeroing of those pages — measured 15% of network_bench's time on 64-128-128-10.  Raising the
// threshold keeps freed blocks in the heap for the next call.  No effect with other C libraries.
#pragma once

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace shiftcurv_examples::network {

inline void keep_freed_work_space() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 1 << 30);  // blocks up to 1 GiB from the heap, reused after free
  mallopt(M_TRIM_THRESHOLD, 1 << 30);  // and the heap is not returned to the OS after each call
#endif
}

}  // namespace shiftcurv_examples::network
