// V8 code caches through the runtime, on the real snapshot: made in the background for a version a Worker compiled
// from source, kept in the store, compiled from by later loads (after eviction, after a restart); a corrupt or
// foreign one falls back to compiling. And the IsolatePool: isolates made on its thread serve on this one.
#include "runtime/code_caches.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdlib.h>

#include "api/natives.h"
#include "api/snapshot_blob.h"
#include "engine/platform.h"
#include "runtime/isolate_pool.h"
#include "runtime/worker.h"

namespace islet::runtime {
namespace {

namespace fs = std::filesystem;

class CodeCacheTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine::initialize();
    engine_ = new engine::Engine(api::definition(), api::snapshotBlob());
  }

  // A module worker of two modules whose handler calls functions compiled only when a request runs.
  static std::shared_ptr<const Script> script(const std::string& versionId) {
    auto s = std::make_shared<Script>();
    s->name = "cached";
    s->accountId = "acme";
    s->versionId = versionId;
    s->mainModule = "index.js";
    s->modules = {
        {"index.js",
         "import { greet } from './lib/greet.js';\n"
         "function shout(s) { return s.toUpperCase(); }\n"
         "export default { fetch(request) { return new Response(shout(greet('cache'))); } };\n"},
        {"lib/greet.js", "export function greet(name) { return 'hello ' + name; }\n"},
    };
    return s;
  }

  // Loads `s` with this code cache (and this isolate, or one made here); fails the test when it does not load.
  std::unique_ptr<Worker> load(std::shared_ptr<const Script> s, std::shared_ptr<const engine::CodeCache> cache,
                               std::unique_ptr<engine::Isolate> isolate = nullptr) {
    Worker::Options options;
    options.codeCache = std::move(cache);
    options.isolate = std::move(isolate);
    auto w = Worker::load(*engine_, io_, std::move(s), std::move(options));
    EXPECT_TRUE(w.isOk()) << w.status().message();
    return w.isOk() ? std::move(w.value()) : nullptr;
  }

  // Runs this thread's loop until `done()` (or 5 s): what the pool's makers post arrives here.
  template <typename Done>
  void runUntil(Done done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      if (io_.poll() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // GET / through `worker`, running this thread's loop until it is answered (and what it posted has run).
  std::string get(Worker& worker) {
    net::Request request;
    request.method = "GET";
    request.target = "/";
    request.host = "cached.test";
    std::optional<net::Response> response;
    worker.fetch(std::make_shared<net::Exchange>(std::move(request), [&](net::Response r) { response = std::move(r); }));
    for (int i = 0; i < 200 && !response; i++) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
    io_.restart();
    io_.poll();
    if (!response) return "no response";
    if (response->status != 200) return "status " + std::to_string(response->status);
    return response->body;
  }

  // A store in a temporary directory holding one version of script(): versionId_.
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "islet-code-cache-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    reopen();
    auto account = stores_->control->createAccount("acme");
    ASSERT_TRUE(account.isOk());
    store::ScriptVersion v;
    v.accountId = account->id;
    v.scriptName = "cached";
    v.metadataJson = R"({"main_module":"index.js"})";
    v.source = "api";
    v.modules.push_back({"index.js", "application/javascript+module", "export default {}"});
    auto added = stores_->control->addVersion(v, true, "upload");
    ASSERT_TRUE(added.isOk()) << added.status().message();
    versionId_ = added->id;
  }
  void TearDown() override {
    stores_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void reopen() {
    stores_.reset();
    auto stores = store::openSqlite((dir_ / "islet.db").string());
    ASSERT_TRUE(stores.isOk()) << stores.status().message();
    stores_ = std::make_unique<store::SqliteStores>(std::move(stores.value()));
  }

  static inline engine::Engine* engine_ = nullptr;
  boost::asio::io_context io_;
  fs::path dir_;
  std::unique_ptr<store::SqliteStores> stores_;
  std::string versionId_;
};

TEST_F(CodeCacheTest, MadeInTheBackgroundKeptInTheStoreAndUsedByLaterLoads) {
  auto first = load(script(versionId_), {});
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->codeCacheUse().compiled, 2);
  EXPECT_EQ(first->codeCacheUse().accepted, 0);
  EXPECT_EQ(get(*first), "HELLO CACHE");

  CodeCaches caches(stores_->codeCache);
  EXPECT_EQ(caches.get(versionId_), nullptr);
  caches.want(script(versionId_));
  caches.want(script(versionId_));  // asked twice, made once
  auto made = caches.update(*engine_);
  ASSERT_TRUE(made.isOk()) << made.status().message();
  EXPECT_EQ(made.value(), 1u);
  EXPECT_EQ(caches.update(*engine_).value(), 0u);  // nothing left to make

  // A reload (after eviction) and a new process (a new CodeCaches on the store reopened) compile from it.
  for (int round = 0; round < 2; round++) {
    if (round == 1) reopen();
    CodeCaches fresh(stores_->codeCache);
    auto cache = fresh.get(versionId_);
    ASSERT_NE(cache, nullptr);
    EXPECT_EQ(cache->entries.size(), 2u);
    auto worker = load(script(versionId_), cache);
    ASSERT_NE(worker, nullptr);
    EXPECT_EQ(worker->codeCacheUse().accepted, 2) << round;
    EXPECT_EQ(worker->codeCacheUse().rejected, 0) << round;
    EXPECT_EQ(get(*worker), "HELLO CACHE");
  }
}

TEST_F(CodeCacheTest, ACorruptCacheFallsBackToCompilingAndIsMadeAgain) {
  CodeCaches caches(stores_->codeCache);
  caches.want(script(versionId_));
  ASSERT_EQ(caches.update(*engine_).value(), 1u);
  auto good = caches.get(versionId_);
  ASSERT_NE(good, nullptr);
  std::vector<store::CodeCacheEntry> corrupt;
  for (const auto& e : good->entries) {
    std::string data = e.data;
    for (size_t i = data.size() / 2; i < data.size() / 2 + 8 && i < data.size(); i++) data[i] ^= 0x5a;
    corrupt.push_back({versionId_, e.name, engine::codeCacheTag(), data});
  }
  ASSERT_TRUE(stores_->codeCache->putCodeCache(corrupt).isOk());

  auto worker = load(script(versionId_), caches.get(versionId_));
  ASSERT_NE(worker, nullptr);
  EXPECT_EQ(worker->codeCacheUse().rejected, 2);
  EXPECT_EQ(worker->codeCacheUse().accepted, 0);
  EXPECT_EQ(get(*worker), "HELLO CACHE");

  caches.want(script(versionId_));  // what islet serve does after such a load
  ASSERT_EQ(caches.update(*engine_).value(), 1u);
  auto again = load(script(versionId_), caches.get(versionId_));
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->codeCacheUse().accepted, 2);
}

TEST_F(CodeCacheTest, ACacheOfAnotherV8IsNotReturned) {
  CodeCaches caches(stores_->codeCache);
  caches.want(script(versionId_));
  ASSERT_EQ(caches.update(*engine_).value(), 1u);
  auto made = caches.get(versionId_);
  ASSERT_NE(made, nullptr);
  std::vector<store::CodeCacheEntry> foreign;
  for (const auto& e : made->entries) foreign.push_back({versionId_, e.name, engine::codeCacheTag() + 1, e.data});
  ASSERT_TRUE(stores_->codeCache->putCodeCache(foreign).isOk());
  EXPECT_EQ(caches.get(versionId_), nullptr);
}

TEST_F(CodeCacheTest, PooledIsolatesMadeOnTheMakerThreadServeHere) {
  IsolatePool pool(*engine_, io_, 2, engine::IsolateOptions{});
  for (int i = 0; i < 500 && pool.ready() < 2; i++) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(pool.ready(), 2u);
  // Two ready: take() hands them over. Then none is: take() answers null at once, and wait() returns without
  // blocking the loop; the maker's isolate reaches the callback through the loop.
  std::vector<std::unique_ptr<engine::Isolate>> taken;
  taken.push_back(pool.take());
  taken.push_back(pool.take());
  ASSERT_NE(taken[0], nullptr);
  ASSERT_NE(taken[1], nullptr);
  EXPECT_EQ(pool.take(), nullptr);
  pool.wait([&](Result<std::unique_ptr<engine::Isolate>> isolate) {
    ASSERT_TRUE(isolate.isOk()) << isolate.status().message();
    taken.push_back(std::move(isolate.value()));
  });
  EXPECT_EQ(taken.size(), 2u);
  EXPECT_EQ(pool.waiting(), 1u);
  runUntil([&] { return taken.size() == 3; });
  ASSERT_EQ(taken.size(), 3u);
  EXPECT_EQ(pool.waiting(), 0u);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < 3; i++) {
    workers.push_back(load(script("v" + std::to_string(i)), nullptr, std::move(taken[i])));
    ASSERT_NE(workers.back(), nullptr);
  }
  for (auto& w : workers) EXPECT_EQ(get(*w), "HELLO CACHE");  // get() also runs the refills posted here
  // The stack limit is this thread's: runaway recursion is an exception in the worker, not a crash.
  auto deep = std::make_shared<Script>(*script("deep"));
  deep->modules = {{"index.js",
                    "function down(n) { return n === 0 ? 0 : 1 + down(n - 1); }\n"
                    "export default { fetch() { try { down(1e7); return new Response('no'); }"
                    " catch (e) { return new Response(e.name + ' ' + down(1000)); } } };\n"}};
  std::unique_ptr<engine::Isolate> isolate;
  runUntil([&] { return (isolate = pool.take()) != nullptr; });
  ASSERT_NE(isolate, nullptr);
  auto worker = load(deep, nullptr, std::move(isolate));
  ASSERT_NE(worker, nullptr);
  EXPECT_EQ(get(*worker), "RangeError 1000");
  runUntil([&] { return pool.ready() == 2; });
  EXPECT_EQ(pool.ready(), 2u);  // refilled in the background; the destructor disposes what is left
}

}  // namespace
}  // namespace islet::runtime
