// Placement: which event-loop thread runs the requests of each script version.
//
// A connection arrives on whichever thread the kernel picked; once its request is parsed, the platform asks
// pick() where that request should run and, if elsewhere, hands the connection to that thread (net::Exchange::
// handOff), where later requests on it are read too. The rules:
//   - A version starts on one thread, its home (a hash of its id): thousands of rarely used scripts are loaded
//     once, not once per thread.
//   - A version whose threads are all saturated spreads to a mostly idle one: one hot script can use every core.
//   - A version whose requests use a lot of CPU (kHeavyCpuUs or more on average) is heavy for a while, and so is each thread
//     that ran such a request. Other versions leave heavy threads for a thread without heavy work when there is
//     one, and a heavy version spreads only to an idle thread: a tenant burning its CPU limit on every request
//     delays the others on its thread, so the others are moved off it. When every thread has become heavy (a heavy
//     version spread while the others were quiet), a light version reclaims one: heavy versions keep only their
//     other threads there, so they leave it, and may not spread to it again for kReclaimedMs (else a light
//     version whose traffic is sparse leaves its thread idle-looking, and the two take turns on it).
//   - Among its threads, a request stays where it arrived unless another holds clearly fewer connections.
//   - A keep-alive connection that has been answered on a heavy thread waits for its next request on a thread
//     without heavy work (idleThread), so a request for another script is not read behind a heavy one.
// pick() is called from every event-loop thread; the state is behind one mutex (held for a few hash lookups).
// Up to 64 threads; with more, or with one, every thread runs everything (pick() returns the current thread).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace islet::server {

class Placement {
 public:
  static constexpr int64_t kHeavyCpuUs = 10'000;        // requests that use this much CPU on average are heavy
  static constexpr int64_t kHeavyThreadMs = 2'000;      // a thread that ran one counts as heavy this long
  static constexpr int64_t kHeavyVersionMs = 10'000;    // and the version that made it, this long
  static constexpr int64_t kReclaimedMs = 10'000;       // a thread a light version took back stays light this long
  static constexpr int kSaturatedPercent = 85;          // a thread this busy (CPU over the last window) is full
  static constexpr int kSpareLightPercent = 50;         // a light version spreads to a thread at most this busy
  static constexpr int kSpareHeavyPercent = 10;         // a heavy one only to an idle thread
  static constexpr int kConnectionSlack = 2;            // stay unless another thread has this many fewer

  static constexpr size_t kNowhere = SIZE_MAX;

  explicit Placement(size_t threads);

  // The thread (index) to run a request for `version` that arrived on thread `current` (kNowhere: on a new
  // connection, at the front door); `connections[i]` is how many client connections thread i holds now.
  size_t pick(const std::string& version, size_t current, std::span<const int> connections, int64_t nowMs);
  // Where a keep-alive connection answered on thread `current` should wait for its next request: the least busy
  // thread without heavy work when `current` has some, else `current`. Takes no lock.
  size_t idleThread(size_t current, int64_t nowMs) const;
  // The version's Worker was loaded on / removed from `thread` (whatever chose it).
  void loaded(const std::string& version, size_t thread);
  void unloaded(const std::string& version, size_t thread);
  // Requests of `version` on `thread` use kHeavyCpuUs of CPU or more on average (the caller keeps the average).
  void heavyRequest(const std::string& version, size_t thread, int64_t nowMs);
  // Thread `thread` was busy this share of the last window (0–100).
  void setBusy(size_t thread, int percent) { busy_[thread].store(percent, std::memory_order_relaxed); }

  bool enabled() const { return threads_ > 1 && threads_ <= 64; }
  // The threads a version is placed on (bit i: thread i); for tests.
  uint64_t threadsOf(const std::string& version);

 private:
  struct Entry {
    uint64_t threads = 0;
    int64_t heavyUntilMs = 0;
  };
  // Takes thread `thread` back from the heavy versions that spread to it (not from one whose home it is).
  void reclaim(size_t thread, int64_t nowMs);
  // The threads light versions took back within kReclaimedMs (bit i: thread i).
  uint64_t reclaimed(int64_t nowMs) const;
  // The homes of the versions heavy now (bit i: thread i); forgets versions no longer heavy.
  uint64_t heavyHomes(int64_t nowMs);
  size_t home(const std::string& version) const;
  // The least busy thread among `mask` that is at most `maxBusy` busy; -1 if none.
  int leastBusy(uint64_t mask, int maxBusy) const;

  const size_t threads_;
  const uint64_t all_;
  std::unique_ptr<std::atomic<int>[]> busy_;
  std::unique_ptr<std::atomic<int64_t>[]> heavyUntilMs_;  // per thread
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mutex_
  std::unordered_set<std::string> heavy_;           // versions heavy now, or lately; guarded by mutex_
  std::unique_ptr<int64_t[]> reclaimedUntilMs_;     // per thread: no heavy version spreads there; guarded by mutex_
};

}  // namespace islet::server
