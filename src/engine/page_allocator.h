#pragma once

#include <v8-platform.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_set>
#include <vector>

namespace islet::engine {

// The page allocator islet gives V8 (the platform's GetPageAllocator).
//
// V8's own allocator maps each heap page of every isolate as a mapping of its own, at a random address: about ten
// mappings per loaded worker, so the kernel's cap on a process's mappings (vm.max_map_count, 65,530 by default; idle
// workers are evicted from 80 % of it) held about 3,700 loaded workers. This one reserves one large region of address
// space at start-up and places every heap-page-sized allocation (at most kSlotBytes, aligned to at most kSlotBytes, not
// executable) in a slot of it, side by side. A slot is readable and writable from its first use on, whatever V8 asks:
// the used part of the region is one mapping, and handing out or freeing a slot changes no protection (each change is a
// system call, and a TLB flush on every core that runs the process). Where V8's own allocator would make memory
// inaccessible, it is given back instead (MADV_DONTNEED) and reads as zeros. A freed slot is cleared on the thread that
// frees it; the last few freed keep their memory and are handed out first (faulting in fresh pages is a good part of
// what a new isolate costs), the others give it back. Anything larger — code ranges, large objects, Wasm memories — or
// executable goes to V8's own allocator, as does everything once the region is full.
//
// Thread-safe: V8 allocates and frees pages from every thread that runs an isolate and from its GC threads.
class HeapPageAllocator final : public v8::PageAllocator {
 public:
  // V8 10.2's heap page (kPageSizeBits = 18): the size and alignment it asks for each page of an isolate's heap.
  static constexpr size_t kSlotBytes = size_t{256} << 10;
  // Freed slots kept with their memory (at most 16 MB of RSS), to be cleared and handed out again: about what six
  // blank isolates hold, so a load that follows an eviction finds its pages already mapped.
  static constexpr size_t kKeptSlots = 64;

  // Reserves reserveBytes of address space (no memory); if that fails, every request goes to fallback.
  HeapPageAllocator(v8::PageAllocator* fallback, size_t reserveBytes);
  ~HeapPageAllocator() override;
  HeapPageAllocator(const HeapPageAllocator&) = delete;
  HeapPageAllocator& operator=(const HeapPageAllocator&) = delete;

  size_t AllocatePageSize() override;
  size_t CommitPageSize() override;
  void SetRandomMmapSeed(int64_t seed) override;
  void* GetRandomMmapAddr() override;
  void* AllocatePages(void* hint, size_t length, size_t alignment, Permission permissions) override;
  bool FreePages(void* address, size_t length) override;
  bool ReleasePages(void* address, size_t length, size_t newLength) override;
  bool SetPermissions(void* address, size_t length, Permission permissions) override;
  bool DiscardSystemPages(void* address, size_t size) override;
  bool DecommitPages(void* address, size_t size) override;

  struct Stats {
    size_t slots = 0;        // in the region
    size_t slotsInUse = 0;   // allocated and not freed
    size_t slotsTouched = 0;  // ever handed out (the region's high-water mark)
    size_t slotsKept = 0;     // freed with their memory kept, for the next allocations
    uint64_t fallbacks = 0;  // requests that fit a slot but went to V8's allocator because the region was full
  };
  Stats stats() const;

 private:
  bool owns(const void* address) const;
  static bool fitsSlot(size_t length, size_t alignment, Permission permissions);

  v8::PageAllocator* fallback_;
  char* region_ = nullptr;  // kSlotBytes-aligned
  size_t slots_ = 0;
  void* mapping_ = nullptr;  // what mmap returned (the region plus alignment slack)
  size_t mappingBytes_ = 0;

  mutable std::mutex mutex_;
  std::vector<uint32_t> kept_;      // freed slots, cleared, with their memory; the most recently freed last
  size_t keptOrScrubbing_ = 0;      // kept_ and those being cleared to join it, at most kKeptSlots
  std::vector<uint32_t> free_;      // freed slots that gave their memory back, likewise
  std::vector<uint32_t> unopened_;  // slots never made accessible (mprotect failed)
  std::unordered_set<uint32_t> otherPermissions_;  // slots V8 made other than readable and writable
  size_t next_ = 0;                 // slots below this have been handed out at least once
  size_t inUse_ = 0;
  uint64_t fallbacks_ = 0;
};

}  // namespace islet::engine
