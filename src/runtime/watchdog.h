// The CPU-time watchdog: one thread for the process that terminates a worker's JS once it has used more than
// its CPU limit in one entry. CPU time is the event-loop thread's own CPU clock (CLOCK_THREAD_CPUTIME_ID of
// that thread), so time spent waiting on I/O or preempted by other processes is never charged.
//
// An event-loop thread brackets each entry into JS with a Watchdog::Entry on its stack.
#pragma once

#include <pthread.h>
#include <time.h>
#include <v8.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace islet::runtime {

// CPU time of the calling thread, in microseconds.
int64_t threadCpuMicros();

class Watchdog {
 public:
  static Watchdog& instance();

  // Registers the calling thread's entry into `isolate` with a CPU budget; the destructor unregisters it.
  // `terminated()` tells whether the watchdog stopped it.
  class Entry {
   public:
    Entry(v8::Isolate* isolate, int64_t cpuLimitMicros);
    ~Entry();
    bool terminated() const;
    // CPU used by this entry so far, in microseconds.
    int64_t cpuMicros() const { return threadCpuMicros() - startCpu_; }

   private:
    size_t slot_;
    int64_t startCpu_;
  };

 private:
  struct Slot {
    std::mutex mutex;  // held by the watchdog while it terminates, and by an Entry while it ends
    std::atomic<v8::Isolate*> isolate{nullptr};
    clockid_t clock{};
    std::atomic<int64_t> deadlineCpuMicros{0};  // in the thread's CPU clock
    std::atomic<bool> terminated{false};
  };
  static constexpr size_t kMaxThreads = 256;

  Watchdog();
  void run();
  size_t slotForThisThread();

  Slot slots_[kMaxThreads];
  std::atomic<size_t> used_{0};
  std::thread thread_;
};

}  // namespace islet::runtime
