// IsolateDisposer: disposes isolates on a thread of its own. Disposing an isolate takes its thread about half a
// millisecond (unmapping its heap), and an event loop evicting hundreds of idle workers under a memory budget would
// otherwise stall every tenant on it for a hundred milliseconds or more (measured: docs/benchmarks.md). The thread
// runs at a low priority; the memory returns to the system once it has run.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/engine.h"

namespace islet::runtime {

class IsolateDisposer {
 public:
  IsolateDisposer();
  // Disposes what is still queued, then joins the thread.
  ~IsolateDisposer();
  IsolateDisposer(const IsolateDisposer&) = delete;
  IsolateDisposer& operator=(const IsolateDisposer&) = delete;

  // Takes an isolate its owner has detached from its thread (engine::Isolate::detachFromThread); it is disposed
  // on the disposer's thread. Any thread.
  void dispose(std::unique_ptr<engine::Isolate> isolate);
  // Isolates queued and not disposed yet (for tests).
  size_t pending();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<engine::Isolate>> queue_;  // guarded by mutex_
  bool stopping_ = false;                               // guarded by mutex_
  std::thread thread_;
};

}  // namespace islet::runtime
