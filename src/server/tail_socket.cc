#include "server/tail_socket.h"

#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include <chrono>

#include "base/log.h"
#include "control/api.h"
#include "net/websocket.h"

namespace islet::server {

namespace asio = boost::asio;
namespace ws = net::websocket;

namespace {

net::Response refuse(int status, std::string body) {
  net::Response r;
  r.status = status;
  r.headers.emplace_back("content-type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

}  // namespace

bool isTailSocketRequest(const net::Request& request) { return control::parseTailPath(request.target).has_value(); }

void serveTailSocket(runtime::TailHub& hub, asio::io_context& io, std::shared_ptr<net::Exchange> exchange) {
  auto path = control::parseTailPath(exchange->request().target);
  if (!path) return exchange->respond(refuse(404, "not a tail\n"));
  auto handshake = ws::handshakeResponse(exchange->request(), "trace-v1");
  if (!handshake.isOk()) return exchange->respond(refuse(400, handshake.status().message() + "\n"));

  // The hub may deliver from any thread as soon as the tail is attached; the session exists only after the
  // upgrade, so deliveries go through a slot filled in below, on this thread, before any posted delivery runs.
  auto slot = std::make_shared<std::weak_ptr<ws::Session>>();
  runtime::TailHub::Subscriber subscriber;
  subscriber.deliver = [&io, slot](std::shared_ptr<const std::string> message) {
    asio::post(io, [slot, message] {
      auto session = slot->lock();
      if (session && !session->sendText(*message)) log::debug("tail: a slow reader missed an event");
    });
  };
  subscriber.close = [&io, slot] {
    asio::post(io, [slot] {
      if (auto session = slot->lock()) session->close(1000, "tail deleted");
    });
  };
  auto tail = hub.attach(path->first, path->second, std::move(subscriber));
  if (!tail.isOk()) return exchange->respond(refuse(404, tail.status().message() + "\n"));

  using namespace std::chrono;
  int64_t nowMs = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  ws::Session::Limits limits;
  limits.maxMessageBytes = 64 * 1024;  // a client only sends {"debug": ...} and pings
  limits.maxLifetime = milliseconds(std::max<int64_t>(1, tail->expiresMs - nowMs));
  auto upgraded = exchange->upgrade();
  auto session = std::make_shared<ws::Session>(std::move(upgraded.socket), std::move(upgraded.buffered), limits);
  *slot = session;
  std::string id = tail->id;
  log::info("tail {} of {} opened", id, tail->scriptName);
  session->start(std::move(handshake.value()),
                 {[](std::string) {},  // the client's {"debug": bool}: islet sends the same events either way
                  [&hub, id] {
                    hub.detach(id);
                    log::info("tail {} closed", id);
                  }});
}

}  // namespace islet::server
