#include "server/dev_server.h"

#include <boost/asio/executor_work_guard.hpp>

#include <fmt/format.h>

#include "base/log.h"
#include "engine/platform.h"

namespace islet::server {

namespace asio = boost::asio;

struct DevServer::Thread {
  asio::io_context io{1};
  std::unique_ptr<net::Listener> listener;
  std::unique_ptr<runtime::Worker> worker;
  std::vector<std::unique_ptr<runtime::Worker>> retiring;  // replaced, still finishing requests
  uint64_t generation = 0;
  std::unique_ptr<net::HttpClient> http;
  std::thread thread;
};

DevServer::DevServer(const engine::Engine& engine, DevServerOptions options)
    : engine_(engine), options_(std::move(options)) {
  if (options_.threads <= 0) options_.threads = std::max(1u, std::thread::hardware_concurrency());
}

DevServer::~DevServer() { stop(); }

void DevServer::setScript(std::shared_ptr<const runtime::Script> script) {
  std::lock_guard lock(mutex_);
  script_ = std::move(script);
  generation_.fetch_add(1, std::memory_order_release);
}

std::shared_ptr<const runtime::Script> DevServer::current(uint64_t* generation) {
  std::lock_guard lock(mutex_);
  *generation = generation_.load(std::memory_order_acquire);
  return script_;
}

Status DevServer::start() {
  asio::ip::address address;
  boost::system::error_code ec;
  address = asio::ip::make_address(options_.address, ec);
  if (ec) return Status::invalidArgument("invalid listen address: " + options_.address);
  asio::ip::tcp::endpoint endpoint(address, options_.port);
  for (int i = 0; i < options_.threads; i++) {
    auto t = std::make_unique<Thread>();
    Thread* raw = t.get();
    t->http = std::make_unique<net::HttpClient>(t->io, options_.client);
    t->listener = std::make_unique<net::Listener>(
        t->io, [this, raw](std::shared_ptr<net::Exchange> exchange) { handle(*raw, std::move(exchange)); },
        options_.http);
    Status s = t->listener->listen(endpoint);
    if (!s.isOk()) return s;
    if (i == 0) endpoint = t->listener->localEndpoint();  // port 0: the others join the port the kernel chose
    threads_.push_back(std::move(t));
  }
  endpoint_ = endpoint;
  for (auto& t : threads_) {
    Thread* raw = t.get();
    raw->thread = std::thread([raw] {
      auto guard = asio::make_work_guard(raw->io);
      raw->io.run();
      raw->worker.reset();
      raw->retiring.clear();
      raw->http.reset();
    });
  }
  return Status::ok();
}

void DevServer::stop() {
  for (auto& t : threads_) t->io.stop();
  for (auto& t : threads_) {
    if (t->thread.joinable()) t->thread.join();
  }
  threads_.clear();
}

void DevServer::handle(Thread& t, std::shared_ptr<net::Exchange> exchange) {
  std::erase_if(t.retiring, [](const auto& w) { return w->pendingRequests() == 0; });
  uint64_t generation = generation_.load(std::memory_order_acquire);
  if (!t.worker || t.generation != generation || t.worker->broken()) {
    auto script = current(&generation);
    if (!script) {
      net::Response r;
      r.status = 503;
      r.body = "No worker loaded\n";
      return exchange->respond(std::move(r));
    }
    if (t.worker && t.worker->pendingRequests() > 0 && !t.worker->broken()) t.retiring.push_back(std::move(t.worker));
    t.worker.reset();
    runtime::Worker::Options options;
    options.limits = options_.limits;
    options.http = t.http.get();
    auto loaded = runtime::Worker::load(engine_, t.io, script, std::move(options));
    if (!loaded.isOk()) {
      log::error("[{}] the worker failed to load: {}", script->name, loaded.status().message());
      net::Response r;
      r.status = 500;
      r.headers.emplace_back("content-type", "text/plain; charset=utf-8");
      r.body = "Worker failed to load\n";
      return exchange->respond(std::move(r));
    }
    t.worker = std::move(loaded.value());
    t.generation = generation;
  }
  const std::string& target = exchange->request().target;
  if (options_.testScheduled && (target == "/__scheduled" || target.starts_with("/__scheduled?"))) {
    std::string cron = "* * * * *";
    if (size_t at = target.find("cron="); at != std::string::npos) {
      cron.clear();
      for (size_t i = at + 5; i < target.size() && target[i] != '&'; i++) {
        char c = target[i];
        if (c == '+') {
          cron += ' ';
        } else if (c == '%' && i + 2 < target.size()) {
          cron += static_cast<char>(std::stoi(target.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          cron += c;
        }
      }
    }
    auto ex = exchange;
    t.worker->scheduled(cron, engine::Clock::realMs(), [ex](runtime::Outcome outcome) {
      net::Response r;
      r.status = outcome == runtime::Outcome::kOk ? 200 : 500;
      r.headers.emplace_back("content-type", "text/plain; charset=utf-8");
      r.body = outcome == runtime::Outcome::kOk ? "Ran scheduled event\n"
                                                : fmt::format("Scheduled event failed: {}\n", runtime::outcomeName(outcome));
      ex->respond(std::move(r));
    });
    return;
  }
  t.worker->fetch(std::move(exchange));
}

}  // namespace islet::server
