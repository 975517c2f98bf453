// The CPU-time watchdog: one thread for the process that terminates a worker's JS once it has used more than
// its CPU limit in one entry. CPU time is the event-loop thread's own CPU clock (CLOCK_THREAD_CPUTIME_ID of
// that thread), so time spent waiting on I/O or preempted by other processes is never charged.
//
// The hot path makes no system call: an Entry records the (vDSO) monotonic time it started; the watchdog, which
// wakes every kPeriod, reads the thread's CPU clock the first time it sees an entry still running and charges
// CPU from then on. An entry shorter than the period is charged its wall time, an upper bound of its CPU time
// within one period. An event-loop thread brackets each entry into JS with a Watchdog::Entry on its stack.
#pragma once

#include <pthread.h>
#include <time.h>
#include <v8.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace islet::runtime {

// CPU time of the calling thread, in microseconds (a system call).
int64_t threadCpuMicros();
// Monotonic time in microseconds (vDSO, no system call).
int64_t monotonicMicros();

class Watchdog {
 public:
  static constexpr int64_t kPeriodMicros = 500;

  static Watchdog& instance();

  // Registers the calling thread's entry into `isolate` with a CPU budget; the destructor unregisters it.
  class Entry {
   public:
    Entry(v8::Isolate* isolate, int64_t cpuLimitMicros);
    ~Entry();
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;
    // Whether the watchdog terminated this entry's JS.
    bool terminated() const;
    // CPU charged to this entry so far, in microseconds (see the header comment).
    int64_t cpuMicros() const;

   private:
    size_t slot_;
  };

 private:
  struct Slot {
    std::mutex mutex;  // held by the watchdog while it observes or terminates, and by an Entry when it ends
    std::atomic<v8::Isolate*> isolate{nullptr};
    clockid_t clock{};
    int64_t startMono = 0;     // written by the Entry before `isolate` is published
    int64_t limitMicros = 0;
    int64_t observedCpu = -1;  // under mutex: the thread's CPU clock when the watchdog first saw the entry
    int64_t observedMono = 0;  // under mutex: the monotonic time then
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
