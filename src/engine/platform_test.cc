// A binary of its own: V8 asks where to put a code range only while no disposed isolate has left one to reuse,
// so this test must run before any isolate of its process is disposed.
#include "engine/platform.h"

#include <gtest/gtest.h>
#include <v8.h>

#include <memory>

namespace islet::engine {
namespace {

TEST(PlatformTest, V8AsksIsletWhereANewCodeRangeGoes) {
  initialize();
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator.get();
  uint64_t before = freeRangeQueriesAnswered();
  v8::Isolate* first = v8::Isolate::New(params);
  v8::Isolate* second = v8::Isolate::New(params);
  // Each new isolate asked libnode's OS::GetFreeMemoryRangesWithin, and islet's definition answered, not the one
  // in libnode that parses /proc/self/maps.
  EXPECT_EQ(freeRangeQueriesAnswered(), before + 2);
  second->Dispose();
  first->Dispose();
}

}  // namespace
}  // namespace islet::engine
