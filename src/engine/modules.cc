#include "engine/modules.h"

#include <fmt/format.h>
#include <zlib.h>

#include <limits>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "engine/wasm.h"

namespace islet::engine {
namespace {

// The graph being instantiated on this thread; instantiation is synchronous, so one slot suffices.
struct Graph {
  const std::vector<ModuleSource>* sources;
  CodeCacheUse* cache;  // null: no code cache
  std::unordered_map<std::string, v8::Global<v8::Module>> byName;
  std::unordered_map<int, std::string> nameByHash;  // v8::Module::GetIdentityHash → name
  std::string error;
};
thread_local Graph* tGraph = nullptr;

const ModuleSource* findSource(const Graph& g, const std::string& name) {
  for (const auto& m : *g.sources) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

v8::MaybeLocal<v8::Value> syntheticEvaluate(v8::Local<v8::Context> context, v8::Local<v8::Module> module);

// V8 runs without its checksums (platform.cc), which in V8 10.2 covered code caches too: an entry is V8's bytes
// followed by their CRC-32 (little-endian), checked before V8 sees them.
constexpr size_t kSealBytes = 4;

uint32_t crcOf(const char* data, size_t size) {
  return static_cast<uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(data), size));
}

std::string seal(const uint8_t* data, size_t size) {
  std::string out(reinterpret_cast<const char*>(data), size);
  uint32_t crc = crcOf(out.data(), size);
  for (size_t i = 0; i < kSealBytes; i++) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return out;
}

// V8's bytes of a sealed entry, or nullopt when it is too short or its CRC does not match.
std::optional<std::string_view> unseal(const std::string& sealed) {
  if (sealed.size() <= kSealBytes) return std::nullopt;
  size_t size = sealed.size() - kSealBytes;
  uint32_t crc = 0;
  for (size_t i = 0; i < kSealBytes; i++) crc |= static_cast<uint32_t>(static_cast<uint8_t>(sealed[size + i])) << (8 * i);
  if (crc != crcOf(sealed.data(), size)) return std::nullopt;
  return std::string_view(sealed.data(), size);
}

// The cached data for module `name` in `use` (owned by the caller's Source from then on), or null: none, or one
// that fails its seal (counted as rejected; the module compiles from source).
v8::ScriptCompiler::CachedData* cachedDataFor(CodeCacheUse* use, const std::string& name) {
  if (use == nullptr || use->consume == nullptr) return nullptr;
  for (const auto& e : use->consume->entries) {
    if (e.name != name) continue;
    std::optional<std::string_view> bytes = unseal(e.data);
    if (!bytes || bytes->size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
      use->rejected++;
      return nullptr;
    }
    return new v8::ScriptCompiler::CachedData(reinterpret_cast<const uint8_t*>(bytes->data()),
                                              static_cast<int>(bytes->size()),
                                              v8::ScriptCompiler::CachedData::BufferNotOwned);
  }
  return nullptr;
}

// Counts a JS module compiled, and what V8 made of the cached data it was compiled with (if any).
void noteCacheResult(CodeCacheUse* use, const v8::ScriptCompiler::Source& source) {
  if (use == nullptr) return;
  use->compiled++;
  const v8::ScriptCompiler::CachedData* data = source.GetCachedData();
  if (data == nullptr) return;
  if (data->rejected) {
    use->rejected++;
  } else {
    use->accepted++;
  }
}

v8::MaybeLocal<v8::Module> compile(v8::Isolate* isolate, Graph& g, const ModuleSource& src) {
  auto it = g.byName.find(src.name);
  if (it != g.byName.end()) return it->second.Get(isolate);
  v8::Local<v8::Module> module;
  if (src.kind == ModuleKind::kEsModule) {
    v8::Local<v8::String> code;
    if (!v8::String::NewFromUtf8(isolate, src.source.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(src.source.size()))
             .ToLocal(&code)) {
      g.error = fmt::format("{}: module too large", src.name);
      return {};
    }
    v8::ScriptOrigin origin(isolate, bind::str(isolate, src.name), 0, 0, false, -1, v8::Local<v8::Value>(), false,
                            false, true);
    v8::ScriptCompiler::CachedData* cached = cachedDataFor(g.cache, src.name);
    v8::ScriptCompiler::Source source(code, origin, cached);
    auto options = cached != nullptr ? v8::ScriptCompiler::kConsumeCodeCache : v8::ScriptCompiler::kNoCompileOptions;
    // A rejected cache (another V8, other flags, corrupt bytes) makes V8 compile from source, as if there were none.
    if (!v8::ScriptCompiler::CompileModule(isolate, &source, options).ToLocal(&module)) return {};
    noteCacheResult(g.cache, source);
  } else {
    std::vector<v8::Local<v8::String>> exports = {bind::str(isolate, "default")};
    module = v8::Module::CreateSyntheticModule(isolate, bind::str(isolate, src.name), exports, &syntheticEvaluate);
  }
  g.byName.emplace(src.name, v8::Global<v8::Module>(isolate, module));
  g.nameByHash.emplace(module->GetIdentityHash(), src.name);
  return module;
}

v8::MaybeLocal<v8::Value> syntheticEvaluate(v8::Local<v8::Context> context, v8::Local<v8::Module> module) {
  v8::Isolate* isolate = context->GetIsolate();
  Graph& g = *tGraph;
  const ModuleSource* src = findSource(g, g.nameByHash[module->GetIdentityHash()]);
  v8::Local<v8::Value> value;
  switch (src->kind) {
    case ModuleKind::kText:
      if (!v8::String::NewFromUtf8(isolate, src->source.data(), v8::NewStringType::kNormal,
                                   static_cast<int>(src->source.size()))
               .ToLocal(&value)) {
        return {};
      }
      break;
    case ModuleKind::kData: {
      auto buffer = v8::ArrayBuffer::New(isolate, src->source.size());
      memcpy(buffer->GetBackingStore()->Data(), src->source.data(), src->source.size());
      value = buffer;
      break;
    }
    case ModuleKind::kJson: {
      v8::Local<v8::String> text;
      if (!v8::String::NewFromUtf8(isolate, src->source.data(), v8::NewStringType::kNormal,
                                   static_cast<int>(src->source.size()))
               .ToLocal(&text) ||
          !v8::JSON::Parse(context, text).ToLocal(&value)) {
        return {};
      }
      break;
    }
    case ModuleKind::kWasm: {
      v8::Local<v8::WasmModuleObject> wasm;
      v8::Local<v8::Value> error;
      {
        v8::TryCatch tryCatch(isolate);
        if (compileWasmModule(isolate, src->source).ToLocal(&wasm)) {
          value = wasm;
          break;
        }
        if (tryCatch.HasTerminated()) {
          tryCatch.ReThrow();
          return {};
        }
        error = tryCatch.Exception();
      }
      // The CompileError names the module it came from. No C++ exception may leave this V8 callback.
      std::string detail = "not a valid WebAssembly module";
      v8::Local<v8::Value> m;
      if (error->IsObject() && error.As<v8::Object>()->Get(context, bind::str(isolate, "message")).ToLocal(&m) &&
          m->IsString()) {
        detail = *v8::String::Utf8Value(isolate, m);
      }
      std::string message = fmt::format("{}: {}", src->name, detail);
      v8::Local<v8::String> text;
      if (!v8::String::NewFromUtf8(isolate, message.data(), v8::NewStringType::kNormal, static_cast<int>(message.size()))
               .ToLocal(&text)) {
        text = bind::str(isolate, "not a valid WebAssembly module");
      }
      isolate->ThrowException(v8::Exception::WasmCompileError(text));
      return {};
    }
    case ModuleKind::kEsModule: return {};
  }
  if (module->SetSyntheticModuleExport(isolate, bind::str(isolate, "default"), value).IsNothing()) return {};
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver)) return {};
  // Nothing when execution is terminating (a limit stopped the load): fail the module, never abort.
  if (resolver->Resolve(context, v8::Undefined(isolate)).IsNothing()) return {};
  return resolver->GetPromise();
}

v8::MaybeLocal<v8::Module> resolve(v8::Local<v8::Context> context, v8::Local<v8::String> specifier,
                                   v8::Local<v8::FixedArray>, v8::Local<v8::Module> referrer) {
  v8::Isolate* isolate = context->GetIsolate();
  Graph& g = *tGraph;
  std::string spec = bind::toUtf8(isolate, specifier);
  const std::string& from = g.nameByHash[referrer->GetIdentityHash()];
  std::string name = resolveModuleName(from, spec);
  const ModuleSource* src = name.empty() ? nullptr : findSource(g, name);
  if (src == nullptr) {
    std::string message = fmt::format("No such module \"{}\", imported from \"{}\"", spec, from);
    v8::Local<v8::String> text;  // no C++ exception may leave this V8 callback, so no bind::newString here
    if (!v8::String::NewFromUtf8(isolate, message.data(), v8::NewStringType::kNormal, static_cast<int>(message.size()))
             .ToLocal(&text)) {
      text = bind::str(isolate, "No such module");
    }
    isolate->ThrowException(v8::Exception::Error(text));
    return {};
  }
  return compile(isolate, g, *src);
}

}  // namespace

std::string resolveModuleName(std::string_view referrer, std::string_view specifier) {
  std::string_view spec = specifier;
  std::vector<std::string> parts;
  if (spec.starts_with("./") || spec.starts_with("../")) {
    size_t slash = referrer.rfind('/');
    std::string_view dir = slash == std::string_view::npos ? std::string_view() : referrer.substr(0, slash);
    size_t start = 0;
    while (start < dir.size()) {
      size_t end = dir.find('/', start);
      if (end == std::string_view::npos) end = dir.size();
      parts.emplace_back(dir.substr(start, end - start));
      start = end + 1;
    }
  } else if (spec.starts_with("/")) {
    spec.remove_prefix(1);
  }
  size_t start = 0;
  while (start <= spec.size()) {
    size_t end = spec.find('/', start);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view part = spec.substr(start, end - start);
    if (part == "..") {
      if (parts.empty()) return {};
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.emplace_back(part);
    }
    start = end + 1;
  }
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

uint32_t codeCacheTag() { return v8::ScriptCompiler::CachedDataVersionTag(); }

CodeCache makeCodeCache(v8::Isolate* isolate, const std::vector<ModuleSource>& modules, ScriptForm form) {
  CodeCache out;
  for (const auto& m : modules) {
    if (m.kind != ModuleKind::kEsModule) continue;
    v8::TryCatch tryCatch(isolate);  // a module that does not compile is left out, its error unreported here
    v8::Local<v8::String> code, name;
    if (!v8::String::NewFromUtf8(isolate, m.source.data(), v8::NewStringType::kNormal, static_cast<int>(m.source.size()))
             .ToLocal(&code) ||
        !v8::String::NewFromUtf8(isolate, m.name.data(), v8::NewStringType::kNormal, static_cast<int>(m.name.size()))
             .ToLocal(&name)) {
      continue;
    }
    // The origins are those the loads compile with: V8 checks a cache against the origin's options.
    std::unique_ptr<v8::ScriptCompiler::CachedData> data;
    if (form == ScriptForm::kModules) {
      v8::ScriptOrigin origin(isolate, name, 0, 0, false, -1, v8::Local<v8::Value>(), false, false, true);
      v8::ScriptCompiler::Source source(code, origin);
      v8::Local<v8::Module> module;
      if (!v8::ScriptCompiler::CompileModule(isolate, &source).ToLocal(&module)) continue;
      data.reset(v8::ScriptCompiler::CreateCodeCache(module->GetUnboundModuleScript()));
    } else {
      v8::ScriptOrigin origin(isolate, name);
      v8::ScriptCompiler::Source source(code, origin);
      v8::Local<v8::UnboundScript> script;
      if (!v8::ScriptCompiler::CompileUnboundScript(isolate, &source).ToLocal(&script)) continue;
      data.reset(v8::ScriptCompiler::CreateCodeCache(script));
    }
    if (data == nullptr || data->data == nullptr || data->length <= 0) continue;
    out.entries.push_back(CodeCache::Entry{m.name, seal(data->data, static_cast<size_t>(data->length))});
  }
  return out;
}

Status evaluateModules(Isolate& isolate, const std::vector<ModuleSource>& modules, const std::string& mainName,
                       v8::Local<v8::Object>* out, CodeCacheUse* cache) {
  v8::Isolate* iso = isolate.v8();
  v8::Local<v8::Context> context = isolate.context();
  Graph graph{&modules, cache, {}, {}, {}};
  Graph* saved = tGraph;
  tGraph = &graph;
  struct Restore {
    Graph* saved;
    ~Restore() { tGraph = saved; }
  } restore{saved};

  v8::TryCatch tryCatch(iso);
  const ModuleSource* main = findSource(graph, mainName);
  if (main == nullptr) return Status::invalidArgument(fmt::format("main module \"{}\" is not among the modules", mainName));
  v8::Local<v8::Module> module;
  if (!compile(iso, graph, *main).ToLocal(&module)) {
    if (!graph.error.empty()) return Status::invalidArgument(graph.error);
    return Status::invalidArgument(describeException(iso, tryCatch));
  }
  if (module->InstantiateModule(context, &resolve).IsNothing()) {
    return Status::invalidArgument(describeException(iso, tryCatch));
  }
  v8::Local<v8::Value> result;
  if (!module->Evaluate(context).ToLocal(&result)) return Status::invalidArgument(describeException(iso, tryCatch));
  iso->PerformMicrotaskCheckpoint();
  if (tryCatch.HasTerminated()) return Status::invalidArgument("execution terminated");
  if (module->GetStatus() == v8::Module::kErrored) {
    return Status::invalidArgument(describeValue(iso, module->GetException()));
  }
  if (result->IsPromise() && result.As<v8::Promise>()->State() == v8::Promise::kPending) {
    return Status::invalidArgument("top-level await did not settle: a worker's top level cannot wait on I/O");
  }
  *out = module->GetModuleNamespace().As<v8::Object>();
  return Status::ok();
}

Status runClassicScript(Isolate& isolate, const std::string& name, const std::string& source,
                        CodeCacheUse* cache) {
  v8::Isolate* iso = isolate.v8();
  v8::Local<v8::Context> context = isolate.context();
  v8::TryCatch tryCatch(iso);
  v8::Local<v8::String> code;
  if (!v8::String::NewFromUtf8(iso, source.data(), v8::NewStringType::kNormal, static_cast<int>(source.size()))
           .ToLocal(&code)) {
    return Status::invalidArgument(fmt::format("{}: script too large", name));
  }
  v8::ScriptOrigin origin(iso, bind::str(iso, name));
  v8::ScriptCompiler::CachedData* cached = cachedDataFor(cache, name);
  v8::ScriptCompiler::Source compileSource(code, origin, cached);
  auto options = cached != nullptr ? v8::ScriptCompiler::kConsumeCodeCache : v8::ScriptCompiler::kNoCompileOptions;
  v8::Local<v8::Script> script;
  if (!v8::ScriptCompiler::Compile(context, &compileSource, options).ToLocal(&script)) {
    return Status::invalidArgument(describeException(iso, tryCatch));
  }
  noteCacheResult(cache, compileSource);
  if (script->Run(context).IsEmpty()) return Status::invalidArgument(describeException(iso, tryCatch));
  iso->PerformMicrotaskCheckpoint();
  return Status::ok();
}

}  // namespace islet::engine
