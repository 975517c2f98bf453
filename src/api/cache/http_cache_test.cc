// HttpCache: hits and expiry, replacement and deletion, partitions (namespace x cache name) that never see each
// other, LRU eviction inside a partition's budget and across the node's, entries over the limit, and concurrent use.
#include "api/cache/http_cache.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace islet::api::cache {
namespace {

CachedResponse response(std::string body, int status = 200) {
  CachedResponse r;
  r.status = status;
  r.headers = {{"content-type", "text/plain"}};
  r.body = std::move(body);
  return r;
}

std::string bodyOf(const HttpCache::Hit& hit) { return hit.response ? hit.response->body : "<miss>"; }

TEST(HttpCache, HitUntilItExpires) {
  HttpCache cache(HttpCache::Limits{});
  ASSERT_TRUE(cache.put("acct", "", "https://a/1", response("one"), 1000, 5000).isOk());
  HttpCache::Hit hit = cache.match("acct", "", "https://a/1", 3000);
  EXPECT_EQ(bodyOf(hit), "one");
  EXPECT_EQ(hit.ageMs, 2000);
  EXPECT_EQ(hit.response->headers.size(), 1u);
  EXPECT_EQ(bodyOf(cache.match("acct", "", "https://a/2", 3000)), "<miss>");
  EXPECT_EQ(bodyOf(cache.match("acct", "", "https://a/1", 6000)), "<miss>");  // expired, and dropped
  EXPECT_EQ(cache.totalBytes(), 0u);
}

TEST(HttpCache, PutReplacesAndRemoveDeletes) {
  HttpCache cache(HttpCache::Limits{});
  ASSERT_TRUE(cache.put("acct", "", "k", response("old"), 0, 60'000).isOk());
  ASSERT_TRUE(cache.put("acct", "", "k", response("new"), 0, 60'000).isOk());
  EXPECT_EQ(bodyOf(cache.match("acct", "", "k", 1)), "new");
  EXPECT_TRUE(cache.remove("acct", "", "k", 1));
  EXPECT_FALSE(cache.remove("acct", "", "k", 1));
  EXPECT_EQ(cache.totalBytes(), 0u);
  // A zero TTL stores nothing and removes what was there.
  ASSERT_TRUE(cache.put("acct", "", "k", response("x"), 0, 60'000).isOk());
  ASSERT_TRUE(cache.put("acct", "", "k", response("y"), 0, 0).isOk());
  EXPECT_EQ(bodyOf(cache.match("acct", "", "k", 1)), "<miss>");
  EXPECT_EQ(cache.totalBytes(), 0u);
}

TEST(HttpCache, PartitionsNeverSeeEachOther) {
  HttpCache cache(HttpCache::Limits{});
  ASSERT_TRUE(cache.put("acct-a", "", "k", response("a default"), 0, 60'000).isOk());
  ASSERT_TRUE(cache.put("acct-a", "n:x", "k", response("a named"), 0, 60'000).isOk());
  ASSERT_TRUE(cache.put("acct-b", "", "k", response("b default"), 0, 60'000).isOk());
  EXPECT_EQ(bodyOf(cache.match("acct-a", "", "k", 1)), "a default");
  EXPECT_EQ(bodyOf(cache.match("acct-a", "n:x", "k", 1)), "a named");
  EXPECT_EQ(bodyOf(cache.match("acct-b", "", "k", 1)), "b default");
  EXPECT_EQ(bodyOf(cache.match("acct-b", "n:x", "k", 1)), "<miss>");
  // A cache name cannot reach into another namespace, whatever bytes it holds.
  EXPECT_EQ(bodyOf(cache.match("acct", std::string("-a\0", 3), "k", 1)), "<miss>");
  EXPECT_EQ(bodyOf(cache.match("", std::string("acct-a\0", 7), "k", 1)), "<miss>");
  EXPECT_TRUE(cache.remove("acct-b", "", "k", 1));
  EXPECT_EQ(bodyOf(cache.match("acct-a", "", "k", 1)), "a default");
}

TEST(HttpCache, OversizedEntriesAreRefused) {
  HttpCache::Limits limits;
  limits.maxEntryBytes = 100;
  HttpCache cache(limits);
  EXPECT_FALSE(cache.put("acct", "", "k", response(std::string(101, 'x')), 0, 60'000).isOk());
  EXPECT_TRUE(cache.put("acct", "", "k", response(std::string(100, 'x')), 0, 60'000).isOk());
}

TEST(HttpCache, APartitionOverItsBudgetDropsItsLeastRecentlyUsed) {
  HttpCache::Limits limits;
  limits.maxPartitionBytes = 4000;
  HttpCache cache(limits);
  std::string kb(1000, 'x');
  for (int i = 0; i < 3; i++) ASSERT_TRUE(cache.put("acct", "", "k" + std::to_string(i), response(kb), 0, 60'000).isOk());
  ASSERT_TRUE(cache.put("other", "", "k", response(kb), 0, 60'000).isOk());
  cache.match("acct", "", "k0", 1);  // k1 is now the least recently used
  ASSERT_TRUE(cache.put("acct", "", "k3", response(kb), 0, 60'000).isOk());
  EXPECT_EQ(bodyOf(cache.match("acct", "", "k1", 1)), "<miss>");
  EXPECT_EQ(bodyOf(cache.match("acct", "", "k0", 1)), kb);
  EXPECT_EQ(bodyOf(cache.match("acct", "", "k2", 1)), kb);
  EXPECT_EQ(bodyOf(cache.match("acct", "", "k3", 1)), kb);
  EXPECT_EQ(bodyOf(cache.match("other", "", "k", 1)), kb) << "another partition is not touched";
  EXPECT_LE(cache.partitionBytes("acct", ""), limits.maxPartitionBytes);
}

TEST(HttpCache, TheNodeOverItsBudgetDropsTheOldestAnywhere) {
  HttpCache::Limits limits;
  limits.maxTotalBytes = 5000;
  HttpCache cache(limits);
  std::string kb(1000, 'x');
  // Room for three entries of about 1.3 KB.
  ASSERT_TRUE(cache.put("a", "", "old", response(kb), 0, 60'000).isOk());
  ASSERT_TRUE(cache.put("b", "", "1", response(kb), 0, 60'000).isOk());
  ASSERT_TRUE(cache.put("a", "", "2", response(kb), 0, 60'000).isOk());
  cache.match("b", "", "1", 1);  // now more recent than a/2
  ASSERT_TRUE(cache.put("b", "", "3", response(kb), 0, 60'000).isOk());
  ASSERT_TRUE(cache.put("c", "", "4", response(kb), 0, 60'000).isOk());
  EXPECT_EQ(bodyOf(cache.match("a", "", "old", 1)), "<miss>");
  EXPECT_EQ(bodyOf(cache.match("a", "", "2", 1)), "<miss>");
  EXPECT_EQ(bodyOf(cache.match("b", "", "1", 1)), kb);
  EXPECT_EQ(bodyOf(cache.match("b", "", "3", 1)), kb);
  EXPECT_EQ(bodyOf(cache.match("c", "", "4", 1)), kb);
  EXPECT_LE(cache.totalBytes(), limits.maxTotalBytes);
  // Filling one partition can empty the others entirely.
  for (int i = 0; i < 10; i++) ASSERT_TRUE(cache.put("d", "", std::to_string(i), response(kb), 2, 60'000).isOk());
  EXPECT_EQ(bodyOf(cache.match("b", "", "1", 3)), "<miss>");
  EXPECT_EQ(bodyOf(cache.match("d", "", "9", 3)), kb);
  EXPECT_LE(cache.totalBytes(), limits.maxTotalBytes);
}

TEST(HttpCache, ConcurrentUseKeepsTheBudget) {
  HttpCache::Limits limits;
  limits.maxTotalBytes = 64 * 1024;
  limits.maxPartitionBytes = 32 * 1024;
  HttpCache cache(limits);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&cache, t] {
      std::string ns = "acct" + std::to_string(t % 2);
      for (int i = 0; i < 2000; i++) {
        std::string key = "k" + std::to_string(i % 50);
        if (i % 3 == 0) {
          EXPECT_TRUE(cache.put(ns, "", key, response(std::string(700, 'x')), i, 60'000).isOk());
        } else if (i % 7 == 0) {
          cache.remove(ns, "", key, i);
        } else {
          HttpCache::Hit hit = cache.match(ns, "", key, i);
          if (hit.response) {
            EXPECT_EQ(hit.response->body.size(), 700u);
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(cache.totalBytes(), limits.maxTotalBytes);
  EXPECT_LE(cache.partitionBytes("acct0", ""), limits.maxPartitionBytes);
}

}  // namespace
}  // namespace islet::api::cache
