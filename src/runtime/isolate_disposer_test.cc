// Isolates made and used on one thread, disposed on the disposer's.
#include "runtime/isolate_disposer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "api/natives.h"
#include "api/snapshot_blob.h"
#include "engine/platform.h"

namespace islet::runtime {
namespace {

TEST(IsolateDisposer, DisposesDetachedIsolatesOnItsThreadAndDrainsWhenDestroyed) {
  engine::initialize();
  engine::Engine engine(api::definition(), api::snapshotBlob());
  auto disposer = std::make_unique<IsolateDisposer>();
  for (int i = 0; i < 3; i++) {
    auto isolate = engine.newIsolate(nullptr, engine::IsolateOptions{});
    ASSERT_TRUE(isolate.isOk()) << isolate.status().message();
    isolate.value()->detachFromThread();
    disposer->dispose(std::move(isolate.value()));
  }
  disposer->dispose(nullptr);  // nothing to do
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (disposer->pending() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(disposer->pending(), 0u);
  // Queued when it is destroyed: disposed before its thread ends.
  for (int i = 0; i < 2; i++) {
    auto isolate = engine.newIsolate(nullptr, engine::IsolateOptions{});
    ASSERT_TRUE(isolate.isOk()) << isolate.status().message();
    isolate.value()->detachFromThread();
    disposer->dispose(std::move(isolate.value()));
  }
  disposer.reset();
  // This thread can still make and use isolates afterwards.
  auto after = engine.newIsolate(nullptr, engine::IsolateOptions{});
  EXPECT_TRUE(after.isOk());
}

}  // namespace
}  // namespace islet::runtime
