// islet: the command line. `islet dev PATH` serves one worker; `islet serve` runs the platform; `islet test FILE...`
// runs JS tests inside islet; the client commands (deploy, versions, kv, ...) live in commands.h.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "api/natives.h"
#include "api/snapshot_blob.h"
#include "base/log.h"
#include "cli/commands.h"
#include "cli/project.h"
#include "engine/platform.h"
#include "server/dev_server.h"
#include "server/platform_server.h"
#include "server/sandbox.h"
#include "store/store.h"

namespace islet::cli {
namespace {

namespace fs = std::filesystem;

struct CommonLimits {
  double cpuLimitMs = 50;
  double maxCpuLimitMs = 30'000;
  double wallLimitMs = 30'000;
  size_t heapLimitMb = 128;
  void add(CLI::App* app) {
    app->add_option("--cpu-limit-ms", cpuLimitMs, "CPU time a request may use")->capture_default_str();
    app->add_option("--max-cpu-limit-ms", maxCpuLimitMs, "the most a script may ask for (metadata limits.cpu_ms)")
        ->capture_default_str();
    app->add_option("--wall-limit-ms", wallLimitMs, "wall time a request may take")->capture_default_str();
    app->add_option("--heap-limit-mb", heapLimitMb, "heap per isolate")->capture_default_str();
  }
  runtime::WorkerLimits limits() const {
    runtime::WorkerLimits l;
    l.cpuMicrosPerRequest = static_cast<int64_t>(cpuLimitMs * 1000);
    l.maxCpuMicrosPerRequest = static_cast<int64_t>(maxCpuLimitMs * 1000);
    l.wallMsPerRequest = wallLimitMs;
    l.heapBytes = heapLimitMb << 20;
    return l;
  }
};

// The public listener's protocol limits, the same flags for `islet dev` and `islet serve`.
struct HttpFlags {
  size_t maxBodyBytes = 100u << 20;  // Workers' limit on the Free and Pro plans
  int readTimeoutMs = 30'000;
  void add(CLI::App* app) {
    app->add_option("--max-body-bytes", maxBodyBytes,
                    "largest request body accepted (413 when declared above it; a streamed body fails there)")
        ->capture_default_str();
    app->add_option("--read-timeout-ms", readTimeoutMs,
                    "time a client has to send a request head, or the next piece of a streamed body")
        ->capture_default_str();
  }
  net::ServerLimits limits() const {
    net::ServerLimits http;
    http.maxBodyBytes = maxBodyBytes;
    http.readTimeout = std::chrono::milliseconds(readTimeoutMs);
    return http;
  }
};

std::atomic<bool> gStop{false};
void onSignal(int) { gStop = true; }

int dev(const engine::Engine& engine, const std::string& path, const std::string& listen, int port, int threads,
        const net::ServerLimits& http, const CommonLimits& limits, bool testScheduled) {
  auto project = loadProject(path);
  if (!project.isOk()) {
    fmt::print(stderr, "islet dev: {}\n", project.status().message());
    return 1;
  }
  {
    // Load once up front so a broken worker is reported now, not on the first request.
    boost::asio::io_context io;
    runtime::Worker::Options options;
    options.limits = limits.limits();
    auto check = runtime::Worker::load(engine, io, project->script, std::move(options));
    if (!check.isOk()) {
      fmt::print(stderr, "islet dev: {} failed to load:\n{}\n", project->script->name, check.status().message());
      return 1;
    }
  }
  server::DevServerOptions options;
  options.address = listen;
  options.port = static_cast<uint16_t>(port);
  options.threads = threads;
  options.http = http;
  options.limits = limits.limits();
  options.testScheduled = testScheduled;
  server::DevServer server(engine, options);
  server.setScript(project->script);
  Status s = server.start();
  if (!s.isOk()) {
    fmt::print(stderr, "islet dev: {}\n", s.message());
    return 1;
  }
  auto ep = server.endpoint();
  std::string host = ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
  fmt::print("islet dev: serving {} at http://{}:{}/\n", project->script->name, host, ep.port());
  std::fflush(stdout);

  signal(SIGINT, onSignal);
  signal(SIGTERM, onSignal);
  std::string seen = fingerprint(project->files);
  std::vector<fs::path> files = project->files;
  while (!gStop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::string now = fingerprint(files);
    if (now == seen) continue;
    seen = now;
    auto reloaded = loadProject(path);
    if (!reloaded.isOk()) {
      log::error("reload failed, still serving the previous version: {}", reloaded.status().message());
      continue;
    }
    files = reloaded->files;
    seen = fingerprint(files);
    boost::asio::io_context io;
    runtime::Worker::Options workerOptions;
    workerOptions.limits = limits.limits();
    auto check = runtime::Worker::load(engine, io, reloaded->script, std::move(workerOptions));
    if (!check.isOk()) {
      log::error("reload failed, still serving the previous version:\n{}", check.status().message());
      continue;
    }
    server.setScript(reloaded->script);
    log::info("reloaded {}", reloaded->script->name);
  }
  server.stop();
  return 0;
}

Result<std::pair<std::string, uint16_t>> splitHostPort(const std::string& s, uint16_t defaultPort) {
  size_t colon = s.rfind(':');
  size_t bracket = s.find(']');
  if (colon == std::string::npos || (bracket != std::string::npos && bracket > colon)) {
    return std::make_pair(s, defaultPort);
  }
  std::string host = s.substr(0, colon);
  if (host.starts_with("[") && host.ends_with("]")) host = host.substr(1, host.size() - 2);
  try {
    int port = std::stoi(s.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    return std::make_pair(host, static_cast<uint16_t>(port));
  } catch (const std::exception&) {
    return Status::invalidArgument("invalid address " + s);
  }
}

int serve(const engine::Engine& engine, const std::string& dataDir, const std::string& listen, const std::string& api,
          int threads, const std::string& baseDomain, const net::ServerLimits& http, const CommonLimits& limits,
          size_t memoryBudget,
          std::chrono::seconds idleTimeout, std::chrono::seconds idleRelease, size_t maxMappings,
          bool allowPrivateSubrequests, bool metering, bool placement) {
  std::error_code ec;
  fs::create_directories(dataDir, ec);
  if (ec) {
    fmt::print(stderr, "islet serve: cannot create {}: {}\n", dataDir, ec.message());
    return 1;
  }
  auto stores = store::openSqlite((fs::path(dataDir) / "islet.db").string());
  if (!stores.isOk()) {
    fmt::print(stderr, "islet serve: {}\n", stores.status().message());
    return 1;
  }
  auto pub = splitHostPort(listen, 8787);
  auto apiAddr = splitHostPort(api, 8788);
  if (!pub.isOk() || !apiAddr.isOk()) {
    fmt::print(stderr, "islet serve: {}\n", !pub.isOk() ? pub.status().message() : apiAddr.status().message());
    return 1;
  }
  server::PlatformOptions options;
  options.publicAddress = pub->first;
  options.publicPort = pub->second;
  options.apiAddress = apiAddr->first;
  options.apiPort = apiAddr->second;
  options.threads = threads;
  options.baseDomain = baseDomain;
  options.http = http;
  options.limits = limits.limits();
  options.memoryBudgetBytes = memoryBudget;
  options.idleTimeout = idleTimeout;
  options.idleRelease = idleRelease;
  options.maxMappings = maxMappings;
  options.client.allowPrivateAddresses = allowPrivateSubrequests;
  options.metering = metering;
  options.placement = placement;
  options.codeCache = stores->codeCache;
  server::PlatformServer server(engine, stores->control, stores->kv, stores->usage, options);
  std::string tokenFile = (fs::path(dataDir) / "admin-token").string();
  bool created = false;
  Status s = server.start(tokenFile, &created);
  if (!s.isOk()) {
    fmt::print(stderr, "islet serve: {}\n", s.message());
    return 1;
  }
  auto show = [](const boost::asio::ip::tcp::endpoint& ep) {
    std::string host = ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
    return fmt::format("http://{}:{}", host, ep.port());
  };
  fmt::print("islet serve: public traffic at {}/ (scripts answer at <script>.<account>.{})\n", show(server.publicEndpoint()),
             baseDomain);
  fmt::print("islet serve: management API at {}/client/v4\n", show(server.apiEndpoint()));
  fmt::print("islet serve: {} admin token in {}\n", created ? "created an" : "the", tokenFile);
  std::fflush(stdout);
  signal(SIGINT, onSignal);
  signal(SIGTERM, onSignal);
  while (!gStop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.stop();
  return 0;
}

Result<std::string> readFile(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Status::notFound(fmt::format("cannot read {}", p));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int test(const engine::Engine& engine, const std::vector<std::string>& files, const std::string& harness,
         const std::string& shared, const CommonLimits& limits) {
  auto harnessSource = readFile(harness);
  if (!harnessSource.isOk()) {
    fmt::print(stderr, "islet test: {}\n", harnessSource.status().message());
    return 2;
  }
  int failedFiles = 0;
  for (const auto& file : files) {
    auto source = readFile(file);
    if (!source.isOk()) {
      fmt::print(stderr, "islet test: {}\n", source.status().message());
      return 2;
    }
    auto script = std::make_shared<runtime::Script>();
    script->name = fs::path(file).filename().string();
    script->syntax = runtime::ScriptSyntax::kServiceWorker;
    script->modules.push_back({"harness.js", harnessSource.value(), engine::ModuleKind::kEsModule});
    boost::asio::io_context io;
    runtime::Worker::Options options;
    options.testMode = true;
    options.testDataRoot = shared;
    options.testFileDir = fs::path(file).parent_path().string();
    options.limits = limits.limits();
    auto worker = runtime::Worker::load(engine, io, script, std::move(options));
    if (!worker.isOk()) {
      fmt::print(stderr, "islet test: {}\n", worker.status().message());
      return 2;
    }
    int failures = -1;
    worker.value()->runTests(file, source.value(), [&](int f) { failures = f; });
    while (failures < 0 && io.run_one() > 0) {
    }
    if (failures != 0) failedFiles++;
  }
  return failedFiles == 0 ? 0 : 1;
}

}  // namespace
}  // namespace islet::cli

int main(int argc, char** argv) {
  using namespace islet;
  CLI::App app{"islet: a multi-tenant runtime for JavaScript and WebAssembly workers"};
  app.require_subcommand(1);
  std::string logLevel = "info";
  app.add_option("--log-level", logLevel, "debug, info, warn or error")->capture_default_str();

  auto* devCmd = app.add_subcommand("dev", "serve one worker and reload it when its files change");
  std::string devPath, listen = "127.0.0.1";
  int port = 8787, threads = 0;
  cli::CommonLimits limits;
  devCmd->add_option("path", devPath, "a worker file, or a folder with wrangler.toml or index.js")->required();
  devCmd->add_option("--port", port, "port (0 picks a free one)")->capture_default_str();
  devCmd->add_option("--listen", listen, "address to listen on")->capture_default_str();
  devCmd->add_option("--threads", threads, "event-loop threads (default: one per core)");
  cli::HttpFlags devHttp;
  devHttp.add(devCmd);
  bool testScheduled = false;
  devCmd->add_flag("--test-scheduled", testScheduled, "GET /__scheduled?cron=... runs the scheduled handler");
  limits.add(devCmd);

  auto* serveCmd = app.add_subcommand("serve", "run the multi-tenant platform: public listener + management API");
  std::string dataDir = ".islet", serveListen = "127.0.0.1:8787", serveApi = "127.0.0.1:8788";
  std::string baseDomain = "islet.localhost";
  int serveThreads = 0;
  cli::CommonLimits serveLimits;
  serveCmd->add_option("--data", dataDir, "data directory (SQLite file, admin token)")->capture_default_str();
  cli::HttpFlags serveHttp;
  serveHttp.add(serveCmd);
  serveCmd->add_option("--listen", serveListen, "public address:port")->capture_default_str();
  serveCmd->add_option("--api", serveApi, "management API address:port")->capture_default_str();
  serveCmd->add_option("--threads", serveThreads, "event-loop threads (default: one per core)");
  serveCmd->add_option("--base-domain", baseDomain, "scripts answer at <script>.<account>.<base domain>")
      ->capture_default_str();
  serveLimits.add(serveCmd);
  bool allowPrivateSubrequests = false;
  serveCmd->add_flag("--allow-private-subrequests", allowPrivateSubrequests,
                     "let fetch() reach loopback and private addresses (off: workers cannot reach your internal network)");
  std::string metering = "on";
  serveCmd->add_option("--metering", metering, "on, or off to measure its cost")->check(CLI::IsMember({"on", "off"}));
  std::string placement = "on";
  serveCmd->add_option("--placement", placement,
                       "on: each script runs on threads chosen for it, connections move there; off (to measure "
                       "what that does): every thread runs whatever arrives on its connections")
      ->check(CLI::IsMember({"on", "off"}));
  size_t memoryBudgetMb = 0;
  int idleTimeoutSec = 300;
  int idleReleaseSec = 10;
  size_t maxMappings = 0;
  serveCmd->add_option("--max-mappings", maxMappings,
                       "memory mappings the process may hold (default: vm.max_map_count); idle workers are evicted "
                       "above 80 %, no new worker loads above 90 %");
  serveCmd->add_option("--memory-budget", memoryBudgetMb, "MB the process may hold (RSS); idle workers are evicted above it (default: a quarter of RAM)");
  serveCmd->add_option("--idle-timeout", idleTimeoutSec, "seconds before an unused worker is evicted")
      ->capture_default_str();
  serveCmd->add_option("--idle-release", idleReleaseSec,
                       "seconds before an unused worker whose heap grew gives back what it no longer needs (0: never)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  std::string sandbox = "on";
  serveCmd->add_option("--sandbox", sandbox,
                       "on: system calls islet never needs (starting programs, new processes, bpf, io_uring, ...) "
                       "fail, so code that escapes V8 can do less to the machine; off: no filter")
      ->capture_default_str()
      ->check(CLI::IsMember({"on", "off"}));

  auto* testCmd = app.add_subcommand("test", "run JS test files inside islet");
  std::vector<std::string> testFiles;
  std::string harness, shared;
  testCmd->add_option("files", testFiles, "test files")->required();
  testCmd->add_option("--harness", harness, "the harness script")->required();
  testCmd->add_option("--shared", shared, "folder that loadTestData() reads from");
  cli::CommonLimits testLimits;
  testLimits.cpuLimitMs = 30'000;  // a whole test file runs in one entry
  testLimits.add(testCmd);

  cli::ClientCommands client(app);

  CLI11_PARSE(app, argc, argv);
  if (logLevel == "debug") log::setLevel(log::Level::kDebug);
  if (logLevel == "warn") log::setLevel(log::Level::kWarn);
  if (logLevel == "error") log::setLevel(log::Level::kError);
  if (auto exitCode = client.run()) return *exitCode;

  engine::PlatformOptions platform;
  // One Wasm memory may grow to the isolate's memory limit, and no further (memory.grow returns -1).
  const cli::CommonLimits& active = *serveCmd ? serveLimits : *testCmd ? testLimits : limits;
  platform.wasmMaxMemoryBytes = active.heapLimitMb << 20;
  engine::initialize(platform);
  engine::Engine engine(api::definition(), api::snapshotBlob());
  if (*devCmd) {
    return cli::dev(engine, devPath, listen, port, threads, devHttp.limits(), limits, testScheduled);
  }
  if (*serveCmd) {
    // Each Wasm memory takes two of the process's memory mappings; at the kernel's cap the process aborts.
    long maxMapCount = 0;
    if (std::ifstream("/proc/sys/vm/max_map_count") >> maxMapCount && maxMapCount < 262144) {
      log::warn("vm.max_map_count is {}: the process aborts at about {} Wasm memories; raise it "
                "(sysctl -w vm.max_map_count=1048576) to hold more Wasm tenants",
                maxMapCount, maxMapCount / 2);
    }
    if (sandbox == "on") {
      // Before any tenant code can run; V8's threads run already, and the filter covers them too.
      auto denied = server::enterSandbox();
      if (!denied.isOk()) {
        fmt::print(stderr, "islet serve: cannot enter the system-call sandbox: {} (--sandbox off runs without it)\n",
                   denied.status().message());
        return 1;
      }
      log::info("system-call sandbox on: {} system calls and socket families denied (docs/security.md)",
                denied.value());
    }
    if (memoryBudgetMb == 0) memoryBudgetMb = static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE) / 4 >> 20;
    return cli::serve(engine, dataDir, serveListen, serveApi, serveThreads, baseDomain, serveHttp.limits(), serveLimits,
                      memoryBudgetMb << 20, std::chrono::seconds(idleTimeoutSec), std::chrono::seconds(idleReleaseSec),
                      maxMappings, allowPrivateSubrequests, metering == "on", placement == "on");
  }
  if (*testCmd) return cli::test(engine, testFiles, harness, shared, testLimits);
  return 2;
}
