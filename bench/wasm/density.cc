// bench/wasm/density: how many Wasm instances, one memory each, one islet process can hold before allocation
// fails, with islet's V8 flags (engine::initialize). Each instance stands for one Wasm tenant's memory.
//
// Usage: islet_wasm_density [--wasm-max-memory-mb N] [--trap-handler] [--limit N]
//   --wasm-max-memory-mb N  the per-memory cap islet sets (0: none, V8's default of 65536 pages, as islet had
//                           before it set one)
//   --trap-handler          enable V8's Wasm trap handler (guard regions instead of bounds checks, as Node does)
// Prints a progress line every 1000 instances (the process may die at the ceiling: the last line is the count),
// then how it stopped.
#include <fmt/format.h>
#include <v8.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "engine/platform.h"
#include "engine/wasm.h"

namespace {

struct ProcessStats {
  size_t vmSizeMb = 0, rssMb = 0, maps = 0;
};

ProcessStats processStats() {
  ProcessStats s;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmSize:", 0) == 0) s.vmSizeMb = std::stoull(line.substr(7)) >> 10;
    if (line.rfind("VmRSS:", 0) == 0) s.rssMb = std::stoull(line.substr(6)) >> 10;
  }
  std::ifstream maps("/proc/self/maps");
  while (std::getline(maps, line)) s.maps++;
  return s;
}

// (module (memory (export "memory") 1)): one page, no declared maximum, as most toolchains emit.
const unsigned char kOneMemory[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01,
                                    0x07, 0x0a, 0x01, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00};

void add(const v8::FunctionCallbackInfo<v8::Value>& info) {
  // keep.push(new WebAssembly.Instance(mod)) is done in JS; this reports progress.
  size_t n = static_cast<size_t>(info[0].As<v8::Number>()->Value());
  ProcessStats s = processStats();
  fmt::print("instances={} vmsize={}MB rss={}MB maps={}\n", n, s.vmSizeMb, s.rssMb, s.maps);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  size_t maxMemoryMb = 128;
  bool trapHandler = false;
  long limit = 1'000'000;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--wasm-max-memory-mb" && i + 1 < argc) maxMemoryMb = std::stoull(argv[++i]);
    else if (a == "--trap-handler") trapHandler = true;
    else if (a == "--limit" && i + 1 < argc) limit = std::stol(argv[++i]);
    else {
      fmt::print(stderr, "usage: {} [--wasm-max-memory-mb N] [--trap-handler] [--limit N]\n", argv[0]);
      return 2;
    }
  }
  if (trapHandler && !v8::V8::EnableWebAssemblyTrapHandler(true)) fmt::print(stderr, "no trap handler\n");
  islet::engine::PlatformOptions options;
  options.wasmMaxMemoryBytes = maxMemoryMb << 20;
  islet::engine::initialize(options);

  v8::Isolate::CreateParams params;
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  params.array_buffer_allocator = allocator.get();
  v8::Isolate* isolate = v8::Isolate::New(params);
  {
    v8::Isolate::Scope isolateScope(isolate);
    v8::HandleScope handles(isolate);
    islet::engine::disallowRuntimeWasmCompilation(isolate);
    v8::Local<v8::Context> context = v8::Context::New(isolate);
    v8::Context::Scope contextScope(context);
    std::string bytes(reinterpret_cast<const char*>(kOneMemory), sizeof kOneMemory);
    v8::Local<v8::WasmModuleObject> module = islet::engine::compileWasmModule(isolate, bytes).ToLocalChecked();
    auto global = context->Global();
    global->Set(context, v8::String::NewFromUtf8Literal(isolate, "mod"), module).Check();
    global->Set(context, v8::String::NewFromUtf8Literal(isolate, "progress"),
                v8::Function::New(context, add).ToLocalChecked()).Check();
    std::string source = fmt::format(
        "const keep = []; let error = 'reached --limit';"
        "try {{ while (keep.length < {}) {{ keep.push(new WebAssembly.Instance(mod, {{}}));"
        "  if (keep.length % 1000 === 0) progress(keep.length); }} }}"
        "catch (e) {{ error = String(e); }}"
        "progress(keep.length); `stopped: ${{error}}`",
        limit);
    auto start = std::chrono::steady_clock::now();
    v8::TryCatch tryCatch(isolate);
    v8::Local<v8::Value> result;
    if (!v8::Script::Compile(context, v8::String::NewFromUtf8(isolate, source.c_str()).ToLocalChecked())
             .ToLocalChecked()
             ->Run(context)
             .ToLocal(&result)) {
      fmt::print("stopped: the script threw\n");
      return 1;
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print("{} ({:.1f} s)\n", *v8::String::Utf8Value(isolate, result), seconds);
  }
  std::fflush(stdout);
  std::_Exit(0);  // tearing down hundreds of thousands of memories proves nothing
}
