// Loading a worker's code into an isolate: an ES module graph (relative imports resolved by name among the
// script's modules) or one classic service-worker script. Errors carry the module:line:column.
// Called on the isolate's thread, inside a HandleScope and the isolate's context.
#pragma once

#include <v8.h>

#include <string>
#include <vector>

#include "base/status.h"
#include "engine/engine.h"

namespace islet::engine {

// kText: a string; kData: an ArrayBuffer; kJson: the parsed value; kWasm: a WebAssembly.Module compiled by islet
// (see engine/wasm.h) — each the default export of a synthetic module.
enum class ModuleKind { kEsModule, kText, kData, kJson, kWasm };

struct ModuleSource {
  std::string name;  // a path-like name, e.g. "index.js", "lib/util.js"
  std::string source;
  ModuleKind kind = ModuleKind::kEsModule;
};

// V8's code cache of a script's JS: per ES module (or the one classic script), by name, the bytes
// ScriptCompiler::CreateCodeCache made after a compile. It is valid only for the exact sources it was made from —
// V8 checks its own version, its flags and the source's length, not the text — so islet keeps one per immutable
// script version. Each entry's bytes are V8's data sealed with a CRC-32 (V8 runs without its own checksums: see
// platform.cc): one that fails the seal is rejected before V8 sees it. It must come from a trusted source (islet's
// own store): the seal catches corruption, not forgery.
struct CodeCache {
  struct Entry {
    std::string name;  // the module's name
    std::string data;
  };
  std::vector<Entry> entries;
};

// The tag of the running V8's code caches (its version and flags): a cache made under another tag is rejected.
uint32_t codeCacheTag();

// How a script's JS is shaped: an ES module graph, or one classic (service-worker) script.
enum class ScriptForm { kModules, kClassicScript };

// Compiles the script's JS — each ES module among `modules`, or the one classic script — without running any of it,
// and returns its code cache: the top-level code of each (inner functions still compile when first called, as they
// would without a cache). A module that does not compile or that V8 cannot cache is left out. Call with the
// isolate entered, inside a HandleScope. Any isolate of the process will do, and a scratch one is best: making a
// cache leaves V8's serializer tables (about 70 KB) in the isolate for its lifetime.
CodeCache makeCodeCache(v8::Isolate* isolate, const std::vector<ModuleSource>& modules, ScriptForm form);

// A load's use of a code cache: the cache to compile from, and what V8 made of it.
struct CodeCacheUse {
  const CodeCache* consume = nullptr;  // in: compile from this (null: from source)
  int compiled = 0;                    // out: JS modules compiled, from the cache or not
  int accepted = 0;                    // out: of those, compiled from the cache
  int rejected = 0;                    // out: of those, whose cache failed its seal or V8 refused (from source instead)
};

// Resolves `specifier` as imported from the module named `referrer` ("./x.js" from "lib/a.js" → "lib/x.js").
// Returns an empty string when it climbs above the root.
std::string resolveModuleName(std::string_view referrer, std::string_view specifier);

// Instantiates and evaluates `mainName` and what it imports; returns its namespace object in `out`.
// Top-level await must settle without waiting on I/O.
// With `cache`, JS modules compile from cache->consume where it has them, and cache gets the rest of its outputs.
Status evaluateModules(Isolate& isolate, const std::vector<ModuleSource>& modules, const std::string& mainName,
                       v8::Local<v8::Object>* out, CodeCacheUse* cache = nullptr);

// Runs a classic (service-worker syntax) script; `cache` as for evaluateModules.
Status runClassicScript(Isolate& isolate, const std::string& name, const std::string& source,
                        CodeCacheUse* cache = nullptr);

}  // namespace islet::engine
