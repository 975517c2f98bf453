#include "server/placement.h"

#include <functional>

#include "base/log.h"

namespace islet::server {
namespace {

uint64_t bit(size_t i) { return uint64_t{1} << i; }

}  // namespace

Placement::Placement(size_t threads)
    : threads_(threads),
      all_(threads >= 64 ? ~uint64_t{0} : bit(threads) - 1),
      busy_(new std::atomic<int>[threads]),
      heavyUntilMs_(new std::atomic<int64_t>[threads]),
      reclaimedUntilMs_(new int64_t[threads]) {
  for (size_t i = 0; i < threads; i++) {
    busy_[i].store(0);
    heavyUntilMs_[i].store(0);
    reclaimedUntilMs_[i] = 0;
  }
}

size_t Placement::home(const std::string& version) const { return std::hash<std::string>{}(version) % threads_; }

int Placement::leastBusy(uint64_t mask, int maxBusy) const {
  int best = -1;
  int bestBusy = maxBusy + 1;
  for (size_t i = 0; i < threads_; i++) {
    if (!(mask & bit(i))) continue;
    int b = busy_[i].load(std::memory_order_relaxed);
    if (b < bestBusy) {
      best = static_cast<int>(i);
      bestBusy = b;
    }
  }
  return best;
}

size_t Placement::idleThread(size_t current, int64_t nowMs) const {
  if (!enabled() || current >= threads_ || heavyUntilMs_[current].load(std::memory_order_relaxed) <= nowMs) {
    return current;
  }
  uint64_t clean = 0;
  for (size_t i = 0; i < threads_; i++) {
    if (heavyUntilMs_[i].load(std::memory_order_relaxed) <= nowMs) clean |= bit(i);
  }
  int j = leastBusy(clean, 100);
  return j < 0 ? current : static_cast<size_t>(j);
}

size_t Placement::pick(const std::string& version, size_t current, std::span<const int> connections,
                       int64_t nowMs) {
  if (!enabled() || connections.size() < threads_) return current < threads_ ? current : 0;
  uint64_t heavyThreads = 0;
  for (size_t i = 0; i < threads_; i++) {
    if (heavyUntilMs_[i].load(std::memory_order_relaxed) > nowMs) heavyThreads |= bit(i);
  }
  std::lock_guard lock(mutex_);
  Entry& e = entries_[version];
  if (e.threads == 0) e.threads = bit(home(version));
  bool heavy = e.heavyUntilMs > nowMs;
  uint64_t usable = e.threads;
  if (!heavy) {
    uint64_t clean = usable & ~heavyThreads;
    if (clean == 0) {
      // Every thread it runs on also runs CPU-heavy requests: take the least busy thread that runs none, or, when
      // every thread does, take back one of its own from the heavy versions that spread there.
      int j = leastBusy(all_ & ~heavyThreads, 100);
      if (j < 0) {
        uint64_t homes = heavyHomes(nowMs);
        j = leastBusy(usable & ~homes, 100);            // one of its own threads, if a heavy version only visits it
        if (j < 0) j = leastBusy(all_ & ~homes, 100);  // or another such thread
        if (j < 0) j = leastBusy(usable, 100);          // or, every thread being some heavy version's home, share
        reclaim(static_cast<size_t>(j), nowMs);
      }
      log::debug("placement: {} leaves threads {:#x}, which run CPU-heavy requests, for thread {}", version,
                 e.threads, j);
      e.threads |= bit(static_cast<size_t>(j));
      clean = bit(static_cast<size_t>(j));
    }
    usable = clean;
  }
  bool saturated = true;
  for (size_t i = 0; i < threads_ && saturated; i++) {
    if ((usable & bit(i)) && busy_[i].load(std::memory_order_relaxed) < kSaturatedPercent) saturated = false;
  }
  if (saturated) {
    uint64_t spare = all_ & ~e.threads & (heavy ? ~reclaimed(nowMs) : ~heavyThreads);
    int j = leastBusy(spare, heavy ? kSpareHeavyPercent : kSpareLightPercent);
    if (j >= 0) {
      log::debug("placement: {} ({}) spreads from threads {:#x} to thread {}", version, heavy ? "heavy" : "light",
                 e.threads, j);
      e.threads |= bit(static_cast<size_t>(j));
      usable |= bit(static_cast<size_t>(j));
    }
  }
  size_t best = current;
  bool haveBest = false;
  for (size_t i = 0; i < threads_; i++) {
    if (!(usable & bit(i))) continue;
    if (!haveBest || connections[i] < connections[best]) {
      best = i;
      haveBest = true;
    }
  }
  bool here = current < threads_ && (usable & bit(current));
  if (here && connections[current] <= connections[best] + kConnectionSlack) return current;
  return best;
}

uint64_t Placement::heavyHomes(int64_t nowMs) {
  uint64_t homes = 0;
  for (auto it = heavy_.begin(); it != heavy_.end();) {
    auto entry = entries_.find(*it);
    if (entry == entries_.end() || entry->second.heavyUntilMs <= nowMs) {
      it = heavy_.erase(it);
      continue;
    }
    homes |= bit(home(*it));
    ++it;
  }
  return homes;
}

uint64_t Placement::reclaimed(int64_t nowMs) const {
  uint64_t mask = 0;
  for (size_t i = 0; i < threads_; i++) {
    if (reclaimedUntilMs_[i] > nowMs) mask |= bit(i);
  }
  return mask;
}

void Placement::reclaim(size_t thread, int64_t nowMs) {
  reclaimedUntilMs_[thread] = nowMs + kReclaimedMs;
  for (const auto& version : heavy_) {
    auto entry = entries_.find(version);
    if (entry == entries_.end() || home(version) == thread) continue;
    Entry& h = entry->second;
    if ((h.threads & bit(thread)) && (h.threads & ~bit(thread))) {
      log::debug("placement: heavy {} gives thread {} back", version, thread);
      h.threads &= ~bit(thread);
    }
  }
  // Their last requests may still run there; they no longer mark it (heavyRequest), so it is clean again — unless
  // it is some heavy version's home.
  if (!(heavyHomes(nowMs) & bit(thread))) heavyUntilMs_[thread].store(0, std::memory_order_relaxed);
}

void Placement::loaded(const std::string& version, size_t thread) {
  if (!enabled() || thread >= threads_) return;
  std::lock_guard lock(mutex_);
  entries_[version].threads |= bit(thread);
}

void Placement::unloaded(const std::string& version, size_t thread) {
  if (!enabled() || thread >= threads_) return;
  std::lock_guard lock(mutex_);
  auto it = entries_.find(version);
  if (it == entries_.end()) return;
  it->second.threads &= ~bit(thread);
  if (it->second.threads == 0) {  // unloaded everywhere: placed afresh next time
    entries_.erase(it);
    heavy_.erase(version);
  }
}

void Placement::heavyRequest(const std::string& version, size_t thread, int64_t nowMs) {
  if (!enabled() || thread >= threads_) return;
  std::lock_guard lock(mutex_);
  Entry& e = entries_[version];
  e.heavyUntilMs = nowMs + kHeavyVersionMs;
  heavy_.insert(version);
  // A thread the version was moved off (reclaim) is not marked by the requests it still finishes there.
  if (e.threads & bit(thread)) heavyUntilMs_[thread].store(nowMs + kHeavyThreadMs, std::memory_order_relaxed);
}

uint64_t Placement::threadsOf(const std::string& version) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(version);
  return it == entries_.end() ? 0 : it->second.threads;
}

}  // namespace islet::server
