#include "runtime/code_caches.h"

#include <chrono>
#include <vector>

#include "base/log.h"

namespace islet::runtime {
namespace {

// Work per update(): compiling stops once this much time has gone, and the rest waits for the next call.
constexpr std::chrono::milliseconds kUpdateBudget{50};
// Entries per transaction: other writers of the store (the usage flush, deploys) wait while one is written.
constexpr size_t kEntriesPerTransaction = 64;

}  // namespace

CodeCaches::CodeCaches(std::shared_ptr<store::CodeCacheStore> store)
    : store_(std::move(store)), tag_(engine::codeCacheTag()) {}

std::shared_ptr<const engine::CodeCache> CodeCaches::get(const std::string& versionId) {
  if (!store_) return nullptr;
  auto entries = store_->getCodeCache(versionId, tag_);
  if (!entries.isOk()) {
    log::warn("cannot read the code cache of version {}: {}", versionId, entries.status().message());
    return nullptr;
  }
  if (entries->empty()) return nullptr;
  auto cache = std::make_shared<engine::CodeCache>();
  for (auto& e : entries.value()) cache->entries.push_back({std::move(e.module), std::move(e.data)});
  return cache;
}

void CodeCaches::want(std::shared_ptr<const Script> script) {
  if (!store_ || script->versionId.empty()) return;
  std::lock_guard lock(mutex_);
  if (wanted_.size() >= kMaxWanted) return;
  wanted_.emplace(script->versionId, std::move(script));
}

Result<size_t> CodeCaches::update(const engine::Engine& engine) {
  std::unordered_map<std::string, std::shared_ptr<const Script>> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(wanted_);
  }
  if (batch.empty()) return size_t{0};
  auto scratch = engine.newIsolate(nullptr, engine::IsolateOptions{});
  if (!scratch.isOk()) {
    std::lock_guard lock(mutex_);
    wanted_.merge(batch);
    return scratch.status();
  }
  engine::Isolate& isolate = *scratch.value();
  v8::Isolate* iso = isolate.v8();
  auto deadline = std::chrono::steady_clock::now() + kUpdateBudget;
  std::vector<store::CodeCacheEntry> entries;
  size_t made = 0;
  Status written = Status::ok();
  auto write = [&] {
    if (Status s = store_->putCodeCache(entries); !s.isOk()) written = s;
    entries.clear();
  };
  {
    v8::Isolate::Scope isolateScope(iso);
    v8::HandleScope handles(iso);
    v8::Context::Scope contextScope(isolate.context());
    for (auto it = batch.begin(); it != batch.end();) {
      if (std::chrono::steady_clock::now() > deadline) break;
      const Script& script = *it->second;
      engine::CodeCache cache;
      {
        v8::HandleScope perScript(iso);
        cache = engine::makeCodeCache(iso, script.modules,
                                      script.syntax == ScriptSyntax::kModules ? engine::ScriptForm::kModules
                                                                               : engine::ScriptForm::kClassicScript);
      }
      if (!cache.entries.empty()) made++;
      for (auto& e : cache.entries) {
        entries.push_back(store::CodeCacheEntry{script.versionId, std::move(e.name), tag_, std::move(e.data)});
      }
      if (entries.size() >= kEntriesPerTransaction) write();
      it = batch.erase(it);
    }
  }
  if (!entries.empty()) write();
  if (!batch.empty()) {
    std::lock_guard lock(mutex_);
    wanted_.merge(batch);  // what the budget left for the next call
  }
  if (!written.isOk()) return written;
  return made;
}

}  // namespace islet::runtime
