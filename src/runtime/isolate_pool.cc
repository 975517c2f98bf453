#include "runtime/isolate_pool.h"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "base/thread.h"

namespace islet::runtime {
namespace {

// The maker's nice value: with an event loop busy on every core it gets little CPU, and take() finding the pool
// empty then costs what a cold start cost without a pool, never a stall of a warm tenant.
constexpr int kMakerNice = 10;

}  // namespace

IsolatePool::IsolatePool(const engine::Engine& engine, boost::asio::io_context& io, size_t size,
                         engine::IsolateOptions options)
    : engine_(engine), io_(io), size_(size), options_(options), allowed_(size) {
  maker_ = std::thread([this] { makeLoop(); });
}

IsolatePool::~IsolatePool() {
  *alive_ = false;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  maker_.join();
  ready_.clear();
}

std::unique_ptr<engine::Isolate> IsolatePool::take() {
  std::unique_ptr<engine::Isolate> out;
  {
    std::lock_guard lock(mutex_);
    if (!ready_.empty()) {
      out = std::move(ready_.back());
      ready_.pop_back();
    }
  }
  // After the handlers already queued on this loop, i.e. once the cold start that took this isolate is done.
  boost::asio::post(io_, [this, alive = alive_] {
    if (!*alive) return;
    {
      std::lock_guard lock(mutex_);
      allowed_ = std::min(allowed_ + 1, size_);
    }
    wake_.notify_one();
  });
  if (out) out->attachToThread();
  return out;
}

size_t IsolatePool::ready() {
  std::lock_guard lock(mutex_);
  return ready_.size();
}

void IsolatePool::makeLoop() {
  base::nameThisThread("islet-pool", kMakerNice);
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || (allowed_ > 0 && ready_.size() < size_); });
    if (stopping_) return;
    allowed_--;
    lock.unlock();
    auto isolate = engine_.newIsolate(nullptr, options_);
    if (isolate.isOk()) isolate.value()->detachFromThread();
    lock.lock();
    if (!isolate.isOk()) {
      allowed_++;
      log::warn("cannot pre-warm an isolate: {}", isolate.status().message());
      // Not a busy loop on a persistent failure: try again in a while (or when stopping).
      wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
      continue;
    }
    ready_.push_back(std::move(isolate.value()));
  }
}

}  // namespace islet::runtime
