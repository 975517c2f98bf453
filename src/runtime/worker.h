// Script and Worker.
//
// A Script is a deployed, immutable bundle: its modules (or one service-worker script), its main module and
// its plain-text bindings. A Worker is a Script loaded into an isolate on one event-loop thread; it implements
// the engine's Host (console, timers, fetch outcome) for that isolate, dispatches requests into it, and
// enforces the per-request limits (CPU through the Watchdog, wall time by a sweep). Everything on a Worker
// happens on its thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "engine/engine.h"
#include "engine/modules.h"
#include "api/kv/kv.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "net/websocket.h"
#include "runtime/metering.h"
#include "runtime/tail.h"
#include "store/store.h"

namespace islet::runtime {

enum class ScriptSyntax { kModules, kServiceWorker };

// A binding: what a worker sees as env.NAME (module syntax) or a global NAME (service-worker syntax).
struct Binding {
  enum class Type { kText, kJson, kKvNamespace, kService, kWasmModule };
  std::string name;
  Type type = Type::kText;
  std::string value;  // the text; the JSON source; the KV namespace id; the service's script name; the Wasm bytes
};

struct Script {
  std::string name;
  std::string accountId;  // empty in `islet dev`
  std::string versionId;  // empty in `islet dev`
  ScriptSyntax syntax = ScriptSyntax::kModules;
  std::vector<engine::ModuleSource> modules;  // for kServiceWorker: exactly one
  std::string mainModule;
  std::vector<Binding> bindings;
  int64_t cpuLimitMs = 0;  // the script's own CPU limit (metadata limits.cpu_ms); 0: the operator's default
};

struct WorkerLimits {
  int64_t cpuMicrosPerRequest = 50'000;  // CPU time per entry into JS (a script may ask for another, up to the max)
  int64_t maxCpuMicrosPerRequest = 30'000'000;
  double wallMsPerRequest = 30'000;      // from dispatch to response
  size_t heapBytes = 128u << 20;
  size_t maxTimers = 10'000;
  double backgroundMs = 30'000;  // how long timers may keep running after the last request ended
  int64_t maxSubrequests = 1000;  // per request
  size_t maxConnections = 6;      // subrequests in flight per request; more wait their turn
  // A WebSocket a worker accepted (101) stays open, with no wall-time limit, until either side closes it or nothing
  // is sent either way for this long.
  double webSocketIdleMs = 600'000;
};


class Worker final : public engine::Host {
 public:
  struct Options {
    WorkerLimits limits;
    bool testMode = false;      // `islet test`: readTestFile allowed, `__internal` exposed
    std::string testDataRoot;   // where readTestFile looks first (the shared/ folder)
    std::string testFileDir;    // and then (the test file's folder)
    std::shared_ptr<store::KvStore> kv;  // for kv_namespace bindings; null where there is no KV
    Metering* metering = nullptr;        // where invocations are recorded; null: not metered
    TailHub* tails = nullptr;            // where invocations are published while a tail watches; null: never
    net::HttpClient* http = nullptr;     // this thread's client for fetch(); null: fetch() is refused
    // A blank isolate made ahead from the snapshot (runtime/isolate_pool.h), attached to this thread and made with
    // this heap limit; null: load() makes one on this thread.
    std::unique_ptr<engine::Isolate> isolate;
    // Where the isolate goes when the Worker is destroyed (detached from this thread, its Host cleared); empty:
    // disposed here. Disposing takes about half a millisecond (runtime/isolate_disposer.h).
    std::function<void(std::unique_ptr<engine::Isolate>)> disposeIsolate;
    // Dispatches a service binding's request to another script of the same account (in-process).
    std::function<void(const std::string& service, net::Request, std::function<void(net::Response)>)> serviceFetch;
    // V8's code cache of this script version (runtime/code_caches.h); null: compile from source. A cache V8 refuses
    // (another V8 or flags, corrupt bytes) costs only the compile.
    std::shared_ptr<const engine::CodeCache> codeCache;
    // Told the CPU time of each invocation as it is recorded (on the Worker's thread): the server places
    // CPU-heavy scripts apart from the others with it.
    std::function<void(int64_t cpuUs)> onInvocation;
  };

  // Creates an isolate for `script` on the calling thread, runs its top level, and binds its handlers.
  // Fails with the error (and its module:line:column) if the script does not load.
  static Result<std::unique_ptr<Worker>> load(const engine::Engine& engine, boost::asio::io_context& io,
                                              std::shared_ptr<const Script> script, Options options);
  ~Worker() override;

  // Runs the fetch handler for this request and answers the exchange when it settles.
  void fetch(std::shared_ptr<net::Exchange> exchange);

  // Runs the scheduled handler for a cron trigger; `done` gets the outcome.
  void scheduled(const std::string& cron, double scheduledTimeMs, std::function<void(Outcome)> done);

  // Runs `source` as a classic script (for `islet test`), then calls globalThis.__runTests(print) and invokes
  // `done(failures)` when it settles. testMode only.
  void runTests(const std::string& name, const std::string& source, std::function<void(int)> done);

  // True when the isolate must not be used again (heap limit reached).
  bool broken() const { return isolate_->heapLimitReached() || broken_; }
  const Script& script() const { return *script_; }
  // Requests in flight, counting open WebSockets (each is its request's invocation, still running).
  size_t pendingRequests() const { return pending_.size() + sockets_.size(); }
  // Whether anything still runs here: requests in flight or timers armed.
  bool idle() const {
    return pending_.empty() && timers_.empty() && subrequests_.empty() && streamWrites_ == 0 && sockets_.empty() &&
           bodyReads_ == 0;
  }
  // The isolate's memory (engine::Isolate::memoryUsage), measured again only after JS ran here since the last
  // measure: an idle worker's heap does not grow, and measuring costs microseconds per worker, each second.
  size_t memoryUsage() const {
    if (measuredAtEntry_ != entries_) {
      measuredBytes_ = isolate_->memoryUsage();
      measuredAtEntry_ = entries_;
      if (lowBytes_ == 0) lowBytes_ = measuredBytes_;  // the first measure: just after the load
    }
    return measuredBytes_;
  }
  // For an idle worker whose heap grew by kReleaseGrowthBytes since it was last measured low (a young generation
  // its requests filled stays resident: a hello world held 1.40 MB after ~600 requests, against 1.10 after one) and is
  // under kReleaseMaxBytes: gives back what the heap no longer needs (engine::Isolate::releaseMemory, a full GC:
  // 0.9–2.3 ms for such a hello world). Once per spell of activity; true when it released.
  bool releaseIdleMemory();
  // Whether releaseIdleMemory() would release now (cheap: no GC).
  bool wantsRelease() const;
  static constexpr size_t kReleaseGrowthBytes = 256 << 10;
  static constexpr size_t kReleaseMaxBytes = 16 << 20;
  // What the load made of Options::codeCache: JS modules compiled, those compiled from the cache, and those whose
  // cache was refused (compiled from source).
  const engine::CodeCacheUse& codeCacheUse() const { return codeCache_; }

  // engine::Host
  void consoleLog(std::string_view level, std::string_view message) override;
  void timerStart(uint32_t id, double delayMs, bool repeat) override;
  void timerCancel(uint32_t id) override;
  void fetchDone(uint32_t id, const ResponseParts* parts, v8::Local<v8::Value> error) override;
  double timeOrigin() const override { return timeOrigin_; }
  Result<std::string> readTestFile(std::string_view path) override;
  void fetchStart(uint32_t id, std::string service, std::string method, std::string url,
                  std::vector<std::pair<std::string, std::string>> headers, std::string body,
                  uint32_t bodyStream) override;
  void bodyRead(uint32_t id) override;
  void bodyCancel(uint32_t id) override;
  uint32_t bodyOpen() override;
  void bodyPush(uint32_t id, std::string bytes, bool end, std::string error) override;
  void fetchAbort(uint32_t id) override;
  void streamWrite(uint32_t id, std::string chunk, v8::Local<v8::Function> done) override;
  void streamEnd(uint32_t id) override;
  void streamAbort(uint32_t id, v8::Local<v8::Value> error) override;
  std::optional<std::string> cacheNamespace() const override { return script_->accountId; }
  void webSocketSend(uint32_t id, std::string data, bool binary) override;
  void webSocketClose(uint32_t id, uint16_t code, std::string reason) override;
  void webSocketAttach(uint32_t fetchId, uint32_t socketId) override;

 private:
  struct Pending {
    std::shared_ptr<net::Exchange> exchange;
    double startMs;
    int64_t startMonoUs = 0;
    int64_t cpuUs = 0;
    int64_t bytesIn = 0;
    std::function<void(Outcome)> onDone;  // a scheduled event (no exchange)
    int64_t subrequests = 0;
    std::unique_ptr<TailEvent> trace = nullptr;  // while a tail watches the script: what it will be sent
    std::shared_ptr<net::Exchange::BodyWriter> writer = nullptr;  // set while the body streams
    int64_t bytesOut = 0;
  };
  struct Subrequest {
    uint32_t requestId;  // the request it counts against (0: none in flight)
    std::string service;
    net::ClientRequest request;
    std::string url;
    bool webSocket = false;  // Upgrade: websocket — opened with HttpClient::upgrade
  };
  void startSubrequest(uint32_t id);
  void subrequestDone(uint32_t id, Result<net::ClientResponse> result);
  size_t inflightFor(uint32_t requestId) const;
  struct Finished {
    uint32_t id;
    Pending pending;
    Outcome outcome;
    int64_t bytesOut;
  };
  // Native bodies (worker_body.cc), by the id JS knows them by: request bodies still on the client's socket and
  // fetch() responses still on the upstream's (JS reads them, or hands them on whole to a subrequest or as the
  // response: then C++ moves the bytes and JS never sees them), and uploads JS produces (class JsBody).
  struct NativeBody {
    std::shared_ptr<net::BodyReader> reader;
    uint32_t requestId = 0;  // the invocation it belongs to
    bool incoming = false;   // a request body: cancelled when its request ends
    bool reading = false;
  };
  class JsBody;
  uint32_t addBody(std::shared_ptr<net::BodyReader> reader, uint32_t requestId, bool incoming);
  // Takes body `id` out of JS's hands (for a subrequest or a response); null if there is none to take.
  std::shared_ptr<net::BodyReader> takeBody(uint32_t id);
  void deliverBody(uint32_t id, Result<std::string> piece);
  void pullUpload(uint32_t id, uint32_t requestId, bool cancel);
  // Copies `reader` into request `requestId`'s streamed response, a piece at a time, with the socket's pace.
  void pipeBody(uint32_t requestId, std::shared_ptr<net::BodyReader> reader);
  // The request has ended: its request body, if unread, is dropped.
  void dropIncomingBodies(uint32_t requestId);
  // The worker is going away: every body is cancelled, every upload ends with an error.
  void endBodies();
  std::unordered_map<uint32_t, NativeBody> bodies_;
  std::unordered_map<uint32_t, std::weak_ptr<JsBody>> uploads_;
  uint32_t nextBodyId_ = 1;
  size_t bodyReads_ = 0;  // reads and pipe steps outstanding

  class Entry;
  // Runs `body` inside an Entry for `requestId` (0: shared work): for code outside worker.cc.
  void runEntry(uint32_t requestId, const std::function<void(v8::Isolate*, v8::Local<v8::Context>)>& body);

  // A request answered with 101 and a WebSocket (worker_websocket.cc): its invocation stays open while the
  // socket does; each message delivered is an entry of its own with the per-request CPU limit, charged to it;
  // it is metered (wall time = the socket's life) when the socket ends. No wall-time limit applies.
  struct Socket {
    uint32_t requestId;
    Pending pending;
    std::shared_ptr<net::websocket::Session> session;
    bool outgoing = false;  // opened by the worker's fetch(): part of the request that opened it, not an invocation
  };
  // An upstream answered a WebSocket fetch(): a 101 is held in connecting_ until JS attaches its end.
  void webSocketConnected(uint32_t fetchId, Result<net::ClientUpgrade> result);
  // Reads the session and delivers what arrives to JS end `socketId`; `head` is written first (a 101 to a client).
  void runSession(uint32_t socketId, std::shared_ptr<net::websocket::Session> session, std::string head);
  std::unordered_map<uint32_t, std::shared_ptr<net::websocket::Session>> connecting_;  // by fetch id
  // Outgoing WebSockets (open or connecting) one worker may hold: they outlive the request that opened them, so the
  // per-request subrequest limits do not bound them.
  static constexpr size_t kMaxOutgoingWebSockets = 64;
  // Upgrades request `it` (its handler answered 101 with the WebSocket the JS side calls `socketId`).
  void acceptWebSocket(std::unordered_map<uint32_t, Pending>::iterator it, uint32_t socketId, net::Response response);
  void webSocketMessage(uint32_t socketId, std::string data, bool binary);
  void webSocketEnded(uint32_t socketId, net::websocket::Session::CloseInfo info);
  // Closes every socket (the worker is going away or broke) and meters their invocations with `outcome`.
  void closeSockets(uint16_t code, std::string_view reason, Outcome outcome);

  // Promises rejected with no handler during an entry, reported (internal.reportUnhandledRejection) after its
  // microtask checkpoint unless a handler was attached meanwhile.
  struct Rejection {
    v8::Global<v8::Promise> promise;
    v8::Global<v8::Value> reason;
  };
  static void onPromiseReject(v8::PromiseRejectMessage message);
  void reportUnhandledRejections(v8::Local<v8::Context> context);

  Worker(boost::asio::io_context& io, std::shared_ptr<const Script> script, Options options);
  Status init(const engine::Engine& engine);
  void fireTimer(uint32_t id);
  // After every entry into JS: ends requests that can no longer get a response.
  void afterEntry(Outcome outcome);
  void fail(uint32_t id, Outcome outcome, std::string_view reason);
  // Sends the response and moves the request's accounting to finished_ (recorded when the entry ends).
  void complete(std::unordered_map<uint32_t, Pending>::iterator it, net::Response response, Outcome outcome);
  // Charges an entry's CPU: to `requestId` if it is one, else split among the requests in flight.
  void chargeCpu(uint32_t requestId, int64_t cpuUs);
  void recordFinished();
  // After an entry that loaded an API file first in the process: its code cache is made on the next turn of the
  // loop, outside the entry's CPU watchdog and billing.
  void makeApiCachesLater();
  // Tails (the end of worker.cc): a trace for a new invocation if a tail watches the script, else null; the
  // trace of invocation `id`; a console line for the running entry's trace; an uncaught error of `id`.
  std::unique_ptr<TailEvent> beginTrace(const net::Request* request, const std::string& cron, double scheduledTimeMs);
  TailEvent* traceOf(uint32_t id);
  void traceLog(std::string_view level, std::string_view message);
  void traceException(uint32_t id, std::string_view described);
  void scheduleSweep();
  void sweep();

  boost::asio::io_context& io_;
  std::shared_ptr<const Script> script_;
  Options options_;
  std::unique_ptr<engine::Isolate> isolate_;
  v8::Global<v8::Function> dispatchFetch_;
  v8::Global<v8::Function> runTimer_;
  v8::Global<v8::Function> dispatchScheduled_;
  std::unordered_map<uint32_t, Pending> pending_;
  std::unordered_map<uint32_t, Socket> sockets_;  // open WebSockets, by the JS side's id
  std::vector<Rejection> unhandledRejections_;
  std::vector<Finished> finished_;
  bool inEntry_ = false;
  uint64_t entries_ = 0;                     // entries into JS so far
  mutable uint64_t measuredAtEntry_ = ~uint64_t{0};
  mutable size_t measuredBytes_ = 0;
  uint64_t releasedAtEntry_ = 0;  // entries_ when releaseIdleMemory last looked
  mutable size_t lowBytes_ = 0;   // memoryUsage() when it was last low (first measure, or after a release)
  int streamWrites_ = 0;  // response-body chunks on their way to a socket
  // The JS callbacks of those writes, held here so they are released before the isolate is.
  std::unordered_map<uint64_t, v8::Global<v8::Function>> streamCallbacks_;
  uint64_t nextStreamCallback_ = 1;
  uint32_t currentRequest_ = 0;  // the request the running entry is for (0: shared work)
  size_t traced_ = 0;            // invocations with a trace not yet published
  std::unordered_map<uint32_t, Subrequest> subrequests_;  // by fetch id: in flight or waiting
  std::unordered_map<uint32_t, bool> inflight_;           // fetch ids sent and not answered
  double lastCompleteMs_ = 0;  // when the last request or event ended: bounds work after it (ctx.waitUntil)
  std::unordered_map<uint32_t, std::unique_ptr<boost::asio::steady_timer>> timers_;
  std::unique_ptr<boost::asio::steady_timer> sweepTimer_;
  std::function<void(int)> testsDone_;
  uint32_t nextRequestId_ = 1;
  double timeOrigin_ = 0;
  bool broken_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  api::kv::KvAccess kvAccess_;
  engine::CodeCacheUse codeCache_;  // what the load made of Options::codeCache
};

}  // namespace islet::runtime
