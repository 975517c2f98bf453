// WebSocket (RFC 6455): the handshake's accept value, frame encoding and decoding, and a Session over a connection
// taken out of HTTP: a client's, by Exchange::upgrade() (the server side), or an upstream's, by HttpClient::upgrade()
// (the client side, which masks what it sends).
//
// The decoder accepts a client's frames masked or not. RFC 6455 says a server must refuse unmasked client frames,
// but `wrangler tail` sends its first frame unmasked (Cloudflare accepts it), and masking protects intermediaries
// from cache poisoning, not the server; so islet tolerates both, as the tail endpoint must.
//
// The free functions have no state: any thread may call them. A Session lives on its socket's io_context; every
// call on it must come from that thread (post to it from elsewhere).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "net/http_server.h"

namespace islet::net::websocket {

// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")): the Sec-WebSocket-Accept for a Sec-WebSocket-Key.
std::string acceptValue(std::string_view key);

enum class Opcode : uint8_t { kContinuation = 0x0, kText = 0x1, kBinary = 0x2, kClose = 0x8, kPing = 0x9, kPong = 0xA };

struct Frame {
  bool fin = true;
  Opcode opcode = Opcode::kText;
  bool masked = false;  // whether it arrived masked (the payload here is always unmasked)
  std::string payload;
};

using MaskKey = std::array<uint8_t, 4>;

// One frame's bytes. A client passes its `mask`; a server sends unmasked frames.
std::string encodeFrame(Opcode opcode, std::string_view payload, const MaskKey* mask = nullptr, bool fin = true);

// Decodes the frame at the front of `data`: the frame, with *consumed set to its length; std::nullopt when `data`
// holds only the start of one; kInvalidArgument for a protocol error (reserved bits set, an unknown opcode, a
// control frame fragmented or over 125 bytes, a payload over `maxPayload`).
Result<std::optional<Frame>> decodeFrame(std::string_view data, size_t maxPayload, size_t* consumed);

// A close frame's payload: the code (big-endian) and a reason.
std::string closePayload(uint16_t code, std::string_view reason);

// Checks that `request` opens a WebSocket (GET, Upgrade: websocket, Connection: upgrade, Sec-WebSocket-Version 13,
// a Sec-WebSocket-Key) and returns the bytes of the 101 answer. A non-empty `protocol` is selected (echoed in
// Sec-WebSocket-Protocol) if the client offered it; kInvalidArgument if it did not, or for a bad handshake.
Result<std::string> handshakeResponse(const Request& request, std::string_view protocol);

// The bytes under a Session: a plain socket, or TLS over one.
class Transport {
 public:
  using Handler = std::function<void(boost::system::error_code, size_t)>;
  virtual ~Transport() = default;
  virtual void readSome(boost::asio::mutable_buffer buffer, Handler done) = 0;
  virtual void write(boost::asio::const_buffer buffer, Handler done) = 0;  // all of it
  virtual void close() = 0;
  virtual boost::asio::any_io_executor executor() = 0;
};

// A Transport over any Asio stream (tcp::socket, beast::tcp_stream, beast::ssl_stream<beast::tcp_stream>).
template <typename Stream>
class StreamTransport final : public Transport {
 public:
  explicit StreamTransport(Stream stream) : stream_(std::move(stream)) {}
  void readSome(boost::asio::mutable_buffer buffer, Handler done) override {
    stream_.async_read_some(buffer, std::move(done));
  }
  void write(boost::asio::const_buffer buffer, Handler done) override {
    boost::asio::async_write(stream_, buffer, std::move(done));
  }
  void close() override {
    boost::system::error_code ignored;
    auto& lowest = boost::beast::get_lowest_layer(stream_);
    if constexpr (requires { lowest.socket(); }) {
      lowest.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
      lowest.socket().close(ignored);
    } else {
      lowest.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
      lowest.close(ignored);
    }
  }
  boost::asio::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  Stream stream_;
};

// One side of a WebSocket connection: answers pings, echoes a close, assembles fragmented messages, and queues
// outgoing messages. Owned by shared_ptr (its pending operations hold it).
class Session : public std::enable_shared_from_this<Session> {
 public:
  struct Limits {
    size_t maxMessageBytes = 1u << 20;         // a client's message (all its fragments); over it: close 1009
    size_t maxQueuedBytes = 4u << 20;          // outgoing bytes not yet written; over it, sendText() drops
    std::chrono::milliseconds idleTimeout{60'000};  // no frame from the client this long: the session ends
    std::chrono::milliseconds maxLifetime{0};       // 0: none; else the session is closed (1000) this long after start
    bool sendsKeepAlive = false;  // a message sent restarts the idle timeout too (a server that only pushes)
    bool client = false;          // the client side: every frame sent is masked, as RFC 6455 requires
  };
  struct Handlers {
    std::function<void(std::string)> onMessage;  // a complete text or binary message from the client
    std::function<void()> onClose;               // once, when the session ends, whichever side ended it
    std::function<void(std::string)> onBinaryMessage = nullptr;  // if set, binary messages come here, not to onMessage
  };
  // How the session ended (read it in onClose): the close frame's code and reason, from the client if it closed
  // first, else the ones this side sent; 1006 and not clean if the connection just ended.
  struct CloseInfo {
    uint16_t code = 1006;
    std::string reason;
    bool clean = false;
  };

  Session(boost::asio::ip::tcp::socket socket, std::string buffered, Limits limits);
  Session(std::unique_ptr<Transport> transport, std::string buffered, Limits limits);
  ~Session();

  // Writes `handshake` (the raw 101 answer; empty on the client side), then reads frames and dispatches them.
  void start(std::string handshake, Handlers handlers);
  // Queues a text message. False, and nothing sent, when the session is closing or its queue is full.
  bool sendText(std::string_view text);
  // The same for a binary message.
  bool sendBinary(std::string_view bytes);
  // Sends a close frame and ends the session once it is written (or at once if the socket is gone).
  void close(uint16_t code, std::string_view reason);
  bool closed() const { return closing_ || finished_; }
  const CloseInfo& closeInfo() const { return closeInfo_; }

 private:
  void read();
  void onFrame(Frame frame);
  void deliver(Opcode opcode, std::string message);
  bool sendMessage(Opcode opcode, std::string_view payload);
  void queue(std::string bytes);
  void write();
  void armIdleTimer();
  void finish();
  std::string frame(Opcode opcode, std::string_view payload);

  std::unique_ptr<Transport> transport_;
  std::string in_;  // bytes read and not yet decoded
  Limits limits_;
  Handlers handlers_;
  boost::asio::steady_timer idle_;
  boost::asio::steady_timer lifetime_;
  std::array<char, 16 * 1024> chunk_;
  std::string message_;             // a fragmented message being assembled
  std::optional<Opcode> messageOpcode_;
  std::deque<std::string> out_;
  size_t queuedBytes_ = 0;
  bool writing_ = false;
  bool closing_ = false;  // a close frame is queued: nothing more is sent
  bool finished_ = false;
  bool closeKnown_ = false;  // closeInfo_ holds a close frame's code (received or sent)
  CloseInfo closeInfo_;
};

}  // namespace islet::net::websocket
