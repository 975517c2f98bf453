// CodeCaches: V8's code caches of script versions (engine::CodeCache), for the whole process. A Worker loads a
// version's JS from its cache when the store has one; a load that compiled some module from source (no cache yet,
// or one refused: another V8, corrupt bytes) asks for one with want(). update() — on a background thread, once a
// second in `islet serve` — makes the wanted caches in a scratch isolate of its own, compiling each version's JS
// without running any of it, and writes them to the store. Workers never make caches: making one leaves V8's
// serializer tables (~70 KB) in the isolate that made it. A cache is only an optimisation: every failure here means
// "compile from source". Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "base/status.h"
#include "engine/engine.h"
#include "engine/modules.h"
#include "runtime/worker.h"
#include "store/store.h"

namespace islet::runtime {

class CodeCaches {
 public:
  explicit CodeCaches(std::shared_ptr<store::CodeCacheStore> store);

  // The cache of `versionId` made under this process's V8 (engine::codeCacheTag()), from the store; null when there
  // is none, there is no store, or the store failed (logged).
  std::shared_ptr<const engine::CodeCache> get(const std::string& versionId);
  // Asks for a cache of `script` (a stored version) to be made by the next update(). Several asks for one version
  // count once; past kMaxWanted versions waiting, more are dropped (their next load asks again).
  void want(std::shared_ptr<const Script> script);
  // Makes the wanted caches — at most about kUpdateBudget of work; the rest wait for the next call — and writes
  // them to the store in small transactions. Returns how many were made. Costs a scratch isolate (~4 ms) when there
  // is anything to make.
  Result<size_t> update(const engine::Engine& engine);

  static constexpr size_t kMaxWanted = 10'000;

 private:
  std::shared_ptr<store::CodeCacheStore> store_;
  const uint32_t tag_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const Script>> wanted_;  // by version id; guarded by mutex_
};

}  // namespace islet::runtime
