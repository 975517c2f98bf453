// Metering: every invocation's CPU time, wall time, bytes and outcome, aggregated per account, script and minute,
// plus process-wide counters for /metrics. record() is called by Workers on every event-loop thread; flush()
// moves the aggregates to the UsageStore from one background thread. What is not flushed yet is still visible
// through unflushed(), so the current minute shows in the usage API at once.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace islet::runtime {

enum class Outcome { kOk, kException, kCpuLimit, kMemoryLimit, kWallLimit, kNoResponse, kUnloaded };
std::string_view outcomeName(Outcome o);

struct Invocation {
  std::string accountId;  // empty in `islet dev`: recorded in the counters only
  std::string scriptName;
  int64_t cpuUs = 0;
  int64_t wallUs = 0;
  int64_t subrequests = 0;
  int64_t bytesIn = 0;
  int64_t bytesOut = 0;
  Outcome outcome = Outcome::kOk;
  int64_t endMs = 0;  // when it ended (real clock)
};

class Metering {
 public:
  void record(const Invocation& invocation);
  // CPU spent outside any request (timers after every request ended): billed to the script, no request counted.
  void recordBackground(const std::string& accountId, const std::string& scriptName, int64_t cpuUs, int64_t endMs);
  Status flush(store::UsageStore& store);
  std::vector<store::UsageRecord> unflushed(const std::string& accountId);

  // Counters for /metrics.
  void workerLoaded() { workersLoaded_++; workerLoads_++; }
  void workerUnloaded() { workersLoaded_--; }
  // V8 code caches (runtime/code_caches.h): modules compiled from a cache, modules whose cache was refused (they
  // compiled from source), caches made.
  void codeCacheUsed(int accepted, int rejected) {
    codeCacheAccepted_ += accepted;
    codeCacheRejected_ += rejected;
  }
  void codeCachesMade(size_t n) { codeCachesMade_ += static_cast<int64_t>(n); }
  // Where a load's isolate came from: ready in the pool, a pool maker's while the load waited (its loop served
  // warm traffic), or made on the loop.
  enum class IsolateSource { kPool, kWaited, kMade };
  void isolateFrom(IsolateSource source) { isolateSources_[static_cast<int>(source)]++; }
  std::string prometheus() const;

 private:
  using Key = std::tuple<std::string, std::string, int64_t>;  // account, script, minute
  std::mutex mutex_;
  std::map<Key, store::UsageRecord> pending_;
  std::atomic<int64_t> outcomes_[7] = {};
  std::atomic<int64_t> cpuUs_{0};
  std::atomic<int64_t> wallUs_{0};
  std::atomic<int64_t> bytesIn_{0};
  std::atomic<int64_t> bytesOut_{0};
  std::atomic<int64_t> workersLoaded_{0};
  std::atomic<int64_t> workerLoads_{0};
  std::atomic<int64_t> codeCacheAccepted_{0};
  std::atomic<int64_t> codeCacheRejected_{0};
  std::atomic<int64_t> codeCachesMade_{0};
  std::atomic<int64_t> isolateSources_[3] = {};
};

}  // namespace islet::runtime
