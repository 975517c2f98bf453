#include "runtime/watchdog.h"

#include <algorithm>
#include <cassert>
#include <chrono>

#include "base/thread.h"

namespace islet::runtime {
namespace {
int64_t clockMicros(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}
thread_local size_t tSlot = SIZE_MAX;
}  // namespace

int64_t threadCpuMicros() { return clockMicros(CLOCK_THREAD_CPUTIME_ID); }
int64_t monotonicMicros() { return clockMicros(CLOCK_MONOTONIC); }

Watchdog& Watchdog::instance() {
  static Watchdog* w = new Watchdog();  // never destroyed: its thread runs for the life of the process
  return *w;
}

Watchdog::Watchdog() : thread_([this] {
  base::nameThisThread("islet-watchdog");
  run();
}) {
  thread_.detach();
}

size_t Watchdog::slotForThisThread() {
  if (tSlot == SIZE_MAX) {
    tSlot = used_.fetch_add(1);
    assert(tSlot < kMaxThreads);
    clockid_t clock;
    pthread_getcpuclockid(pthread_self(), &clock);
    Slot& s = slots_[tSlot];
    s.clock = clock;
    // The first sample, so that even this thread's first entry has a bound.
    int64_t cpu = threadCpuMicros();
    addSample(s, cpu, monotonicMicros());
  }
  return tSlot;
}

void Watchdog::addSample(Slot& s, int64_t cpu, int64_t mono) {
  std::lock_guard lock(s.mutex);
  s.samples[s.next] = Sample{cpu, mono};
  s.next ^= 1;
}

int64_t Watchdog::chargeBefore(int64_t startMono, int64_t nowMono, int64_t cpuNow, const Sample (&samples)[2]) {
  int64_t wall = nowMono - startMono;
  if (wall <= kWallTrustedMicros) return wall;
  const Sample* best = nullptr;
  for (const Sample& sample : samples) {
    // A sample whose monotonic time (read after its CPU reading) is not after the start was read before it.
    if (sample.mono >= 0 && sample.mono <= startMono && (best == nullptr || sample.mono > best->mono)) best = &sample;
  }
  if (best == nullptr) return wall;
  return std::clamp<int64_t>(cpuNow - best->cpu, 0, wall);
}

Watchdog::Entry::Entry(v8::Isolate* isolate, int64_t cpuLimitMicros) {
  Watchdog& w = instance();
  slot_ = w.slotForThisThread();
  Slot& s = w.slots_[slot_];
  s.startMono = monotonicMicros();
  s.limitMicros = cpuLimitMicros;
  s.entries.fetch_add(1, std::memory_order_relaxed);
  s.terminated.store(false, std::memory_order_relaxed);
  // Sequentially consistent with the watchdog's going to sleep (run()): either it sees this entry, or this sees it
  // asleep and wakes it.
  s.isolate.store(isolate, std::memory_order_seq_cst);
  if (w.sleeping_.load(std::memory_order_seq_cst)) {
    w.sleeping_.store(false, std::memory_order_seq_cst);
    w.sleeping_.notify_one();
  }
}

Watchdog::Entry::~Entry() {
  Slot& s = instance().slots_[slot_];
  std::lock_guard lock(s.mutex);
  s.isolate.store(nullptr, std::memory_order_release);
  s.observedCpu = -1;
  s.chargedBefore = 0;
}

bool Watchdog::Entry::terminated() const {
  return instance().slots_[slot_].terminated.load(std::memory_order_acquire);
}

int64_t Watchdog::Entry::cpuMicros() const {
  Slot& s = instance().slots_[slot_];
  int64_t observedCpu, chargedBefore;
  Sample samples[2];
  {
    std::lock_guard lock(s.mutex);
    observedCpu = s.observedCpu;
    chargedBefore = s.chargedBefore;
    samples[0] = s.samples[0];
    samples[1] = s.samples[1];
  }
  if (observedCpu >= 0) return (threadCpuMicros() - observedCpu) + chargedBefore;
  int64_t now = monotonicMicros();
  // The CPU clock (a system call) only for an entry long enough to need it.
  int64_t cpuNow = now - s.startMono > kWallTrustedMicros ? threadCpuMicros() : 0;
  return chargeBefore(s.startMono, now, cpuNow, samples);
}

void Watchdog::run() {
  int idleTicks = 0;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::microseconds(kPeriodMicros));
    size_t n = used_.load(std::memory_order_acquire);
    bool active = false;
    for (size_t i = 0; i < n; i++) {
      Slot& s = slots_[i];
      if (s.isolate.load(std::memory_order_relaxed) == nullptr) {
        // Between entries: a new sample of the thread's CPU clock, if it ran an entry since the last one.
        uint64_t entries = s.entries.load(std::memory_order_relaxed);
        if (entries != s.sampledEntries) {
          s.sampledEntries = entries;
          active = true;
          int64_t cpu = clockMicros(s.clock);
          addSample(s, cpu, monotonicMicros());
        }
        continue;
      }
      active = true;
      // Under the slot's lock the entry cannot end (nor its isolate be disposed) while we look at it.
      std::lock_guard lock(s.mutex);
      v8::Isolate* isolate = s.isolate.load(std::memory_order_acquire);
      if (isolate == nullptr || s.terminated.load(std::memory_order_relaxed)) continue;
      int64_t cpu = clockMicros(s.clock);
      if (s.observedCpu < 0) {
        int64_t mono = monotonicMicros();
        s.observedCpu = cpu;
        s.chargedBefore = chargeBefore(s.startMono, mono, cpu, s.samples);
        // Also a sample for the entries after this one (read before they begin); the mutex is held already.
        s.samples[s.next] = Sample{cpu, mono};
        s.next ^= 1;
      }
      int64_t used = (cpu - s.observedCpu) + s.chargedBefore;
      if (used < s.limitMicros) continue;
      s.terminated.store(true, std::memory_order_release);
      isolate->TerminateExecution();
    }
    idleTicks = active ? 0 : idleTicks + 1;
    if (idleTicks < kIdleTicksBeforeSleep) continue;
    idleTicks = 0;
    sleeping_.store(true, std::memory_order_seq_cst);
    bool running = false;
    for (size_t i = 0; i < used_.load(std::memory_order_acquire); i++) {
      if (slots_[i].isolate.load(std::memory_order_seq_cst) != nullptr) running = true;
    }
    if (running) {
      sleeping_.store(false, std::memory_order_seq_cst);
      continue;
    }
    sleeping_.wait(true, std::memory_order_seq_cst);
  }
}

}  // namespace islet::runtime
