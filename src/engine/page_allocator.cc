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

// Gives the memory back (it reads as zeros afterwards) and makes the range inaccessible, as V8's own allocator does
// for memory it decommits.
bool release(void* address, size_t length) {
  bool discarded = madvise(address, length, MADV_DONTNEED) == 0;
  return mprotect(address, length, PROT_NONE) == 0 && discarded;
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
  // Executable memory stays with V8's allocator, away from the data pages.
  bool data = permissions == kNoAccess || permissions == kRead || permissions == kReadWrite;
  return data && length != 0 && length <= kSlotBytes && alignment <= kSlotBytes && kSlotBytes % alignment == 0;
}

void* HeapPageAllocator::AllocatePages(void* hint, size_t length, size_t alignment, Permission permissions) {
  if (region_ == nullptr || !fitsSlot(length, alignment, permissions)) {
    return fallback_->AllocatePages(hint, length, alignment, permissions);
  }
  size_t slot;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else if (next_ < slots_) {
      slot = next_++;
    } else {
      fallbacks_++;
      slot = slots_;
    }
    if (slot != slots_) inUse_++;
  }
  if (slot == slots_) return fallback_->AllocatePages(hint, length, alignment, permissions);
  char* address = region_ + slot * kSlotBytes;
  // The slot's tail past the allocation is made accessible too (V8 never touches it, so it costs no memory): a slot
  // then has one protection, the same as its neighbours', and the kernel keeps them all in one mapping.
  bool tailOk = length == kSlotBytes || mprotect(address + length, kSlotBytes - length, PROT_READ | PROT_WRITE) == 0;
  if (!tailOk || (permissions != kNoAccess && mprotect(address, length, protection(permissions)) != 0)) {
    // Most likely the process is at vm.max_map_count: the caller sees what V8's own allocator would return.
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(static_cast<uint32_t>(slot));
    inUse_--;
    return nullptr;
  }
  return address;
}

bool HeapPageAllocator::FreePages(void* address, size_t length) {
  if (!owns(address)) return fallback_->FreePages(address, length);
  size_t slot = (static_cast<char*>(address) - region_) / kSlotBytes;
  // The whole slot, whatever part of it was in use: the next isolate to get it finds zeros.
  bool ok = release(region_ + slot * kSlotBytes, kSlotBytes);
  std::lock_guard<std::mutex> lock(mutex_);
  free_.push_back(static_cast<uint32_t>(slot));
  inUse_--;
  return ok;
}

bool HeapPageAllocator::ReleasePages(void* address, size_t length, size_t newLength) {
  if (!owns(address)) return fallback_->ReleasePages(address, length, newLength);
  if (newLength >= length) return true;
  // The released tail becomes part of the slot's accessible tail (see AllocatePages): its memory is given back.
  return madvise(static_cast<char*>(address) + newLength, length - newLength, MADV_DONTNEED) == 0;
}

bool HeapPageAllocator::SetPermissions(void* address, size_t length, Permission permissions) {
  if (!owns(address)) return fallback_->SetPermissions(address, length, permissions);
  if (permissions == kNoAccess) return release(address, length);
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
  return release(address, size);
}

HeapPageAllocator::Stats HeapPageAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return Stats{slots_, inUse_, next_, fallbacks_};
}

}  // namespace islet::engine
