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

// Resolves `specifier` as imported from the module named `referrer` ("./x.js" from "lib/a.js" → "lib/x.js").
// Returns an empty string when it climbs above the root.
std::string resolveModuleName(std::string_view referrer, std::string_view specifier);

// Instantiates and evaluates `mainName` and what it imports; returns its namespace object in `out`.
// Top-level await must settle without waiting on I/O.
Status evaluateModules(Isolate& isolate, const std::vector<ModuleSource>& modules, const std::string& mainName,
                       v8::Local<v8::Object>* out);

// Runs a classic (service-worker syntax) script.
Status runClassicScript(Isolate& isolate, const std::string& name, const std::string& source);

}  // namespace islet::engine
