#include "runtime/isolate_pool.h"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "base/thread.h"

namespace islet::runtime {
namespace {

// The maker's nice value: with an event loop busy on every core it gets little CPU, and a cold start then waits
// for its isolate rather than a warm tenant waiting for the cold start.
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
  waiters_.clear();
}

std::unique_ptr<engine::Isolate> IsolatePool::take() {
  std::unique_ptr<engine::Isolate> out;
  {
    std::lock_guard lock(mutex_);
    if (!ready_.empty() && waiters_.empty()) {
      out = std::move(ready_.back());
      ready_.pop_back();
    }
  }
  allowRefill();
  if (out) out->attachToThread();
  return out;
}

void IsolatePool::wait(Ready ready) {
  {
    std::lock_guard lock(mutex_);
    waiters_.push_back(std::move(ready));
  }
  wake_.notify_one();
  allowRefill();
  boost::asio::post(io_, [this, alive = alive_] {
    if (*alive) serveWaiters();  // one may be ready already
  });
}

void IsolatePool::allowRefill() {
  // After the handlers already queued on this loop, i.e. once the cold start that took this isolate is done.
  boost::asio::post(io_, [this, alive = alive_] {
    if (!*alive) return;
    {
      std::lock_guard lock(mutex_);
      allowed_ = std::min(allowed_ + 1, size_);
    }
    wake_.notify_one();
  });
}

size_t IsolatePool::ready() {
  std::lock_guard lock(mutex_);
  return ready_.size();
}

size_t IsolatePool::waiting() {
  std::lock_guard lock(mutex_);
  return waiters_.size();
}

void IsolatePool::serveWaiters() {
  while (true) {
    Ready waiter;
    std::unique_ptr<engine::Isolate> isolate;
    {
      std::lock_guard lock(mutex_);
      if (waiters_.empty() || ready_.empty()) return;
      waiter = std::move(waiters_.front());
      waiters_.pop_front();
      isolate = std::move(ready_.back());
      ready_.pop_back();
    }
    isolate->attachToThread();
    waiter(std::move(isolate));  // may take() again: no lock held
  }
}

void IsolatePool::makeLoop() {
  base::nameThisThread("islet-pool", kMakerNice);
  std::unique_lock lock(mutex_);
  while (true) {
    // Waiting loads first; then refills, each allowed once the loop finished the cold start that took an isolate.
    auto unmet = [this] { return ready_.size() + making_ < waiters_.size(); };
    auto refill = [this] { return allowed_ > 0 && ready_.size() + making_ < size_; };
    wake_.wait(lock, [&] { return stopping_ || unmet() || refill(); });
    if (stopping_) return;
    if (!unmet()) allowed_--;
    making_++;
    lock.unlock();
    auto isolate = engine_.newIsolate(nullptr, options_);
    if (isolate.isOk()) isolate.value()->detachFromThread();
    lock.lock();
    making_--;
    if (!isolate.isOk()) {
      allowed_ = std::min(allowed_ + 1, size_);
      log::warn("cannot make an isolate ahead: {}", isolate.status().message());
      // The loads waiting now fail with the reason, on the loop; later ones wait for the next try.
      std::deque<Ready> failed;
      failed.swap(waiters_);
      if (!failed.empty()) {
        boost::asio::post(io_, [alive = alive_, failed = std::move(failed), status = isolate.status()]() mutable {
          if (!*alive) return;
          for (auto& waiter : failed) waiter(status);
        });
      }
      // Not a busy loop on a persistent failure: try again in a while (or when stopping).
      wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
      continue;
    }
    ready_.push_back(std::move(isolate.value()));
    if (!waiters_.empty()) {
      boost::asio::post(io_, [this, alive = alive_] {
        if (*alive) serveWaiters();
      });
    }
  }
}

}  // namespace islet::runtime
