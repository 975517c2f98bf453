// The CPU-time watchdog: one thread for the process that terminates a worker's JS once it has used more than
// its CPU limit in one entry. CPU time is the event-loop thread's own CPU clock (CLOCK_THREAD_CPUTIME_ID of
// that thread), so time spent waiting on I/O or preempted by other processes is never charged.
//
// The hot path makes no system call: an Entry records the (vDSO) monotonic time it started; the watchdog, which
// wakes every kPeriod, reads the thread's CPU clock the first time it sees an entry still running and charges
// CPU from then on. The part of an entry before the watchdog's first look is charged its wall time while that is
// short (under kWallTrustedMicros), an upper bound of its CPU time. When it is longer — the thread was preempted
// before the watchdog looked, or the watchdog itself ran late, both common on a loaded machine — wall time would
// over-charge, so the charge is bounded by the thread's CPU clock instead: the watchdog samples each thread's CPU
// clock between entries (only threads that ran an entry since the last sample), and the thread's CPU use since the
// last sample taken before the entry began bounds the entry's. One system call is then paid, by the rare long
// entry only. An event-loop thread brackets each entry into JS with a Watchdog::Entry on its stack. A watchdog
// that has seen nothing run for a while sleeps, and the next Entry wakes it (one system call per idle spell).
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
  // Unobserved wall time up to this is charged as it is; beyond it, bounded by the thread's CPU clock.
  static constexpr int64_t kWallTrustedMicros = 2 * kPeriodMicros;

  // A reading of a thread's CPU clock, and the monotonic time read just after it.
  struct Sample {
    int64_t cpu = 0;
    int64_t mono = -1;  // -1: none
  };
  // What the start of an entry that began at `startMono` costs up to `nowMono`, when the thread's CPU clock reads
  // `cpuNow` then: the wall time, or — past kWallTrustedMicros — at most the CPU the thread used since the newest
  // sample taken before the entry began (the samples' order does not matter).
  static int64_t chargeBefore(int64_t startMono, int64_t nowMono, int64_t cpuNow, const Sample (&samples)[2]);

  static Watchdog& instance();
  // Whether the watchdog sleeps, waiting for the next Entry (for tests).
  bool asleep() const { return sleeping_.load(); }

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
    std::mutex mutex;  // held by the watchdog while it observes, samples or terminates, and by an Entry when it ends
    std::atomic<v8::Isolate*> isolate{nullptr};
    clockid_t clock{};
    int64_t startMono = 0;     // written by the Entry before `isolate` is published
    int64_t limitMicros = 0;
    std::atomic<uint64_t> entries{0};  // entries begun on this thread
    uint64_t sampledEntries = 0;       // the watchdog's own: `entries` at its last sample
    int64_t observedCpu = -1;  // under mutex: the thread's CPU clock when the watchdog first saw the entry
    int64_t chargedBefore = 0; // under mutex: what the entry is charged for its time before then
    Sample samples[2];         // under mutex: the two newest samples between entries
    int next = 0;              // under mutex: the one the next sample replaces
    std::atomic<bool> terminated{false};
  };
  static constexpr size_t kMaxThreads = 256;

  Watchdog();
  void run();
  size_t slotForThisThread();
  static void addSample(Slot& s, int64_t cpu, int64_t mono);

  // After this many ticks with no entry running or begun, the watchdog sleeps until an Entry wakes it: an idle
  // process costs no wake-ups (2,000 a second otherwise).
  static constexpr int kIdleTicksBeforeSleep = 20;

  Slot slots_[kMaxThreads];
  std::atomic<size_t> used_{0};
  std::atomic<bool> sleeping_{false};
  std::thread thread_;
};

}  // namespace islet::runtime
