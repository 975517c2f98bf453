#include "engine/engine.h"

#include <fmt/format.h>

#include "base/log.h"
#include "engine/page_allocator.h"
#include "engine/wasm.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <unordered_map>

namespace islet::engine {
namespace {

// Counts ArrayBuffer backing stores against the isolate's memory limit: V8's heap limit does not see them, so
// without this `new ArrayBuffer(2 ** 31)` in a loop would exhaust the process. Refusing an allocation makes V8
// throw a RangeError in the worker. Backing stores may be freed on GC threads, hence the atomic.
class CountingAllocator final : public v8::ArrayBuffer::Allocator {
 public:
  explicit CountingAllocator(size_t limit) : inner_(v8::ArrayBuffer::Allocator::NewDefaultAllocator()), limit_(limit) {}
  void* Allocate(size_t length) override {
    if (!reserve(length)) return nullptr;
    void* p = inner_->Allocate(length);
    if (p == nullptr) release(length);
    return p;
  }
  void* AllocateUninitialized(size_t length) override {
    if (!reserve(length)) return nullptr;
    void* p = inner_->AllocateUninitialized(length);
    if (p == nullptr) release(length);
    return p;
  }
  void Free(void* data, size_t length) override {
    inner_->Free(data, length);
    release(length);
  }
  size_t used() const { return used_.load(std::memory_order_relaxed); }

 private:
  bool reserve(size_t n) {
    size_t now = used_.fetch_add(n, std::memory_order_relaxed) + n;
    if (now > limit_) {
      used_.fetch_sub(n, std::memory_order_relaxed);
      return false;
    }
    return true;
  }
  void release(size_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }

  std::unique_ptr<v8::ArrayBuffer::Allocator> inner_;
  std::atomic<size_t> used_{0};
  size_t limit_;
};

constexpr uint32_t kHostSlot = 0;
// V8 isolate data slots: 0 the Host, 1 api/kv's KvAccess, 2 the engine::Isolate (absent in the isolates that build
// or probe snapshots).
constexpr uint32_t kIsolateSlot = 2;
constexpr size_t kInternalDataIndex = 0;

// An API file's source as a V8 external string: the bytes stay in islet's binary, and the snapshot refers to this
// resource through the external reference table (externalReferences) instead of holding a copy, so no isolate
// copies the API's sources (340 KB) into its heap. V8 compiles functions lazily from these bytes. Made once per
// process per file, shared by every isolate, never freed.
class EmbeddedSource final : public v8::String::ExternalOneByteStringResource {
 public:
  explicit EmbeddedSource(const EmbeddedScript& script) : data_(script.source), length_(script.length) {}
  const char* data() const override { return data_; }
  size_t length() const override { return length_; }

 protected:
  void Dispose() override {}  // V8 calls this when an isolate holding the string goes; the resource stays

 private:
  const char* data_;
  size_t length_;
};

// The resource of an API file, or null when the file is not ASCII (V8's one-byte strings are Latin-1, and
// api_js_test keeps every API file ASCII; such a file would be copied into each heap as before).
const EmbeddedSource* embeddedSource(const EmbeddedScript& script) {
  static std::mutex mutex;
  static auto* sources = new std::unordered_map<const char*, const EmbeddedSource*>();
  std::lock_guard lock(mutex);
  auto [it, added] = sources->try_emplace(script.source, nullptr);
  if (added) {
    bool ascii = std::all_of(script.source, script.source + script.length,
                             [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (ascii && script.length > 0) it->second = new EmbeddedSource(script);
  }
  return it->second;
}

// Compiles one API file (a script evaluating to `function (g, native, internal)`) in `context`. `external`: its
// source is an external string (files of api.scripts, whose resources are in the external reference table).
// `cache`: a V8 code cache of it to compile from, or null; `*rejected` says whether V8 refused it.
v8::MaybeLocal<v8::Script> compileApiFile(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                          const EmbeddedScript& script, bool external,
                                          const std::string* cache = nullptr, bool* rejected = nullptr) {
  v8::Local<v8::String> text;
  const EmbeddedSource* resource = external ? embeddedSource(script) : nullptr;
  bool made = resource != nullptr
                  ? v8::String::NewExternalOneByte(isolate, const_cast<EmbeddedSource*>(resource)).ToLocal(&text)
                  : v8::String::NewFromUtf8(isolate, script.source, v8::NewStringType::kNormal,
                                            static_cast<int>(script.length))
                        .ToLocal(&text);
  if (!made) {
    isolate->ThrowException(v8::Exception::Error(bind::str(isolate, fmt::format("{}: source too large", script.name))));
    return {};
  }
  v8::ScriptOrigin origin(isolate, bind::str(isolate, fmt::format("islet:{}", script.name)));
  auto* cached = cache == nullptr ? nullptr
                                  : new v8::ScriptCompiler::CachedData(reinterpret_cast<const uint8_t*>(cache->data()),
                                                                       static_cast<int>(cache->size()));
  v8::ScriptCompiler::Source source(text, origin, cached);  // owns `cached`, not its bytes
  auto options = cached != nullptr ? v8::ScriptCompiler::kConsumeCodeCache : v8::ScriptCompiler::kNoCompileOptions;
  v8::MaybeLocal<v8::Script> compiled = v8::ScriptCompiler::Compile(context, &source, options);
  if (rejected != nullptr) *rejected = cached != nullptr && cached->rejected;
  return compiled;
}

// Runs a compiled API file: the function it evaluates to.
v8::MaybeLocal<v8::Function> apiFunction(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                         const EmbeddedScript& script, v8::Local<v8::Script> compiled) {
  v8::Local<v8::Value> fn;
  if (!compiled->Run(context).ToLocal(&fn)) return {};
  if (!fn->IsFunction()) {
    isolate->ThrowException(
        v8::Exception::Error(bind::str(isolate, fmt::format("{}: does not evaluate to a function", script.name))));
    return {};
  }
  return fn.As<v8::Function>();
}

// Runs one API file in `context`.
Status runApiScript(v8::Isolate* isolate, v8::Local<v8::Context> context, const EmbeddedScript& script,
                    bool external, v8::Local<v8::Object> native, v8::Local<v8::Object> internal) {
  v8::TryCatch tryCatch(isolate);
  v8::Local<v8::Script> compiled;
  v8::Local<v8::Function> fn;
  v8::Local<v8::Value> args[] = {context->Global(), native, internal};
  if (!compileApiFile(isolate, context, script, external).ToLocal(&compiled) ||
      !apiFunction(isolate, context, script, compiled).ToLocal(&fn) ||
      fn->Call(context, v8::Undefined(isolate), 3, args).IsEmpty()) {
    return Status::internal(describeException(isolate, tryCatch));
  }
  return Status::ok();
}

// The process's API files, for compileLazyApi: one API definition per process (set by Engine and buildSnapshot).
std::span<const EmbeddedScript> gApiScripts;

// V8 code caches of the lazily loaded API files, made by the first isolate of the process that loads each and
// consumed by every later one: a file is then deserialized, not parsed and compiled again (docs/benchmarks.md).
// Made and read in this process only, never stored. Entries are never removed, so their bytes stay valid.
class LazyApiCodeCaches {
 public:
  // The cache of file `index`, or null when none is made yet.
  const std::string* get(uint32_t index) {
    std::lock_guard lock(mutex_);
    auto it = caches_.find(index);
    return it == caches_.end() ? nullptr : it->second.get();
  }
  // False when another isolate made one first (that one stays).
  bool put(uint32_t index, const uint8_t* data, int length) {
    std::lock_guard lock(mutex_);
    return caches_.try_emplace(index, std::make_unique<std::string>(reinterpret_cast<const char*>(data), length))
        .second;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<uint32_t, std::unique_ptr<std::string>> caches_;
};

std::atomic<uint64_t> gLazyCachesMade{0};
std::atomic<uint64_t> gLazyCachesConsumed{0};
std::atomic<uint64_t> gLazyCachesRejected{0};

LazyApiCodeCaches& lazyApiCodeCaches() {
  static auto* caches = new LazyApiCodeCaches();
  return *caches;
}

void makeApiCache(uint32_t index, v8::Local<v8::UnboundScript> script) {
  if (lazyApiCodeCaches().get(index) != nullptr) return;  // another isolate made it meanwhile
  std::unique_ptr<v8::ScriptCompiler::CachedData> data(v8::ScriptCompiler::CreateCodeCache(script));
  if (data != nullptr && lazyApiCodeCaches().put(index, data->data, data->length)) gLazyCachesMade.fetch_add(1);
}

// internal.compileApi(index): the function of API file `index`, for internal.defineLazy (prelude.js); a second
// call (internal.compileApi(index, true), once the file has run) asks for the process's code cache of it, which
// Isolate::makeApiCaches makes once the entry into JS is over: the cache then also holds the functions of the file
// that this first use compiled, which later isolates need not compile. Reachable from API code only (internal is
// never given to a worker); the index is checked all the same. Called through bind's trampoline, so no C++
// exception (an allocation failing) crosses V8's frames.
void compileLazyApi(bind::Args& info) {
  v8::Isolate* isolate = info.isolate();
  uint32_t index = 0;
  if (info.length() < 1 || !info[0]->IsUint32() || (index = info[0].As<v8::Uint32>()->Value()) >= gApiScripts.size()) {
    isolate->ThrowException(v8::Exception::RangeError(bind::str(isolate, "no such API file")));
    return;
  }
  const EmbeddedScript& script = gApiScripts[index];
  const std::string* cache = lazyApiCodeCaches().get(index);
  bool makeCache = info.length() > 1 && info[1]->IsTrue();
  if (makeCache && cache != nullptr) return;  // made already, by this isolate or another
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Script> compiled;
  bool rejected = false;
  if (!compileApiFile(isolate, context, script, true, cache, &rejected).ToLocal(&compiled)) return;
  if (makeCache) {
    // Called again after the file ran: the compile above found it in the isolate's compilation cache.
    auto* self = static_cast<Isolate*>(isolate->GetData(kIsolateSlot));
    if (self != nullptr) {
      self->deferApiCache(index, compiled->GetUnboundScript());
    } else {
      makeApiCache(index, compiled->GetUnboundScript());
    }
    return;
  }
  if (cache != nullptr) (rejected ? gLazyCachesRejected : gLazyCachesConsumed).fetch_add(1);
  v8::Local<v8::Function> fn;
  if (!apiFunction(isolate, context, script, compiled).ToLocal(&fn)) return;
  info.returnValue(fn);
}

void appendLocation(v8::Isolate* isolate, v8::Local<v8::Message> message, std::string& out) {
  if (message.IsEmpty()) return;
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  std::string file = bind::toUtf8(isolate, message->GetScriptResourceName());
  int line = message->GetLineNumber(context).FromMaybe(0);
  int column = message->GetStartColumn(context).FromMaybe(-1) + 1;
  out += fmt::format("\n    at {}:{}:{}", file, line, column);
}

}  // namespace

LazyApiCacheStats lazyApiCacheStats() {
  return {gLazyCachesMade.load(), gLazyCachesConsumed.load(), gLazyCachesRejected.load()};
}

Host* Host::from(v8::Isolate* isolate) { return static_cast<Host*>(isolate->GetData(kHostSlot)); }

std::vector<intptr_t> externalReferences(const ApiDefinition& api) {
  std::vector<intptr_t> refs;
  for (const auto& n : api.natives) refs.push_back(reinterpret_cast<intptr_t>(n.callback));
  refs.push_back(reinterpret_cast<intptr_t>(&bind::trampoline<compileLazyApi>));
  // The same files in the same order in the process that builds the snapshot and in every one that reads it.
  for (const auto& script : api.scripts) {
    if (const EmbeddedSource* source = embeddedSource(script)) refs.push_back(reinterpret_cast<intptr_t>(source));
  }
  refs.push_back(0);
  return refs;
}

std::string describeValue(v8::Isolate* isolate, v8::Local<v8::Value> exception) {
  v8::TryCatch inner(isolate);  // a throwing getter on the error must not escape from here
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  if (exception->IsObject()) {
    v8::Local<v8::Value> stack;
    if (exception.As<v8::Object>()->Get(context, bind::str(isolate, "stack")).ToLocal(&stack) && stack->IsString()) {
      std::string s = bind::toUtf8(isolate, stack);
      if (!s.empty()) return s;
    }
  }
  v8::Local<v8::String> text;
  if (exception->ToString(context).ToLocal(&text)) {
    std::string s(text->Utf8Length(isolate), '\0');
    text->WriteUtf8(isolate, s.data(), static_cast<int>(s.size()), nullptr, v8::String::NO_NULL_TERMINATION);
    return s;
  }
  return "(an exception that cannot be printed)";
}

std::string describeException(v8::Isolate* isolate, const v8::TryCatch& tryCatch) {
  if (tryCatch.HasTerminated()) return "execution terminated";
  if (!tryCatch.HasCaught()) return "unknown error";
  std::string out;
  try {
    out = describeValue(isolate, tryCatch.Exception());
    v8::Local<v8::Value> exception = tryCatch.Exception();
    // A stack already names the location; a non-Error throw (`throw "x"`) or a SyntaxError needs it added.
    bool hasStack = exception->IsNativeError() && out.find("\n    at ") != std::string::npos;
    if (!hasStack) appendLocation(isolate, tryCatch.Message(), out);
  } catch (const bind::PendingException&) {
    out = "(an exception that cannot be printed)";
  }
  return out;
}

namespace {

// What the warm-up scripts' natives reach while the snapshot is built: nothing happens.
class WarmUpHost final : public Host {
 public:
  void consoleLog(std::string_view, std::string_view) override {}
  void timerStart(uint32_t, double, bool) override {}
  void timerCancel(uint32_t) override {}
  void fetchDone(uint32_t, const ResponseParts*, v8::Local<v8::Value>) override {}
  double timeOrigin() const override { return 0; }
};

// An object without a prototype, for `native` and `internal`: a property they lack is undefined, never looked up
// on an Object.prototype a worker may have given getters (which would receive the object as `this`). Made as a
// plain object whose prototype is then removed: one made without a prototype (Object::New with null,
// Object.create(null)) keeps its properties in a dictionary, and every request reads both objects many times.
v8::Local<v8::Object> nullPrototypeObject(v8::Isolate* isolate, v8::Local<v8::Context> context) {
  v8::Local<v8::Object> object = v8::Object::New(isolate);
  object->SetPrototype(context, v8::Null(isolate)).Check();
  return object;
}

// Makes each of api.lazy a placeholder on the global (internal.defineLazy, prelude.js).
Status defineLazyApis(v8::Isolate* isolate, v8::Local<v8::Context> context, const ApiDefinition& api,
                      v8::Local<v8::Object> internal) {
  if (api.lazy.empty()) return Status::ok();
  v8::TryCatch tryCatch(isolate);
  v8::Local<v8::Value> defineLazy;
  if (!internal->Get(context, bind::str(isolate, "defineLazy")).ToLocal(&defineLazy) || !defineLazy->IsFunction()) {
    return Status::internal("prelude.js defines no internal.defineLazy");
  }
  for (const LazyApi& lazy : api.lazy) {
    auto it = std::find_if(api.scripts.begin(), api.scripts.end(),
                           [&](const EmbeddedScript& s) { return std::string_view(s.name) == lazy.file; });
    if (it == api.scripts.end()) return Status::internal(fmt::format("lazy API file {} is not an API file", lazy.file));
    v8::Local<v8::Array> globals = v8::Array::New(isolate, static_cast<int>(lazy.globals.size()));
    for (uint32_t i = 0; i < lazy.globals.size(); i++) {
      if (globals->Set(context, i, bind::str(isolate, lazy.globals[i])).IsNothing()) break;
    }
    auto index = static_cast<uint32_t>(it - api.scripts.begin());
    v8::Local<v8::Value> args[] = {globals, v8::Integer::NewFromUnsigned(isolate, index),
                                   bind::str(isolate, lazy.file)};
    if (defineLazy.As<v8::Function>()->Call(context, v8::Undefined(isolate), 3, args).IsEmpty()) {
      return Status::internal(describeException(isolate, tryCatch));
    }
  }
  return Status::ok();
}

// Runs the API's natives and scripts into `context` (entered); `internal` gets the object they share. Files of
// api.lazy are not run, only announced (defineLazyApis) once the others have run.
Status runApi(v8::Isolate* isolate, v8::Local<v8::Context> context, const ApiDefinition& api,
              std::span<const EmbeddedScript> scripts, v8::Local<v8::Object>* internal) {
  v8::Local<v8::Object> native = nullPrototypeObject(isolate, context);
  for (const auto& n : api.natives) {
    auto fn = v8::FunctionTemplate::New(isolate, n.callback, {}, {}, 0, v8::ConstructorBehavior::kThrow)
                  ->GetFunction(context)
                  .ToLocalChecked();
    fn->SetName(bind::str(isolate, n.name));
    native->Set(context, bind::str(isolate, n.name), fn).Check();
  }
  *internal = nullPrototypeObject(isolate, context);
  auto compileApi = v8::FunctionTemplate::New(isolate, &bind::trampoline<compileLazyApi>, {}, {}, 1,
                                              v8::ConstructorBehavior::kThrow)
                        ->GetFunction(context)
                        .ToLocalChecked();
  (*internal)->Set(context, bind::str(isolate, "compileApi"), compileApi).Check();
  bool lazyDefined = false;
  for (const auto& script : scripts) {
    bool external = std::any_of(api.scripts.begin(), api.scripts.end(),
                                [&](const EmbeddedScript& s) { return s.source == script.source; });
    if (!external && !lazyDefined) {
      // The API's own files have run; what follows (the warm-up) may use the lazy ones.
      if (Status s = defineLazyApis(isolate, context, api, *internal); !s.isOk()) return s;
      lazyDefined = true;
    }
    bool lazy = std::any_of(api.lazy.begin(), api.lazy.end(),
                            [&](const LazyApi& l) { return std::string_view(l.file) == script.name; });
    if (external && lazy) continue;
    Status s = runApiScript(isolate, context, script, external, native, *internal);
    if (!s.isOk()) return s;
  }
  if (!lazyDefined) return defineLazyApis(isolate, context, api, *internal);
  return Status::ok();
}

}  // namespace

Result<std::string> Engine::buildSnapshot(const ApiDefinition& api) {
  gApiScripts = api.scripts;
  std::vector<intptr_t> refs = externalReferences(api);
  v8::SnapshotCreator creator(refs.data());
  v8::Isolate* isolate = creator.GetIsolate();
  {
    v8::HandleScope scope(isolate);
    v8::Local<v8::Context> context = v8::Context::New(isolate);
    v8::Context::Scope contextScope(context);
    v8::Local<v8::Object> internal;
    Status s = runApi(isolate, context, api, api.scripts, &internal);
    if (!s.isOk()) return s;
    size_t index = creator.AddData(context, internal);
    if (index != kInternalDataIndex) return Status::internal("unexpected snapshot data index");
    creator.SetDefaultContext(context);
  }
  if (!api.warmUp.empty()) {
    // The same sources compile to the same SharedFunctionInfos (V8's compilation cache), so what the warm-up
    // compiles in its own context is compiled for the snapshot's context too.
    WarmUpHost host;
    isolate->SetData(kHostSlot, &host);
    Status s = [&] {
      v8::HandleScope scope(isolate);
      v8::Local<v8::Context> context = v8::Context::New(isolate);
      v8::Context::Scope contextScope(context);
      v8::Local<v8::Object> internal;
      std::vector<EmbeddedScript> scripts(api.scripts.begin(), api.scripts.end());
      scripts.insert(scripts.end(), api.warmUp.begin(), api.warmUp.end());
      Status s = runApi(isolate, context, api, scripts, &internal);
      isolate->PerformMicrotaskCheckpoint();
      return s;
    }();
    isolate->SetData(kHostSlot, nullptr);
    if (!s.isOk()) return s;
  }
  // kKeep: the bytecode compiled so far (the warm-up's) stays in the snapshot; feedback is dropped either way.
  v8::StartupData blob = creator.CreateBlob(v8::SnapshotCreator::FunctionCodeHandling::kKeep);
  if (blob.data == nullptr) return Status::internal("V8 could not create the snapshot");
  std::string out(blob.data, blob.raw_size);
  delete[] blob.data;
  return out;
}

Engine::Engine(const ApiDefinition& api, std::string_view snapshot) : externalReferences_(externalReferences(api)) {
  gApiScripts = api.scripts;
  blob_.data = snapshot.data();
  blob_.raw_size = static_cast<int>(snapshot.size());
}

size_t Isolate::nearHeapLimit(void* data, size_t current, size_t initial) {
  auto* self = static_cast<Isolate*>(data);
  self->heapLimitReached_ = true;
  self->isolate_->TerminateExecution();
  log::warn("isolate reached its heap limit ({} MB): terminating it", initial >> 20);
  // Room for the termination to unwind; the isolate is discarded afterwards.
  return current + (16u << 20);
}

Result<std::unique_ptr<Isolate>> Engine::newIsolate(Host* host, const IsolateOptions& options) const {
  std::unique_ptr<Isolate> self(new Isolate());
  self->allocator_ = std::make_unique<CountingAllocator>(options.arrayBufferLimitBytes);
  v8::Isolate::CreateParams params;
  params.snapshot_blob = &blob_;
  params.external_references = externalReferences_.data();
  params.array_buffer_allocator = self->allocator_.get();
  params.constraints.ConfigureDefaultsFromHeapSize(0, options.heapLimitBytes);
  // The young generation starts at one heap page (256 KB) per semi-space, not V8 10.2's 1 MB: requests fill the
  // young generation and its pages stay resident, so a hello world that served ~600 requests held 1.74 MB with
  // V8's start and 1.40 MB with this one (1.124 → 1.100 MB after one request). V8 still grows it, up to the
  // maximum ConfigureDefaultsFromHeapSize set, for a worker whose objects survive its scavenges. docs/benchmarks.md.
  params.constraints.set_initial_young_generation_size_in_bytes(3 * HeapPageAllocator::kSlotBytes);  // two semi-spaces + new LO

  v8::Isolate* isolate = v8::Isolate::New(params);
  if (isolate == nullptr) return Status::internal("V8 could not create an isolate");
  self->isolate_ = isolate;
  self->locker_ = std::make_unique<v8::Locker>(isolate);
  isolate->SetData(kHostSlot, host);
  isolate->SetData(kIsolateSlot, self.get());
  isolate->AddNearHeapLimitCallback(&Isolate::nearHeapLimit, self.get());
  disallowRuntimeWasmCompilation(isolate);
  self->externalLimitBytes_ = options.arrayBufferLimitBytes;
  {
    v8::HandleScope scope(isolate);
    v8::Local<v8::Context> context = v8::Context::New(isolate);
    if (context.IsEmpty()) return Status::internal("V8 could not restore the context");
    context->AllowCodeGenerationFromStrings(false);
    v8::Local<v8::Object> internal;
    if (!context->GetDataFromSnapshotOnce<v8::Object>(kInternalDataIndex).ToLocal(&internal)) {
      return Status::internal("the snapshot holds no internal object");
    }
    self->context_.Reset(isolate, context);
    self->internal_.Reset(isolate, internal);
  }
  v8::HeapStatistics blank;
  isolate->GetHeapStatistics(&blank);
  self->baselineExternal_ = blank.external_memory();
  return self;
}

Isolate::~Isolate() {
  if (isolate_ == nullptr) return;
  if (!locker_) attachToThread();
  pendingApiCaches_.clear();
  internal_.Reset();
  context_.Reset();
  // As Node does: the lock is released before the isolate is disposed.
  locker_.reset();
  isolate_->Dispose();
}

void Isolate::setHost(Host* host) { isolate_->SetData(kHostSlot, host); }

void Isolate::releaseMemory() {
  v8::Isolate::Scope scope(isolate_);
  v8::HandleScope handles(isolate_);
  isolate_->MemoryPressureNotification(v8::MemoryPressureLevel::kCritical);
  isolate_->MemoryPressureNotification(v8::MemoryPressureLevel::kNone);
}

void Isolate::makeApiCaches() {
  if (pendingApiCaches_.empty()) return;
  v8::Isolate::Scope scope(isolate_);
  v8::HandleScope handles(isolate_);
  for (auto& [index, script] : pendingApiCaches_) makeApiCache(index, script.Get(isolate_));
  pendingApiCaches_.clear();
}

void Isolate::detachFromThread() { locker_.reset(); }

void Isolate::attachToThread() {
  if (!locker_) locker_ = std::make_unique<v8::Locker>(isolate_);
}

size_t Isolate::memoryUsage() const {
  v8::HeapStatistics stats;
  isolate_->GetHeapStatistics(&stats);
  // What the isolate adds to the process's RSS. V8's committed figure (total_physical_size) counts whole pages
  // of which a fresh isolate touches about half, and the whole new space; measured on a blank worker (2026-11-27:
  // RSS 1.45 MB each over 1,000) it said 2.10 MB. Counted instead: the paged spaces' sizes, the new space's touched
  // pages (physical, not its 1 MB capacity), and V8's malloc'd memory: 1.60 MB for the same workers.
  size_t newSpaceSize = 0;
  size_t newSpaceTouched = 0;
  for (size_t i = 0; i < isolate_->NumberOfHeapSpaces(); i++) {
    v8::HeapSpaceStatistics space;
    if (!isolate_->GetHeapSpaceStatistics(&space, i) || std::string_view(space.space_name()) != "new_space") continue;
    newSpaceSize = space.space_size();
    newSpaceTouched = space.physical_space_size();
  }
  size_t heap = stats.total_heap_size() - std::min(newSpaceSize, stats.total_heap_size()) + newSpaceTouched +
                stats.malloced_memory();
  return heap + externalBytes(stats.external_memory());
}

size_t Isolate::externalBytes(size_t v8External) const {
  // V8's external memory (in heap statistics) counts every ArrayBuffer backing store, Wasm memories included, and
  // the API's sources (external strings in islet's binary, not the isolate's memory: baselineExternal_); the
  // allocator's count is the more current for plain ArrayBuffers. (The running figure checkExternalMemory reads
  // first leaves the strings out.)
  auto* counting = static_cast<CountingAllocator*>(allocator_.get());
  return std::max(counting->used(), v8External - std::min(v8External, baselineExternal_));
}

bool Isolate::checkExternalMemory() {
  // V8's running figure of external memory costs nanoseconds where heap statistics cost half a microsecond, and it
  // never counts less than the ArrayBuffers and Wasm memories hold (it counts more after memory.grow): only a
  // figure past the limit needs the exact count.
  if (isolate_->AdjustAmountOfExternalAllocatedMemory(0) <= static_cast<int64_t>(externalLimitBytes_)) return true;
  v8::HeapStatistics stats;
  isolate_->GetHeapStatistics(&stats);
  if (externalBytes(stats.external_memory()) > externalLimitBytes_) {
    // Memories nothing references any more still count until a GC frees them: collect before condemning.
    isolate_->LowMemoryNotification();
    isolate_->GetHeapStatistics(&stats);
  }
  if (externalBytes(stats.external_memory()) <= externalLimitBytes_) return true;
  if (!heapLimitReached_) {
    log::warn("isolate holds {} MB of ArrayBuffers and Wasm memory, past its limit ({} MB): terminating it",
              externalBytes(stats.external_memory()) >> 20, externalLimitBytes_ >> 20);
  }
  heapLimitReached_ = true;
  return false;
}

v8::Local<v8::Function> Isolate::internalFunction(std::string_view name) const {
  v8::Local<v8::Value> v;
  if (!internal()->Get(context(), bind::str(isolate_, name)).ToLocal(&v) || !v->IsFunction()) return {};
  return v.As<v8::Function>();
}

}  // namespace islet::engine
