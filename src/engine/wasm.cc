#include "engine/wasm.h"

#include <cstring>
#include <functional>
#include <list>
#include <mutex>
#include <optional>

namespace islet::engine {
namespace {

// V8 asks the embedder before it generates Wasm code, including for WasmModuleObject::Compile. islet's own
// compile happens synchronously on the isolate's thread, so a thread-local flag scoped around it is enough.
thread_local bool tHostCompile = false;

bool allowWasmCodeGeneration(v8::Local<v8::Context>, v8::Local<v8::String>) { return tHostCompile; }

// V8 defines WebAssembly.compileStreaming/instantiateStreaming only when the embedder takes the bytes; it checks
// allowWasmCodeGeneration first, so this refusal is the second line, for bytes that would arrive anyway.
void refuseStreaming(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  std::shared_ptr<v8::WasmStreaming> streaming = v8::WasmStreaming::Unpack(isolate, info.Data());
  streaming->Abort(v8::Exception::WasmCompileError(
      v8::String::NewFromUtf8Literal(isolate, "Wasm code generation disallowed by embedder")));
}

struct HostCompileScope {
  bool saved = tHostCompile;
  HostCompileScope() { tHostCompile = true; }
  ~HostCompileScope() { tHostCompile = saved; }
};

struct Entry {
  size_t hash;
  v8::CompiledWasmModule module;
};

class ModuleCache {
 public:
  std::optional<v8::CompiledWasmModule> find(size_t hash, std::string_view bytes) {
    std::lock_guard lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->hash != hash) continue;
      auto wire = it->module.GetWireBytesRef();
      if (wire.size() != bytes.size() || std::memcmp(wire.data(), bytes.data(), bytes.size()) != 0) continue;
      entries_.splice(entries_.begin(), entries_, it);  // most recently used first
      stats_.hits++;
      return entries_.front().module;
    }
    return std::nullopt;
  }

  void add(size_t hash, v8::CompiledWasmModule module) {
    std::lock_guard lock(mutex_);
    stats_.compiles++;
    if (maxModules_ == 0) return;
    size_t size = module.GetWireBytesRef().size();
    if (size > maxWireBytes_) return;
    entries_.push_front(Entry{hash, std::move(module)});
    wireBytes_ += size;
    while (entries_.size() > maxModules_ || wireBytes_ > maxWireBytes_) {
      wireBytes_ -= entries_.back().module.GetWireBytesRef().size();
      entries_.pop_back();
    }
  }

  WasmCacheStats stats() {
    std::lock_guard lock(mutex_);
    WasmCacheStats s = stats_;
    s.modules = entries_.size();
    s.wireBytes = wireBytes_;
    return s;
  }

  void setLimits(size_t maxModules, size_t maxWireBytes) {
    std::lock_guard lock(mutex_);
    maxModules_ = maxModules;
    maxWireBytes_ = maxWireBytes;
    while (!entries_.empty() && (entries_.size() > maxModules_ || wireBytes_ > maxWireBytes_)) {
      wireBytes_ -= entries_.back().module.GetWireBytesRef().size();
      entries_.pop_back();
    }
  }

 private:
  std::mutex mutex_;
  std::list<Entry> entries_;  // most recently used first; a few hundred at most, so a list scan is fine
  size_t wireBytes_ = 0;
  size_t maxModules_ = 256;
  size_t maxWireBytes_ = 512u << 20;
  WasmCacheStats stats_;
};

// Never destroyed: isolates on other threads may still hold modules when the process exits.
ModuleCache& cache() {
  static auto* c = new ModuleCache();
  return *c;
}

}  // namespace

void disallowRuntimeWasmCompilation(v8::Isolate* isolate) {
  isolate->SetAllowWasmCodeGenerationCallback(&allowWasmCodeGeneration);
  isolate->SetWasmStreamingCallback(&refuseStreaming);
}

v8::MaybeLocal<v8::WasmModuleObject> compileWasmModule(v8::Isolate* isolate, std::string_view bytes) {
  size_t hash = std::hash<std::string_view>{}(bytes);
  if (auto compiled = cache().find(hash, bytes)) {
    return v8::WasmModuleObject::FromCompiledModule(isolate, *compiled);
  }
  v8::Local<v8::WasmModuleObject> module;
  bool threw = false;
  {
    HostCompileScope allow;
    v8::TryCatch tryCatch(isolate);
    v8::MemorySpan<const uint8_t> wire(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (!v8::WasmModuleObject::Compile(isolate, wire).ToLocal(&module) && tryCatch.HasCaught()) {
      tryCatch.ReThrow();  // invalid bytes: the CompileError goes to the caller
      threw = true;
    }
  }
  if (module.IsEmpty()) {
    // A caller evaluating a module must always see some exception.
    if (!threw) {
      isolate->ThrowException(v8::Exception::Error(
          v8::String::NewFromUtf8Literal(isolate, "the WebAssembly module could not be compiled")));
    }
    return {};
  }
  cache().add(hash, module->GetCompiledModule());
  return module;
}

WasmCacheStats wasmCacheStats() { return cache().stats(); }

void setWasmCacheLimits(size_t maxModules, size_t maxWireBytes) { cache().setLimits(maxModules, maxWireBytes); }

}  // namespace islet::engine
