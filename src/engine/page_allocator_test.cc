// The heap page allocator: slots side by side in one mapping, freed slots given back zeroed and reused first,
// everything else left to V8's own allocator; and V8's isolates really allocate through it.
#include "engine/page_allocator.h"

#include <gtest/gtest.h>
#include <v8.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "engine/platform.h"

namespace islet::engine {
namespace {

using Permission = v8::PageAllocator::Permission;
constexpr size_t kSlot = HeapPageAllocator::kSlotBytes;

// The /proc/self/maps lines that overlap [start, end).
int mappingsOverlapping(const char* start, const char* end) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  int count = 0;
  while (std::getline(maps, line)) {
    uintptr_t from = std::stoull(line.substr(0, line.find('-')), nullptr, 16);
    uintptr_t to = std::stoull(line.substr(line.find('-') + 1), nullptr, 16);
    if (from < reinterpret_cast<uintptr_t>(end) && to > reinterpret_cast<uintptr_t>(start)) count++;
  }
  return count;
}

class PageAllocatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { initialize(); }
  v8::PageAllocator* v8Own() { return innerPlatform()->GetPageAllocator(); }
};

TEST_F(PageAllocatorTest, PagesLieSideBySideInOneMapping) {
  HeapPageAllocator pages(v8Own(), 64 * kSlot);
  char* a = static_cast<char*>(pages.AllocatePages(nullptr, kSlot, kSlot, Permission::kReadWrite));
  char* b = static_cast<char*>(pages.AllocatePages(nullptr, kSlot, kSlot, Permission::kReadWrite));
  // A smaller allocation (V8 makes some of a few KB) still takes a slot of its own, and does not split the mapping.
  char* c = static_cast<char*>(pages.AllocatePages(nullptr, 8192, 4096, Permission::kReadWrite));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % kSlot, 0u);
  EXPECT_EQ(b, a + kSlot);
  EXPECT_EQ(c, b + kSlot);
  std::memset(a, 1, kSlot);
  std::memset(b, 2, kSlot);
  std::memset(c, 3, 8192);
  EXPECT_EQ(mappingsOverlapping(a, c + kSlot), 1);
  EXPECT_EQ(pages.stats().slotsInUse, 3u);
  EXPECT_TRUE(pages.FreePages(c, 8192));
  EXPECT_TRUE(pages.FreePages(b, kSlot));
  EXPECT_TRUE(pages.FreePages(a, kSlot));
  EXPECT_EQ(pages.stats().slotsInUse, 0u);
  EXPECT_EQ(pages.stats().slotsTouched, 3u);
}

TEST_F(PageAllocatorTest, AFreedSlotIsReusedFirstAndReadsAsZeros) {
  HeapPageAllocator pages(v8Own(), 64 * kSlot);
  char* a = static_cast<char*>(pages.AllocatePages(nullptr, kSlot, kSlot, Permission::kReadWrite));
  ASSERT_NE(a, nullptr);
  std::memset(a, 0x5a, kSlot);
  ASSERT_TRUE(pages.FreePages(a, kSlot));
  // What one isolate left in a page never reaches the next one given that slot.
  char* again = static_cast<char*>(pages.AllocatePages(nullptr, kSlot, kSlot, Permission::kNoAccess));
  ASSERT_EQ(again, a);
  ASSERT_TRUE(pages.SetPermissions(again, kSlot, Permission::kReadWrite));
  for (size_t i = 0; i < kSlot; i += 512) ASSERT_EQ(again[i], 0) << i;
  // Decommitted memory reads as zeros once made accessible again, as V8 requires.
  std::memset(again, 0x5a, kSlot);
  ASSERT_TRUE(pages.DecommitPages(again, kSlot));
  ASSERT_TRUE(pages.SetPermissions(again, kSlot, Permission::kReadWrite));
  EXPECT_EQ(again[kSlot - 1], 0);
  // Released tails too.
  std::memset(again, 0x5a, kSlot);
  ASSERT_TRUE(pages.ReleasePages(again, kSlot, kSlot / 2));
  EXPECT_EQ(again[0], 0x5a);
  EXPECT_EQ(again[kSlot / 2], 0);
  EXPECT_TRUE(pages.FreePages(again, kSlot / 2));
  EXPECT_EQ(pages.stats().slotsTouched, 1u);
}

TEST_F(PageAllocatorTest, OnlyAFewFreedSlotsKeepTheirMemoryAndNoneKeepsItsContents) {
  constexpr size_t kCount = HeapPageAllocator::kKeptSlots + 16;
  HeapPageAllocator pages(v8Own(), 2 * kCount * kSlot);
  std::vector<char*> slots;
  for (size_t i = 0; i < kCount; i++) {
    char* p = static_cast<char*>(pages.AllocatePages(nullptr, kSlot, kSlot, Permission::kReadWrite));
    ASSERT_NE(p, nullptr);
    // Half of each touched, as V8 leaves its pages: the untouched half must read as zeros too after reuse.
    std::memset(p, 0x77, kSlot / 2);
    slots.push_back(p);
  }
  for (char* p : slots) ASSERT_TRUE(pages.FreePages(p, kSlot));
  EXPECT_EQ(pages.stats().slotsKept, HeapPageAllocator::kKeptSlots);
  // Kept or given back, every slot handed out again reads as zeros throughout.
  for (size_t i = 0; i < kCount; i++) {
    char* p = static_cast<char*>(pages.AllocatePages(nullptr, kSlot, kSlot, Permission::kReadWrite));
    ASSERT_NE(p, nullptr);
    for (size_t at = 0; at < kSlot; at += 4096) ASSERT_EQ(p[at] | p[at + 4095], 0) << i << " " << at;
  }
  EXPECT_EQ(pages.stats().slotsKept, 0u);
  EXPECT_EQ(pages.stats().slotsTouched, kCount);
}

TEST_F(PageAllocatorTest, ASlotMadeReadOnlyBecomesWritableAgain) {
  HeapPageAllocator pages(v8Own(), 4 * kSlot);
  char* p = static_cast<char*>(pages.AllocatePages(nullptr, kSlot, kSlot, Permission::kReadWrite));
  ASSERT_NE(p, nullptr);
  p[0] = 1;
  // As V8 does with its read-only space: sealed, then unsealed.
  ASSERT_TRUE(pages.SetPermissions(p, kSlot, Permission::kRead));
  EXPECT_EQ(p[0], 1);
  ASSERT_TRUE(pages.SetPermissions(p, kSlot, Permission::kReadWrite));
  p[1] = 2;  // faults if the slot stayed read-only
  ASSERT_TRUE(pages.SetPermissions(p, kSlot, Permission::kRead));
  // Freed read-only, the slot is writable for whoever gets it next.
  ASSERT_TRUE(pages.FreePages(p, kSlot));
  char* again = static_cast<char*>(pages.AllocatePages(nullptr, kSlot, kSlot, Permission::kReadWrite));
  ASSERT_EQ(again, p);
  EXPECT_EQ(again[1], 0);
  again[1] = 3;
  EXPECT_TRUE(pages.FreePages(again, kSlot));
}

TEST_F(PageAllocatorTest, LargeExecutableAndOverflowingRequestsGoToV8sAllocator) {
  HeapPageAllocator pages(v8Own(), 2 * kSlot);
  void* large = pages.AllocatePages(nullptr, 4 * kSlot, kSlot, Permission::kReadWrite);
  void* code = pages.AllocatePages(nullptr, kSlot, kSlot, Permission::kReadWriteExecute);
  ASSERT_NE(large, nullptr);
  ASSERT_NE(code, nullptr);
  EXPECT_EQ(pages.stats().slotsInUse, 0u);
  void* first = pages.AllocatePages(nullptr, kSlot, kSlot, Permission::kReadWrite);
  void* second = pages.AllocatePages(nullptr, kSlot, kSlot, Permission::kReadWrite);
  void* third = pages.AllocatePages(nullptr, kSlot, kSlot, Permission::kReadWrite);  // the region holds two
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(pages.stats().slotsInUse, 2u);
  EXPECT_EQ(pages.stats().fallbacks, 1u);
  static_cast<char*>(third)[0] = 1;
  // Each goes back to whichever allocator gave it.
  EXPECT_TRUE(pages.FreePages(third, kSlot));
  EXPECT_TRUE(pages.FreePages(second, kSlot));
  EXPECT_TRUE(pages.FreePages(first, kSlot));
  EXPECT_TRUE(pages.FreePages(code, kSlot));
  EXPECT_TRUE(pages.FreePages(large, 4 * kSlot));
  EXPECT_EQ(pages.stats().slotsInUse, 0u);
}

TEST_F(PageAllocatorTest, IsolatesTakeTheirHeapPagesFromIt) {
  size_t before = heapPageStats().slotsInUse;
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator.get();
  v8::Isolate* isolate = v8::Isolate::New(params);
  {
    v8::Isolate::Scope isolateScope(isolate);
    v8::HandleScope handles(isolate);
    v8::Local<v8::Context> context = v8::Context::New(isolate);
    v8::Context::Scope contextScope(context);
    // A few MB of objects: old-space pages beyond the first.
    const char* source = "globalThis.keep = []; for (let i = 0; i < 100000; i++) keep.push({ i, s: 'x' + i }); 1";
    v8::Local<v8::Script> script =
        v8::Script::Compile(context, v8::String::NewFromUtf8(isolate, source).ToLocalChecked()).ToLocalChecked();
    ASSERT_FALSE(script->Run(context).IsEmpty());
  }
  size_t during = heapPageStats().slotsInUse;
  EXPECT_GT(during, before + 8);
  isolate->Dispose();
  // Every page the isolate held is back, ready for the next one.
  EXPECT_LE(heapPageStats().slotsInUse, before);
  EXPECT_EQ(heapPageStats().fallbacks, 0u);
}

}  // namespace
}  // namespace islet::engine
