// HttpCache: the node's in-memory HTTP cache behind the Workers Cache API (`caches.default`, `caches.open(name)`).
//
// One HttpCache serves every isolate of the process (HttpCache::node()), so a response one isolate stores is a hit
// for another isolate of the same account. It is partitioned by (namespace, cache name): the namespace is the
// account, chosen by the isolate's Host, never by tenant code, so no partition is reachable from another account.
// Each partition is an LRU bounded in bytes; all partitions together are bounded too, and past that budget the
// least recently used entry of the whole cache goes first. Freshness (the TTL) is decided by the caller (the JS
// half reads Cache-Control / Expires); the store only forgets an entry once it expires.
//
// Thread-safe: every method may be called from any thread. Entries are immutable and handed out by shared_ptr, so
// a hit's body is copied into the isolate outside the lock.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/status.h"

namespace islet::api::cache {

struct CachedResponse {
  int status = 200;
  std::string statusText;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names, as the Response had them
  std::string body;
};

class HttpCache {
 public:
  struct Limits {
    size_t maxEntryBytes = 512 * 1024;        // one response's body; over it put() fails
    size_t maxPartitionBytes = 16u << 20;     // one account's one named cache
    size_t maxTotalBytes = 128u << 20;        // the whole node
  };

  struct Hit {
    std::shared_ptr<const CachedResponse> response;
    double ageMs = 0;  // since it was stored
  };

  explicit HttpCache(Limits limits) : limits_(limits) {}
  HttpCache(const HttpCache&) = delete;
  HttpCache& operator=(const HttpCache&) = delete;

  // The process's cache, shared by every thread and isolate (built on first use with the default Limits).
  static HttpCache& node();

  // Stores `response` under `url` in the partition (ns, cacheName) until nowMs + ttlMs, replacing any entry there
  // and evicting least recently used ones to make room. kInvalidArgument if the body exceeds maxEntryBytes or the
  // entry cannot fit in a partition at all. ttlMs <= 0 stores nothing (and removes an older entry).
  Status put(std::string_view ns, std::string_view cacheName, std::string_view url, CachedResponse response,
             double nowMs, double ttlMs);
  // The fresh entry for `url`, or an empty Hit; an expired entry is dropped on the way.
  Hit match(std::string_view ns, std::string_view cacheName, std::string_view url, double nowMs);
  // Whether a (fresh) entry was there to delete.
  bool remove(std::string_view ns, std::string_view cacheName, std::string_view url, double nowMs);

  size_t totalBytes() const;
  size_t partitionBytes(std::string_view ns, std::string_view cacheName) const;

 private:
  struct Entry {
    std::string url;
    std::shared_ptr<const CachedResponse> response;
    double storedMs = 0;
    double expiresMs = 0;
    size_t bytes = 0;
    uint64_t lastUse = 0;  // tick of the last put/match: orders entries across partitions
  };
  struct Partition {
    std::list<Entry> lru;  // most recently used first
    std::unordered_map<std::string_view, std::list<Entry>::iterator> byUrl;  // views into Entry::url
    size_t bytes = 0;
  };
  using PartitionMap = std::map<std::string, Partition, std::less<>>;

  static std::string partitionKey(std::string_view ns, std::string_view cacheName);
  // Removes `entry`, and its partition too if that empties it and `dropEmpty`.
  void erase(PartitionMap::iterator partition, std::list<Entry>::iterator entry, bool dropEmpty);
  // Evicts the least recently used entry of the whole cache (leaving `keep` in the map even if emptied); false if
  // the cache is empty.
  bool evictOldest(PartitionMap::iterator keep);

  const Limits limits_;
  mutable std::mutex mutex_;
  PartitionMap partitions_;
  size_t totalBytes_ = 0;
  uint64_t tick_ = 0;
};

}  // namespace islet::api::cache
