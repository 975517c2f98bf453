#include "server/platform_server.h"

#include <boost/asio/executor_work_guard.hpp>
#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <deque>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <span>
#include <fstream>
#include <random>

#include <boost/asio/post.hpp>

#include "base/log.h"
#include "base/thread.h"
#include "runtime/account_limits.h"
#include "runtime/cron.h"
#include "runtime/isolate_pool.h"
#include "server/tail_socket.h"

namespace islet::server {

namespace asio = boost::asio;

int matchRoute(std::string_view pattern, std::string_view host, std::string_view path) {
  size_t slash = pattern.find('/');
  if (slash == std::string_view::npos) return -1;
  std::string_view hostPattern = pattern.substr(0, slash);
  std::string_view pathPattern = pattern.substr(slash);
  int score = 0;
  if (hostPattern.starts_with("*.")) {
    std::string_view suffix = hostPattern.substr(1);  // ".example.com"
    if (!(host.size() > suffix.size() && host.ends_with(suffix))) return -1;
    score += static_cast<int>(hostPattern.size()) * 1000;
  } else if (hostPattern == "*") {
    score += 0;
  } else {
    if (host != hostPattern) return -1;
    score += static_cast<int>(hostPattern.size()) * 1000 + 500'000;  // an exact host beats any wildcard
  }
  if (pathPattern.ends_with("*")) {
    std::string_view prefix = pathPattern.substr(0, pathPattern.size() - 1);
    if (!path.starts_with(prefix)) return -1;
    score += static_cast<int>(prefix.size()) * 2;
  } else {
    if (path != pathPattern) return -1;
    score += static_cast<int>(pathPattern.size()) * 2 + 1;  // an exact path beats a prefix of the same length
  }
  return score;
}

namespace {
net::Response textResponse(int status, std::string body) {
  net::Response r;
  r.status = status;
  r.headers.emplace_back("content-type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

// The process's resident memory (/proc/self/statm: a few microseconds); 0 if it cannot be read.
size_t residentBytes() {
  int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buffer[128];
  ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buffer[n] = '\0';
  unsigned long long size = 0, resident = 0;
  if (std::sscanf(buffer, "%llu %llu", &size, &resident) != 2) return 0;
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// The process's memory mappings: the lines of /proc/self/maps (15-20 ms at 17,000, with 1,000 isolates loaded).
size_t countMappings() {
  int fd = ::open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  size_t lines = 0;
  char buffer[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    for (const char* p = buffer; (p = static_cast<const char*>(memchr(p, '\n', buffer + n - p))) != nullptr; p++) lines++;
  }
  ::close(fd);
  return lines;
}

// One event-loop thread per core unless the operator said how many.
PlatformOptions withDefaultThreads(PlatformOptions options) {
  if (options.threads <= 0) options.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return options;
}

// Of each second's eviction pass, how long idle workers' releases may take on the loop, one worker per turn of the
// loop (1–2 ms each): a tenth of it on a loop without warm traffic (a thousand warm hello worlds released in ~20 s),
// 5 ms on one serving warm traffic, whose requests would otherwise wait behind the releases (p99 +1.6 ms at 100 ms).
constexpr auto kReleasePerPass = std::chrono::milliseconds(100);
constexpr auto kReleasePerPassServing = std::chrono::milliseconds(5);

// A request placement kept on its thread lets the next ones of that version stay there this long without asking.
constexpr int64_t kPlacementRecheckMs = 100;

// A loop that handed a request to a loaded Worker this recently is serving warm traffic (see Thread::lastWarm).
constexpr std::chrono::seconds kWarmTraffic{1};

// What one more isolate is assumed to map until the next count: a blank one maps four regions (its code range;
// its heap pages share the page allocator's few mappings, engine/page_allocator.h), a Wasm memory two more.
constexpr size_t kMappingsPerWorkerGuess = 8;
}  // namespace

struct Target {
  std::string accountId;
  std::string scriptName;
  std::vector<store::DeploymentVersion> versions;
  store::AccountLimits overrides;  // the operator's limits for this account, over options_.limits
};

class RouteTable {
 public:
  int64_t generation = -1;
  std::unordered_map<std::string, Target> byHost;  // "<script>.<account>"
  struct CustomRoute {
    std::string pattern;
    std::string key;  // "<script>.<account>" in byHost
  };
  std::vector<CustomRoute> routes;
  std::unordered_map<std::string, std::string> accountNames;  // id → name

  const Target* find(std::string_view host, std::string_view path, const std::string& baseDomain) const {
    std::string suffix = "." + baseDomain;
    if (host.size() > suffix.size() && host.ends_with(suffix)) {
      auto it = byHost.find(std::string(host.substr(0, host.size() - suffix.size())));
      if (it != byHost.end()) return &it->second;
    }
    const CustomRoute* best = nullptr;
    int bestScore = -1;
    for (const auto& r : routes) {
      int score = matchRoute(r.pattern, host, path);
      if (score > bestScore) {
        bestScore = score;
        best = &r;
      }
    }
    if (best == nullptr) return nullptr;
    auto it = byHost.find(best->key);
    return it == byHost.end() ? nullptr : &it->second;
  }
};

// Whether some deployment in `table` still serves this version.
static bool isLive(const RouteTable& table, const std::string& versionId) {
  for (const auto& [host, target] : table.byHost) {
    for (const auto& v : target.versions) {
      if (v.versionId == versionId) return true;
    }
  }
  return false;
}

struct PlatformServer::Thread {
  asio::io_context io{1};
  std::unique_ptr<net::Listener> listener;
  std::shared_ptr<const RouteTable> table;
  // A loaded version: its Worker, when a request last asked for it, and the account limits it was made with. One
  // entry, so the request path looks a version up once.
  struct Loaded {
    std::unique_ptr<runtime::Worker> worker;
    std::chrono::steady_clock::time_point lastUsed;
    store::AccountLimits overrides;
  };
  std::unordered_map<std::string, Loaded> workers;  // by version id
  // By version id: CPU µs per request, a moving average kept across reloads (a killed request's Worker is
  // replaced, its requests' record is not).
  std::unordered_map<std::string, std::shared_ptr<int64_t>> cpuAverages;
  // By version id: until when (steady ms) requests stay here without asking placement again.
  std::unordered_map<std::string, int64_t> stayUntilMs;
  std::vector<std::unique_ptr<runtime::Worker>> retiring;
  std::unique_ptr<asio::steady_timer> evictionTimer;
  std::unique_ptr<asio::steady_timer> busyTimer;  // samples this thread's CPU for placement
  int64_t busyCpuNs = 0;                          // this thread's CPU clock at the last sample
  std::chrono::steady_clock::time_point busyAt;   // and when it was taken
  size_t index = 0;                               // in threads_
  std::atomic<uint64_t> handoffs{0};              // connections this loop handed to another (for /metrics)
  std::unique_ptr<net::HttpClient> http;
  std::unique_ptr<runtime::IsolatePool> pool;
  // By version id: requests waiting while its Worker loads (its isolate is being made).
  std::unordered_map<std::string, std::vector<WorkerReady>> loading;
  // When this loop last handed a request to a loaded Worker: while it serves such warm traffic, a cold start waits
  // for the pool's maker rather than stall that traffic for the milliseconds an isolate takes to make.
  std::chrono::steady_clock::time_point lastWarm;
  std::chrono::steady_clock::time_point budgetWarnedAt;  // the last warning that the budget is too small
  std::chrono::steady_clock::time_point earlyEvictionAt;  // the last pass a load asked for, between the timer's
  // Idle workers to release (Worker::releaseIdleMemory), by version id, a few at a time (releaseSome).
  std::deque<std::string> toRelease;
  bool releasing = false;                          // a releaseSome is posted
  std::chrono::steady_clock::duration releaseSpent{};  // by this pass's releases
  size_t memory = 0;   // this thread's workers, at the last eviction pass
  size_t counted = 0;  // how many workers that pass counted
  std::mt19937_64 rng{std::random_device{}()};
  std::thread thread;
};

PlatformServer::PlatformServer(const engine::Engine& engine, std::shared_ptr<store::ControlStore> control,
                               std::shared_ptr<store::KvStore> kv, std::shared_ptr<store::UsageStore> usage,
                               PlatformOptions options)
    : engine_(engine),
      control_(std::move(control)),
      kv_(std::move(kv)),
      usage_(std::move(usage)),
      options_(withDefaultThreads(std::move(options))),
      api_(engine_, control_, kv_, usage_, &metering_,
           control::ApiOptions{options_.baseDomain, options_.pricing, {}, options_.limits, &tails_}) {
  mappingLimit_ = options_.maxMappings;
  if (mappingLimit_ == 0 && !(std::ifstream("/proc/sys/vm/max_map_count") >> mappingLimit_)) mappingLimit_ = 65530;
  mappings_ = countMappings();
}

PlatformServer::~PlatformServer() { stop(); }

Status PlatformServer::start(const std::string& adminTokenFile, bool* createdAdminToken) {
  auto created = api_.ensureAdminToken(adminTokenFile);
  if (!created.isOk()) return created.status();
  *createdAdminToken = created.value();

  boost::system::error_code ec;
  auto publicAddress = asio::ip::make_address(options_.publicAddress, ec);
  if (ec) return Status::invalidArgument("invalid --listen address: " + options_.publicAddress);
  auto apiAddress = asio::ip::make_address(options_.apiAddress, ec);
  if (ec) return Status::invalidArgument("invalid --api address: " + options_.apiAddress);

  // Event-loop threads take connections only from the front door (their Listeners adopt, never accept).
  std::vector<net::Listener*> loops;
  for (int i = 0; i < options_.threads; i++) {
    auto t = std::make_unique<Thread>();
    t->index = static_cast<size_t>(i);
    Thread* raw = t.get();
    t->listener = std::make_unique<net::Listener>(
        t->io, [this, raw](std::shared_ptr<net::Exchange> e) { handle(*raw, std::move(e)); }, options_.http);
    if (placement_.enabled()) {
      // A connection answered on a thread that runs CPU-heavy requests waits for its next one elsewhere: read here,
      // a request for another script would wait behind them.
      t->listener->setIdlePlacer([this, raw]() -> net::Listener* {
        auto nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now().time_since_epoch()).count();
        size_t to = placement_.idleThread(raw->index, nowMs);
        if (to == raw->index) return nullptr;
        raw->handoffs.fetch_add(1, std::memory_order_relaxed);
        return threads_[to]->listener.get();
      });
    }
    loops.push_back(t->listener.get());
    threads_.push_back(std::move(t));
  }
  frontThread_ = std::make_unique<Thread>();
  frontDoor_ = std::make_unique<net::FrontDoor>(
      frontThread_->io, std::move(loops),
      [this](std::string_view host, std::string_view target) { return chooseThread(host, target); }, options_.http);
  Status listening = frontDoor_->listen(asio::ip::tcp::endpoint(publicAddress, options_.publicPort));
  if (!listening.isOk()) return listening;
  publicEndpoint_ = frontDoor_->localEndpoint();
  disposer_ = std::make_unique<runtime::IsolateDisposer>();
  for (auto& t : threads_) {
    Thread* raw = t.get();
    raw->evictionTimer = std::make_unique<asio::steady_timer>(raw->io);
    raw->busyTimer = std::make_unique<asio::steady_timer>(raw->io);
    raw->http = std::make_unique<net::HttpClient>(raw->io, options_.client);
    if (options_.warmIsolates > 0) {
      // The pool makes its isolates on a thread of its own and hands them to this loop's thread in take().
      engine::IsolateOptions isolateOptions;
      isolateOptions.heapLimitBytes = options_.limits.heapBytes;
      isolateOptions.arrayBufferLimitBytes = options_.limits.heapBytes;
      raw->pool = std::make_unique<runtime::IsolatePool>(engine_, raw->io, options_.warmIsolates, isolateOptions);
    }
    scheduleEviction(*raw);
    if (placement_.enabled()) asio::post(raw->io, [this, raw] { sampleBusy(*raw); });
    raw->thread = std::thread([raw] {
      base::nameThisThread(fmt::format("islet-loop-{}", raw->index).c_str());
      auto guard = asio::make_work_guard(raw->io);
      raw->io.run();
      raw->evictionTimer.reset();
      raw->busyTimer.reset();
      raw->http.reset();
      raw->pool.reset();
      raw->workers.clear();
      raw->retiring.clear();
    });
  }

  Thread* front = frontThread_.get();
  front->thread = std::thread([front] {
    base::nameThisThread("islet-front");
    auto guard = asio::make_work_guard(front->io);
    front->io.run();
  });

  apiThread_ = std::make_unique<Thread>();
  net::ServerLimits apiLimits = options_.http;
  apiLimits.maxBodyBytes = 64u << 20;
  apiLimits.bufferBodiesUpTo = SIZE_MAX;  // the API parses whole bodies (script uploads)
  apiThread_->listener = std::make_unique<net::Listener>(
      apiThread_->io,
      [this](std::shared_ptr<net::Exchange> e) {
        if (isTailSocketRequest(e->request())) return serveTailSocket(tails_, apiThread_->io, std::move(e));
        net::Response response = api_.handle(e->request());
        if (e->request().target == "/metrics" && response.status == 200) response.body += loopMetrics();
        e->respond(std::move(response));
      },
      apiLimits);
  Status s = apiThread_->listener->listen(asio::ip::tcp::endpoint(apiAddress, options_.apiPort));
  if (!s.isOk()) return s;
  apiEndpoint_ = apiThread_->listener->localEndpoint();
  Thread* api = apiThread_.get();
  flushTimer_ = std::make_unique<asio::steady_timer>(api->io);
  scheduleFlush();
  cronTimer_ = std::make_unique<asio::steady_timer>(api->io);
  scheduleCron();
  api->thread = std::thread([api] {
    base::nameThisThread("islet-api");
    auto guard = asio::make_work_guard(api->io);
    api->io.run();
  });
  return Status::ok();
}

// How busy this thread was since the last sample: its own CPU clock against the wall clock, every 200 ms.
void PlatformServer::sampleBusy(Thread& t) {
  timespec cpu{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
  int64_t cpuNs = int64_t{cpu.tv_sec} * 1'000'000'000 + cpu.tv_nsec;
  auto now = std::chrono::steady_clock::now();
  if (t.busyCpuNs != 0) {
    auto wallNs = std::chrono::duration_cast<std::chrono::nanoseconds>(now - t.busyAt).count();
    int percent = wallNs > 0 ? static_cast<int>(std::min<int64_t>(100, (cpuNs - t.busyCpuNs) * 100 / wallNs)) : 0;
    placement_.setBusy(t.index, percent);
  }
  t.busyCpuNs = cpuNs;
  t.busyAt = now;
  t.busyTimer->expires_after(std::chrono::milliseconds(200));
  t.busyTimer->async_wait([this, &t](boost::system::error_code ec) {
    if (!ec) sampleBusy(t);
  });
}

// The event loops' share of /metrics: where connections are, how many placement moved, and the memory budget.
std::string PlatformServer::loopMetrics() const {
  std::string out =
      "# HELP islet_loop_connections Client connections each event loop holds now.\n"
      "# TYPE islet_loop_connections gauge\n";
  for (const auto& t : threads_) {
    out += fmt::format("islet_loop_connections{{loop=\"{}\"}} {}\n", t->index, t->listener->connections());
  }
  out +=
      "# HELP islet_connection_handoffs_total Connections an event loop handed to another (server/placement.h).\n"
      "# TYPE islet_connection_handoffs_total counter\n";
  for (const auto& t : threads_) {
    out += fmt::format("islet_connection_handoffs_total{{loop=\"{}\"}} {}\n", t->index, t->handoffs.load());
  }
  out += fmt::format(
      "# HELP islet_workers_memory_bytes What the loaded workers hold, as the memory budget counts it (at the last "
      "eviction pass).\n# TYPE islet_workers_memory_bytes gauge\nislet_workers_memory_bytes {}\n"
      "# HELP islet_memory_budget_bytes The memory budget (--memory-budget).\n"
      "# TYPE islet_memory_budget_bytes gauge\nislet_memory_budget_bytes {}\n"
      "# HELP islet_isolates_disposing Isolates of evicted or unloaded workers waiting for the disposer thread (their "
      "memory is still the process's).\n# TYPE islet_isolates_disposing gauge\nislet_isolates_disposing {}\n"
      "# HELP islet_worker_memory_releases_total Idle workers whose heap gave back what it no longer needed "
      "(--idle-release).\n# TYPE islet_worker_memory_releases_total counter\nislet_worker_memory_releases_total {}\n",
      memoryInUse_.load(), options_.memoryBudgetBytes, disposer_ ? disposer_->pending() : 0, memoryReleases_.load());
  return out;
}

void PlatformServer::scheduleEviction(Thread& t) {
  t.evictionTimer->expires_after(std::chrono::seconds(1));
  t.evictionTimer->async_wait([this, &t](boost::system::error_code ec) {
    if (ec) return;
    evict(t);
    scheduleEviction(t);
  });
}

// Measures this thread's workers, then evicts idle ones: those unused past the idle timeout, and — while the
// process is over its memory budget — the least recently used.
void PlatformServer::evict(Thread& t) {
  auto now = std::chrono::steady_clock::now();
  size_t mine = 0;
  std::vector<std::pair<std::chrono::steady_clock::time_point, std::string>> idle;
  bool release = options_.idleRelease.count() > 0 && !t.releasing;
  if (release) t.toRelease.clear();
  for (auto it = t.workers.begin(); it != t.workers.end();) {
    auto last = it->second.lastUsed;
    runtime::Worker& worker = *it->second.worker;
    if (worker.idle() && now - last > options_.idleTimeout) {
      t.cpuAverages.erase(it->first);
      t.stayUntilMs.erase(it->first);
      placement_.unloaded(it->first, t.index);
      it = t.workers.erase(it);
      continue;
    }
    if (release && now - last > options_.idleRelease && worker.wantsRelease()) t.toRelease.push_back(it->first);
    mine += worker.memoryUsage();
    if (worker.idle()) idle.emplace_back(last, it->first);
    ++it;
  }
  memoryInUse_ += mine;
  memoryInUse_ -= t.memory;
  t.memory = mine;
  if (!t.toRelease.empty() && !t.releasing) {
    t.releasing = true;
    t.releaseSpent = {};
    asio::post(t.io, [this, &t] { releaseSome(t); });
  }
  workersLoaded_ += t.workers.size();
  workersLoaded_ -= t.counted;
  t.counted = t.workers.size();
  bool mappingPressure = mappings_.load() > mappingLimit_ / 10 * 8;
  // The budget is the whole process's: the workers as counted, plus what the process holds besides them (its RSS
  // beyond that count: routing table, script sources, caches, buffers, and memory of evicted isolates not yet
  // returned). Evicting frees what the workers' count says.
  size_t resident = residentBytes();
  size_t others = resident > memoryInUse_.load() ? resident - memoryInUse_.load() : 0;
  othersBytes_ = others;
  if (memoryInUse_.load() + others <= options_.memoryBudgetBytes && !mappingPressure) return;
  // Each eviction is assumed to return an average worker's share of the mappings.
  size_t perWorker = std::max<size_t>(1, mappings_.load() / std::max<size_t>(1, workersLoaded_.load()));
  std::sort(idle.begin(), idle.end());
  for (const auto& [last, id] : idle) {
    bool memoryOk = memoryInUse_.load() + others <= options_.memoryBudgetBytes * 9 / 10;
    bool mappingsOk = mappings_.load() <= mappingLimit_ / 10 * 7;
    if (memoryOk && mappingsOk) break;
    mappings_ -= std::min(perWorker, mappings_.load());
    auto it = t.workers.find(id);
    size_t bytes = it->second.worker->memoryUsage();
    t.workers.erase(it);
    t.cpuAverages.erase(id);
    t.stayUntilMs.erase(id);
    placement_.unloaded(id, t.index);
    t.memory -= std::min(bytes, t.memory);
    memoryInUse_ -= std::min(bytes, memoryInUse_.load());
    log::debug("evicted worker {} ({} KB) under memory pressure", id, bytes >> 10);
  }
  if (mappingPressure) {
    log::warn("{} memory mappings of the kernel's {} in use: idle workers evicted (raise vm.max_map_count to hold more)",
              mappings_.load(), mappingLimit_);
  }
  if (others > options_.memoryBudgetBytes * 9 / 10 && now - t.budgetWarnedAt > std::chrono::minutes(1)) {
    t.budgetWarnedAt = now;
    log::warn("the process holds {} MB besides its workers, past 90 % of --memory-budget ({} MB): idle workers are "
              "evicted as soon as they are idle", others >> 20, options_.memoryBudgetBytes >> 20);
  }
}

// Releases the idle workers evict() listed, one per turn of the loop (a full GC of a small heap, 1–2 ms), so that
// requests arriving meanwhile are served between them, until the pass's share is spent; the rest wait for the
// next pass.
void PlatformServer::releaseSome(Thread& t) {
  auto now = std::chrono::steady_clock::now();
  auto share = now - t.lastWarm < kWarmTraffic ? kReleasePerPassServing : kReleasePerPass;
  if (t.toRelease.empty() || t.releaseSpent >= share) {
    t.releasing = false;
    return;
  }
  std::string id = std::move(t.toRelease.front());
  t.toRelease.pop_front();
  auto it = t.workers.find(id);
  // Used again since it was listed: it is not idle, and its next spell of idleness lists it again.
  if (it != t.workers.end() && now - it->second.lastUsed > options_.idleRelease) {
    runtime::Worker& worker = *it->second.worker;
    size_t before = worker.memoryUsage();
    if (worker.releaseIdleMemory()) {
      memoryReleases_++;
      size_t freed = std::min({before - std::min(before, worker.memoryUsage()), t.memory, memoryInUse_.load()});
      t.memory -= freed;
      memoryInUse_ -= freed;
    }
  }
  t.releaseSpent += std::chrono::steady_clock::now() - now;
  asio::post(t.io, [this, &t] { releaseSome(t); });
}

void PlatformServer::scheduleFlush() {
  flushTimer_->expires_after(std::chrono::seconds(1));
  flushTimer_->async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    // Here, not on an event loop: with a thousand isolates loaded, reading /proc/self/maps takes 15-20 ms. Between
    // readings each load adds a guess (kMappingsPerWorkerGuess, above the ~4 measured), so the count only errs
    // high; far below the limit it is read every tenth second, which is most of an idle process's CPU otherwise.
    if (++flushes_ % 10 == 0 || mappings_.load() > mappingLimit_ / 2) mappings_ = countMappings();
    if (usage_) {
      Status s = metering_.flush(*usage_);
      if (!s.isOk()) log::error("cannot write usage: {}", s.message());
    }
    if (auto made = codeCaches_.update(engine_); made.isOk()) {
      metering_.codeCachesMade(made.value());
    } else {
      log::warn("cannot make code caches: {}", made.status().message());
    }
    scheduleFlush();
  });
}

void PlatformServer::stop() {
  if (frontThread_) frontThread_->io.stop();
  if (apiThread_) apiThread_->io.stop();
  for (auto& t : threads_) t->io.stop();
  if (frontThread_ && frontThread_->thread.joinable()) frontThread_->thread.join();
  frontDoor_.reset();
  frontThread_.reset();
  if (apiThread_ && apiThread_->thread.joinable()) apiThread_->thread.join();
  for (auto& t : threads_) {
    if (t->thread.joinable()) t->thread.join();
  }
  threads_.clear();
  disposer_.reset();  // after the loops: their workers' isolates are queued there; this disposes them and joins
  flushTimer_.reset();
  cronTimer_.reset();
  apiThread_.reset();
  if (usage_) {
    Status s = metering_.flush(*usage_);
    if (!s.isOk()) log::error("cannot write usage: {}", s.message());
  }
}

std::shared_ptr<const RouteTable> PlatformServer::table() {
  int64_t generation = control_->generation();
  std::lock_guard lock(tableMutex_);
  if (table_ && table_->generation == generation) return table_;
  auto t = std::make_shared<RouteTable>();
  t->generation = generation;
  auto accounts = control_->listAccounts();
  auto deployments = control_->liveDeployments();
  auto routes = control_->allRoutes();
  auto limits = control_->allAccountLimits();
  if (!accounts.isOk() || !deployments.isOk() || !routes.isOk() || !limits.isOk()) {
    log::error("cannot load the routing table: {}",
               !accounts.isOk()      ? accounts.status().message()
               : !deployments.isOk() ? deployments.status().message()
               : !routes.isOk()      ? routes.status().message()
                                     : limits.status().message());
    return table_ ? table_ : t;
  }
  for (const auto& a : accounts.value()) t->accountNames[a.id] = a.name;
  for (const auto& d : deployments.value()) {
    auto name = t->accountNames.find(d.accountId);
    if (name == t->accountNames.end()) continue;
    auto overrides = limits->find(d.accountId);
    t->byHost[d.scriptName + "." + name->second] =
        Target{d.accountId, d.scriptName, d.versions,
               overrides == limits->end() ? store::AccountLimits{} : overrides->second};
  }
  for (const auto& r : routes.value()) {
    auto name = t->accountNames.find(r.accountId);
    if (name == t->accountNames.end()) continue;
    t->routes.push_back({r.pattern, r.scriptName + "." + name->second});
  }
  table_ = t;
  return table_;
}

Result<std::shared_ptr<const runtime::Script>> PlatformServer::script(const std::string& accountId,
                                                                      const std::string& scriptName,
                                                                      const std::string& versionId) {
  {
    std::lock_guard lock(scriptsMutex_);
    auto it = scripts_.find(versionId);
    if (it != scripts_.end()) return it->second;
  }
  auto version = control_->getVersion(accountId, scriptName, versionId);
  if (!version.isOk()) return version.status();
  auto script = runtime::scriptFromVersion(version.value());
  if (!script.isOk()) return script.status();
  std::lock_guard lock(scriptsMutex_);
  scripts_.emplace(versionId, script.value());
  return script.value();
}


void PlatformServer::handle(Thread& t, std::shared_ptr<net::Exchange> exchange) {
  std::erase_if(t.retiring, [](const auto& w) { return w->pendingRequests() == 0; });
  if (!t.table || t.table->generation != control_->generation()) {
    t.table = table();
    // Workers of versions no longer live finish what they hold, then go.
    std::unordered_map<std::string, bool> live;
    for (const auto& [key, target] : t.table->byHost) {
      for (const auto& v : target.versions) live[v.versionId] = true;
    }
    for (auto it = t.workers.begin(); it != t.workers.end();) {
      if (live.count(it->first)) {
        ++it;
        continue;
      }
      if (it->second.worker->pendingRequests() > 0) t.retiring.push_back(std::move(it->second.worker));
      t.stayUntilMs.erase(it->first);
      placement_.unloaded(it->first, t.index);
      it = t.workers.erase(it);
    }
  }
  const net::Request& req = exchange->request();
  auto [target, versionId] = route(t, req.host, req.target);
  if (target == nullptr) return exchange->respond(textResponse(404, "No worker is deployed at this address\n"));
  if (placement_.enabled() && !exchange->adopted() && handedOff(t, *versionId, *exchange)) return;
  fetchOn(t, *target, *versionId, std::move(exchange));
}

void PlatformServer::fetchOn(Thread& t, const Target& target, const std::string& versionId,
                             std::shared_ptr<net::Exchange> exchange) {
  // A loaded worker without a callback: nothing allocated on the path every warm request takes.
  if (runtime::Worker* worker = loadedWorker(t, target, versionId)) return worker->fetch(std::move(exchange));
  withWorker(t, target, versionId, [exchange](Result<runtime::Worker*> worker) {
    if (!worker.isOk()) {
      if (worker.status().code() == StatusCode::kUnavailable) {
        return exchange->respond(textResponse(503, "Service Unavailable: the server is at capacity, try again\n"));
      }
      return exchange->respond(textResponse(500, "Worker failed to load\n"));
    }
    worker.value()->fetch(exchange);
  });
}

std::pair<const Target*, const std::string*> PlatformServer::route(Thread& t, std::string_view hostHeader,
                                                                   std::string_view requestTarget) {
  std::string host(hostHeader);
  if (size_t colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos) {
    host.resize(colon);
  }
  for (char& c : host) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  std::string_view path = requestTarget.substr(0, requestTarget.find('?'));
  const Target* target = t.table->find(host, path, options_.baseDomain);
  if (target == nullptr || target->versions.empty()) return {nullptr, nullptr};
  const std::string* versionId = &target->versions.front().versionId;
  if (target->versions.size() > 1) {
    double roll = std::uniform_real_distribution<double>(0, 100)(t.rng);
    double acc = 0;
    for (const auto& v : target->versions) {
      acc += v.percentage;
      versionId = &v.versionId;
      if (roll < acc) break;
    }
  }
  return {target, versionId};
}

// Asks placement where this request's version runs; if elsewhere, hands the connection to that loop (true). A
// request whose body is still on the socket cannot move and runs here.
bool PlatformServer::handedOff(Thread& t, const std::string& versionId, net::Exchange& exchange) {
  auto nowMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
  auto stay = t.stayUntilMs.find(versionId);
  if (stay != t.stayUntilMs.end() && nowMs < stay->second) return false;
  size_t chosen = place(versionId, t.index, nowMs);
  if (chosen == t.index) {
    // Placement is asked again only after a while: its mutex, taken by every loop, costs more than its answer.
    t.stayUntilMs[versionId] = nowMs + kPlacementRecheckMs;
    return false;
  }
  auto handoff = exchange.handOff();
  if (!handoff) return false;
  t.handoffs.fetch_add(1, std::memory_order_relaxed);
  threads_[chosen]->listener->takeOver(std::move(handoff));
  return true;
}

size_t PlatformServer::place(const std::string& versionId, size_t current, int64_t nowMs) {
  std::array<int, 64> connections{};
  for (size_t i = 0; i < threads_.size() && i < connections.size(); i++) {
    connections[i] = threads_[i]->listener->connections();
  }
  return placement_.pick(versionId, current, std::span(connections.data(), std::min<size_t>(threads_.size(), 64)),
                         nowMs);
}

// A new connection's thread (the front door asks, on its own thread): the one placement gives the script its
// first request is for; for an address where nothing is deployed, a head that could not be read, or with
// placement off, the thread holding the fewest connections.
size_t PlatformServer::chooseThread(std::string_view host, std::string_view requestTarget) {
  Thread& front = *frontThread_;
  if (!front.table || front.table->generation != control_->generation()) front.table = table();
  if (!host.empty() && placement_.enabled()) {
    auto [target, versionId] = route(front, host, requestTarget);
    if (target != nullptr) {
      auto nowMs =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
              .count();
      return place(*versionId, Placement::kNowhere, nowMs);
    }
  }
  size_t best = 0;
  for (size_t i = 1; i < threads_.size(); i++) {
    if (threads_[i]->listener->connections() < threads_[best]->listener->connections()) best = i;
  }
  return best;
}

// What a load needs once its isolate is there: copied, since the routing table may change meanwhile.
struct PlatformServer::PendingLoad {
  std::string versionId;
  std::string accountId;
  std::string scriptName;
  store::AccountLimits overrides;
  std::shared_ptr<const runtime::Script> script;
  int64_t generation = 0;    // of the routing table the load began with
  int64_t startedUs = 0;     // steady clock
  runtime::Metering::IsolateSource source = runtime::Metering::IsolateSource::kMade;
};

runtime::Worker* PlatformServer::loadedWorker(Thread& t, const Target& target, const std::string& versionId) {
  auto it = t.workers.find(versionId);
  if (it == t.workers.end()) return nullptr;
  Thread::Loaded& loaded = it->second;
  if (!loaded.worker->broken() && loaded.overrides == target.overrides) {
    auto now = std::chrono::steady_clock::now();
    loaded.lastUsed = now;
    t.lastWarm = now;
    return loaded.worker.get();
  }
  // Broken, or the operator changed the account's limits: this Worker finishes what it holds, a new one takes new
  // requests.
  t.retiring.push_back(std::move(loaded.worker));
  t.workers.erase(it);
  return nullptr;
}

void PlatformServer::withWorker(Thread& t, const Target& target, const std::string& versionId, WorkerReady then) {
  if (runtime::Worker* worker = loadedWorker(t, target, versionId)) return then(worker);
  auto now = std::chrono::steady_clock::now();
  if (auto waiting = t.loading.find(versionId); waiting != t.loading.end()) {
    waiting->second.push_back(std::move(then));
    return;
  }
  if (atMappingCapacity()) {
    // Loading more could make the kernel refuse V8 a mapping, which aborts the process: refuse the load instead.
    log::warn("[{}] not loaded: {} memory mappings of the kernel's {} in use", target.scriptName, mappings_.load(),
              mappingLimit_);
    return then(Status::unavailable("at the memory-mapping capacity"));
  }
  mappings_ += kMappingsPerWorkerGuess;
  auto s = script(target.accountId, target.scriptName, versionId);
  if (!s.isOk()) {
    log::error("cannot load {} version {}: {}", target.scriptName, versionId, s.status().message());
    return then(Status::internal(std::string(s.status().message())));
  }
  PendingLoad load{versionId, target.accountId, target.scriptName, target.overrides, s.value(),
                   t.table ? t.table->generation : 0,
                   std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count()};
  t.loading[versionId].push_back(std::move(then));
  // The heap limit is the isolate's own: a pooled isolate serves only a script with the pool's limit.
  auto limits = runtime::withAccountOverrides(options_.limits, target.overrides);
  if (t.pool && t.pool->options().heapLimitBytes == limits.heapBytes) {
    if (auto isolate = t.pool->take()) {
      load.source = runtime::Metering::IsolateSource::kPool;
      return finishLoad(t, load, std::move(isolate));
    }
    if (now - t.lastWarm < kWarmTraffic) {
      load.source = runtime::Metering::IsolateSource::kWaited;
      t.pool->wait([this, &t, load = std::move(load)](Result<std::unique_ptr<engine::Isolate>> isolate) {
        finishLoad(t, load, std::move(isolate));
      });
      return;
    }
  }
  // No warm traffic to stall (or a heap limit of its own): made here, sooner than a maker would finish one.
  finishLoad(t, load, std::unique_ptr<engine::Isolate>());
}

void PlatformServer::finishLoad(Thread& t, const PendingLoad& load, Result<std::unique_ptr<engine::Isolate>> isolate) {
  auto node = t.loading.extract(load.versionId);
  Result<runtime::Worker*> worker = Status::unavailable("no isolate could be made");
  if (isolate.isOk()) {
    worker = loadWorker(t, load, std::move(isolate.value()));
  } else {
    log::error("[{}] not loaded: {}", load.scriptName, isolate.status().message());
  }
  if (node.empty()) return;
  for (auto& then : node.mapped()) then(worker);
}

Result<runtime::Worker*> PlatformServer::loadWorker(Thread& t, const PendingLoad& load,
                                                    std::unique_ptr<engine::Isolate> isolate) {
  const std::string& versionId = load.versionId;
  metering_.isolateFrom(load.source);
  if (load.source == runtime::Metering::IsolateSource::kWaited) {
    log::debug("[{}] waited {} us for an isolate", load.scriptName,
               std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now().time_since_epoch()).count() - load.startedUs);
  }
  runtime::Worker::Options options;
  options.limits = runtime::withAccountOverrides(options_.limits, load.overrides);
  options.isolate = std::move(isolate);
  options.kv = kv_;
  options.metering = &metering_;
  options.tails = &tails_;
  options.http = t.http.get();
  // Eviction destroys idle workers by the hundred under memory pressure: their isolates are disposed off the loop.
  options.disposeIsolate = [disposer = disposer_.get()](std::unique_ptr<engine::Isolate> isolate) {
    disposer->dispose(std::move(isolate));
  };
  std::string accountId = load.accountId;
  options.serviceFetch = [this, &t, accountId](const std::string& service, net::Request request,
                                               std::function<void(net::Response)> respond) {
    serviceFetch(t, accountId, service, std::move(request), std::move(respond));
  };
  options.codeCache = codeCaches_.get(versionId);
  if (placement_.enabled()) {
    // Heavy by a moving average (1/8 per request), not by one request: a short request preempted before the
    // watchdog saw it is charged its wall time (runtime/watchdog.h), which alone must not move a tenant.
    auto& average = t.cpuAverages[versionId];
    if (!average) average = std::make_shared<int64_t>(0);
    options.onInvocation = [this, index = t.index, versionId, average](int64_t cpuUs) {
      *average += (cpuUs - *average) / 8;
      if (*average < Placement::kHeavyCpuUs) return;
      log::debug("placement: requests of {} use {} ms of CPU on average on thread {}", versionId, *average / 1000,
                 index);
      auto nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now().time_since_epoch()).count();
      placement_.heavyRequest(versionId, index, nowMs);
    };
  }
  auto loaded = runtime::Worker::load(engine_, t.io, load.script, std::move(options));
  if (!loaded.isOk()) {
    log::error("[{}] the worker failed to load: {}", load.scriptName, loaded.status().message());
    return Status::internal(std::string(loaded.status().message()));
  }
  runtime::Worker* worker = loaded.value().get();
  // Some module compiled from source (no cache yet, or a refused one): the API thread makes one in the background.
  if (const auto& use = worker->codeCacheUse(); use.accepted < use.compiled) codeCaches_.want(load.script);
  if (t.table && t.table->generation != load.generation && !isLive(*t.table, versionId)) {
    // Undeployed while its isolate was made: it serves the requests that waited for it, then goes.
    t.retiring.push_back(std::move(loaded.value()));
    return worker;
  }
  t.workers[versionId] = Thread::Loaded{std::move(loaded.value()), std::chrono::steady_clock::now(), load.overrides};
  placement_.loaded(versionId, t.index);
  // Counted now, not at the next pass: loads arriving by the hundred a second would otherwise take the process
  // hundreds of MB past its budget before the pass saw them. Over it, a pass runs soon (at most every 100 ms).
  size_t bytes = worker->memoryUsage();
  t.memory += bytes;
  memoryInUse_ += bytes;
  auto now = std::chrono::steady_clock::now();
  if (memoryInUse_.load() + othersBytes_.load() > options_.memoryBudgetBytes &&
      now - t.earlyEvictionAt > std::chrono::milliseconds(100)) {
    t.earlyEvictionAt = now;
    asio::post(t.io, [this, &t] { evict(t); });
  }
  return worker;
}

void PlatformServer::serviceFetch(Thread& t, const std::string& accountId, const std::string& service,
                                  net::Request request, std::function<void(net::Response)> respond) {
  t.table = table();
  auto name = t.table->accountNames.find(accountId);
  const Target* target = nullptr;
  if (name != t.table->accountNames.end()) {
    auto it = t.table->byHost.find(service + "." + name->second);
    if (it != t.table->byHost.end() && !it->second.versions.empty()) target = &it->second;
  }
  if (target == nullptr) {
    respond(textResponse(503, fmt::format("service binding: no script \"{}\" is deployed in this account\n", service)));
    return;
  }
  fetchOn(t, *target, target->versions.front().versionId,
          std::make_shared<net::Exchange>(std::move(request), std::move(respond)));
}

void PlatformServer::scheduleCron() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto nextMinute = ceil<minutes>(now + milliseconds(1));
  cronTimer_->expires_after(nextMinute - now);
  cronTimer_->async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    runCron(duration_cast<minutes>(system_clock::now().time_since_epoch()).count());
    scheduleCron();
  });
}

void PlatformServer::runCron(int64_t epochMinute) {
  auto schedules = control_->allSchedules();
  if (!schedules.isOk()) {
    log::error("cannot read schedules: {}", schedules.status().message());
    return;
  }
  for (const auto& sch : schedules.value()) {
    auto cron = runtime::Cron::parse(sch.cron);
    if (!cron.isOk() || !cron->matches(epochMinute)) continue;
    // One thread per script (by name), so its scheduled events do not load it on every thread.
    size_t index = std::hash<std::string>{}(sch.accountId + "/" + sch.scriptName) % threads_.size();
    Thread* t = threads_[index].get();
    double when = static_cast<double>(epochMinute) * 60'000;
    asio::post(t->io, [this, t, sch, when] { runScheduled(*t, sch.accountId, sch.scriptName, sch.cron, when); });
  }
}

void PlatformServer::runScheduled(Thread& t, const std::string& accountId, const std::string& scriptName,
                                  const std::string& cron, double scheduledTimeMs) {
  t.table = table();
  auto name = t.table->accountNames.find(accountId);
  if (name == t.table->accountNames.end()) return;
  auto it = t.table->byHost.find(scriptName + "." + name->second);
  if (it == t.table->byHost.end() || it->second.versions.empty()) return;
  const Target& target = it->second;
  withWorker(t, target, target.versions.front().versionId,
             [scriptName, cron, scheduledTimeMs](Result<runtime::Worker*> worker) {
               if (!worker.isOk()) {
                 log::warn("[{}] scheduled event \"{}\" not run: {}", scriptName, cron, worker.status().message());
                 return;
               }
               worker.value()->scheduled(cron, scheduledTimeMs, [scriptName, cron](runtime::Outcome outcome) {
                 if (outcome != runtime::Outcome::kOk) {
                   log::warn("[{}] scheduled event \"{}\" ended: {}", scriptName, cron, runtime::outcomeName(outcome));
                 }
               });
             });
}


}  // namespace islet::server
