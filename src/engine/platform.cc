#include "engine/platform.h"

#include "engine/page_allocator.h"

#include <libplatform/libplatform.h>
#include <v8-initialization.h>

#include <chrono>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <mutex>
#include <atomic>
#include <cstdint>
#include <vector>

// V8 10.2 places each new isolate's code range (a 128 MB reservation) near its embedded builtins by asking
// v8::base::OS::GetFreeMemoryRangesWithin for the free gaps there, which parses all of /proc/self/maps (~17 lines per
// loaded isolate) unless it can reuse the address of a range a disposed isolate freed. After a restart, and while
// eviction and loads churn, it cannot: measured, ~50 ms per new isolate with ~1,700 loaded, on the event loop
// when the pool is empty (docs/benchmarks.md). islet defines that function: libnode calls it through its PLT, so
// the executable's definition is the one bound. It answers "no ranges known", V8's own fallback for systems that
// cannot tell: V8 then hints the lowest address of that region to mmap, and the kernel places the range there or,
// if taken, wherever it places any mapping. Only an optional placement is lost. platform_test checks that V8 calls
// this definition.
namespace v8::base {
class OS {
 public:
  struct MemoryRange {
    uintptr_t start = 0;
    uintptr_t end = 0;
  };
  static std::vector<MemoryRange> GetFreeMemoryRangesWithin(uintptr_t boundaryStart, uintptr_t boundaryEnd,
                                                            size_t minimumSize, size_t alignment);
};
}  // namespace v8::base

namespace {
std::atomic<uint64_t> gFreeRangeQueries{0};
}  // namespace

std::vector<v8::base::OS::MemoryRange> v8::base::OS::GetFreeMemoryRangesWithin(uintptr_t, uintptr_t, size_t, size_t) {
  gFreeRangeQueries.fetch_add(1, std::memory_order_relaxed);
  return {};
}

namespace islet::engine {

uint64_t freeRangeQueriesAnswered() { return gFreeRangeQueries.load(std::memory_order_relaxed); }

namespace {

thread_local double tFrozenMs = 0;

class IsletPlatform final : public v8::Platform {
 public:
  IsletPlatform(std::unique_ptr<v8::Platform> inner, size_t heapReserveBytes)
      : inner_(std::move(inner)), pages_(inner_->GetPageAllocator(), heapReserveBytes) {}

  v8::PageAllocator* GetPageAllocator() override { return &pages_; }
  int NumberOfWorkerThreads() override { return inner_->NumberOfWorkerThreads(); }
  std::shared_ptr<v8::TaskRunner> GetForegroundTaskRunner(v8::Isolate* isolate) override {
    return inner_->GetForegroundTaskRunner(isolate);
  }
  void CallOnWorkerThread(std::unique_ptr<v8::Task> task) override { inner_->CallOnWorkerThread(std::move(task)); }
  void CallDelayedOnWorkerThread(std::unique_ptr<v8::Task> task, double delay) override {
    inner_->CallDelayedOnWorkerThread(std::move(task), delay);
  }
  bool IdleTasksEnabled(v8::Isolate* isolate) override { return inner_->IdleTasksEnabled(isolate); }
  std::unique_ptr<v8::JobHandle> PostJob(v8::TaskPriority priority, std::unique_ptr<v8::JobTask> job) override {
    return inner_->PostJob(priority, std::move(job));
  }
  double MonotonicallyIncreasingTime() override { return inner_->MonotonicallyIncreasingTime(); }
  double CurrentClockTimeMillis() override { return Clock::nowMs(); }
  v8::TracingController* GetTracingController() override { return inner_->GetTracingController(); }

  v8::Platform* inner() { return inner_.get(); }
  const HeapPageAllocator& pages() const { return pages_; }

 private:
  std::unique_ptr<v8::Platform> inner_;
  HeapPageAllocator pages_;
};

IsletPlatform* gPlatform = nullptr;

}  // namespace

double Clock::realMs() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() / 1000.0;
}

double Clock::nowMs() { return tFrozenMs != 0 ? tFrozenMs : realMs(); }

void Clock::advance() {
  // Whole milliseconds, as Workers' Date.now() gives: a finer clock is a timer for side channels.
  double now = static_cast<double>(static_cast<int64_t>(realMs()));
  if (now > tFrozenMs) tFrozenMs = now;
}

void initialize(const PlatformOptions& options) {
  static std::once_flag once;
  std::call_once(once, [&] {
    // No snapshot checksums: the startup snapshot is part of the binary, and verifying it cost 12 % of every
    // isolate's creation. In V8 10.2 the flag also turns off the checksum of code caches, so islet seals those with
    // a CRC of its own (modules.cc) and V8 never sees a cache that fails it.
    //
    // Wasm code is write-protected by mprotect (W^X, as V8 does for JS code), not by memory protection keys: V8
    // 10.2 gives the key's access only to the thread that made it and the threads it starts afterwards, so on a
    // CPU with PKU (`pku` in /proc/cpuinfo) islet died of SIGSEGV running Wasm (crbug.com/360909072; on such a
    // machine tests/integration/wasm_test.py's memory.grow and Go workers crashed it).
    const char* flags =
        "--no-harmony-sharedarraybuffer --no-experimental-wasm-threads "
        "--disallow-code-generation-from-strings --no-verify-snapshot-checksum "
        "--no-wasm-memory-protection-keys --wasm-write-protect-code-memory";
    v8::V8::SetFlagsFromString(flags, std::strlen(flags));
    if (const char* extra = std::getenv("ISLET_V8_FLAGS")) v8::V8::SetFlagsFromString(extra, std::strlen(extra));
    // islet never enables V8's Wasm trap handler: memory accesses are bounds-checked in code instead of caught by
    // guard regions, so a memory reserves its maximum (this cap), not 10 GiB of address space.
    if (options.wasmMaxMemoryBytes != 0) {
      std::string wasmFlags =
          "--wasm-max-mem-pages=" + std::to_string(std::max<size_t>(1, options.wasmMaxMemoryBytes >> 16));
      v8::V8::SetFlagsFromString(wasmFlags.data(), wasmFlags.size());
    }
    auto inner = v8::platform::NewDefaultPlatform(options.workerThreads,
                                                  v8::platform::IdleTaskSupport::kDisabled,
                                                  v8::platform::InProcessStackDumping::kDisabled);
    gPlatform = new IsletPlatform(std::move(inner), options.heapReserveBytes);
    v8::V8::InitializePlatform(gPlatform);
    v8::V8::Initialize();
  });
}

v8::Platform* innerPlatform() { return gPlatform ? gPlatform->inner() : nullptr; }

HeapPageAllocator::Stats heapPageStats() { return gPlatform ? gPlatform->pages().stats() : HeapPageAllocator::Stats{}; }

}  // namespace islet::engine
