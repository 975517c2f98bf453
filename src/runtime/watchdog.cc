#include "runtime/watchdog.h"

#include <cassert>
#include <chrono>

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
  pthread_setname_np(pthread_self(), "islet-watchdog");
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
    slots_[tSlot].clock = clock;
  }
  return tSlot;
}

Watchdog::Entry::Entry(v8::Isolate* isolate, int64_t cpuLimitMicros) {
  Watchdog& w = instance();
  slot_ = w.slotForThisThread();
  Slot& s = w.slots_[slot_];
  s.startMono = monotonicMicros();
  s.limitMicros = cpuLimitMicros;
  s.terminated.store(false, std::memory_order_relaxed);
  s.isolate.store(isolate, std::memory_order_release);
}

Watchdog::Entry::~Entry() {
  Slot& s = instance().slots_[slot_];
  std::lock_guard lock(s.mutex);
  s.isolate.store(nullptr, std::memory_order_release);
  s.observedCpu = -1;
}

bool Watchdog::Entry::terminated() const {
  return instance().slots_[slot_].terminated.load(std::memory_order_acquire);
}

int64_t Watchdog::Entry::cpuMicros() const {
  Slot& s = instance().slots_[slot_];
  int64_t observedCpu, observedMono;
  {
    std::lock_guard lock(s.mutex);
    observedCpu = s.observedCpu;
    observedMono = s.observedMono;
  }
  if (observedCpu < 0) return monotonicMicros() - s.startMono;
  return (threadCpuMicros() - observedCpu) + (observedMono - s.startMono);
}

void Watchdog::run() {
  for (;;) {
    std::this_thread::sleep_for(std::chrono::microseconds(kPeriodMicros));
    size_t n = used_.load(std::memory_order_acquire);
    for (size_t i = 0; i < n; i++) {
      Slot& s = slots_[i];
      if (s.isolate.load(std::memory_order_relaxed) == nullptr) continue;
      // Under the slot's lock the entry cannot end (nor its isolate be disposed) while we look at it.
      std::lock_guard lock(s.mutex);
      v8::Isolate* isolate = s.isolate.load(std::memory_order_acquire);
      if (isolate == nullptr || s.terminated.load(std::memory_order_relaxed)) continue;
      int64_t cpu = clockMicros(s.clock);
      if (s.observedCpu < 0) {
        s.observedCpu = cpu;
        s.observedMono = monotonicMicros();
      }
      int64_t used = (cpu - s.observedCpu) + (s.observedMono - s.startMono);
      if (used < s.limitMicros) continue;
      s.terminated.store(true, std::memory_order_release);
      isolate->TerminateExecution();
    }
  }
}

}  // namespace islet::runtime
