// The lazily loaded API files (engine::LazyApi) on the real snapshot: the first isolate of a process that loads one
// makes its code cache once that first use is over (as the runtime does after each entry into JS), and later
// isolates compile from it.
#include <gtest/gtest.h>
#include <v8.h>

#include "api/natives.h"
#include "api/snapshot_blob.h"
#include "engine/engine.h"
#include "engine/platform.h"

namespace islet::api {
namespace {

// Runs `source` in a new isolate restored from the snapshot, then makes the code caches it asks for (the runtime's
// Worker does so after each entry); its result as a string. `pending`: whether it asked for one.
std::string runInNewIsolate(const engine::Engine& engine, const char* source, bool* pending = nullptr) {
  auto made = engine.newIsolate(nullptr, engine::IsolateOptions{});
  EXPECT_TRUE(made.isOk()) << made.status().message();
  if (!made.isOk()) return {};
  v8::Isolate* isolate = made.value()->v8();
  v8::Isolate::Scope isolateScope(isolate);
  v8::HandleScope handles(isolate);
  v8::Local<v8::Context> context = made.value()->context();
  v8::Context::Scope contextScope(context);
  v8::TryCatch tryCatch(isolate);
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> result;
  v8::Local<v8::String> text;
  if (!v8::String::NewFromUtf8(isolate, source).ToLocal(&text) ||
      !v8::Script::Compile(context, text).ToLocal(&script) || !script->Run(context).ToLocal(&result)) {
    return "threw: " + engine::describeException(isolate, tryCatch);
  }
  v8::String::Utf8Value utf8(isolate, result);
  if (pending != nullptr) *pending = made.value()->hasPendingApiCaches();
  made.value()->makeApiCaches();
  EXPECT_FALSE(made.value()->hasPendingApiCaches());
  return *utf8 != nullptr ? *utf8 : "";
}

TEST(LazyApi, TheFirstLoadMakesTheCodeCacheAndLaterLoadsUseIt) {
  engine::initialize();
  engine::Engine engine(definition(), snapshotBlob());
  const char* source = "new URL('https://x.example/a/1?b=2').searchParams.get('b') === '2' ? 'true' : 'false'";
  engine::LazyApiCacheStats before = engine::lazyApiCacheStats();
  bool pending = false;
  EXPECT_EQ(runInNewIsolate(engine, source, &pending), "true");
  EXPECT_TRUE(pending);
  engine::LazyApiCacheStats first = engine::lazyApiCacheStats();
  EXPECT_EQ(first.made, before.made + 1);
  EXPECT_EQ(first.consumed, before.consumed);
  for (int i = 0; i < 2; i++) {
    EXPECT_EQ(runInNewIsolate(engine, source, &pending), "true");
    EXPECT_FALSE(pending);  // the process has the cache: nothing more to make
  }
  engine::LazyApiCacheStats later = engine::lazyApiCacheStats();
  EXPECT_EQ(later.made, first.made);
  EXPECT_EQ(later.consumed, first.consumed + 2);
  EXPECT_EQ(later.rejected, before.rejected);
}

TEST(LazyApi, EveryLazyFileIsAnApiFileThatDefinesItsGlobals) {
  engine::initialize();
  engine::Engine engine(definition(), snapshotBlob());
  for (const engine::LazyApi& lazy : definition().lazy) {
    for (const char* global : lazy.globals) {
      std::string source = std::string("typeof ") + global;
      std::string type = runInNewIsolate(engine, source.c_str());
      EXPECT_TRUE(type == "function" || type == "object") << lazy.file << " " << global << ": " << type;
    }
  }
}

}  // namespace
}  // namespace islet::api
