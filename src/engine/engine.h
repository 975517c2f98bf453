// Engine: the process-wide V8 setup islet runs on, and the isolates made from islet's startup snapshot.
//
// The snapshot holds the whole global scope a worker sees (every api/ JS file already run), so creating an
// isolate + context is a deserialisation, not a re-run of the API code. The snapshot is built at build time by
// the islet_snapshot tool (Engine::buildSnapshot) and linked into the binary; an Engine made from the same
// ApiDefinition restores it. One Engine per process, created on the main thread before any event loop starts;
// after that it is read-only and shared by every thread.
#pragma once

#include <v8.h>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/bind/bind.h"

namespace islet::engine {

// A JS file compiled into the snapshot (see api/README.md for its shape).
struct EmbeddedScript {
  const char* name;
  const char* source;
  size_t length;
};

// An API file that rarely used APIs live in, left out of the snapshot: each global it defines starts as an accessor
// (prelude.js, internal.defineLazy) that runs the file in the worker's isolate the first time it is read, and
// internal.requireApi(file) runs it for API code that needs what it adds to `internal`. A loaded worker that never
// uses it does not hold it (about 9 % of a blank worker's memory and 19 % of its isolate's creation for the six
// files islet loads so, docs/benchmarks.md).
struct LazyApi {
  const char* file;                      // the name of one of ApiDefinition::scripts
  std::span<const char* const> globals;  // the global properties it defines
};

// The process's code caches of lazily loaded API files: made (one per file), used by a later load, refused by V8.
struct LazyApiCacheStats {
  uint64_t made = 0;
  uint64_t consumed = 0;
  uint64_t rejected = 0;
};
LazyApiCacheStats lazyApiCacheStats();

// Everything the API layer contributes: its native functions and JS files, in load order.
struct ApiDefinition {
  std::span<const bind::NativeFunction> natives;
  std::span<const EmbeddedScript> scripts;
  // Run only while the snapshot is built, after `scripts`, in a second context that is then thrown away (shaped
  // like `scripts`; natives reach a Host that does nothing). Whatever they run is compiled, and the snapshot keeps
  // that bytecode, so every isolate starts with it instead of parsing and compiling on its first request. They
  // leave no state behind: the snapshot holds the first context only.
  std::span<const EmbeddedScript> warmUp;
  std::span<const LazyApi> lazy;  // of `scripts`, the files run on first use
};

// What an isolate asks of whoever runs it (the runtime's Worker). Called on the isolate's thread only.
class Host {
 public:
  virtual ~Host() = default;
  // One console line; level is debug, log, info, warn or error.
  virtual void consoleLog(std::string_view level, std::string_view message) = 0;
  virtual void timerStart(uint32_t id, double delayMs, bool repeat) = 0;
  virtual void timerCancel(uint32_t id) = 0;
  // The handler's outcome for request `id`: the fields of internal.responseParts(response), or null with `error`
  // set when the handler threw or returned a non-Response. (Passed as arguments: reading them as an object's
  // properties was a generic property lookup each, cache misses when many tenants take turns.)
  struct ResponseParts {
    v8::Local<v8::Value> status, statusText, headers, webSocket, body;
  };
  virtual void fetchDone(uint32_t id, const ResponseParts* parts, v8::Local<v8::Value> error) = 0;
  // ms since the epoch when this isolate's worker started (performance.timeOrigin).
  virtual double timeOrigin() const = 0;
  // A subrequest: fetch() (service empty) or a service binding's fetch (service = the target script). The host
  // answers later through internal.fetchComplete / internal.fetchFailed. The body is `body`, or — when
  // `bodyStream` is not 0 — the native body of that id (see bodyRead / bodyOpen), which the subrequest then owns.
  // May throw bind::JsError (a limit).
  virtual void fetchStart(uint32_t id, std::string service, std::string method, std::string url,
                          std::vector<std::pair<std::string, std::string>> headers, std::string body,
                          uint32_t bodyStream) {
    bind::throwTypeError("fetch() is not available here");
  }
  virtual void fetchAbort(uint32_t id) {}
  // A streamed response body for request `id` (after fetchDone handed over a stream): one chunk, whose
  // `done(ok)` is called once it is written; the end; or an abandonment.
  virtual void streamWrite(uint32_t id, std::string chunk, v8::Local<v8::Function> done) {}
  virtual void streamEnd(uint32_t id) {}
  virtual void streamAbort(uint32_t id, v8::Local<v8::Value> error) {}
  // Native bodies: a request body still on the client's socket, a fetch() response still on the upstream's. JS
  // asks for the next piece of body `id` with bodyRead; the host answers later through internal.bodyChunk(id,
  // Uint8Array | null at the end, error message | undefined). bodyCancel: nobody will read the rest.
  virtual void bodyRead(uint32_t id) { bind::throwTypeError("no such body"); }
  virtual void bodyCancel(uint32_t id) {}
  // A body JS produces for a subrequest (a ReadableStream upload): returns its id for fetchStart. The host pulls
  // each piece through internal.bodyPull(id), which JS answers with bodyPush (bytes; end; or an error message).
  virtual uint32_t bodyOpen() { bind::throwTypeError("streamed uploads are not available here"); }
  virtual void bodyPush(uint32_t id, std::string bytes, bool end, std::string error) {}
  // The partition of the node's HTTP cache (the Cache API) this isolate's code may use: its account. nullopt: no
  // cache here. Never derived from anything the tenant's code controls.
  virtual std::optional<std::string> cacheNamespace() const { return std::nullopt; }
  // The socket a 101 response handed to the client (`id` from fetchDone's parts.webSocket): a message to send
  // (text, or binary bytes) and a close. The host answers with internal.webSocketMessage / webSocketClosed. May
  // throw bind::JsError (the socket's send buffer is full).
  virtual void webSocketSend(uint32_t id, std::string data, bool binary) {}
  virtual void webSocketClose(uint32_t id, uint16_t code, std::string reason) {}
  // fetch() `fetchId` with `Upgrade: websocket` got a 101 (internal.fetchComplete with status 101): JS has made the
  // end that stands for the upstream's socket and calls it `socketId` (0: nobody wants the socket; drop it).
  // Messages and closes then flow as for a client's socket.
  virtual void webSocketAttach(uint32_t fetchId, uint32_t socketId) {}
  // Test data for `islet test` (a path below shared/); other hosts refuse.
  virtual Result<std::string> readTestFile(std::string_view path) {
    return Status::permissionDenied("not available");
  }

  // The Host of the isolate running now.
  static Host* from(v8::Isolate* isolate);
};

struct IsolateOptions {
  size_t heapLimitBytes = 128u << 20;          // V8's JS heap
  size_t arrayBufferLimitBytes = 128u << 20;   // ArrayBuffer backing stores and Wasm memories together
};

class Engine;

// One V8 isolate with its single context, restored from the snapshot. Owned by one thread at a time: the thread
// that made it, until it is handed to another with detachFromThread() there and attachToThread() on the new owner
// (a warm pool makes isolates on a background thread). The owner holds the isolate's v8::Locker for as long as
// it owns it, which is what lets V8 tell that the isolate moved (it re-initialises its per-thread state, such as
// the stack limit); so every isolate holds one, and entering it needs no lock.
class Isolate {
 public:
  ~Isolate();
  Isolate(const Isolate&) = delete;
  Isolate& operator=(const Isolate&) = delete;

  v8::Isolate* v8() const { return isolate_; }
  v8::Local<v8::Context> context() const { return context_.Get(isolate_); }
  // The `internal` object the API JS files share; never reachable from worker code.
  v8::Local<v8::Object> internal() const { return internal_.Get(isolate_); }
  // internal[name] as a function, or an empty handle.
  v8::Local<v8::Function> internalFunction(std::string_view name) const;
  // Hands the isolate to a new host (an isolate taken from a warm pool); called on its thread before use.
  void setHost(Host* host);
  // Gives up the calling thread's ownership (its v8::Locker). Until attachToThread(), the isolate must not be used;
  // it may be destroyed on any thread.
  void detachFromThread();
  // Makes the calling thread the owner of a detached isolate.
  void attachToThread();
  // True once the isolate hit its heap limit: its worker must be discarded.
  bool heapLimitReached() const { return heapLimitReached_; }
  // Bytes this isolate adds to the process: V8's heap as touched (not as committed) plus the ArrayBuffer backing
  // stores and Wasm memories it holds.
  size_t memoryUsage() const;
  // Compares the ArrayBuffers and Wasm memories this isolate holds with its limit (arrayBufferLimitBytes); past
  // it, heapLimitReached() turns true and this returns false. Wasm memories bypass the ArrayBuffer allocator (a
  // single memory is capped by the platform's wasmMaxMemoryBytes), so this is where their total is enforced:
  // call it after every entry into JS. Past the limit it runs a full GC first (unreferenced memories count until
  // one), so only what the worker still holds condemns it.
  bool checkExternalMemory();
  // True when this isolate was the first of the process to load an API file lazily (engine::LazyApi) and the
  // process's code cache of it is still to be made: call makeApiCaches() once the entry into JS is over (outside
  // the CPU watchdog: this is the platform's work, not the tenant's).
  bool hasPendingApiCaches() const { return !pendingApiCaches_.empty(); }
  // Gives back what the heap no longer needs: V8's critical memory-pressure notification (a full, memory-reducing
  // GC that also shrinks the young generation, synchronous on the owning thread), then back to no pressure.
  // 0.9–2.3 ms for a hello world that served a few hundred requests (docs/benchmarks.md). Not while JS runs in
  // this isolate.
  void releaseMemory();
  void makeApiCaches();
  // For internal.compileApi: API file `index` ran in this isolate, compiled as `script`; its cache is to be made.
  void deferApiCache(uint32_t index, v8::Local<v8::UnboundScript> script) {
    pendingApiCaches_.emplace_back(index, v8::Global<v8::UnboundScript>(isolate_, script));
  }

 private:
  friend class Engine;
  Isolate() = default;
  static size_t nearHeapLimit(void* data, size_t current, size_t initial);
  // The ArrayBuffers and Wasm memories held, from V8's external-memory figure.
  size_t externalBytes(size_t v8External) const;

  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
  std::unique_ptr<v8::Locker> locker_;  // held by the owning thread; null while detached
  v8::Global<v8::Context> context_;
  v8::Global<v8::Object> internal_;
  bool heapLimitReached_ = false;
  size_t externalLimitBytes_ = 0;
  size_t baselineExternal_ = 0;  // V8's external memory of the blank isolate: the API's sources, in islet's binary
  std::vector<std::pair<uint32_t, v8::Global<v8::UnboundScript>>> pendingApiCaches_;  // file index, its script
};

class Engine {
 public:
  // Builds a startup snapshot blob from `api`. Fails with the JS error if an API file throws.
  static Result<std::string> buildSnapshot(const ApiDefinition& api);

  // `snapshot` must have been built from the same `api`; both must outlive the Engine.
  Engine(const ApiDefinition& api, std::string_view snapshot);

  // A fresh isolate whose Host is `host` (not owned; must outlive the isolate).
  Result<std::unique_ptr<Isolate>> newIsolate(Host* host, const IsolateOptions& options) const;

 private:
  std::vector<intptr_t> externalReferences_;
  mutable v8::StartupData blob_;  // V8 takes a non-const pointer but does not write it
};

// External references for `api`: every native callback, then the resource of each API file whose source the
// snapshot refers to instead of copying (engine.cc), in a stable order, null-terminated.
std::vector<intptr_t> externalReferences(const ApiDefinition& api);

// "Uncaught TypeError: msg\n    at f (file.js:3:9)" for the exception in `tryCatch`.
std::string describeException(v8::Isolate* isolate, const v8::TryCatch& tryCatch);
// The same for an exception value (e.g. a promise's rejection reason).
std::string describeValue(v8::Isolate* isolate, v8::Local<v8::Value> exception);

}  // namespace islet::engine
