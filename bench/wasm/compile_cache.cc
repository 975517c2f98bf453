// bench/wasm/compile_cache: what islet's per-process cache of compiled Wasm modules saves. Loads one .wasm file
// into a sequence of fresh isolates, as a script loaded on several threads or reloaded after eviction is, and
// prints the milliseconds engine::compileWasmModule took in each.
//
// Usage: islet_wasm_compile_cache FILE.wasm [--isolates N] [--no-cache] [--dispose]
//   --no-cache  islet's cache off: what V8 alone does (its own cache shares a module only while some isolate
//               still holds it)
//   --dispose   dispose each isolate before making the next (a worker evicted, then loaded again)
#include <fmt/format.h>
#include <v8.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine/platform.h"
#include "engine/wasm.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: {} FILE.wasm [--isolates N] [--no-cache] [--dispose]\n", argv[0]);
    return 2;
  }
  int count = 4;
  bool dispose = false;
  for (int i = 2; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--isolates" && i + 1 < argc) count = std::stoi(argv[++i]);
    else if (a == "--no-cache") islet::engine::setWasmCacheLimits(0, 0);
    else if (a == "--dispose") dispose = true;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  islet::engine::initialize();
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  std::vector<v8::Isolate*> alive;
  std::vector<std::unique_ptr<v8::Global<v8::WasmModuleObject>>> modules;
  for (int i = 0; i < count; i++) {
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = allocator.get();
    v8::Isolate* isolate = v8::Isolate::New(params);
    double ms;
    {
      v8::Isolate::Scope isolateScope(isolate);
      v8::HandleScope handles(isolate);
      islet::engine::disallowRuntimeWasmCompilation(isolate);
      v8::Local<v8::Context> context = v8::Context::New(isolate);
      v8::Context::Scope contextScope(context);
      auto start = std::chrono::steady_clock::now();
      v8::Local<v8::WasmModuleObject> module;
      if (!islet::engine::compileWasmModule(isolate, bytes).ToLocal(&module)) {
        fmt::print(stderr, "{} does not compile\n", argv[1]);
        return 1;
      }
      ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      if (!dispose) modules.push_back(std::make_unique<v8::Global<v8::WasmModuleObject>>(isolate, module));
    }
    fmt::print("isolate {}: {:.2f} ms\n", i + 1, ms);
    if (dispose) {
      isolate->Dispose();
    } else {
      alive.push_back(isolate);
    }
  }
  auto stats = islet::engine::wasmCacheStats();
  fmt::print("cache: {} compiles, {} hits\n", stats.compiles, stats.hits);
  std::fflush(stdout);
  std::_Exit(0);
}
