// IsolatePool: blank isolates for one event-loop thread, restored from the snapshot on a thread of its own, so that
// the loop never spends the 3-10 ms an isolate costs to make (docs/benchmarks.md): a cold start only takes one and
// runs the script's top level.
//
// Its maker thread runs at a low priority, on CPU the event loops leave idle. It keeps `size` isolates ready, each
// detached from it (engine::Isolate::detachFromThread). take() hands the loop one if one is ready; wait() hands it
// the next one the maker finishes, while the loop goes on with other requests (the maker works for waiting loads
// first). One maker per loop: a second one (measured with one loop on two cores) slowed the cold starts of a sweep
// (p50 0.8 -> 1.9 ms) and did not shorten the waits of a storm beside warm traffic. A taken isolate is replaced once the loop has finished the work in hand (a wake-up
// posted to the loop): made while the cold start that took it runs, it would compete with that cold start for the
// core and for the process's memory map. Construct, take() and destroy on the event-loop thread that uses the
// isolates.
#pragma once

#include <boost/asio/io_context.hpp>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/engine.h"

namespace islet::runtime {

class IsolatePool {
 public:
  // Called on the loop's thread with an isolate attached to it (its Host not set yet), or with why none could be
  // made.
  using Ready = std::function<void(Result<std::unique_ptr<engine::Isolate>>)>;

  // Starts the maker thread, which fills the pool to `size` isolates made with `options`; `io` is the loop's.
  IsolatePool(const engine::Engine& engine, boost::asio::io_context& io, size_t size, engine::IsolateOptions options);
  // Stops and joins the maker; disposes the isolates not taken. Callbacks still waiting are dropped uncalled.
  ~IsolatePool();
  IsolatePool(const IsolatePool&) = delete;
  IsolatePool& operator=(const IsolatePool&) = delete;

  // A ready isolate, attached to the calling thread (its Host not set yet), or null when none is ready. Either way
  // the maker makes another once this loop's work in hand is done.
  std::unique_ptr<engine::Isolate> take();
  // Calls `ready` from the loop with the next isolate the maker finishes (or with why it could not make one); the
  // loop serves other requests meanwhile. Waiting loads are served first come, first served.
  void wait(Ready ready);
  const engine::IsolateOptions& options() const { return options_; }
  // Isolates ready now, and loads waiting for one (for tests and metrics).
  size_t ready();
  size_t waiting();

 private:
  void makeLoop();
  void allowRefill();
  // On the loop: hands ready isolates to waiting callbacks, first come first served.
  void serveWaiters();

  const engine::Engine& engine_;
  boost::asio::io_context& io_;
  const size_t size_;
  const engine::IsolateOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::unique_ptr<engine::Isolate>> ready_;  // detached; guarded by mutex_
  std::deque<Ready> waiters_;                            // guarded by mutex_; called on the loop only
  size_t making_ = 0;                                    // isolates the maker is making now; guarded by mutex_
  size_t allowed_;                                       // refills the maker may start now; guarded by mutex_
  bool stopping_ = false;                                // guarded by mutex_
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // loop thread only
  std::thread maker_;
};

}  // namespace islet::runtime
