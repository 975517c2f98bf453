#include "api/cache/http_cache.h"

#include <fmt/format.h>

namespace islet::api::cache {

namespace {
// Bookkeeping per entry (list node, map slot, strings' headers), counted so that many tiny entries still cost.
constexpr size_t kEntryOverhead = 256;
}  // namespace

HttpCache& HttpCache::node() {
  static HttpCache* cache = new HttpCache(Limits{});  // never destroyed: threads may still use it at exit
  return *cache;
}

std::string HttpCache::partitionKey(std::string_view ns, std::string_view cacheName) {
  // A namespace never holds '\0' (the host makes it), so the first '\0' ends it whatever the cache name holds.
  std::string key;
  key.reserve(ns.size() + 1 + cacheName.size());
  key += ns;
  key += '\0';
  key += cacheName;
  return key;
}

void HttpCache::erase(PartitionMap::iterator partition, std::list<Entry>::iterator entry, bool dropEmpty) {
  Partition& p = partition->second;
  p.byUrl.erase(entry->url);
  p.bytes -= entry->bytes;
  totalBytes_ -= entry->bytes;
  p.lru.erase(entry);
  if (dropEmpty && p.lru.empty()) partitions_.erase(partition);
}

bool HttpCache::evictOldest(PartitionMap::iterator keep) {
  auto oldest = partitions_.end();
  for (auto it = partitions_.begin(); it != partitions_.end(); ++it) {
    if (it->second.lru.empty()) continue;
    if (oldest == partitions_.end() || it->second.lru.back().lastUse < oldest->second.lru.back().lastUse) oldest = it;
  }
  if (oldest == partitions_.end()) return false;
  erase(oldest, std::prev(oldest->second.lru.end()), oldest != keep);
  return true;
}

Status HttpCache::put(std::string_view ns, std::string_view cacheName, std::string_view url, CachedResponse response,
                      double nowMs, double ttlMs) {
  if (response.body.size() > limits_.maxEntryBytes) {
    return Status::invalidArgument(
        fmt::format("the response body ({} bytes) is over the cache's limit of {} bytes", response.body.size(),
                    limits_.maxEntryBytes));
  }
  size_t bytes = kEntryOverhead + url.size() + response.statusText.size() + response.body.size();
  for (const auto& [name, value] : response.headers) bytes += name.size() + value.size() + 32;
  if (bytes > limits_.maxPartitionBytes || bytes > limits_.maxTotalBytes) {
    return Status::invalidArgument("the response is too large for the cache");
  }
  Entry entry;
  entry.url = std::string(url);
  entry.response = std::make_shared<const CachedResponse>(std::move(response));
  entry.storedMs = nowMs;
  entry.expiresMs = nowMs + ttlMs;
  entry.bytes = bytes;

  std::lock_guard<std::mutex> lock(mutex_);
  std::string key = partitionKey(ns, cacheName);
  auto partition = partitions_.find(key);
  if (partition != partitions_.end()) {
    if (auto old = partition->second.byUrl.find(url); old != partition->second.byUrl.end()) {
      erase(partition, old->second, false);
    }
  }
  if (!(ttlMs > 0)) {
    if (partition != partitions_.end() && partition->second.lru.empty()) partitions_.erase(partition);
    return Status::ok();
  }
  if (partition == partitions_.end()) partition = partitions_.emplace(std::move(key), Partition{}).first;
  Partition& p = partition->second;
  // Room in the partition (its own oldest first), then in the node (the oldest anywhere, maybe another
  // account's). `partition` stays in the map while it empties: the new entry goes there.
  while (p.bytes + bytes > limits_.maxPartitionBytes && !p.lru.empty()) erase(partition, std::prev(p.lru.end()), false);
  while (totalBytes_ + bytes > limits_.maxTotalBytes && evictOldest(partition)) {
  }
  entry.lastUse = ++tick_;
  p.lru.push_front(std::move(entry));
  p.byUrl.emplace(p.lru.front().url, p.lru.begin());
  p.bytes += bytes;
  totalBytes_ += bytes;
  return Status::ok();
}

HttpCache::Hit HttpCache::match(std::string_view ns, std::string_view cacheName, std::string_view url, double nowMs) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto partition = partitions_.find(partitionKey(ns, cacheName));
  if (partition == partitions_.end()) return {};
  Partition& p = partition->second;
  auto found = p.byUrl.find(url);
  if (found == p.byUrl.end()) return {};
  auto entry = found->second;
  if (nowMs >= entry->expiresMs) {
    erase(partition, entry, true);
    return {};
  }
  entry->lastUse = ++tick_;
  p.lru.splice(p.lru.begin(), p.lru, entry);
  return Hit{entry->response, nowMs - entry->storedMs};
}

bool HttpCache::remove(std::string_view ns, std::string_view cacheName, std::string_view url, double nowMs) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto partition = partitions_.find(partitionKey(ns, cacheName));
  if (partition == partitions_.end()) return false;
  auto found = partition->second.byUrl.find(url);
  if (found == partition->second.byUrl.end()) return false;
  bool fresh = nowMs < found->second->expiresMs;
  erase(partition, found->second, true);
  return fresh;
}

size_t HttpCache::totalBytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return totalBytes_;
}

size_t HttpCache::partitionBytes(std::string_view ns, std::string_view cacheName) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto partition = partitions_.find(partitionKey(ns, cacheName));
  return partition == partitions_.end() ? 0 : partition->second.bytes;
}

}  // namespace islet::api::cache
