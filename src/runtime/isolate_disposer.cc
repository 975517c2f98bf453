#include "runtime/isolate_disposer.h"

#include "base/thread.h"

namespace islet::runtime {
namespace {

// As the isolate pool's maker: CPU the event loops leave idle.
constexpr int kDisposerNice = 10;

}  // namespace

IsolateDisposer::IsolateDisposer() : thread_([this] { run(); }) {}

IsolateDisposer::~IsolateDisposer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void IsolateDisposer::dispose(std::unique_ptr<engine::Isolate> isolate) {
  if (!isolate) return;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(isolate));
  }
  wake_.notify_one();
}

size_t IsolateDisposer::pending() {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void IsolateDisposer::run() {
  base::nameThisThread("islet-dispose", kDisposerNice);
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    std::unique_ptr<engine::Isolate> isolate = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    isolate.reset();  // ~Isolate takes the isolate's lock on this thread, then disposes it
    lock.lock();
  }
}

}  // namespace islet::runtime
