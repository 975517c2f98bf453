// PlatformServer: `islet serve` — many tenants' scripts behind one public listener, plus the management API.
//
// Routing: a request reaches `<script>.<account>.<base domain>`, or the script whose custom route pattern
// (`host/path*`) matches most specifically. The routing table (accounts, live deployments, routes) is rebuilt
// from the ControlStore whenever its generation moves, so the next request after a deploy runs the new version.
// Each event-loop thread loads a Worker for a script version lazily on its first request; a Worker whose
// version is no longer live finishes the requests it has and is then dropped.
//
// Threads: N event-loop threads for public traffic (SO_REUSEPORT) and one for the management API, so that
// validating an upload never stalls public traffic. The API thread also serves tails' WebSockets (tail_socket.h).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "control/api.h"
#include "engine/engine.h"
#include "net/front_door.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "runtime/code_caches.h"
#include "runtime/isolate_disposer.h"
#include "runtime/worker.h"
#include "server/placement.h"
#include "store/store.h"

namespace islet::server {

struct PlatformOptions {
  std::string publicAddress = "127.0.0.1";
  uint16_t publicPort = 8787;
  std::string apiAddress = "127.0.0.1";
  uint16_t apiPort = 8788;
  int threads = 0;  // 0: one per core
  std::string baseDomain = "islet.localhost";
  net::ServerLimits http;
  runtime::WorkerLimits limits;
  control::Pricing pricing;
  net::ClientOptions client;                    // fetch() subrequests
  bool metering = true;                         // off only to measure what metering costs
  bool placement = true;                        // off only to measure what placement does (server/placement.h)
  size_t warmIsolates = 2;                      // blank isolates kept ready per thread
  // Where V8 code caches of script versions persist (runtime/code_caches.h); null: in memory only.
  std::shared_ptr<store::CodeCacheStore> codeCache;
  size_t memoryBudgetBytes = 4ull << 30;        // the process's RSS; above it idle workers are evicted LRU first
  std::chrono::seconds idleTimeout{300};        // a worker unused this long is evicted
  // A worker unused this long whose heap grew gives back what its heap no longer needs (runtime::Worker::
  // releaseIdleMemory); 0: never.
  std::chrono::seconds idleRelease{10};
  // The kernel's cap on the process's memory mappings (0: read /proc/sys/vm/max_map_count). Every isolate maps
  // several regions and V8 aborts the process when a mapping is refused, so mappings are budgeted like memory:
  // idle workers are evicted above 80 % of the cap, and no new worker is loaded above 90 % (503 instead).
  size_t maxMappings = 0;
};

class RouteTable;
struct Target;

class PlatformServer {
 public:
  PlatformServer(const engine::Engine& engine, std::shared_ptr<store::ControlStore> control,
                 std::shared_ptr<store::KvStore> kv, std::shared_ptr<store::UsageStore> usage, PlatformOptions options);
  ~PlatformServer();

  // Starts the public listener first, then the API, so the public side serves by the time the API answers.
  Status start(const std::string& adminTokenFile, bool* createdAdminToken);
  boost::asio::ip::tcp::endpoint publicEndpoint() const { return publicEndpoint_; }
  boost::asio::ip::tcp::endpoint apiEndpoint() const { return apiEndpoint_; }
  void stop();

 private:
  struct Thread;
  void handle(Thread& t, std::shared_ptr<net::Exchange> exchange);
  std::shared_ptr<const RouteTable> table();
  Result<std::shared_ptr<const runtime::Script>> script(const std::string& accountId, const std::string& scriptName,
                                                        const std::string& versionId);

  const engine::Engine& engine_;
  std::shared_ptr<store::ControlStore> control_;
  std::shared_ptr<store::KvStore> kv_;
  std::shared_ptr<store::UsageStore> usage_;
  PlatformOptions options_;
  runtime::Metering metering_;
  runtime::CodeCaches codeCaches_{options_.codeCache};  // made and stored by the flush timer (API thread)
  runtime::TailHub tails_;  // live tails: the API creates them, Workers publish to them, the API thread serves them
  control::ManagementApi api_;
  std::unique_ptr<boost::asio::steady_timer> flushTimer_;
  void scheduleFlush();
  // Calls `then` on thread t with its worker for this version: before returning when it is loaded, else once it has
  // loaded (the loop serves other requests while the isolate is made). kUnavailable at capacity; other errors: it
  // failed to load. Requests for a version being loaded wait for that load.
  using WorkerReady = std::function<void(Result<runtime::Worker*>)>;
  // Thread t's worker for this version if it is loaded and usable (null otherwise); marks it used.
  runtime::Worker* loadedWorker(Thread& t, const Target& target, const std::string& versionId);
  void withWorker(Thread& t, const Target& target, const std::string& versionId, WorkerReady then);
  // Hands `exchange` to the version's Worker on `t`: at once when it is loaded, else once loaded (503 at capacity,
  // 500 when the load fails). Public requests and service bindings alike.
  void fetchOn(Thread& t, const Target& target, const std::string& versionId, std::shared_ptr<net::Exchange> exchange);
  struct PendingLoad;
  void finishLoad(Thread& t, const PendingLoad& load, Result<std::unique_ptr<engine::Isolate>> isolate);
  Result<runtime::Worker*> loadWorker(Thread& t, const PendingLoad& load, std::unique_ptr<engine::Isolate> isolate);
  void serviceFetch(Thread& t, const std::string& accountId, const std::string& service, net::Request request,
                    std::function<void(net::Response)> respond);
  void scheduleCron();
  void runCron(int64_t epochMinute);
  void runScheduled(Thread& t, const std::string& accountId, const std::string& scriptName, const std::string& cron,
                    double scheduledTimeMs);
  std::unique_ptr<boost::asio::steady_timer> cronTimer_;
  void scheduleEviction(Thread& t);
  void evict(Thread& t);
  void releaseSome(Thread& t);
  void sampleBusy(Thread& t);
  std::string loopMetrics() const;
  // Where a request for `host` and `target` goes, from t's routing table: nulls when nothing is deployed there.
  std::pair<const Target*, const std::string*> route(Thread& t, std::string_view host, std::string_view target);
  // The thread placement gives `versionId` for a request that arrived on thread `current`.
  size_t place(const std::string& versionId, size_t current, int64_t nowMs);
  bool handedOff(Thread& t, const std::string& versionId, net::Exchange& exchange);
  size_t chooseThread(std::string_view host, std::string_view target);
  // Which thread runs each version; a request's connection is handed to that thread (server/placement.h).
  Placement placement_{options_.placement ? static_cast<size_t>(options_.threads) : 1};
  std::atomic<size_t> memoryInUse_{0};  // sum of every thread's last measurement, plus loads since
  std::atomic<size_t> othersBytes_{0};  // the process's RSS beyond memoryInUse_, at the last eviction pass
  std::atomic<size_t> workersLoaded_{0};  // every thread's workers, at their last eviction pass
  std::atomic<uint64_t> memoryReleases_{0};  // idle workers' heaps given back (PlatformOptions::idleRelease)
  // The process's mappings: counted once a second (on the API thread, by the flush timer), and raised by an estimate at
  // each load in between, so a burst of loads cannot run past the cap unseen.
  std::atomic<size_t> mappings_{0};
  uint64_t flushes_ = 0;  // the API thread's flush timer's count
  size_t mappingLimit_ = 0;
  bool atMappingCapacity() const { return mappings_.load() >= mappingLimit_ / 10 * 9; }

  std::mutex tableMutex_;
  std::shared_ptr<const RouteTable> table_;
  std::mutex scriptsMutex_;
  std::unordered_map<std::string, std::shared_ptr<const runtime::Script>> scripts_;  // by version id

  std::vector<std::unique_ptr<Thread>> threads_;
  std::unique_ptr<Thread> apiThread_;
  std::unique_ptr<runtime::IsolateDisposer> disposer_;  // disposes evicted workers' isolates off the loops
  std::unique_ptr<Thread> frontThread_;           // accepts the public port's connections (net/front_door.h)
  std::unique_ptr<net::FrontDoor> frontDoor_;
  boost::asio::ip::tcp::endpoint publicEndpoint_;
  boost::asio::ip::tcp::endpoint apiEndpoint_;
};

// A route pattern's match against host and path; exposed for tests. Returns a specificity score, or -1.
int matchRoute(std::string_view pattern, std::string_view host, std::string_view path);

}  // namespace islet::server
