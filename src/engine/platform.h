// The V8 platform as islet runs it, and islet's clock.
//
// islet wraps V8's default platform so that the wall clock V8 reports to JS (Date.now(), new Date()) is
// islet's Clock: frozen while a worker's code runs and advanced only when the event loop delivers I/O, as on
// Cloudflare Workers. That denies a tenant a high-resolution timer for side-channel attacks.
//
// initialize() is called once per process, before any isolate exists, from the main thread.
#pragma once

#include <v8-platform.h>

#include <cstdint>
#include <memory>

#include "engine/page_allocator.h"

namespace islet::engine {

// Per-thread frozen clock. Each event-loop thread calls Clock::advance() when it delivers an event to JS.
class Clock {
 public:
  // ms since the epoch as JS sees it on this thread: the last advance(), or real time if never advanced.
  static double nowMs();
  // Moves this thread's clock to the real time now.
  static void advance();
  // The real wall clock, for islet's own use (metering, logs). Never given to tenants.
  static double realMs();
};

struct PlatformOptions {
  int workerThreads = 1;  // V8's background threads (GC, compilation)
  // The largest one Wasm memory may grow to (memory.grow past it returns -1 in the guest). It is also what V8
  // reserves in address space per memory (explicit bounds checks, no guard regions), so it bounds how many Wasm
  // memories a process holds. Rounded down to whole 64 KiB pages; 0 leaves V8's own cap (4 GiB).
  size_t wasmMaxMemoryBytes = 128u << 20;
  // Address space (not memory) reserved for V8's heap pages, side by side (engine/page_allocator.h): 256 GB is
  // about 20,000 loaded workers' pages; past it, pages are mapped one by one as V8 does on its own.
  size_t heapReserveBytes = size_t{256} << 30;
};

// Sets V8's flags (no SharedArrayBuffer, no shared Wasm memory, the Wasm memory cap), creates the platform,
// initialises V8.
void initialize(const PlatformOptions& options = {});

// How many times V8 asked islet's replacement of its /proc/self/maps scan (platform.cc) where a new isolate's code
// range could go. For tests.
uint64_t freeRangeQueriesAnswered();

// What the heap page allocator holds now (engine/page_allocator.h); zeros before initialize().
HeapPageAllocator::Stats heapPageStats();

// The default platform inside islet's wrapper; v8::platform::PumpMessageLoop must be given this one.
v8::Platform* innerPlatform();

}  // namespace islet::engine
