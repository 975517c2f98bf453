// DevServer: `islet dev` — one Script served on every event-loop thread, replaced when its files change.
//
// Each thread loads its own Worker lazily on its first request and reloads it when the Script's generation
// changes or the Worker broke (a limit stopped it). A Worker replaced while requests are still running on it
// is kept until they finish, so a reload fails no request.
#pragma once

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/status.h"
#include "engine/engine.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "runtime/worker.h"

namespace islet::server {

struct DevServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8787;
  int threads = 0;  // 0: one per core
  net::ServerLimits http;
  runtime::WorkerLimits limits;
  bool testScheduled = false;
  net::ClientOptions client{true};  // dev runs on the developer's machine: local upstreams are allowed  // GET /__scheduled?cron=... fires the scheduled handler, as wrangler dev does
};

class DevServer {
 public:
  DevServer(const engine::Engine& engine, DevServerOptions options);
  ~DevServer();

  // The script every thread serves from its next request on.
  void setScript(std::shared_ptr<const runtime::Script> script);
  // Binds every thread's listener (SO_REUSEPORT) and starts the threads.
  Status start();
  boost::asio::ip::tcp::endpoint endpoint() const { return endpoint_; }
  // Stops the loops and joins the threads.
  void stop();

 private:
  struct Thread;
  void handle(Thread& t, std::shared_ptr<net::Exchange> exchange);
  std::shared_ptr<const runtime::Script> current(uint64_t* generation);

  const engine::Engine& engine_;
  DevServerOptions options_;
  std::mutex mutex_;
  std::shared_ptr<const runtime::Script> script_;
  std::atomic<uint64_t> generation_{0};
  std::vector<std::unique_ptr<Thread>> threads_;
  boost::asio::ip::tcp::endpoint endpoint_;
};

}  // namespace islet::server
