// IsolatePool: a few blank isolates for one event-loop thread, restored from the snapshot ahead of need, so that a
// cold start only takes one (about 3.5 ms of deserialisation saved) and the loop never spends that time itself.
//
// The pool has its own maker thread, run at a low priority so that it uses CPU the event loops leave idle: it
// keeps `size` isolates ready, each detached from the maker (engine::Isolate::detachFromThread). take() hands one
// to the calling thread. The maker replaces a taken isolate only once the loop has finished the work in hand (a
// wake-up posted to the loop): made while the cold start that took it runs, it would slow that cold start down
// (the two compete for the core and for the process's memory map). Construct, take() and destroy on the event-loop
// thread that uses the isolates.
#pragma once

#include <boost/asio/io_context.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/engine.h"

namespace islet::runtime {

class IsolatePool {
 public:
  // Starts the maker thread, which fills the pool to `size` isolates made with `options`; `io` is the loop's.
  IsolatePool(const engine::Engine& engine, boost::asio::io_context& io, size_t size, engine::IsolateOptions options);
  // Stops and joins the maker; disposes the isolates not taken.
  ~IsolatePool();
  IsolatePool(const IsolatePool&) = delete;
  IsolatePool& operator=(const IsolatePool&) = delete;

  // A blank isolate owned by the calling thread (its Host not set yet), or null when none is ready — the caller
  // then makes its own. Either way the maker makes another once this loop's work in hand is done.
  std::unique_ptr<engine::Isolate> take();
  const engine::IsolateOptions& options() const { return options_; }
  // Isolates ready now (for tests and metrics).
  size_t ready();

 private:
  void makeLoop();

  const engine::Engine& engine_;
  boost::asio::io_context& io_;
  const size_t size_;
  const engine::IsolateOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::unique_ptr<engine::Isolate>> ready_;  // detached; guarded by mutex_
  size_t allowed_;                                       // isolates the maker may make now; guarded by mutex_
  bool stopping_ = false;                                // guarded by mutex_
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // loop thread only
  std::thread maker_;
};

}  // namespace islet::runtime
