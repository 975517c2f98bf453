// Worker: WebSockets a fetch handler accepted (`new Response(null, { status: 101, webSocket: client })`), and
// WebSockets the worker opened itself (`fetch(url, { headers: { Upgrade: 'websocket' } })`, `new WebSocket(url)`).
//
// The connection leaves HTTP (Exchange::upgrade) once the handshake checks out; a net::websocket::Session then owns
// the socket on this thread. What the client sends is posted to the loop and delivered to the JS side in an entry
// of its own (internal.webSocketMessage / webSocketClosed); what the server end sends arrives through the Host
// (webSocketSend / webSocketClose). The request's invocation stays open — and the worker busy — until the socket
// ends: see Worker::Socket for how it is limited and metered.
#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include <cstring>

#include "engine/platform.h"
#include "runtime/worker.h"

namespace islet::runtime {

namespace asio = boost::asio;
namespace ws = net::websocket;

namespace {

constexpr size_t kMaxMessageBytes = 1u << 20;  // a client's message, as Workers allows
constexpr size_t kMaxQueuedBytes = 8u << 20;   // sent and not yet written to a slow client

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

// Response headers that the 101 may carry besides the handshake's own (e.g. Set-Cookie).
bool passesToHandshake(std::string_view lowerName, std::string_view value) {
  if (lowerName == "connection" || lowerName == "upgrade" || lowerName == "content-length" ||
      lowerName == "transfer-encoding" || lowerName == "keep-alive" || lowerName.starts_with("sec-websocket-")) {
    return false;
  }
  if (lowerName.empty()) return false;
  for (char c : lowerName) {
    if (c == '\r' || c == '\n' || c == ':' || c == ' ' || c == '\0') return false;
  }
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

}  // namespace

void Worker::acceptWebSocket(std::unordered_map<uint32_t, Pending>::iterator it, uint32_t socketId,
                             net::Response response) {
  Pending& p = it->second;
  std::string protocol;
  std::string extra;
  for (const auto& [name, value] : response.headers) {
    std::string n = lower(name);
    if (n == "sec-websocket-protocol") protocol = value;
    if (passesToHandshake(n, value)) extra += fmt::format("{}: {}\r\n", name, value);
  }
  Result<std::string> handshake = Status::invalidArgument("the request did not come from a client's connection");
  if (p.exchange && p.exchange->upgradable()) handshake = ws::handshakeResponse(p.exchange->request(), protocol);
  if (!handshake.isOk()) {
    // The JS side's server end learns that its peer is gone.
    asio::post(io_, [this, alive = alive_, socketId] {
      if (*alive) webSocketEnded(socketId, ws::Session::CloseInfo{});
    });
    consoleLog("error", fmt::format("Uncaught TypeError: a Response with a webSocket answers a WebSocket upgrade "
                                    "request only ({})",
                                    handshake.status().message()));
    net::Response refused;
    refused.status = 426;
    refused.headers.emplace_back("content-type", "text/plain; charset=utf-8");
    refused.body = "Upgrade Required: this address answers WebSocket requests\n";
    return complete(it, std::move(refused), Outcome::kException);
  }
  std::string head = std::move(handshake.value());
  head.insert(head.size() - 2, extra);  // before the blank line that ends the head

  uint32_t requestId = it->first;
  net::Exchange::Upgraded upgraded = p.exchange->upgrade();
  Socket socket{requestId, std::move(p), nullptr};
  socket.pending.exchange.reset();
  if (socket.pending.trace) socket.pending.trace->status = 101;
  pending_.erase(it);

  ws::Session::Limits limits;
  limits.maxMessageBytes = kMaxMessageBytes;
  limits.maxQueuedBytes = kMaxQueuedBytes;
  limits.idleTimeout = std::chrono::milliseconds(static_cast<int64_t>(options_.limits.webSocketIdleMs));
  limits.sendsKeepAlive = true;
  auto session = std::make_shared<ws::Session>(std::move(upgraded.socket), std::move(upgraded.buffered), limits);
  socket.session = session;
  sockets_.emplace(socketId, std::move(socket));
  runSession(socketId, std::move(session), std::move(head));
}

void Worker::webSocketConnected(uint32_t fetchId, Result<net::ClientUpgrade> result) {
  if (!result.isOk()) return subrequestDone(fetchId, result.status());
  net::ClientUpgrade& upgraded = result.value();
  if (upgraded.response.status == 101) {
    ws::Session::Limits limits;
    limits.maxMessageBytes = kMaxMessageBytes;
    limits.maxQueuedBytes = kMaxQueuedBytes;
    limits.idleTimeout = std::chrono::milliseconds(static_cast<int64_t>(options_.limits.webSocketIdleMs));
    limits.sendsKeepAlive = true;
    limits.client = true;
    connecting_[fetchId] =
        std::make_shared<ws::Session>(std::move(upgraded.transport), std::move(upgraded.buffered), limits);
  }
  subrequestDone(fetchId, std::move(upgraded.response));
  connecting_.erase(fetchId);  // JS did not take it (the fetch was aborted, or the worker broke): it closes
}

void Worker::webSocketAttach(uint32_t fetchId, uint32_t socketId) {
  auto it = connecting_.find(fetchId);
  if (it == connecting_.end()) return;
  auto session = std::move(it->second);
  connecting_.erase(it);
  if (socketId == 0 || sockets_.count(socketId)) return;
  uint32_t requestId = currentRequest_;
  if (requestId == 0 && pending_.size() == 1) requestId = pending_.begin()->first;
  sockets_.emplace(socketId, Socket{requestId, Pending{}, session, /*outgoing=*/true});
  runSession(socketId, std::move(session), std::string());
}

void Worker::runSession(uint32_t socketId, std::shared_ptr<ws::Session> session, std::string head) {
  // The session calls these on this thread, possibly from within start() or a Host call: each is posted, so the JS
  // side always hears from the client in an entry of its own.
  auto alive = alive_;
  auto deliver = [this, alive, socketId](bool binary) {
    return [this, alive, socketId, binary](std::string message) {
      if (!*alive) return;
      asio::post(io_, [this, alive, socketId, binary, message = std::move(message)]() mutable {
        if (*alive) webSocketMessage(socketId, std::move(message), binary);
      });
    };
  };
  ws::Session* raw = session.get();
  ws::Session::Handlers handlers;
  handlers.onMessage = deliver(false);
  handlers.onBinaryMessage = deliver(true);
  handlers.onClose = [this, alive, socketId, raw] {
    if (!*alive) return;
    ws::Session::CloseInfo info = raw->closeInfo();
    asio::post(io_, [this, alive, socketId, info = std::move(info)]() mutable {
      if (*alive) webSocketEnded(socketId, std::move(info));
    });
  };
  session->start(std::move(head), std::move(handlers));
}

void Worker::webSocketMessage(uint32_t socketId, std::string data, bool binary) {
  auto it = sockets_.find(socketId);
  if (it == sockets_.end() || broken()) return;
  it->second.pending.bytesIn += static_cast<int64_t>(data.size());
  uint32_t requestId = it->second.requestId;
  if (it->second.outgoing && !pending_.count(requestId)) requestId = 0;  // the request that opened it has ended
  runEntry(requestId, [&](v8::Isolate* iso, v8::Local<v8::Context> context) {
    v8::TryCatch tryCatch(iso);
    v8::Local<v8::Function> receive = isolate_->internalFunction("webSocketMessage");
    if (receive.IsEmpty()) return;
    v8::Local<v8::Value> message;
    if (binary) {
      auto store = v8::ArrayBuffer::NewBackingStore(iso, data.size());
      if (!data.empty()) memcpy(store->Data(), data.data(), data.size());
      message = v8::ArrayBuffer::New(iso, std::move(store));
    } else {
      v8::Local<v8::String> text;
      // Ill-formed UTF-8 becomes U+FFFD; the size limit keeps it far below V8's longest string.
      if (!v8::String::NewFromUtf8(iso, data.data(), v8::NewStringType::kNormal, static_cast<int>(data.size()))
               .ToLocal(&text)) {
        return;
      }
      message = text;
    }
    v8::Local<v8::Value> args[] = {v8::Integer::NewFromUnsigned(iso, socketId), message};
    if (receive->Call(context, v8::Undefined(iso), 2, args).IsEmpty() && !tryCatch.HasTerminated()) {
      consoleLog("error", fmt::format("Uncaught {}", engine::describeException(iso, tryCatch)));
    }
  });
}

void Worker::webSocketEnded(uint32_t socketId, ws::Session::CloseInfo info) {
  auto it = sockets_.find(socketId);
  uint32_t requestId = 0;
  if (it != sockets_.end()) {
    // The invocation ends with the socket.
    Socket socket = std::move(it->second);
    sockets_.erase(it);
    requestId = socket.requestId;
    if (!socket.outgoing) {
      int64_t bytesOut = socket.pending.bytesOut;
      finished_.push_back(Finished{requestId, std::move(socket.pending), Outcome::kOk, bytesOut});
      lastCompleteMs_ = engine::Clock::realMs();
    } else if (!pending_.count(requestId)) {
      requestId = 0;
    }
  }
  if (broken()) return recordFinished();
  runEntry(requestId, [&](v8::Isolate* iso, v8::Local<v8::Context> context) {
    v8::TryCatch tryCatch(iso);
    v8::Local<v8::Function> closed = isolate_->internalFunction("webSocketClosed");
    v8::Local<v8::String> reason;
    if (closed.IsEmpty() || !v8::String::NewFromUtf8(iso, info.reason.data(), v8::NewStringType::kNormal,
                                                     static_cast<int>(info.reason.size()))
                                 .ToLocal(&reason)) {
      return;
    }
    v8::Local<v8::Value> args[] = {v8::Integer::NewFromUnsigned(iso, socketId), v8::Integer::New(iso, info.code),
                                   reason, v8::Boolean::New(iso, info.clean)};
    if (closed->Call(context, v8::Undefined(iso), 4, args).IsEmpty() && !tryCatch.HasTerminated()) {
      consoleLog("error", fmt::format("Uncaught {}", engine::describeException(iso, tryCatch)));
    }
  });
}

void Worker::webSocketSend(uint32_t id, std::string data, bool binary) {
  auto it = sockets_.find(id);
  if (it == sockets_.end() || it->second.session->closed()) return;  // closing: the JS side hears of it soon
  bool queued = binary ? it->second.session->sendBinary(data) : it->second.session->sendText(data);
  if (!queued) {
    engine::bind::throwError(fmt::format(
        "WebSocket send(): {} MiB are already waiting for the client to read them; the message was not sent",
        kMaxQueuedBytes >> 20));
  }
  it->second.pending.bytesOut += static_cast<int64_t>(data.size());
}

void Worker::webSocketClose(uint32_t id, uint16_t code, std::string reason) {
  auto it = sockets_.find(id);
  if (it == sockets_.end()) return;
  it->second.session->close(code, reason);
}

void Worker::closeSockets(uint16_t code, std::string_view reason, Outcome outcome) {
  for (auto& [socketId, socket] : sockets_) {
    socket.session->close(code, reason);
    if (socket.outgoing) continue;
    int64_t bytesOut = socket.pending.bytesOut;
    finished_.push_back(Finished{socket.requestId, std::move(socket.pending), outcome, bytesOut});
  }
  if (!sockets_.empty()) lastCompleteMs_ = engine::Clock::realMs();
  sockets_.clear();
}

}  // namespace islet::runtime
