// The engine on its own: a snapshot built from a tiny API definition, isolates restored from it, the bind
// boundary, the frozen clock, the code-generation and shared-memory bans, module loading and the heap limit.
#include "engine/engine.h"
#include "engine/page_allocator.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

#include "engine/modules.h"
#include "engine/platform.h"
#include "engine/wasm.h"

namespace islet::engine {
namespace {

void nativeAdd(bind::Args& args) { args.returnNumber(args.number(0) + args.number(1)); }
void nativeTypeError(bind::Args&) { bind::throwTypeError("bad argument"); }
void nativeStdException(bind::Args&) { throw std::runtime_error("a C++ bug"); }
void nativeBytes(bind::Args& args) { args.returnNumber(static_cast<double>(args.bytes(0).size())); }

constexpr bind::NativeFunction kNatives[] = {
    ISLET_NATIVE("add", nativeAdd),
    ISLET_NATIVE("typeError", nativeTypeError),
    ISLET_NATIVE("stdException", nativeStdException),
    ISLET_NATIVE("bytes", nativeBytes),
};
constexpr char kPrelude[] =
    "(function (g, native, internal) { g.add = native.add; g.typeError = native.typeError;"
    " g.stdException = native.stdException; g.bytes = native.bytes; internal.marker = 42; })";
const EmbeddedScript kScripts[] = {{"prelude.js", kPrelude, sizeof kPrelude - 1}};
// Runs only while the snapshot is built, in a context of its own: nothing it does may reach the snapshot's.
constexpr char kWarmUp[] =
    "(function (g, native, internal) { internal.marker = 7; g.leaked = 1; g.add(1, 2); })";
const EmbeddedScript kWarmUpScripts[] = {{"warm_up.js", kWarmUp, sizeof kWarmUp - 1}};

class NullHost : public Host {
 public:
  void consoleLog(std::string_view, std::string_view) override {}
  void timerStart(uint32_t, double, bool) override {}
  void timerCancel(uint32_t) override {}
  void fetchDone(uint32_t, const ResponseParts*, v8::Local<v8::Value>) override {}
  double timeOrigin() const override { return 0; }
};

class EngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    initialize();
    ApiDefinition api{kNatives, kScripts, kWarmUpScripts, {}};
    auto blob = Engine::buildSnapshot(api);
    ASSERT_TRUE(blob.isOk()) << blob.status().message();
    snapshot_ = new std::string(std::move(blob.value()));
    engine_ = new Engine(api, *snapshot_);
  }

  void SetUp() override {
    auto iso = engine_->newIsolate(&host_, options_);
    ASSERT_TRUE(iso.isOk()) << iso.status().message();
    isolate_ = std::move(iso.value());
  }

  // Runs `code` as a classic script; returns String(result) or "threw: <message>".
  std::string eval(const std::string& code) {
    v8::Isolate* iso = isolate_->v8();
    v8::Isolate::Scope is(iso);
    v8::HandleScope hs(iso);
    v8::Context::Scope cs(isolate_->context());
    v8::TryCatch tc(iso);
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> result;
    auto ctx = isolate_->context();
    if (!v8::Script::Compile(ctx, bind::str(iso, code)).ToLocal(&script) || !script->Run(ctx).ToLocal(&result)) {
      if (tc.HasTerminated()) {
        iso->CancelTerminateExecution();
        return "terminated";
      }
      return "threw: " + bind::toUtf8(iso, tc.Exception());
    }
    return bind::toUtf8(iso, result);
  }

  static inline std::string* snapshot_ = nullptr;
  static inline Engine* engine_ = nullptr;
  NullHost host_;
  IsolateOptions options_;
  std::unique_ptr<Isolate> isolate_;
};

TEST_F(EngineTest, NativeFunctionsSurviveTheSnapshot) {
  EXPECT_EQ(eval("add(2, 3)"), "5");
  EXPECT_EQ(eval("bytes(new Uint8Array(7))"), "7");
  v8::Isolate::Scope is(isolate_->v8());
  v8::HandleScope hs(isolate_->v8());
  v8::Context::Scope cs(isolate_->context());
  auto marker = isolate_->internal()->Get(isolate_->context(), bind::str(isolate_->v8(), "marker"));
  EXPECT_EQ(bind::toUtf8(isolate_->v8(), marker.ToLocalChecked()), "42");
}

TEST_F(EngineTest, TheSnapshotWarmUpLeavesNothingBehind) {
  EXPECT_EQ(eval("typeof leaked"), "undefined");
  v8::Isolate::Scope is(isolate_->v8());
  v8::HandleScope hs(isolate_->v8());
  v8::Context::Scope cs(isolate_->context());
  auto marker = isolate_->internal()->Get(isolate_->context(), bind::str(isolate_->v8(), "marker"));
  EXPECT_EQ(bind::toUtf8(isolate_->v8(), marker.ToLocalChecked()), "42");
}

TEST_F(EngineTest, AnIsolateMadeOnOneThreadRunsOnAnother) {
  std::unique_ptr<Isolate> made;
  std::thread maker([&] {
    auto iso = engine_->newIsolate(&host_, options_);
    ASSERT_TRUE(iso.isOk()) << iso.status().message();
    made = std::move(iso.value());
    made->detachFromThread();
  });
  maker.join();
  ASSERT_NE(made, nullptr);
  made->attachToThread();
  isolate_ = std::move(made);
  EXPECT_EQ(eval("add(40, 2)"), "42");
  // The stack limit is this thread's: moderate recursion runs, runaway recursion is a RangeError, not a crash.
  EXPECT_EQ(eval("function depth(n) { return n === 0 ? 0 : 1 + depth(n - 1); } depth(2000)"), "2000");
  EXPECT_EQ(eval("try { depth(1e7) } catch (e) { e.name }"), "RangeError");
}

// The API's files reach each isolate by reference (external strings in the snapshot), not as a copy in its heap —
// unless a file is not ASCII, which is then copied, as V8 would otherwise do.
TEST_F(EngineTest, ApiSourcesAreSharedNotCopiedIntoEachHeap) {
  auto heapUsedWith = [&](const std::string& source) -> size_t {
    const EmbeddedScript scripts[] = {{"big.js", source.data(), source.size()}};
    ApiDefinition api{kNatives, scripts, {}, {}};
    auto blob = Engine::buildSnapshot(api);
    EXPECT_TRUE(blob.isOk()) << blob.status().message();
    if (!blob.isOk()) return 0;
    Engine engine(api, blob.value());
    auto iso = engine.newIsolate(&host_, options_);
    EXPECT_TRUE(iso.isOk()) << iso.status().message();
    if (!iso.isOk()) return 0;
    v8::HeapStatistics stats;
    iso.value()->v8()->GetHeapStatistics(&stats);
    return stats.used_heap_size();
  };
  // A function the snapshot keeps holds its script, and so the source, alive.
  std::string script = "// " + std::string(300'000, 'x') + "\n(function (g) { g.kept = function () { return 1; }; })";
  // Sources outlive the engines: V8 reads an external string's bytes where they are.
  static const std::string ascii = script;
  static const std::string latin1 = "// caf\xc3\xa9\n" + script;
  size_t shared = heapUsedWith(ascii);
  size_t copied = heapUsedWith(latin1);
  ASSERT_GT(shared, 0u);
  EXPECT_GT(copied, shared + 250'000) << "shared " << shared << " copied " << copied;
}

TEST_F(EngineTest, NativeErrorsBecomeJsExceptions) {
  EXPECT_EQ(eval("try { typeError() } catch (e) { e instanceof TypeError && e.message }"), "bad argument");
  EXPECT_EQ(eval("try { stdException() } catch (e) { e.constructor.name + ': ' + e.message }"),
            "Error: internal error");
  EXPECT_EQ(eval("try { bytes(5) } catch (e) { e.name }"), "TypeError");
  // A throwing valueOf inside an argument conversion propagates as the JS exception it was.
  EXPECT_EQ(eval("try { add({ valueOf() { throw new RangeError('x') } }, 1) } catch (e) { e.name }"), "RangeError");
}

TEST_F(EngineTest, NoCodeGenerationFromStrings) {
  EXPECT_EQ(eval("try { eval('1 + 1') } catch (e) { e.name }"), "EvalError");
  EXPECT_EQ(eval("try { new Function('return 1')() } catch (e) { e.name }"), "EvalError");
  EXPECT_EQ(eval("try { (async function(){}).constructor('return 1') } catch (e) { e.name }"), "EvalError");
}

TEST_F(EngineTest, NoSharedMemory) {
  EXPECT_EQ(eval("typeof SharedArrayBuffer"), "undefined");
  EXPECT_EQ(eval("try { new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer.constructor.name }"
                 " catch (e) { e.name }"),
            "ArrayBuffer");
}

TEST_F(EngineTest, ClockIsFrozenUntilAdvanced) {
  Clock::advance();
  double before = Clock::nowMs();
  EXPECT_EQ(eval("const a = Date.now(); let x = 0; for (let i = 0; i < 2e6; i++) x += i; Date.now() - a"), "0");
  EXPECT_EQ(eval("Date.now()"), std::to_string(static_cast<int64_t>(before)));
}

TEST_F(EngineTest, TheYoungGenerationStartsAtOnePagePerSemiSpaceAndGrowsForSurvivors) {
  auto newSpace = [&] {
    v8::HeapSpaceStatistics stats;
    for (size_t i = 0; i < isolate_->v8()->NumberOfHeapSpaces(); i++) {
      isolate_->v8()->GetHeapSpaceStatistics(&stats, i);
      if (std::string_view(stats.space_name()) == "new_space") return stats.space_size();
    }
    return size_t{0};
  };
  // A semi-space of one 256 KB page (V8 reports one semi-space's capacity; 10.2 starts at 1 MB without pointer
  // compression).
  EXPECT_EQ(newSpace(), HeapPageAllocator::kSlotBytes);
  // Objects that survive their scavenges make V8 grow it as before.
  EXPECT_EQ(eval("globalThis.keep = []; for (let i = 0; i < 200000; i++) keep.push({ i }); keep.length"), "200000");
  EXPECT_GT(newSpace(), HeapPageAllocator::kSlotBytes);
}

TEST_F(EngineTest, HeapLimitTerminatesInsteadOfAborting) {
  options_.heapLimitBytes = 16u << 20;
  auto iso = engine_->newIsolate(&host_, options_);
  ASSERT_TRUE(iso.isOk());
  isolate_ = std::move(iso.value());
  EXPECT_EQ(eval("const a = []; for (;;) a.push({ x: a.length, y: [1, 2, 3] });"), "terminated");
  EXPECT_TRUE(isolate_->heapLimitReached());
}

TEST(ModuleNames, ResolveRelativeToTheReferrer) {
  EXPECT_EQ(resolveModuleName("index.js", "./a.js"), "a.js");
  EXPECT_EQ(resolveModuleName("lib/a.js", "./b.js"), "lib/b.js");
  EXPECT_EQ(resolveModuleName("lib/a.js", "../c.js"), "c.js");
  EXPECT_EQ(resolveModuleName("lib/x/a.js", "../../c.js"), "c.js");
  EXPECT_EQ(resolveModuleName("a.js", "../escape.js"), "");
  EXPECT_EQ(resolveModuleName("lib/a.js", "/root.js"), "root.js");
  EXPECT_EQ(resolveModuleName("lib/a.js", "bare"), "bare");
}

TEST_F(EngineTest, ModulesLoadAndReportErrorsWithLocation) {
  v8::Isolate* iso = isolate_->v8();
  v8::Isolate::Scope is(iso);
  v8::HandleScope hs(iso);
  v8::Context::Scope cs(isolate_->context());
  std::vector<ModuleSource> ok = {
      {"index.js", "import { x } from './lib/x.js'; import t from './t.txt'; export default x + t;"},
      {"lib/x.js", "export const x = 40;"},
      {"t.txt", "2", ModuleKind::kText},
  };
  v8::Local<v8::Object> ns;
  Status s = evaluateModules(*isolate_, ok, "index.js", &ns);
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_EQ(bind::toUtf8(iso, ns->Get(isolate_->context(), bind::str(iso, "default")).ToLocalChecked()), "402");

  std::vector<ModuleSource> syntax = {{"main.js", "export default {\n  fetch() { return 1 +; }\n};"}};
  s = evaluateModules(*isolate_, syntax, "main.js", &ns);
  EXPECT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("SyntaxError"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("main.js:2:"), std::string::npos) << s.message();

  std::vector<ModuleSource> missing = {{"main.js", "import './nope.js';"}};
  s = evaluateModules(*isolate_, missing, "main.js", &ns);
  EXPECT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("No such module \"./nope.js\""), std::string::npos) << s.message();

  std::vector<ModuleSource> throws = {{"main.js", "\nthrow new RangeError('top level');"}};
  s = evaluateModules(*isolate_, throws, "main.js", &ns);
  EXPECT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("RangeError: top level"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("main.js:2:"), std::string::npos) << s.message();
}

// A module graph whose default export calls a function compiled only when the top level runs.
const std::vector<ModuleSource> kCachedGraph = {
    {"index.js", "import { twice } from './lib/twice.js';\nfunction lazy(x) { return x + 2; }\n"
                 "export default twice(lazy(19));"},
    {"lib/twice.js", "export function twice(x) { return x * 2; }"},
    {"data.txt", "not JavaScript: no cache", ModuleKind::kText},
};

// Makes the code cache of `modules` in a fresh (scratch) isolate.
CodeCache makeFresh(Engine& engine, const std::vector<ModuleSource>& modules = kCachedGraph,
                    ScriptForm form = ScriptForm::kModules) {
  auto created = engine.newIsolate(nullptr, {});
  if (!created.isOk()) return {};
  std::unique_ptr<Isolate> isolate = std::move(created.value());
  v8::Isolate::Scope is(isolate->v8());
  v8::HandleScope hs(isolate->v8());
  v8::Context::Scope cs(isolate->context());
  return makeCodeCache(isolate->v8(), modules, form);
}

// Loads kCachedGraph into a fresh isolate with `cache`; returns String(default export) or the error.
std::string loadFresh(Engine& engine, Host& host, CodeCacheUse* cache) {
  auto created = engine.newIsolate(&host, {});
  if (!created.isOk()) return "no isolate";
  std::unique_ptr<Isolate> isolate = std::move(created.value());
  v8::Isolate* iso = isolate->v8();
  v8::Isolate::Scope is(iso);
  v8::HandleScope hs(iso);
  v8::Context::Scope cs(isolate->context());
  v8::Local<v8::Object> ns;
  Status s = evaluateModules(*isolate, kCachedGraph, "index.js", &ns, cache);
  if (!s.isOk()) return s.message();
  v8::Local<v8::Value> value;
  if (!ns->Get(isolate->context(), bind::str(iso, "default")).ToLocal(&value)) return "no default export";
  return bind::toUtf8(iso, value);
}

TEST_F(EngineTest, ACodeCacheMadeWithoutRunningIsAcceptedByAnotherIsolate) {
  CodeCache cache = makeFresh(*engine_);
  ASSERT_EQ(cache.entries.size(), 2u);  // the JS modules only
  for (const auto& e : cache.entries) EXPECT_GT(e.data.size(), 4u) << e.name;

  CodeCacheUse none;
  EXPECT_EQ(loadFresh(*engine_, host_, &none), "42");
  EXPECT_EQ(none.compiled, 2);
  EXPECT_EQ(none.accepted + none.rejected, 0);

  CodeCacheUse use;
  use.consume = &cache;
  EXPECT_EQ(loadFresh(*engine_, host_, &use), "42");
  EXPECT_EQ(use.compiled, 2);
  EXPECT_EQ(use.accepted, 2);
  EXPECT_EQ(use.rejected, 0);
  EXPECT_NE(codeCacheTag(), 0u);

  // Making it ran none of the script: a top level that throws still yields a cache.
  std::vector<ModuleSource> throws = {{"index.js", "throw new Error('ran');"}};
  EXPECT_EQ(makeFresh(*engine_, throws).entries.size(), 1u);
  std::vector<ModuleSource> syntax = {{"index.js", "export default {"}};
  EXPECT_TRUE(makeFresh(*engine_, syntax).entries.empty());
}

TEST_F(EngineTest, ACorruptCodeCacheFallsBackToCompilingFromSource) {
  CodeCache cache = makeFresh(*engine_);
  ASSERT_EQ(cache.entries.size(), 2u);
  for (auto& e : cache.entries) {
    ASSERT_GT(e.data.size(), 64u);
    if (e.name == "index.js") {
      for (size_t i = e.data.size() / 2; i < e.data.size() / 2 + 16; i++) e.data[i] = static_cast<char>(~e.data[i]);
    } else {
      e.data.resize(e.data.size() / 2);  // truncated
    }
  }
  CodeCacheUse corrupt;
  corrupt.consume = &cache;
  EXPECT_EQ(loadFresh(*engine_, host_, &corrupt), "42");
  EXPECT_EQ(corrupt.accepted, 0);
  EXPECT_EQ(corrupt.rejected, 2);

  CodeCache garbage{{{"index.js", std::string(200, 'x')}, {"lib/twice.js", std::string("\x01", 1)}}};
  CodeCacheUse junk;
  junk.consume = &garbage;
  EXPECT_EQ(loadFresh(*engine_, host_, &junk), "42");
  EXPECT_EQ(junk.rejected, 2);

  // Intact entries for the wrong sources (swapped): V8 itself refuses them (their source does not match).
  CodeCache good = makeFresh(*engine_);
  ASSERT_EQ(good.entries.size(), 2u);
  std::swap(good.entries[0].name, good.entries[1].name);
  CodeCacheUse swapped;
  swapped.consume = &good;
  EXPECT_EQ(loadFresh(*engine_, host_, &swapped), "42");
  EXPECT_EQ(swapped.accepted, 0);
  EXPECT_EQ(swapped.rejected, 2);

  // A module with no entry compiles from source and is counted as neither.
  CodeCache partial{{{"elsewhere.js", makeFresh(*engine_).entries[0].data}}};
  CodeCacheUse none;
  none.consume = &partial;
  EXPECT_EQ(loadFresh(*engine_, host_, &none), "42");
  EXPECT_EQ(none.accepted + none.rejected, 0);
}

TEST_F(EngineTest, ClassicScriptsUseTheCodeCacheToo) {
  const std::string source = "function sw() { return 'served'; }\nglobalThis.answer = sw();";
  CodeCache cache = makeFresh(*engine_, {{"sw.js", source}}, ScriptForm::kClassicScript);
  ASSERT_EQ(cache.entries.size(), 1u);
  CodeCacheUse use;
  use.consume = &cache;
  {
    v8::Isolate::Scope is(isolate_->v8());
    v8::HandleScope hs(isolate_->v8());
    v8::Context::Scope cs(isolate_->context());
    ASSERT_TRUE(runClassicScript(*isolate_, "sw.js", source, &use).isOk());
  }
  EXPECT_EQ(use.accepted, 1);
  EXPECT_EQ(eval("answer"), "served");
  // A module's cache is not a classic script's (in a fresh isolate: this one would find the script compiled already).
  auto fresh = engine_->newIsolate(&host_, options_);
  ASSERT_TRUE(fresh.isOk());
  isolate_ = std::move(fresh.value());
  CodeCache asModule = makeFresh(*engine_, {{"sw.js", source}}, ScriptForm::kModules);
  CodeCacheUse mismatch;
  mismatch.consume = &asModule;
  {
    v8::Isolate::Scope is(isolate_->v8());
    v8::HandleScope hs(isolate_->v8());
    v8::Context::Scope cs(isolate_->context());
    ASSERT_TRUE(runClassicScript(*isolate_, "sw.js", source, &mismatch).isOk());
  }
  EXPECT_EQ(mismatch.rejected, 1);
}

// (module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
const char kAddWasm[] = "\0asm\x01\0\0\0\x01\x07\x01\x60\x02\x7f\x7f\x01\x7f\x03\x02\x01\0\x07\x07\x01\x03"
                        "add\0\0\x0a\x09\x01\x07\0\x20\0\x20\x01\x6a\x0b";

TEST_F(EngineTest, WasmIsCompiledByIsletOnlyAndShared) {
  v8::Isolate* iso = isolate_->v8();
  v8::Isolate::Scope is(iso);
  v8::HandleScope hs(iso);
  v8::Context::Scope cs(isolate_->context());
  std::string bytes(kAddWasm, sizeof kAddWasm - 1);
  // A worker cannot compile bytes at run time.
  EXPECT_EQ(eval("try { new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])) } catch (e) { String(e) }"),
            "CompileError: WebAssembly.Module(): Wasm code generation disallowed by embedder");
  // islet can, from a module part, and every later compile of the same bytes comes from the process cache.
  WasmCacheStats before = wasmCacheStats();
  std::vector<ModuleSource> modules = {
      {"index.js", "import m from './add.wasm'; export default new WebAssembly.Instance(m).exports.add(40, 2);"},
      {"add.wasm", bytes, ModuleKind::kWasm},
  };
  v8::Local<v8::Object> ns;
  Status s = evaluateModules(*isolate_, modules, "index.js", &ns);
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_EQ(bind::toUtf8(iso, ns->Get(isolate_->context(), bind::str(iso, "default")).ToLocalChecked()), "42");
  EXPECT_FALSE(compileWasmModule(iso, bytes).IsEmpty());
  WasmCacheStats after = wasmCacheStats();
  EXPECT_EQ(after.hits + after.compiles - before.hits - before.compiles, 2u);
  EXPECT_GE(after.hits, before.hits + 1);
  // Bytes that are not a module fail with a CompileError naming the part.
  std::vector<ModuleSource> bad = {{"index.js", "import m from './bad.wasm';"},
                                   {"bad.wasm", std::string("\0asm\x01\0\0\0\x01", 9), ModuleKind::kWasm}};
  s = evaluateModules(*isolate_, bad, "index.js", &ns);
  EXPECT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("CompileError: bad.wasm: "), std::string::npos) << s.message();
}

}  // namespace
}  // namespace islet::engine
