// WebSocket: the accept value (RFC 6455's own example), frames both ways (lengths at each encoding boundary,
// masked and unmasked client frames, partial input, protocol errors), the handshake check, and a Session over a
// real socket that takes wrangler's unmasked first frame, answers pings and echoes a close.
#include "net/websocket.h"

#include <gtest/gtest.h>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <mutex>
#include <optional>
#include <thread>

namespace islet::net::websocket {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Frame decodeAll(const std::string& bytes) {
  size_t consumed = 0;
  auto frame = decodeFrame(bytes, 1u << 24, &consumed);
  EXPECT_TRUE(frame.isOk()) << frame.status().message();
  EXPECT_TRUE(frame.isOk() && frame.value().has_value());
  EXPECT_EQ(consumed, bytes.size());
  return frame.isOk() && frame.value() ? *frame.value() : Frame{};
}

TEST(WebSocket, AcceptValueIsTheRfcExample) {
  EXPECT_EQ(acceptValue("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocket, UnmaskedClientFrameDecodes) {
  // What `wrangler tail` sends first: FIN + text, no mask bit.
  std::string payload = R"({"debug":false})";
  std::string bytes;
  bytes += static_cast<char>(0x81);
  bytes += static_cast<char>(payload.size());
  bytes += payload;
  Frame f = decodeAll(bytes);
  EXPECT_TRUE(f.fin);
  EXPECT_EQ(f.opcode, Opcode::kText);
  EXPECT_FALSE(f.masked);
  EXPECT_EQ(f.payload, payload);
}

TEST(WebSocket, MaskedClientFrameIsUnmasked) {
  // RFC 6455 section 5.7: a masked "Hello".
  std::string bytes = {'\x81', '\x85', '\x37', '\xfa', '\x21', '\x3d', '\x7f', '\x9f', '\x4d', '\x51', '\x58'};
  Frame f = decodeAll(bytes);
  EXPECT_TRUE(f.masked);
  EXPECT_EQ(f.payload, "Hello");
  MaskKey key = {0x37, 0xfa, 0x21, 0x3d};
  EXPECT_EQ(encodeFrame(Opcode::kText, "Hello", &key), bytes);
}

TEST(WebSocket, LengthsAtEachEncodingBoundary) {
  for (size_t n : {size_t{0}, size_t{125}, size_t{126}, size_t{65535}, size_t{65536}, size_t{70000}}) {
    std::string payload(n, 'x');
    for (size_t i = 0; i < n; i++) payload[i] = static_cast<char>(i * 7);
    std::string bytes = encodeFrame(Opcode::kBinary, payload);
    size_t header = n < 126 ? 2 : n <= 65535 ? 4 : 10;
    EXPECT_EQ(bytes.size(), header + n) << n;
    Frame f = decodeAll(bytes);
    EXPECT_EQ(f.opcode, Opcode::kBinary);
    EXPECT_EQ(f.payload, payload) << n;
    MaskKey key = {1, 2, 3, 4};
    Frame masked = decodeAll(encodeFrame(Opcode::kBinary, payload, &key));
    EXPECT_EQ(masked.payload, payload) << n;
  }
}

TEST(WebSocket, PartialInputAsksForMore) {
  MaskKey key = {9, 8, 7, 6};
  std::string bytes = encodeFrame(Opcode::kText, std::string(300, 'a'), &key) + encodeFrame(Opcode::kPing, "p");
  size_t first = bytes.size() - 3;  // the ping is 3 bytes (unmasked, 1 byte payload)
  for (size_t cut = 0; cut < first; cut++) {
    size_t consumed = 99;
    auto frame = decodeFrame(std::string_view(bytes).substr(0, cut), 1 << 20, &consumed);
    ASSERT_TRUE(frame.isOk());
    EXPECT_FALSE(frame.value().has_value()) << cut;
    EXPECT_EQ(consumed, 0u);
  }
  size_t consumed = 0;
  auto frame = decodeFrame(bytes, 1 << 20, &consumed);
  ASSERT_TRUE(frame.isOk() && frame.value());
  EXPECT_EQ(consumed, first);
  auto ping = decodeFrame(std::string_view(bytes).substr(consumed), 1 << 20, &consumed);
  ASSERT_TRUE(ping.isOk() && ping.value());
  EXPECT_EQ(ping.value()->opcode, Opcode::kPing);
  EXPECT_EQ(ping.value()->payload, "p");
}

TEST(WebSocket, ProtocolErrors) {
  size_t consumed = 0;
  std::string reserved = {'\xC1', '\x00'};  // RSV1 without an extension
  EXPECT_FALSE(decodeFrame(reserved, 100, &consumed).isOk());
  std::string opcode = {'\x83', '\x00'};  // opcode 3 is reserved
  EXPECT_FALSE(decodeFrame(opcode, 100, &consumed).isOk());
  std::string fragmentedPing = {'\x09', '\x00'};
  EXPECT_FALSE(decodeFrame(fragmentedPing, 100, &consumed).isOk());
  std::string longPing = encodeFrame(Opcode::kPing, std::string(126, 'p'));
  EXPECT_FALSE(decodeFrame(longPing, 1000, &consumed).isOk());
  std::string big = encodeFrame(Opcode::kText, std::string(101, 'b'));
  EXPECT_FALSE(decodeFrame(big, 100, &consumed).isOk());
  // A length is refused before its payload arrives.
  EXPECT_FALSE(decodeFrame(big.substr(0, 4), 100, &consumed).isOk());
}

Request handshakeRequest() {
  Request r;
  r.method = "GET";
  r.target = "/tail";
  r.host = "127.0.0.1";
  r.headers = {{"host", "127.0.0.1"},
               {"upgrade", "websocket"},
               {"connection", "keep-alive, Upgrade"},
               {"sec-websocket-version", "13"},
               {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="},
               {"sec-websocket-protocol", "chat, trace-v1"}};
  return r;
}

TEST(WebSocket, HandshakeEchoesTheProtocolAndChecksTheRequest) {
  auto ok = handshakeResponse(handshakeRequest(), "trace-v1");
  ASSERT_TRUE(ok.isOk()) << ok.status().message();
  EXPECT_TRUE(ok->starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
  EXPECT_NE(ok->find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos);
  EXPECT_NE(ok->find("Sec-WebSocket-Protocol: trace-v1\r\n"), std::string::npos);
  EXPECT_TRUE(ok->ends_with("\r\n\r\n"));

  EXPECT_FALSE(handshakeResponse(handshakeRequest(), "other").isOk());
  Request post = handshakeRequest();
  post.method = "POST";
  EXPECT_FALSE(handshakeResponse(post, "").isOk());
  for (const char* drop : {"upgrade", "connection", "sec-websocket-version", "sec-websocket-key"}) {
    Request r = handshakeRequest();
    std::erase_if(r.headers, [&](const auto& h) { return h.first == drop; });
    EXPECT_FALSE(handshakeResponse(r, "").isOk()) << drop;
  }
}

// A server that upgrades every request and answers each message with "echo:" + the message.
class EchoServer {
 public:
  EchoServer() : listener_(io_, [this](std::shared_ptr<Exchange> e) { accept(std::move(e)); }, ServerLimits{}) {
    EXPECT_TRUE(listener_.listen(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)).isOk());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~EchoServer() {
    io_.stop();
    thread_.join();
  }
  uint16_t port() const { return listener_.localEndpoint().port(); }
  std::atomic<int> closes{0};

 private:
  void accept(std::shared_ptr<Exchange> e) {
    auto answer = handshakeResponse(e->request(), "trace-v1");
    ASSERT_TRUE(answer.isOk());
    auto up = e->upgrade();
    Session::Limits limits;
    limits.maxMessageBytes = 1000;
    auto session = std::make_shared<Session>(std::move(up.socket), std::move(up.buffered), limits);
    std::weak_ptr<Session> weak = session;
    session->start(std::move(answer.value()), {[weak](std::string m) {
                                                 if (auto s = weak.lock()) s->sendText("echo:" + m);
                                               },
                                               [this] { closes++; }});
  }
  asio::io_context io_;
  Listener listener_;
  std::thread thread_;
};

class Client {
 public:
  explicit Client(uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  void send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  std::string readHead() {
    std::string head;
    char c;
    while (!head.ends_with("\r\n\r\n")) {
      asio::read(socket_, asio::buffer(&c, 1));
      head += c;
    }
    return head;
  }
  Frame readFrame() {
    std::string bytes;
    for (;;) {
      size_t consumed = 0;
      auto f = decodeFrame(bytes, 1 << 20, &consumed);
      EXPECT_TRUE(f.isOk());
      if (!f.isOk()) return {};
      if (f.value()) return *f.value();
      char c;
      asio::read(socket_, asio::buffer(&c, 1));
      bytes += c;
    }
  }
  bool atEof() {
    char c;
    boost::system::error_code ec;
    asio::read(socket_, asio::buffer(&c, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
};

std::string handshakeBytes() {
  return "GET /tail HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
         "Sec-WebSocket-Protocol: trace-v1\r\n\r\n";
}

TEST(WebSocketSession, TakesUnmaskedAndMaskedFramesAnswersPingsAndEchoesClose) {
  EchoServer server;
  Client client(server.port());
  // The first frame travels with the handshake, as a hurried client may send it: it must not be lost.
  std::string unmasked;
  unmasked += static_cast<char>(0x81);
  unmasked += static_cast<char>(15);
  unmasked += R"({"debug":false})";
  client.send(handshakeBytes() + unmasked);
  std::string head = client.readHead();
  EXPECT_TRUE(head.starts_with("HTTP/1.1 101 ")) << head;
  EXPECT_NE(head.find("Sec-WebSocket-Protocol: trace-v1"), std::string::npos);
  Frame echo = client.readFrame();
  EXPECT_EQ(echo.opcode, Opcode::kText);
  EXPECT_FALSE(echo.masked);
  EXPECT_EQ(echo.payload, R"(echo:{"debug":false})");

  MaskKey key = {0xde, 0xad, 0xbe, 0xef};
  client.send(encodeFrame(Opcode::kPing, "wrangler tail ping", &key));
  Frame pong = client.readFrame();
  EXPECT_EQ(pong.opcode, Opcode::kPong);
  EXPECT_EQ(pong.payload, "wrangler tail ping");

  // A fragmented, masked message is assembled.
  client.send(encodeFrame(Opcode::kText, "ab", &key, false) + encodeFrame(Opcode::kContinuation, "cd", &key, true));
  EXPECT_EQ(client.readFrame().payload, "echo:abcd");

  client.send(encodeFrame(Opcode::kClose, closePayload(1000, "bye"), &key));
  Frame close = client.readFrame();
  EXPECT_EQ(close.opcode, Opcode::kClose);
  ASSERT_GE(close.payload.size(), 2u);
  EXPECT_EQ((static_cast<uint8_t>(close.payload[0]) << 8) | static_cast<uint8_t>(close.payload[1]), 1000);
  EXPECT_TRUE(client.atEof());
  for (int i = 0; i < 100 && server.closes == 0; i++) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(server.closes, 1);
}

TEST(WebSocketSession, OversizedMessageClosesWith1009) {
  EchoServer server;
  Client client(server.port());
  client.send(handshakeBytes());
  client.readHead();
  client.send(encodeFrame(Opcode::kText, std::string(2000, 'x')));
  Frame close = client.readFrame();
  EXPECT_EQ(close.opcode, Opcode::kClose);
  ASSERT_GE(close.payload.size(), 2u);
  EXPECT_EQ((static_cast<uint8_t>(close.payload[0]) << 8) | static_cast<uint8_t>(close.payload[1]), 1009);
  EXPECT_TRUE(client.atEof());
}

// A server that answers text with text and binary with binary (onBinaryMessage / sendBinary), and records how each
// session ended (closeInfo).
class TypedEchoServer {
 public:
  TypedEchoServer() : listener_(io_, [this](std::shared_ptr<Exchange> e) { accept(std::move(e)); }, ServerLimits{}) {
    EXPECT_TRUE(listener_.listen(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)).isOk());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TypedEchoServer() {
    io_.stop();
    thread_.join();
  }
  uint16_t port() const { return listener_.localEndpoint().port(); }
  // The last session's end, once it ended.
  std::optional<Session::CloseInfo> ended() {
    std::lock_guard<std::mutex> lock(mutex_);
    return ended_;
  }

 private:
  void accept(std::shared_ptr<Exchange> e) {
    auto answer = handshakeResponse(e->request(), "");
    ASSERT_TRUE(answer.isOk());
    auto up = e->upgrade();
    auto session = std::make_shared<Session>(std::move(up.socket), std::move(up.buffered), Session::Limits{});
    std::weak_ptr<Session> weak = session;
    Session* raw = session.get();
    Session::Handlers handlers;
    handlers.onMessage = [weak](std::string m) {
      if (auto s = weak.lock()) s->sendText("text:" + m);
    };
    handlers.onBinaryMessage = [weak](std::string m) {
      if (auto s = weak.lock()) s->sendBinary(m);
    };
    handlers.onClose = [this, raw] {
      std::lock_guard<std::mutex> lock(mutex_);
      ended_ = raw->closeInfo();
    };
    session->start(std::move(answer.value()), std::move(handlers));
  }
  asio::io_context io_;
  Listener listener_;
  std::thread thread_;
  std::mutex mutex_;
  std::optional<Session::CloseInfo> ended_;
};

std::optional<Session::CloseInfo> waitForEnd(TypedEchoServer& server) {
  for (int i = 0; i < 200 && !server.ended(); i++) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return server.ended();
}

TEST(WebSocketSession, BinaryMessagesStayBinaryAndTheClientsCloseIsReported) {
  TypedEchoServer server;
  Client client(server.port());
  client.send(handshakeBytes());
  client.readHead();
  MaskKey key = {1, 2, 3, 4};
  std::string bytes("\x00\x01\xff", 3);
  client.send(encodeFrame(Opcode::kBinary, bytes, &key));
  Frame binary = client.readFrame();
  EXPECT_EQ(binary.opcode, Opcode::kBinary);
  EXPECT_EQ(binary.payload, bytes);
  // A fragmented binary message keeps its type.
  client.send(encodeFrame(Opcode::kBinary, "ab", &key, false) + encodeFrame(Opcode::kContinuation, "cd", &key, true));
  Frame joined = client.readFrame();
  EXPECT_EQ(joined.opcode, Opcode::kBinary);
  EXPECT_EQ(joined.payload, "abcd");
  client.send(encodeFrame(Opcode::kText, "t", &key));
  EXPECT_EQ(client.readFrame().payload, "text:t");

  client.send(encodeFrame(Opcode::kClose, closePayload(4002, "done here"), &key));
  EXPECT_EQ(client.readFrame().opcode, Opcode::kClose);
  auto info = waitForEnd(server);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->code, 4002);
  EXPECT_EQ(info->reason, "done here");
  EXPECT_TRUE(info->clean);
}

TEST(WebSocketSession, AConnectionThatJustEndsIsAnAbnormalClose) {
  TypedEchoServer server;
  {
    Client client(server.port());
    client.send(handshakeBytes());
    client.readHead();
  }
  auto info = waitForEnd(server);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->code, 1006);
  EXPECT_FALSE(info->clean);
}

}  // namespace
}  // namespace islet::net::websocket
