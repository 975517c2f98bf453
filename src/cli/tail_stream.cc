#include "cli/tail_stream.h"

#include <openssl/evp.h>
#include <signal.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <array>
#include <random>

#include "net/websocket.h"

namespace islet::cli {

namespace asio = boost::asio;
namespace ws = net::websocket;
using tcp = asio::ip::tcp;

namespace {

struct WsUrl {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};

Result<WsUrl> parseWsUrl(std::string_view url) {
  if (url.starts_with("wss://")) return Status::unavailable("wss:// tails are not supported: islet's API is plain http");
  if (!url.starts_with("ws://")) return Status::unavailable(fmt::format("the API answered a tail URL that is not ws://: {}", url));
  url.remove_prefix(5);
  WsUrl out;
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.target = std::string(url.substr(slash));
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::unavailable("a malformed tail URL");
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') out.port = std::string(authority.substr(close + 2));
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
  }
  if (out.host.empty()) return Status::unavailable("a tail URL without a host");
  return out;
}

class TailReader {
 public:
  TailReader(asio::io_context& io, std::FILE* out) : io_(io), socket_(io), pings_(io), signals_(io, SIGINT, SIGTERM), out_(out) {}

  Status run(const WsUrl& url) {
    boost::system::error_code ec;
    tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(url.host, url.port, ec);
    if (!ec) asio::connect(socket_, endpoints, ec);
    if (ec) return Status::unavailable(fmt::format("cannot connect to the tail at {}:{}: {}", url.host, url.port, ec.message()));
    Status s = handshake(url);
    if (!s.isOk()) return s;
    send(ws::Opcode::kText, R"({"debug":false})");
    signals_.async_wait([this](boost::system::error_code e, int) {
      if (!e) stop();
    });
    schedulePing();
    read();
    io_.run();
    return status_;
  }

 private:
  Status handshake(const WsUrl& url) {
    std::array<unsigned char, 16> nonce;
    std::random_device random;
    for (auto& b : nonce) b = static_cast<unsigned char>(random());
    unsigned char encoded[32];
    int n = EVP_EncodeBlock(encoded, nonce.data(), static_cast<int>(nonce.size()));
    std::string key(reinterpret_cast<const char*>(encoded), n > 0 ? static_cast<size_t>(n) : 0);
    bool v6 = url.host.find(':') != std::string::npos;
    std::string request = fmt::format(
        "GET {} HTTP/1.1\r\nHost: {}{}{}:{}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Key: {}\r\nSec-WebSocket-Protocol: trace-v1\r\nUser-Agent: islet-cli\r\n\r\n",
        url.target, v6 ? "[" : "", url.host, v6 ? "]" : "", url.port, key);
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(request), ec);
    asio::streambuf head;
    if (!ec) asio::read_until(socket_, head, "\r\n\r\n", ec);
    if (ec) return Status::unavailable(fmt::format("the tail's handshake failed: {}", ec.message()));
    std::string text(asio::buffers_begin(head.data()), asio::buffers_end(head.data()));
    size_t end = text.find("\r\n\r\n") + 4;
    in_ = text.substr(end);  // frames that arrived with the answer
    text.resize(end);
    std::string firstLine = text.substr(0, text.find("\r\n"));
    if (!firstLine.starts_with("HTTP/1.1 101")) return Status::unavailable(fmt::format("the server refused the tail: {}", firstLine));
    std::string lower = text;
    for (char& c : lower) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    std::string accept = ws::acceptValue(key);
    size_t at = lower.find("sec-websocket-accept:");
    if (at == std::string::npos || text.find(accept, at) == std::string::npos) {
      return Status::unavailable("the server's WebSocket handshake answer is wrong (Sec-WebSocket-Accept)");
    }
    return Status::ok();
  }

  void send(ws::Opcode opcode, std::string_view payload) {
    ws::MaskKey mask;
    for (auto& b : mask) b = static_cast<uint8_t>(rng_());
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(ws::encodeFrame(opcode, payload, &mask)), ec);
    if (ec) fail(fmt::format("the tail's connection broke: {}", ec.message()));
  }

  void schedulePing() {
    pings_.expires_after(std::chrono::seconds(10));
    pings_.async_wait([this](boost::system::error_code ec) {
      if (ec || done_) return;
      send(ws::Opcode::kPing, "islet tail ping");
      schedulePing();
    });
  }

  void read() {
    while (!done_) {
      size_t consumed = 0;
      auto frame = ws::decodeFrame(in_, 16u << 20, &consumed);
      if (!frame.isOk()) return fail(fmt::format("the tail sent a malformed frame: {}", frame.status().message()));
      if (!frame.value()) break;
      in_.erase(0, consumed);
      onFrame(*frame.value());
    }
    if (done_) return;
    socket_.async_read_some(asio::buffer(chunk_), [this](boost::system::error_code ec, size_t n) {
      if (done_) return;
      if (ec) return fail(fmt::format("the tail's connection broke: {}", ec.message()));
      in_.append(chunk_.data(), n);
      read();
    });
  }

  void onFrame(const ws::Frame& frame) {
    switch (frame.opcode) {
      case ws::Opcode::kText:
      case ws::Opcode::kBinary:
      case ws::Opcode::kContinuation:  // the server sends whole messages; print any piece as it comes
        std::fwrite(frame.payload.data(), 1, frame.payload.size(), out_);
        if (frame.fin) std::fputc('\n', out_);
        std::fflush(out_);
        return;
      case ws::Opcode::kPing:
        send(ws::Opcode::kPong, frame.payload);
        return;
      case ws::Opcode::kPong:
        return;
      case ws::Opcode::kClose:
        send(ws::Opcode::kClose, frame.payload.substr(0, 2));
        return stop();
    }
  }

  void stop() {
    if (done_) return;
    done_ = true;
    boost::system::error_code ignored;
    pings_.cancel();
    signals_.cancel(ignored);
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  void fail(std::string message) {
    if (done_) return;
    status_ = Status::unavailable(std::move(message));
    stop();
  }

  asio::io_context& io_;
  tcp::socket socket_;
  asio::steady_timer pings_;
  asio::signal_set signals_;
  std::FILE* out_;
  std::string in_;
  std::array<char, 16 * 1024> chunk_;
  std::mt19937 rng_{std::random_device{}()};
  bool done_ = false;
  Status status_;
};

}  // namespace

Status streamTail(std::string_view url, std::FILE* out) {
  auto parsed = parseWsUrl(url);
  if (!parsed.isOk()) return parsed.status();
  asio::io_context io;
  TailReader reader(io, out);
  return reader.run(parsed.value());
}

}  // namespace islet::cli
