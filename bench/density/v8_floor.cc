// The floor under islet's memory and cold-start figures: what one isolate plus one context costs in the V8 islet
// links (Debian's libnode108), restored from V8's own snapshot, with none of islet's API. Prints microseconds per
// isolate+context and RSS growth per isolate over N of them, held at once.
//
// Build and run from the repository root (after `make build`):
//   g++ -std=c++20 -O2 -I.deps/libnode/usr/include/node bench/density/v8_floor.cc -o build/v8_floor \
//       .deps/libnode/usr/lib/x86_64-linux-gnu/libnode.so.108 -Wl,-rpath,$PWD/.deps/libnode/usr/lib/x86_64-linux-gnu
//   build/v8_floor 1000
#include <libplatform/libplatform.h>
#include <v8.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <vector>

namespace {

long rssKb() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * 4;
}

}  // namespace

int main(int argc, char** argv) {
  int count = argc > 1 ? std::atoi(argv[1]) : 1000;
  v8::V8::SetFlagsFromString("--no-verify-snapshot-checksum");  // as islet runs it
  std::unique_ptr<v8::Platform> platform = v8::platform::NewDefaultPlatform();
  v8::V8::InitializePlatform(platform.get());
  v8::V8::Initialize();
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  std::vector<v8::Isolate*> isolates;
  long before = rssKb();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; i++) {
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = allocator.get();
    params.constraints.ConfigureDefaultsFromHeapSize(0, 128 << 20);  // islet's default heap limit
    v8::Isolate* isolate = v8::Isolate::New(params);
    {
      v8::Locker locker(isolate);
      v8::Isolate::Scope scope(isolate);
      v8::HandleScope handles(isolate);
      v8::Context::New(isolate);
    }
    isolates.push_back(isolate);
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  long after = rssKb();
  std::printf("%d isolates: %.0f us per isolate+context, %.3f MB RSS per isolate\n", count,
              std::chrono::duration<double, std::micro>(elapsed).count() / count, (after - before) / 1024.0 / count);
  for (v8::Isolate* isolate : isolates) isolate->Dispose();
  v8::V8::Dispose();
  v8::V8::DisposePlatform();
  return 0;
}
