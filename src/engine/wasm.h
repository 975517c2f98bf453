// WebAssembly as islet allows it: modules compiled by islet itself from the bytes of a deployed script (a `.wasm`
// module part or a wasm_module binding), never from bytes a worker hands over at run time.
//
// Runtime compilation (WebAssembly.compile, new WebAssembly.Module, WebAssembly.instantiate(bytes),
// compileStreaming, instantiateStreaming) is refused with a CompileError, as `eval` is: code a tenant generates
// while it runs is code that was never validated at deploy time, and it would be compiled on the request's CPU.
// Instantiating a module islet compiled is allowed (WebAssembly.instantiate(module), new WebAssembly.Instance).
//
// Compiled modules are shared by every isolate of the process through a cache keyed by the module's bytes, so a
// script loaded on several threads, or reloaded after eviction, is compiled once. Any thread may call these.
#pragma once

#include <v8.h>

#include <cstddef>
#include <string_view>

namespace islet::engine {

// Installs the refusal of runtime compilation on `isolate`. Engine::newIsolate calls it for every isolate.
void disallowRuntimeWasmCompilation(v8::Isolate* isolate);

// The module in `bytes` as a WebAssembly.Module of `isolate` (which must be entered, with a context). On invalid
// bytes returns empty with a CompileError pending in the isolate.
v8::MaybeLocal<v8::WasmModuleObject> compileWasmModule(v8::Isolate* isolate, std::string_view bytes);

struct WasmCacheStats {
  size_t modules = 0;     // compiled modules held
  size_t wireBytes = 0;   // their size as uploaded
  size_t hits = 0;        // compileWasmModule calls answered from the cache
  size_t compiles = 0;    // calls that compiled
};
WasmCacheStats wasmCacheStats();

// The most compiled modules the cache keeps (least recently used ones go first); 0 disables caching.
// Set before the event loops start. Default: 256 modules or 512 MB of wire bytes, whichever is reached first.
void setWasmCacheLimits(size_t maxModules, size_t maxWireBytes);

}  // namespace islet::engine
