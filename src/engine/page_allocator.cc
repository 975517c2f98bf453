#include "engine/page_allocator.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"

namespace islet::engine {

namespace {

int protection(v8::PageAllocator::Permission permissions) {
  switch (permissions) {
    case v8::PageAllocator::kNoAccess:
    case v8::PageAllocator::kNoAccessWillJitLater:
      return PROT_NONE;
    case v8::PageAllocator::kRead:
      return PROT_READ;
    case v8::PageAllocator::kReadWrite:
      return PROT_READ | PROT_WRITE;
    case v8::PageAllocator::kReadWriteExecute:
      return PROT_READ | PROT_WRITE | PROT_EXEC;
    case v8::PageAllocator::kReadExecute:
      return PROT_READ | PROT_EXEC;
  }
  return PROT_NONE;
}

// Clears a freed slot in place: the pages it still has are zeroed (far cheaper than faulting in fresh ones when it
// is reused: 1.5-14 µs each on this VM, docs/benchmarks.md), the others are dropped, which also clears any the
// kernel swapped out.
bool scrub(char* slot, size_t pageSize) {
  constexpr size_t kMaxPages = HeapPageAllocator::kSlotBytes / 4096;
  unsigned char resident[kMaxPages];
  size_t pages = HeapPageAllocator::kSlotBytes / pageSize;
  if (pages > kMaxPages || mincore(slot, HeapPageAllocator::kSlotBytes, resident) != 0) {
    return madvise(slot, HeapPageAllocator::kSlotBytes, MADV_DONTNEED) == 0;
  }
  for (size_t i = 0; i < pages;) {
    size_t run = i;
    bool present = resident[i] & 1;
    while (run < pages && bool(resident[run] & 1) == present) run++;
    if (present) {
      std::memset(slot + i * pageSize, 0, (run - i) * pageSize);
    } else if (madvise(slot + i * pageSize, (run - i) * pageSize, MADV_DONTNEED) != 0) {
      return false;
    }
    i = run;
  }
  return true;
}

}  // namespace

HeapPageAllocator::HeapPageAllocator(v8::PageAllocator* fallback, size_t reserveBytes) : fallback_(fallback) {
  size_t slots = reserveBytes / kSlotBytes;
  if (slots == 0) return;
  // Reserved, not committed: no memory and no commit charge until a slot is made accessible. The kernel picks
  // the address (randomised by ASLR); one slot of slack lets the region start on a slot boundary.
  mappingBytes_ = (slots + 1) * kSlotBytes;
  void* mapping = mmap(nullptr, mappingBytes_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapping == MAP_FAILED) {
    log::warn("could not reserve {} GB of address space for V8's heap pages ({}); each page will be a mapping of its "
              "own, and vm.max_map_count will bound how many workers stay loaded",
              reserveBytes >> 30, std::strerror(errno));
    mappingBytes_ = 0;
    return;
  }
  mapping_ = mapping;
  auto start = reinterpret_cast<uintptr_t>(mapping);
  uintptr_t aligned = (start + kSlotBytes - 1) & ~(uintptr_t{kSlotBytes} - 1);
  region_ = reinterpret_cast<char*>(aligned);
  slots_ = slots;
}

HeapPageAllocator::~HeapPageAllocator() {
  if (mapping_ != nullptr) munmap(mapping_, mappingBytes_);
}

size_t HeapPageAllocator::AllocatePageSize() { return fallback_->AllocatePageSize(); }

size_t HeapPageAllocator::CommitPageSize() { return fallback_->CommitPageSize(); }

void HeapPageAllocator::SetRandomMmapSeed(int64_t seed) { fallback_->SetRandomMmapSeed(seed); }

void* HeapPageAllocator::GetRandomMmapAddr() { return fallback_->GetRandomMmapAddr(); }

bool HeapPageAllocator::owns(const void* address) const {
  auto* p = static_cast<const char*>(address);
  return region_ != nullptr && p >= region_ && p < region_ + slots_ * kSlotBytes;
}

bool HeapPageAllocator::fitsSlot(size_t length, size_t alignment, Permission permissions) {
  // Executable and read-only memory stays with V8's allocator, away from the data pages.
  bool data = permissions == kNoAccess || permissions == kReadWrite;
  return data && length != 0 && length <= kSlotBytes && alignment <= kSlotBytes && kSlotBytes % alignment == 0;
}

void* HeapPageAllocator::AllocatePages(void* hint, size_t length, size_t alignment, Permission permissions) {
  if (region_ == nullptr || !fitsSlot(length, alignment, permissions)) {
    return fallback_->AllocatePages(hint, length, alignment, permissions);
  }
  size_t slot = slots_;
  bool fresh = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!kept_.empty()) {
      slot = kept_.back();
      kept_.pop_back();
      keptOrScrubbing_--;
    } else if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else if (!unopened_.empty()) {
      slot = unopened_.back();
      unopened_.pop_back();
      fresh = true;
    } else if (next_ < slots_) {
      slot = next_++;
      fresh = true;
    } else {
      fallbacks_++;
    }
    if (slot != slots_) inUse_++;
  }
  if (slot == slots_) return fallback_->AllocatePages(hint, length, alignment, permissions);
  char* address = region_ + slot * kSlotBytes;
  // A slot is readable and writable from its first use on, whatever part of it is asked for and with what
  // permission: all slots then have one protection, and the kernel keeps them in one mapping. What V8 leaves
  // inaccessible in its own allocator (a page's tail, memory it decommitted) reads as zeros here and costs no memory.
  if (fresh && mprotect(address, kSlotBytes, PROT_READ | PROT_WRITE) != 0) {
    // Most likely the process is at vm.max_map_count: the caller sees what V8's own allocator would return.
    std::lock_guard<std::mutex> lock(mutex_);
    unopened_.push_back(static_cast<uint32_t>(slot));
    inUse_--;
    return nullptr;
  }
  return address;
}

bool HeapPageAllocator::FreePages(void* address, size_t length) {
  if (!owns(address)) return fallback_->FreePages(address, length);
  size_t slot = (static_cast<char*>(address) - region_) / kSlotBytes;
  char* start = region_ + slot * kSlotBytes;
  bool restore;
  bool keep;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    restore = otherPermissions_.erase(static_cast<uint32_t>(slot)) != 0;
    keep = keptOrScrubbing_ < kKeptSlots;
    if (keep) keptOrScrubbing_++;
  }
  bool ok = !restore || mprotect(start, kSlotBytes, PROT_READ | PROT_WRITE) == 0;
  // Cleared now, on the thread that frees (for an evicted worker, the disposer's, not an event loop's): a freed
  // slot never holds what its isolate left there. A few keep their memory for the next pages V8 asks for, most
  // likely another isolate's; the rest give it back at once, so the process's RSS stays what it uses.
  ok = (keep ? scrub(start, CommitPageSize()) : madvise(start, kSlotBytes, MADV_DONTNEED) == 0) && ok;
  std::lock_guard<std::mutex> lock(mutex_);
  (keep ? kept_ : free_).push_back(static_cast<uint32_t>(slot));
  inUse_--;
  return ok;
}

bool HeapPageAllocator::ReleasePages(void* address, size_t length, size_t newLength) {
  if (!owns(address)) return fallback_->ReleasePages(address, length, newLength);
  if (newLength >= length) return true;
  return madvise(static_cast<char*>(address) + newLength, length - newLength, MADV_DONTNEED) == 0;
}

bool HeapPageAllocator::SetPermissions(void* address, size_t length, Permission permissions) {
  if (!owns(address)) return fallback_->SetPermissions(address, length, permissions);
  // Inaccessible means no longer needed: the memory is given back, as V8's own allocator does (see AllocatePages).
  if (permissions == kNoAccess) return madvise(address, length, MADV_DONTNEED) == 0;
  auto slot = static_cast<uint32_t>((static_cast<char*>(address) - region_) / kSlotBytes);
  std::lock_guard<std::mutex> lock(mutex_);
  // Anything else (V8 makes its read-only space's pages read-only) is applied, and undone when the slot is freed;
  // readable and writable is what a slot already is, unless it was made something else before.
  if (permissions == kReadWrite && !otherPermissions_.contains(slot)) return true;
  otherPermissions_.insert(slot);
  return mprotect(address, length, protection(permissions)) == 0;
}

bool HeapPageAllocator::DiscardSystemPages(void* address, size_t size) {
  if (!owns(address)) return fallback_->DiscardSystemPages(address, size);
  // Released at once (V8's own allocator uses MADV_FREE, which leaves the pages in RSS until the kernel needs
  // them): the memory budget reads RSS.
  return madvise(address, size, MADV_DONTNEED) == 0;
}

bool HeapPageAllocator::DecommitPages(void* address, size_t size) {
  if (!owns(address)) return fallback_->DecommitPages(address, size);
  return madvise(address, size, MADV_DONTNEED) == 0;
}

HeapPageAllocator::Stats HeapPageAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return Stats{slots_, inUse_, next_, kept_.size(), fallbacks_};
}

}  // namespace islet::engine
