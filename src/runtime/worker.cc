#include "runtime/worker.h"

#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <strings.h>

#include "base/log.h"
#include "engine/platform.h"
#include "engine/wasm.h"
#include "runtime/watchdog.h"

namespace islet::runtime {

namespace asio = boost::asio;
using engine::bind::str;

namespace {

net::Response plainResponse(int status, std::string body) {
  net::Response r;
  r.status = status;
  r.headers.emplace_back("content-type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

// Rejections waiting for the end of an entry, at most: past it, more are not reported (a loop rejecting promises
// must not grow memory without bound).
constexpr size_t kMaxUnhandledRejections = 1000;

// Compiles the script's WebAssembly into the process-wide cache before its top level runs, outside the CPU limit:
// compiling is islet's work, done once per process, and the loads in the top level then take the compiled module
// from the cache. Errors are left for those loads to report.
void precompileWasm(engine::Isolate& isolate, const Script& script) {
  v8::Isolate* iso = isolate.v8();
  v8::Isolate::Scope isolateScope(iso);
  v8::HandleScope handles(iso);
  v8::Context::Scope contextScope(isolate.context());
  v8::TryCatch tryCatch(iso);
  for (const auto& m : script.modules) {
    if (m.kind == engine::ModuleKind::kWasm) (void)engine::compileWasmModule(iso, m.source);
  }
  for (const auto& b : script.bindings) {
    if (b.type == Binding::Type::kWasmModule) (void)engine::compileWasmModule(iso, b.value);
  }
}

}  // namespace

void Worker::onPromiseReject(v8::PromiseRejectMessage message) {
  v8::Local<v8::Promise> promise = message.GetPromise();
  v8::Isolate* isolate = promise->GetIsolate();
  // Only Worker::init installs this callback, on an isolate whose Host is that Worker.
  auto* worker = static_cast<Worker*>(engine::Host::from(isolate));
  if (worker == nullptr) return;
  std::vector<Rejection>& list = worker->unhandledRejections_;
  switch (message.GetEvent()) {
    case v8::kPromiseRejectWithNoHandler:
      if (list.size() < kMaxUnhandledRejections) {
        list.push_back(Rejection{v8::Global<v8::Promise>(isolate, promise), v8::Global<v8::Value>(isolate, message.GetValue())});
      }
      break;
    case v8::kPromiseHandlerAddedAfterReject:
      for (auto it = list.begin(); it != list.end(); ++it) {
        if (it->promise == promise) {
          list.erase(it);
          break;
        }
      }
      break;
    default:
      break;
  }
}

// Fires 'unhandledrejection' for each promise still unhandled after the checkpoint; listeners may queue more work
// (and reject more promises), so a few rounds run. What is left then waits for the next entry.
void Worker::reportUnhandledRejections(v8::Local<v8::Context> context) {
  v8::Isolate* iso = isolate_->v8();
  v8::Local<v8::Function> report = isolate_->internalFunction("reportUnhandledRejection");
  for (int round = 0; round < 4 && !unhandledRejections_.empty(); round++) {
    std::vector<Rejection> list = std::move(unhandledRejections_);
    unhandledRejections_.clear();
    for (Rejection& r : list) {
      if (iso->IsExecutionTerminating()) break;
      v8::TryCatch tryCatch(iso);
      v8::Local<v8::Value> args[] = {r.promise.Get(iso), r.reason.Get(iso)};
      if ((report.IsEmpty() || report->Call(context, v8::Undefined(iso), 2, args).IsEmpty()) && !tryCatch.HasTerminated()) {
        consoleLog("error", fmt::format("Uncaught (in promise) {}", engine::describeValue(iso, args[1])));
      }
    }
    if (iso->IsExecutionTerminating()) break;
    v8::TryCatch tryCatch(iso);
    iso->PerformMicrotaskCheckpoint();
  }
  if (iso->IsExecutionTerminating()) unhandledRejections_.clear();
}

// One entry into the worker's JS: scopes, the CPU watchdog, and the microtask checkpoint on the way out.
class Worker::Entry {
 public:
  // `requestId`: the request this entry runs for (0: a timer or other shared work).
  explicit Entry(Worker& w, uint32_t requestId = 0)
      : worker_(w),
        requestId_(requestId),
        isolate_(w.isolate_->v8()),
        isolateScope_(isolate_),
        handleScope_(isolate_),
        context_(w.isolate_->context()),
        contextScope_(context_),
        watchdog_(isolate_, w.options_.limits.cpuMicrosPerRequest) {
    engine::Clock::advance();
    worker_.inEntry_ = true;
    worker_.entries_++;
    worker_.currentRequest_ = requestId;
  }
  ~Entry() {
    Outcome outcome = Outcome::kOk;
    {
      v8::TryCatch tryCatch(isolate_);
      isolate_->PerformMicrotaskCheckpoint();
      if (tryCatch.HasCaught() && !tryCatch.HasTerminated()) {
        worker_.consoleLog("error", fmt::format("Uncaught {}", engine::describeException(isolate_, tryCatch)));
      }
    }
    if (!worker_.unhandledRejections_.empty()) worker_.reportUnhandledRejections(context_);
    if (!worker_.isolate_->checkExternalMemory() || worker_.isolate_->heapLimitReached()) {
      outcome = Outcome::kMemoryLimit;
    } else if (watchdog_.terminated() || isolate_->IsExecutionTerminating()) {
      outcome = Outcome::kCpuLimit;
    }
    if (outcome != Outcome::kOk) isolate_->CancelTerminateExecution();
    worker_.chargeCpu(requestId_, watchdog_.cpuMicros());
    worker_.afterEntry(outcome);
    worker_.inEntry_ = false;
    worker_.currentRequest_ = 0;
    worker_.recordFinished();
    if (worker_.isolate_->hasPendingApiCaches()) worker_.makeApiCachesLater();
  }
  v8::Isolate* isolate() const { return isolate_; }
  v8::Local<v8::Context> context() const { return context_; }

 private:
  Worker& worker_;
  uint32_t requestId_;
  v8::Isolate* isolate_;
  v8::Isolate::Scope isolateScope_;
  v8::HandleScope handleScope_;
  v8::Local<v8::Context> context_;
  v8::Context::Scope contextScope_;
  Watchdog::Entry watchdog_;
};

void Worker::runEntry(uint32_t requestId, const std::function<void(v8::Isolate*, v8::Local<v8::Context>)>& body) {
  Entry entry(*this, requestId);
  body(entry.isolate(), entry.context());
}

Worker::Worker(asio::io_context& io, std::shared_ptr<const Script> script, Options options)
    : io_(io), script_(std::move(script)), options_(std::move(options)) {
  if (script_->cpuLimitMs > 0) {
    options_.limits.cpuMicrosPerRequest = std::min(script_->cpuLimitMs * 1000, options_.limits.maxCpuMicrosPerRequest);
  }
}

Worker::~Worker() {
  *alive_ = false;
  endBodies();
  timers_.clear();
  sweepTimer_.reset();
  while (!pending_.empty()) {
    complete(pending_.begin(), plainResponse(503, "Service Unavailable: worker unloaded\n"), Outcome::kUnloaded);
  }
  closeSockets(1001, "worker unloaded", Outcome::kUnloaded);
  recordFinished();
  if (options_.metering && isolate_) options_.metering->workerUnloaded();
  if (isolate_) {
    v8::Isolate::Scope scope(isolate_->v8());
    unhandledRejections_.clear();
    dispatchFetch_.Reset();
    runTimer_.Reset();
    dispatchScheduled_.Reset();
    streamCallbacks_.clear();
  }
  if (isolate_ && options_.disposeIsolate) {
    isolate_->setHost(nullptr);
    isolate_->detachFromThread();
    options_.disposeIsolate(std::move(isolate_));
  }
  isolate_.reset();
}

Result<std::unique_ptr<Worker>> Worker::load(const engine::Engine& engine, asio::io_context& io,
                                             std::shared_ptr<const Script> script, Options options) {
  std::unique_ptr<Worker> w(new Worker(io, std::move(script), std::move(options)));
  Status s = w->init(engine);
  if (!s.isOk()) return s;
  return w;
}

Status Worker::init(const engine::Engine& engine) {
  timeOrigin_ = engine::Clock::realMs();
  int64_t startUs = monotonicMicros();
  bool pooled = false;
  engine::IsolateOptions isolateOptions;
  isolateOptions.heapLimitBytes = options_.limits.heapBytes;
  isolateOptions.arrayBufferLimitBytes = options_.limits.heapBytes;
  if (options_.isolate) {
    isolate_ = std::move(options_.isolate);
    isolate_->setHost(this);
    pooled = true;
  }
  if (!isolate_) {
    auto isolate = engine.newIsolate(this, isolateOptions);
    if (!isolate.isOk()) return isolate.status();
    isolate_ = std::move(isolate.value());
  }
  int64_t isolateUs = monotonicMicros();
  if (options_.metering) options_.metering->workerLoaded();
  v8::Isolate* iso = isolate_->v8();
  iso->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  iso->SetPromiseRejectCallback(&onPromiseReject);
  iso->SetCaptureStackTraceForUncaughtExceptions(true, 10);
  kvAccess_.store = options_.kv;
  for (const auto& b : script_->bindings) {
    if (b.type == Binding::Type::kKvNamespace) kvAccess_.namespaceIds.insert(b.value);
  }
  precompileWasm(*isolate_, *script_);
  api::kv::setAccess(iso, &kvAccess_);

  Status status = Status::ok();
  {
    Entry entry(*this);
    v8::Local<v8::Context> context = entry.context();
    v8::TryCatch tryCatch(iso);
    v8::Local<v8::Object> env = v8::Object::New(iso);
    v8::Local<v8::Object> target = script_->syntax == ScriptSyntax::kModules ? env : context->Global();
    for (const auto& b : script_->bindings) {
      v8::Local<v8::String> name;
      v8::Local<v8::Value> value;
      if (!v8::String::NewFromUtf8(iso, b.name.data(), v8::NewStringType::kNormal, static_cast<int>(b.name.size()))
               .ToLocal(&name)) {
        return Status::invalidArgument("a binding name is too long");
      }
      bool ok = true;
      switch (b.type) {
        case Binding::Type::kText:
          ok = v8::String::NewFromUtf8(iso, b.value.data(), v8::NewStringType::kNormal, static_cast<int>(b.value.size()))
                   .ToLocal(&value);
          break;
        case Binding::Type::kJson: {
          v8::Local<v8::String> text;
          ok = v8::String::NewFromUtf8(iso, b.value.data(), v8::NewStringType::kNormal, static_cast<int>(b.value.size()))
                   .ToLocal(&text) &&
               v8::JSON::Parse(context, text).ToLocal(&value);
          break;
        }
        case Binding::Type::kService: {
          v8::Local<v8::Function> makeService = isolate_->internalFunction("makeServiceBinding");
          v8::Local<v8::String> service;
          ok = !makeService.IsEmpty() &&
               v8::String::NewFromUtf8(iso, b.value.data(), v8::NewStringType::kNormal, static_cast<int>(b.value.size()))
                   .ToLocal(&service);
          v8::Local<v8::Value> argv[] = {service};
          ok = ok && makeService->Call(context, v8::Undefined(iso), 1, argv).ToLocal(&value);
          break;
        }
        case Binding::Type::kWasmModule: {
          v8::Local<v8::WasmModuleObject> module;
          ok = engine::compileWasmModule(iso, b.value).ToLocal(&module);
          value = module;
          break;
        }
        case Binding::Type::kKvNamespace: {
          v8::Local<v8::Function> makeKv = isolate_->internalFunction("makeKvNamespace");
          v8::Local<v8::String> id;
          ok = !makeKv.IsEmpty() &&
               v8::String::NewFromUtf8(iso, b.value.data(), v8::NewStringType::kNormal, static_cast<int>(b.value.size()))
                   .ToLocal(&id);
          v8::Local<v8::Value> argv[] = {id};
          ok = ok && makeKv->Call(context, v8::Undefined(iso), 1, argv).ToLocal(&value);
          break;
        }
      }
      if (!ok || target->Set(context, name, value).IsNothing()) {
        return Status::invalidArgument(fmt::format("binding {}: {}", b.name, engine::describeException(iso, tryCatch)));
      }
    }
    v8::Local<v8::Value> exports = v8::Undefined(iso);
    codeCache_.consume = options_.codeCache.get();
    if (script_->syntax == ScriptSyntax::kModules) {
      v8::Local<v8::Object> ns;
      status = engine::evaluateModules(*isolate_, script_->modules, script_->mainModule, &ns, &codeCache_);
      if (status.isOk()) exports = ns;
    } else if (script_->modules.size() == 1) {
      status = engine::runClassicScript(*isolate_, script_->modules[0].name, script_->modules[0].source, &codeCache_);
    } else if (!options_.testMode) {
      status = Status::invalidArgument("a service-worker script is exactly one file");
    }
    if (status.isOk() && !options_.testMode) {
      v8::Local<v8::Function> setWorker = isolate_->internalFunction("setWorker");
      v8::Local<v8::Value> args[] = {exports, env};
      if (setWorker.IsEmpty() || setWorker->Call(context, v8::Undefined(iso), 2, args).IsEmpty()) {
        status = Status::invalidArgument(engine::describeException(iso, tryCatch));
      }
    }
    v8::Local<v8::Function> dispatch = isolate_->internalFunction("dispatchFetch");
    v8::Local<v8::Function> runTimer = isolate_->internalFunction("runTimer");
    if (dispatch.IsEmpty() || runTimer.IsEmpty()) return Status::internal("the snapshot lacks dispatchFetch/runTimer");
    dispatchFetch_.Reset(iso, dispatch);
    v8::Local<v8::Function> scheduled = isolate_->internalFunction("dispatchScheduled");
    if (!scheduled.IsEmpty()) dispatchScheduled_.Reset(iso, scheduled);
    runTimer_.Reset(iso, runTimer);
  }
  if (status.isOk() && broken()) status = Status::invalidArgument("the script's top level exceeded a limit");
  if (options_.metering && (codeCache_.accepted > 0 || codeCache_.rejected > 0)) {
    options_.metering->codeCacheUsed(codeCache_.accepted, codeCache_.rejected);
  }
  codeCache_.consume = nullptr;
  options_.codeCache.reset();
  // What a cold start spent where: an isolate from the pool costs microseconds, one made here milliseconds.
  log::debug("loaded {}: isolate {} in {} us, script in {} us", script_->name, pooled ? "from the pool" : "made",
             isolateUs - startUs, monotonicMicros() - isolateUs);
  return status;
}

void Worker::fetch(std::shared_ptr<net::Exchange> exchange) {
  if (broken()) return exchange->respond(plainResponse(503, "Service Unavailable\n"));
  uint32_t id = nextRequestId_++;
  if (nextRequestId_ == 0) nextRequestId_ = 1;
  const net::Request& req = exchange->request();
  pending_.emplace(id, Pending{exchange, engine::Clock::realMs(), monotonicMicros(), 0,
                               static_cast<int64_t>(req.body.size() + req.target.size()), {}});
  if (auto trace = beginTrace(&req, {}, 0)) pending_[id].trace = std::move(trace);
  if (!sweepTimer_) scheduleSweep();

  Entry entry(*this, id);
  v8::Isolate* iso = entry.isolate();
  v8::Local<v8::Context> context = entry.context();
  v8::TryCatch tryCatch(iso);

  std::string url;
  if (req.target.starts_with("/")) {
    url.reserve(7 + req.host.size() + req.target.size());
    url = "http://";
    url += req.host;
    url += req.target;
  } else {
    url = req.target;
  }
  // The headers as one flat array made at once (an element at a time, each a lookup through V8's API).
  std::vector<v8::Local<v8::Value>> headerValues(req.headers.size() * 2);
  size_t i = 0;
  v8::Local<v8::String> method, urlString;
  v8::Local<v8::Value> body = v8::Null(iso);
  bool ok = v8::String::NewFromUtf8(iso, req.method.data(), v8::NewStringType::kNormal, static_cast<int>(req.method.size()))
                .ToLocal(&method) &&
            v8::String::NewFromUtf8(iso, url.data(), v8::NewStringType::kNormal, static_cast<int>(url.size()))
                .ToLocal(&urlString);
  for (const auto& [name, value] : req.headers) {
    if (!ok) break;
    v8::Local<v8::String> n, v;
    // Header bytes are Latin-1 (ByteString), not UTF-8.
    ok = v8::String::NewFromOneByte(iso, reinterpret_cast<const uint8_t*>(name.data()), v8::NewStringType::kNormal,
                                    static_cast<int>(name.size()))
             .ToLocal(&n) &&
         v8::String::NewFromOneByte(iso, reinterpret_cast<const uint8_t*>(value.data()), v8::NewStringType::kNormal,
                                    static_cast<int>(value.size()))
             .ToLocal(&v);
    if (ok) {
      headerValues[i++] = n;
      headerValues[i++] = v;
    }
  }
  v8::Local<v8::Array> headers = v8::Array::New(iso, headerValues.data(), i);  // the ones made (all, when ok)
  if (ok && req.bodyStream) {
    body = v8::Integer::NewFromUnsigned(iso, addBody(req.bodyStream, id, /*incoming=*/true));
  } else if (ok && !req.body.empty()) {
    auto store = v8::ArrayBuffer::NewBackingStore(iso, req.body.size());
    memcpy(store->Data(), req.body.data(), req.body.size());
    auto buffer = v8::ArrayBuffer::New(iso, std::move(store));
    body = v8::Uint8Array::New(buffer, 0, req.body.size());
  }
  if (!ok) {
    fail(id, Outcome::kException, "could not convert the request");
    return;
  }
  v8::Local<v8::Value> args[] = {v8::Integer::NewFromUnsigned(iso, id), method, urlString, headers, body};
  if (dispatchFetch_.Get(iso)->Call(context, v8::Undefined(iso), 5, args).IsEmpty() && !tryCatch.HasTerminated()) {
    fail(id, Outcome::kException, engine::describeException(iso, tryCatch));
  }
}

void Worker::scheduled(const std::string& cron, double scheduledTimeMs, std::function<void(Outcome)> done) {
  if (broken() || dispatchScheduled_.IsEmpty()) return done(Outcome::kException);
  uint32_t id = nextRequestId_++;
  if (nextRequestId_ == 0) nextRequestId_ = 1;
  Pending p{nullptr, engine::Clock::realMs(), monotonicMicros(), 0, 0, std::move(done)};
  pending_.emplace(id, std::move(p));
  if (auto trace = beginTrace(nullptr, cron, scheduledTimeMs)) pending_[id].trace = std::move(trace);
  if (!sweepTimer_) scheduleSweep();
  Entry entry(*this, id);
  v8::Isolate* iso = entry.isolate();
  v8::TryCatch tryCatch(iso);
  v8::Local<v8::String> cronString;
  if (!v8::String::NewFromUtf8(iso, cron.data(), v8::NewStringType::kNormal, static_cast<int>(cron.size()))
           .ToLocal(&cronString)) {
    return fail(id, Outcome::kException, "bad cron string");
  }
  v8::Local<v8::Value> args[] = {v8::Integer::NewFromUnsigned(iso, id), cronString, v8::Number::New(iso, scheduledTimeMs)};
  if (dispatchScheduled_.Get(iso)->Call(entry.context(), v8::Undefined(iso), 3, args).IsEmpty() &&
      !tryCatch.HasTerminated()) {
    fail(id, Outcome::kException, engine::describeException(iso, tryCatch));
  }
}

void Worker::fetchDone(uint32_t id, const ResponseParts* parts, v8::Local<v8::Value> error) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;  // already ended (timed out, or a duplicate outcome)
  // Wasm memories bypass the ArrayBuffer allocator: their total is checked before a response leaves.
  if (!isolate_->checkExternalMemory()) {
    return fail(id, Outcome::kMemoryLimit,
                fmt::format("the worker exceeded its memory limit ({} MB)", options_.limits.heapBytes >> 20));
  }
  v8::Isolate* iso = isolate_->v8();
  v8::Local<v8::Context> context = iso->GetCurrentContext();
  if (parts == nullptr) {
    std::string what = error.IsEmpty() || error->IsUndefined() ? "no response" : engine::describeValue(iso, error);
    consoleLog("error", fmt::format("Uncaught {}", what));
    traceException(id, what);
    return complete(it, plainResponse(500, "Worker threw exception\n"), Outcome::kException);
  }
  net::Response response;
  uint32_t socketId = 0;  // a 101 handing a WebSocket to the client
  try {
    using engine::bind::check;
    response.status = static_cast<int>(check(parts->status->Int32Value(context)));
    v8::Local<v8::Value> statusText = parts->statusText;
    if (statusText->IsString()) response.statusText = engine::bind::toLatin1(iso, statusText);
    if (response.status == 0) {  // Response.error()
      throw engine::bind::JsError{engine::bind::ErrorType::kTypeError, "the handler returned Response.error()"};
    }
    v8::Local<v8::Value> headers = parts->headers;
    if (headers->IsArray()) {
      auto array = headers.As<v8::Array>();
      uint32_t n = array->Length();
      response.headers.reserve(n / 2);
      for (uint32_t i = 0; i + 1 < n; i += 2) {
        response.headers.emplace_back(engine::bind::toLatin1(iso, check(array->Get(context, i))),
                                      engine::bind::toLatin1(iso, check(array->Get(context, i + 1))));
      }
    }
    v8::Local<v8::Value> webSocket = parts->webSocket;
    if (response.status == 101 && webSocket->IsUint32()) socketId = webSocket.As<v8::Uint32>()->Value();
    v8::Local<v8::Value> body = parts->body;
    if (body->IsString()) {
      response.body = engine::bind::toUtf8(iso, body);
    } else if (body->IsArrayBufferView()) {
      auto view = body.As<v8::ArrayBufferView>();
      response.body.resize(view->ByteLength());
      view->CopyContents(response.body.data(), response.body.size());
    } else if (!body->IsNullOrUndefined()) {
      // A stream: send the head now. A native body (a number: its id) is piped here; any other stream is pumped by
      // worker.js through streamWrite/streamEnd.
      std::shared_ptr<net::BodyReader> native;
      if (body->IsUint32()) {
        native = takeBody(body.As<v8::Uint32>()->Value());
        if (!native) throw engine::bind::JsError{engine::bind::ErrorType::kTypeError, "the response body is no longer available"};
      }
      if (it->second.exchange) {
        if (it->second.trace) it->second.trace->status = response.status;
        it->second.writer = it->second.exchange->respondStreaming(std::move(response));
        if (it->second.writer) {
          if (native) pipeBody(id, std::move(native));
          return;
        }
      }
      if (native) native->cancel();
      return complete(it, plainResponse(500, "Worker threw exception\n"), Outcome::kException);
    }
  } catch (const engine::bind::JsError& e) {
    consoleLog("error", fmt::format("Uncaught TypeError: {}", e.message));
    traceException(id, fmt::format("TypeError: {}", e.message));
    return complete(it, plainResponse(500, "Worker threw exception\n"), Outcome::kException);
  } catch (const engine::bind::PendingException&) {
    return complete(it, plainResponse(500, "Worker threw exception\n"), Outcome::kException);
  }
  if (socketId != 0) return acceptWebSocket(it, socketId, std::move(response));
  complete(it, std::move(response), Outcome::kOk);
}

void Worker::complete(std::unordered_map<uint32_t, Pending>::iterator it, net::Response response, Outcome outcome) {
  int64_t bytesOut = static_cast<int64_t>(response.body.size()) + it->second.bytesOut;
  if (it->second.writer) {
    if (outcome == Outcome::kOk) {
      it->second.writer->end();
    } else {
      it->second.writer->abort();
    }
    it->second.writer.reset();
  }
  if (it->second.trace && it->second.trace->status == 0) it->second.trace->status = response.status;
  if (!bodies_.empty()) dropIncomingBodies(it->first);
  auto exchange = std::move(it->second.exchange);
  auto onDone = std::move(it->second.onDone);
  finished_.push_back(Finished{it->first, std::move(it->second), outcome, bytesOut});
  lastCompleteMs_ = engine::Clock::realMs();
  pending_.erase(it);
  if (exchange) exchange->respond(std::move(response));
  if (onDone) onDone(outcome);
  if (!inEntry_) recordFinished();
}

void Worker::chargeCpu(uint32_t requestId, int64_t cpuUs) {
  if (requestId != 0) {
    if (auto it = pending_.find(requestId); it != pending_.end()) {
      it->second.cpuUs += cpuUs;
      return;
    }
    for (auto& f : finished_) {
      if (f.id == requestId) {
        f.pending.cpuUs += cpuUs;
        return;
      }
    }
    for (auto& [socketId, socket] : sockets_) {
      if (socket.requestId == requestId) {
        socket.pending.cpuUs += cpuUs;
        return;
      }
    }
  }
  // Shared work (a timer, a microtask after the response): split among the requests in flight.
  size_t n = pending_.size() + finished_.size();
  if (n == 0) {
    if (options_.metering) {
      options_.metering->recordBackground(script_->accountId, script_->name, cpuUs,
                                          static_cast<int64_t>(engine::Clock::realMs()));
    }
    return;
  }
  int64_t share = cpuUs / static_cast<int64_t>(n);
  for (auto& [id, p] : pending_) p.cpuUs += share;
  for (auto& f : finished_) f.pending.cpuUs += share;
}

void Worker::recordFinished() {
  if (finished_.empty()) return;
  if (options_.onInvocation) {
    for (const auto& f : finished_) options_.onInvocation(f.pending.cpuUs);
  }
  if (options_.metering) {
    int64_t nowMono = monotonicMicros();
    int64_t nowMs = static_cast<int64_t>(engine::Clock::realMs());
    for (const auto& f : finished_) {
      Invocation inv;
      inv.accountId = script_->accountId;
      inv.scriptName = script_->name;
      inv.cpuUs = f.pending.cpuUs;
      inv.wallUs = nowMono - f.pending.startMonoUs;
      inv.bytesIn = f.pending.bytesIn;
      inv.bytesOut = f.bytesOut;
      inv.outcome = f.outcome;
      inv.endMs = nowMs;
      options_.metering->record(inv);
    }
  }
  for (size_t i = 0; traced_ > 0 && i < finished_.size(); i++) {
    Finished& f = finished_[i];
    if (!f.pending.trace) continue;
    f.pending.trace->outcome = f.outcome;
    options_.tails->publish(script_->accountId, *f.pending.trace);
    traced_--;
  }
  finished_.clear();
}

void Worker::fail(uint32_t id, Outcome outcome, std::string_view reason) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  switch (outcome) {
    case Outcome::kCpuLimit:
    case Outcome::kMemoryLimit:
    case Outcome::kWallLimit:
      log::warn("[{}] request ended: {} ({})", script_->name, outcomeName(outcome), reason);
      complete(it, plainResponse(503, fmt::format("Service Unavailable: {}\n", reason)), outcome);
      break;
    default:
      consoleLog("error", fmt::format("{}", reason));
      traceException(id, reason);
      complete(it, plainResponse(500, "Worker threw exception\n"), outcome);
      break;
  }
}

bool Worker::wantsRelease() const {
  // A broken worker (a limit stopped it) is only waiting to be replaced: its heap is left alone. A large heap's
  // full GC would hold the loop for long: such a worker is left to V8's own collector.
  if (releasedAtEntry_ == entries_ || !idle() || broken()) return false;
  size_t bytes = memoryUsage();
  return bytes >= lowBytes_ + kReleaseGrowthBytes && bytes <= kReleaseMaxBytes;
}

bool Worker::releaseIdleMemory() {
  if (!wantsRelease()) {
    releasedAtEntry_ = entries_;
    return false;
  }
  releasedAtEntry_ = entries_;
  size_t bytes = memoryUsage();
  int64_t startUs = monotonicMicros();
  isolate_->releaseMemory();
  measuredAtEntry_ = ~uint64_t{0};  // measured again
  lowBytes_ = memoryUsage();
  log::debug("[{}] idle: heap released, {} KB -> {} KB in {} us", script_->name, bytes >> 10, lowBytes_ >> 10,
             monotonicMicros() - startUs);
  return true;
}

void Worker::makeApiCachesLater() {
  asio::post(io_, [this, alive = alive_] {
    if (*alive && isolate_) isolate_->makeApiCaches();
  });
}

void Worker::afterEntry(Outcome outcome) {
  if (outcome == Outcome::kCpuLimit || outcome == Outcome::kMemoryLimit) {
    // The isolate was stopped mid-flight: every request it holds ends, and the isolate is not reused.
    broken_ = true;
    std::string reason = outcome == Outcome::kCpuLimit
                             ? fmt::format("the worker exceeded its CPU time limit ({} ms)",
                                           options_.limits.cpuMicrosPerRequest / 1000)
                             : fmt::format("the worker exceeded its memory limit ({} MB)", options_.limits.heapBytes >> 20);
    std::vector<uint32_t> ids;
    for (auto& [id, p] : pending_) ids.push_back(id);
    for (uint32_t id : ids) fail(id, outcome, reason);
    closeSockets(1011, "the worker exceeded a limit", outcome);
    timers_.clear();
    if (testsDone_) {
      consoleLog("error", reason);
      auto done = std::move(testsDone_);
      done(1);
    }
    return;
  }
  // Nothing left that could resolve a pending request: it will never get a response.
  if (!pending_.empty() && timers_.empty() && subrequests_.empty() && streamWrites_ == 0 && sockets_.empty() &&
      bodyReads_ == 0) {
    std::vector<uint32_t> ids;
    for (auto& [id, p] : pending_) ids.push_back(id);
    for (uint32_t id : ids) {
      fail(id, Outcome::kNoResponse, "The script will never generate a response: its promise is pending and nothing it awaits remains");
    }
  }
}

void Worker::scheduleSweep() {
  sweepTimer_ = std::make_unique<asio::steady_timer>(io_);
  sweepTimer_->expires_after(std::chrono::milliseconds(250));
  sweepTimer_->async_wait([this, alive = alive_](boost::system::error_code ec) {
    if (ec || !*alive) return;
    sweep();
  });
}

void Worker::sweep() {
  double now = engine::Clock::realMs();
  std::vector<uint32_t> late;
  for (auto& [id, p] : pending_) {
    if (now - p.startMs > options_.limits.wallMsPerRequest) late.push_back(id);
  }
  for (uint32_t id : late) {
    fail(id, Outcome::kWallLimit,
         fmt::format("the worker exceeded its wall-time limit ({} ms)", options_.limits.wallMsPerRequest));
  }
  if (pending_.empty()) {
    sweepTimer_.reset();
    return;
  }
  scheduleSweep();
}

void Worker::consoleLog(std::string_view level, std::string_view message) {
  if (options_.testMode) {
    fmt::print("{}\n", message);
    std::fflush(stdout);
    return;
  }
  if (traced_ > 0) traceLog(level, message);
  if (level == "error") {
    log::error("[{}] {}", script_->name, message);
  } else if (level == "warn") {
    log::warn("[{}] {}", script_->name, message);
  } else if (level == "debug") {
    log::debug("[{}] {}", script_->name, message);
  } else {
    log::info("[{}] {}", script_->name, message);
  }
}

void Worker::timerStart(uint32_t id, double delayMs, bool repeat) {
  if (timers_.size() >= options_.limits.maxTimers && !timers_.count(id)) {
    engine::bind::throwRangeError(fmt::format("too many active timers (limit {})", options_.limits.maxTimers));
  }
  auto& timer = timers_[id];
  timer = std::make_unique<asio::steady_timer>(io_);
  auto delay = std::chrono::microseconds(static_cast<int64_t>(std::min(delayMs, 2147483647.0) * 1000));
  timer->expires_after(delay);
  auto* raw = timer.get();
  raw->async_wait([this, id, repeat, delay, alive = alive_](boost::system::error_code ec) {
    if (ec || !*alive) return;
    if (repeat) {
      auto it = timers_.find(id);
      if (it != timers_.end()) {
        // Re-arm before running, so clearInterval inside the callback cancels the next one.
        auto next = std::make_unique<asio::steady_timer>(io_);
        it->second.swap(next);
        asio::post(io_, [n = std::move(next)] {});  // the fired timer is freed outside its own handler
        timerStart(id, std::max<double>(1.0, delay.count() / 1000.0), true);
      }
    } else {
      auto it = timers_.find(id);
      if (it != timers_.end()) {
        asio::post(io_, [t = std::move(it->second)] {});
        timers_.erase(it);
      }
    }
    fireTimer(id);
  });
}

void Worker::timerCancel(uint32_t id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  it->second->cancel();
  asio::post(io_, [t = std::move(it->second)] {});
  timers_.erase(it);
}

void Worker::fireTimer(uint32_t id) {
  if (broken()) return;
  if (pending_.empty() && sockets_.empty() && !options_.testMode &&
      engine::Clock::realMs() - lastCompleteMs_ > options_.limits.backgroundMs) {
    log::warn("[{}] work after the last response ran past {} ms (ctx.waitUntil is bounded): its timers are cancelled",
              script_->name, options_.limits.backgroundMs);
    for (auto& [tid, timer] : timers_) timer->cancel();
    asio::post(io_, [t = std::move(timers_)] {});
    timers_.clear();
    return;
  }
  Entry entry(*this);
  v8::Isolate* iso = entry.isolate();
  v8::TryCatch tryCatch(iso);
  v8::Local<v8::Value> args[] = {v8::Integer::NewFromUnsigned(iso, id)};
  if (runTimer_.Get(iso)->Call(entry.context(), v8::Undefined(iso), 1, args).IsEmpty() && !tryCatch.HasTerminated()) {
    consoleLog("error", fmt::format("Uncaught {}", engine::describeException(iso, tryCatch)));
  }
}

Result<std::string> Worker::readTestFile(std::string_view path) {
  if (!options_.testMode) return Status::permissionDenied("readTestFile is only available to `islet test`");
  if (path.empty() || path.starts_with("/") || path.find("..") != std::string_view::npos) {
    return Status::invalidArgument("test data paths are relative and stay below their root");
  }
  // The shared/ folder first (WPT data), then the test file's own folder (expectations files).
  for (const std::string& root : {options_.testDataRoot, options_.testFileDir}) {
    if (root.empty()) continue;
    std::ifstream in(std::filesystem::path(root) / path, std::ios::binary);
    if (!in) continue;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  return Status::notFound(fmt::format("cannot read test data {}", path));
}

void Worker::runTests(const std::string& name, const std::string& source, std::function<void(int)> done) {
  testsDone_ = std::move(done);
  auto finish = [this](int failures) {
    if (testsDone_) {
      auto d = std::move(testsDone_);
      d(failures);
    }
  };
  v8::Global<v8::Promise> result;
  {
    Entry entry(*this);
    v8::Isolate* iso = entry.isolate();
    v8::Local<v8::Context> context = entry.context();
    v8::TryCatch tryCatch(iso);
    // Test-only globals: __internal, loadTestData(path) (shared/ first, then the test's folder).
    const char* setup =
        "(function (g, internal) { g.__internal = internal;"
        " g.loadTestData = (p) => JSON.parse(internal.readTestFile(p));"
        " g.loadTestExpectations = g.loadTestData; })";
    v8::Local<v8::Script> setupScript;
    v8::Local<v8::Value> setupFn;
    v8::Local<v8::Value> setupArgs[] = {context->Global(), isolate_->internal()};
    if (!v8::Script::Compile(context, str(iso, setup)).ToLocal(&setupScript) ||
        !setupScript->Run(context).ToLocal(&setupFn) ||
        setupFn.As<v8::Function>()->Call(context, v8::Undefined(iso), 2, setupArgs).IsEmpty()) {
      consoleLog("error", engine::describeException(iso, tryCatch));
      return finish(1);
    }
    Status s = engine::runClassicScript(*isolate_, name, source);
    if (!s.isOk()) {
      consoleLog("error", s.message());
      return finish(1);
    }
    v8::Local<v8::Value> run, console, log, promise;
    if (!context->Global()->Get(context, str(iso, "__runTests")).ToLocal(&run) || !run->IsFunction() ||
        !context->Global()->Get(context, str(iso, "console")).ToLocal(&console) || !console->IsObject() ||
        !console.As<v8::Object>()->Get(context, str(iso, "log")).ToLocal(&log) || !log->IsFunction()) {
      consoleLog("error", "the harness (globalThis.__runTests) or console.log is missing");
      return finish(1);
    }
    v8::Local<v8::Value> args[] = {log};
    if (!run.As<v8::Function>()->Call(context, v8::Undefined(iso), 1, args).ToLocal(&promise) ||
        !promise->IsPromise()) {
      consoleLog("error", engine::describeException(iso, tryCatch));
      return finish(1);
    }
    result.Reset(iso, promise.As<v8::Promise>());
  }
  // Poll the promise after each turn of the loop; tests settle through timers and microtasks.
  auto poll = std::make_shared<std::function<void()>>();
  auto timer = std::make_shared<asio::steady_timer>(io_);
  auto holder = std::make_shared<v8::Global<v8::Promise>>(std::move(result));
  *poll = [this, poll, timer, holder, finish, alive = alive_]() {
    if (!*alive || !testsDone_) return;
    v8::Isolate* iso = isolate_->v8();
    v8::Isolate::Scope scope(iso);
    v8::HandleScope handles(iso);
    v8::Local<v8::Promise> p = holder->Get(iso);
    if (p->State() == v8::Promise::kFulfilled) {
      v8::Context::Scope cs(isolate_->context());
      int failures = p->Result()->Int32Value(isolate_->context()).FromMaybe(1);
      return finish(failures);
    }
    if (p->State() == v8::Promise::kRejected) return finish(1);
    if (timers_.empty()) {
      consoleLog("error", "the tests never finished: a promise is pending and no timer remains");
      return finish(1);
    }
    timer->expires_after(std::chrono::milliseconds(1));
    timer->async_wait([poll](boost::system::error_code ec) {
      if (!ec) (*poll)();
    });
  };
  asio::post(io_, [poll] { (*poll)(); });
}

}  // namespace islet::runtime

namespace islet::runtime {

namespace {
// Splits a serialized absolute http(s) URL (already normalized by the URL parser) into the client's parts.
Status parseHttpUrl(const std::string& url, net::ClientRequest* out) {
  size_t colon = url.find("://");
  if (colon == std::string::npos) return Status::invalidArgument("not an absolute URL");
  std::string scheme = url.substr(0, colon);
  if (scheme != "http" && scheme != "https") return Status::invalidArgument("only http: and https: can be fetched");
  out->https = scheme == "https";
  size_t start = colon + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (size_t at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  std::string host = authority;
  uint16_t port = out->https ? 443 : 80;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return Status::invalidArgument("bad IPv6 host");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = static_cast<uint16_t>(std::stoi(authority.substr(close + 2)));
  } else if (size_t c = authority.rfind(':'); c != std::string::npos) {
    host = authority.substr(0, c);
    port = static_cast<uint16_t>(std::stoi(authority.substr(c + 1)));
  }
  if (host.empty()) return Status::invalidArgument("no host");
  out->host = host;
  out->port = port;
  std::string target = end == std::string::npos ? "/" : url.substr(end);
  if (size_t hash = target.find('#'); hash != std::string::npos) target.resize(hash);
  if (target.empty() || target[0] == '?') target = "/" + target;
  out->target = target;
  return Status::ok();
}
}  // namespace

size_t Worker::inflightFor(uint32_t requestId) const {
  size_t n = 0;
  for (const auto& [id, on] : inflight_) {
    auto it = subrequests_.find(id);
    if (it != subrequests_.end() && it->second.requestId == requestId) n++;
  }
  return n;
}

void Worker::fetchStart(uint32_t id, std::string service, std::string method, std::string url,
                        std::vector<std::pair<std::string, std::string>> headers, std::string body,
                        uint32_t bodyStream) {
  // Taken first, so that a refused subrequest drops it.
  std::shared_ptr<net::BodyReader> streamed;
  if (bodyStream != 0) {
    streamed = takeBody(bodyStream);
    if (!streamed) engine::bind::throwTypeError("fetch(): the request body is no longer available");
    if (!service.empty()) engine::bind::throwTypeError("fetch(): a service binding takes a whole body, not a stream");
  }
  // A subrequest counts against the request whose code started it; shared work counts against the only
  // request in flight, if there is exactly one.
  uint32_t requestId = currentRequest_;
  if (requestId == 0 && pending_.size() == 1) requestId = pending_.begin()->first;
  if (auto it = pending_.find(requestId); it != pending_.end()) {
    if (++it->second.subrequests > options_.limits.maxSubrequests) {
      engine::bind::throwTypeError(fmt::format("Too many subrequests: the limit is {} per request",
                                               options_.limits.maxSubrequests));
    }
  }
  Subrequest sub{requestId, std::move(service), {}, url};
  if (sub.service.empty()) {
    if (options_.http == nullptr) engine::bind::throwTypeError("fetch() is not available here");
    Status s = parseHttpUrl(url, &sub.request);
    if (!s.isOk()) engine::bind::throwTypeError(fmt::format("fetch({}): {}", url, s.message()));
  } else if (!options_.serviceFetch) {
    engine::bind::throwTypeError("service bindings are not available here");
  }
  for (const auto& [name, value] : headers) {
    if (name == "upgrade" && value.size() == 9 && strncasecmp(value.c_str(), "websocket", 9) == 0) sub.webSocket = true;
  }
  if (sub.webSocket && !sub.service.empty()) {
    engine::bind::throwTypeError("fetch(): WebSocket upgrades through a service binding are not supported");
  }
  if (sub.webSocket) {
    size_t open = connecting_.size();
    for (const auto& [socketId, socket] : sockets_) open += socket.outgoing ? 1 : 0;
    for (const auto& [fetchId, other] : subrequests_) open += other.webSocket ? 1 : 0;
    if (open >= kMaxOutgoingWebSockets) {
      engine::bind::throwTypeError(
          fmt::format("fetch(): too many WebSockets: a worker may have {} of its own open at once", kMaxOutgoingWebSockets));
    }
  }
  sub.request.method = std::move(method);
  sub.request.headers = std::move(headers);
  sub.request.body = std::move(body);
  sub.request.bodyStream = std::move(streamed);
  subrequests_.emplace(id, std::move(sub));
  if (inflightFor(requestId) < options_.limits.maxConnections) startSubrequest(id);
}

void Worker::startSubrequest(uint32_t id) {
  auto it = subrequests_.find(id);
  if (it == subrequests_.end()) return;
  inflight_[id] = true;
  Subrequest& sub = it->second;
  auto alive = alive_;
  if (!sub.service.empty()) {
    net::Request req;
    req.method = sub.request.method;
    req.target = sub.url;
    req.headers = sub.request.headers;
    req.body = sub.request.body;
    for (const auto& [n, v] : req.headers) {
      if (n == "host") req.host = v;
    }
    if (req.host.empty()) req.host = sub.service + ".internal";
    std::string service = sub.service;
    // Posted, so the other worker's entry never nests inside this one.
    asio::post(io_, [this, alive, id, service, req = std::move(req)]() mutable {
      if (!*alive) return;
      options_.serviceFetch(service, std::move(req), [this, alive, id](net::Response response) {
        asio::post(io_, [this, alive, id, response = std::move(response)]() mutable {
          if (!*alive) return;
          net::ClientResponse out;
          out.status = response.status;
          out.statusText = response.statusText.empty() ? std::string(net::reasonPhrase(response.status)) : response.statusText;
          out.headers = std::move(response.headers);
          out.body = std::move(response.body);
          subrequestDone(id, std::move(out));
        });
      });
    });
    return;
  }
  if (sub.webSocket) {
    options_.http->upgrade(sub.request, [this, alive, id](Result<net::ClientUpgrade> result) {
      if (*alive) webSocketConnected(id, std::move(result));
    });
    return;
  }
  options_.http->send(sub.request, [this, alive, id](Result<net::ClientResponse> result) {
    if (!*alive) return;
    subrequestDone(id, std::move(result));
  });
}

void Worker::fetchAbort(uint32_t id) {
  // The JS side already rejected; the answer, when it comes, is dropped. A queued one never starts.
  auto it = subrequests_.find(id);
  if (it == subrequests_.end()) return;
  if (!inflight_.count(id)) subrequests_.erase(it);
}

void Worker::subrequestDone(uint32_t id, Result<net::ClientResponse> result) {
  auto it = subrequests_.find(id);
  if (it == subrequests_.end()) return;
  uint32_t requestId = it->second.requestId;
  subrequests_.erase(it);
  inflight_.erase(id);
  // Start the next one waiting for this request's connection slot.
  for (auto& [qid, q] : subrequests_) {
    if (q.requestId == requestId && !inflight_.count(qid)) {
      startSubrequest(qid);
      break;
    }
  }
  if (broken()) return;
  Entry entry(*this, pending_.count(requestId) ? requestId : 0);
  v8::Isolate* iso = entry.isolate();
  v8::Local<v8::Context> context = entry.context();
  v8::TryCatch tryCatch(iso);
  if (!result.isOk()) {
    v8::Local<v8::Function> failed = isolate_->internalFunction("fetchFailed");
    v8::Local<v8::String> message;
    if (failed.IsEmpty() || !v8::String::NewFromUtf8(iso, result.status().message().data(), v8::NewStringType::kNormal,
                                                     static_cast<int>(result.status().message().size()))
                                 .ToLocal(&message)) {
      return;
    }
    v8::Local<v8::Value> args[] = {v8::Integer::NewFromUnsigned(iso, id), message};
    if (failed->Call(context, v8::Undefined(iso), 2, args).IsEmpty() && !tryCatch.HasTerminated()) {
      consoleLog("error", fmt::format("Uncaught {}", engine::describeException(iso, tryCatch)));
    }
    return;
  }
  net::ClientResponse& r = result.value();
  v8::Local<v8::Function> complete = isolate_->internalFunction("fetchComplete");
  if (complete.IsEmpty()) return;
  v8::Local<v8::Array> headers = v8::Array::New(iso, static_cast<int>(r.headers.size() * 2));
  uint32_t i = 0;
  for (const auto& [name, value] : r.headers) {
    v8::Local<v8::String> n, v;
    if (!v8::String::NewFromOneByte(iso, reinterpret_cast<const uint8_t*>(name.data()), v8::NewStringType::kNormal,
                                    static_cast<int>(name.size()))
             .ToLocal(&n) ||
        !v8::String::NewFromOneByte(iso, reinterpret_cast<const uint8_t*>(value.data()), v8::NewStringType::kNormal,
                                    static_cast<int>(value.size()))
             .ToLocal(&v) ||
        headers->Set(context, i++, n).IsNothing() || headers->Set(context, i++, v).IsNothing()) {
      return;
    }
  }
  v8::Local<v8::Value> body = v8::Null(iso);
  if (r.bodyStream) {
    body = v8::Integer::NewFromUnsigned(iso, addBody(std::move(r.bodyStream), requestId, /*incoming=*/false));
  } else if (!r.body.empty()) {
    auto store = v8::ArrayBuffer::NewBackingStore(iso, r.body.size());
    memcpy(store->Data(), r.body.data(), r.body.size());
    body = v8::Uint8Array::New(v8::ArrayBuffer::New(iso, std::move(store)), 0, r.body.size());
  }
  v8::Local<v8::String> statusText;
  if (!v8::String::NewFromOneByte(iso, reinterpret_cast<const uint8_t*>(r.statusText.data()), v8::NewStringType::kNormal,
                                  static_cast<int>(r.statusText.size()))
           .ToLocal(&statusText)) {
    return;
  }
  v8::Local<v8::Value> args[] = {v8::Integer::NewFromUnsigned(iso, id), v8::Integer::New(iso, r.status), statusText,
                                 headers, body};
  if (complete->Call(context, v8::Undefined(iso), 5, args).IsEmpty() && !tryCatch.HasTerminated()) {
    consoleLog("error", fmt::format("Uncaught {}", engine::describeException(iso, tryCatch)));
  }
}

// ---- tails ----

std::unique_ptr<TailEvent> Worker::beginTrace(const net::Request* request, const std::string& cron,
                                              double scheduledTimeMs) {
  if (options_.tails == nullptr || !options_.tails->watching(script_->accountId, script_->name)) return nullptr;
  auto trace = std::make_unique<TailEvent>();
  trace->scriptName = script_->name;
  trace->versionId = script_->versionId;
  trace->eventTimestampMs = static_cast<int64_t>(engine::Clock::realMs());
  if (request != nullptr) {
    trace->method = request->method;
    trace->url = request->target.starts_with("/") ? "http://" + request->host + request->target : request->target;
    trace->headers = request->headers;
  } else {
    trace->cron = cron;
    trace->scheduledTimeMs = scheduledTimeMs;
  }
  traced_++;
  return trace;
}

TailEvent* Worker::traceOf(uint32_t id) {
  if (auto it = pending_.find(id); it != pending_.end()) return it->second.trace.get();
  for (auto& f : finished_) {
    if (f.id == id) return f.pending.trace.get();
  }
  for (auto& [socketId, socket] : sockets_) {
    if (socket.requestId == id) return socket.pending.trace.get();
  }
  return nullptr;
}

void Worker::traceLog(std::string_view level, std::string_view message) {
  int64_t now = static_cast<int64_t>(engine::Clock::realMs());
  if (currentRequest_ != 0) {
    if (TailEvent* trace = traceOf(currentRequest_)) trace->addLog(level, message, now);
    return;
  }
  // Shared work (a timer, a microtask): the line may belong to any request in flight, so each traced one gets it.
  for (auto& [id, p] : pending_) {
    if (p.trace) p.trace->addLog(level, message, now);
  }
}

void Worker::traceException(uint32_t id, std::string_view described) {
  TailEvent* trace = traced_ > 0 ? traceOf(id) : nullptr;
  if (trace == nullptr) return;
  // consoleLog has just logged this error: the tail shows it once, as the exception.
  if (!trace->logs.empty()) {
    const std::string& last = trace->logs.back().message;
    if (last == described || (last.starts_with("Uncaught ") && std::string_view(last).substr(9) == described)) {
      trace->logBytes -= last.size();
      trace->logs.pop_back();
    }
  }
  trace->exceptions.push_back(parseException(described, static_cast<int64_t>(engine::Clock::realMs())));
}

}  // namespace islet::runtime

namespace islet::runtime {

void Worker::streamWrite(uint32_t id, std::string chunk, v8::Local<v8::Function> done) {
  auto it = pending_.find(id);
  uint64_t key = nextStreamCallback_++;
  streamCallbacks_.emplace(key, v8::Global<v8::Function>(isolate_->v8(), done));
  auto alive = alive_;
  streamWrites_++;
  auto finish = [this, alive, id, key](bool ok) {
    // Posted: the callback runs in an entry of its own, never nested in the one that wrote.
    asio::post(io_, [this, alive, id, key, ok] {
      if (!*alive) return;  // the Worker, and with it the callback, is gone
      streamWrites_--;
      auto cb = streamCallbacks_.find(key);
      if (cb == streamCallbacks_.end()) return;
      v8::Global<v8::Function> callback = std::move(cb->second);
      streamCallbacks_.erase(cb);
      if (broken()) return;
      Entry entry(*this, pending_.count(id) ? id : 0);
      v8::Isolate* iso = entry.isolate();
      v8::TryCatch tryCatch(iso);
      v8::Local<v8::Value> args[] = {v8::Boolean::New(iso, ok)};
      if (callback.Get(iso)->Call(entry.context(), v8::Undefined(iso), 1, args).IsEmpty() && !tryCatch.HasTerminated()) {
        consoleLog("error", fmt::format("Uncaught {}", engine::describeException(iso, tryCatch)));
      }
    });
  };
  if (it == pending_.end() || !it->second.writer) return finish(false);
  it->second.bytesOut += static_cast<int64_t>(chunk.size());
  it->second.writer->write(std::move(chunk), finish);
}

void Worker::streamEnd(uint32_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end() || !it->second.writer) return;
  complete(it, net::Response{}, Outcome::kOk);
}

void Worker::streamAbort(uint32_t id, v8::Local<v8::Value> error) {
  auto it = pending_.find(id);
  if (it == pending_.end() || !it->second.writer) return;
  if (!error.IsEmpty() && !error->IsUndefined()) {
    consoleLog("error", fmt::format("Uncaught (in response body) {}", engine::describeValue(isolate_->v8(), error)));
  }
  complete(it, net::Response{}, Outcome::kException);
}

}  // namespace islet::runtime
