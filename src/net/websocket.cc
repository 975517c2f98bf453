#include "net/websocket.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <boost/asio/write.hpp>
#include <fmt/format.h>

namespace islet::net::websocket {

namespace asio = boost::asio;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether the comma-separated header value `list` holds `token` (compared case-insensitively when `foldCase`).
bool listHas(std::string_view list, std::string_view token, bool foldCase) {
  std::string want = foldCase ? lower(token) : std::string(token);
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    std::string_view item = trim(list.substr(start, end - start));
    if ((foldCase ? lower(item) : std::string(item)) == want) return true;
    start = end + 1;
  }
  return false;
}

const std::string* findHeader(const Request& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

bool isControl(Opcode op) { return static_cast<uint8_t>(op) >= 0x8; }

}  // namespace

std::string acceptValue(std::string_view key) {
  std::string input(key);
  input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha1(), nullptr) != 1) return {};
  unsigned char encoded[64];
  int n = EVP_EncodeBlock(encoded, digest, static_cast<int>(len));
  return std::string(reinterpret_cast<const char*>(encoded), n > 0 ? static_cast<size_t>(n) : 0);
}

std::string encodeFrame(Opcode opcode, std::string_view payload, const MaskKey* mask, bool fin) {
  std::string out;
  out.reserve(payload.size() + 14);
  out += static_cast<char>((fin ? 0x80 : 0x00) | static_cast<uint8_t>(opcode));
  uint8_t maskBit = mask ? 0x80 : 0x00;
  size_t n = payload.size();
  if (n < 126) {
    out += static_cast<char>(maskBit | n);
  } else if (n <= 0xFFFF) {
    out += static_cast<char>(maskBit | 126);
    out += static_cast<char>((n >> 8) & 0xFF);
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(maskBit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((static_cast<uint64_t>(n) >> shift) & 0xFF);
  }
  if (mask) {
    for (uint8_t b : *mask) out += static_cast<char>(b);
    size_t start = out.size();
    out += payload;
    for (size_t i = 0; i < n; i++) out[start + i] = static_cast<char>(static_cast<uint8_t>(out[start + i]) ^ (*mask)[i % 4]);
  } else {
    out += payload;
  }
  return out;
}

Result<std::optional<Frame>> decodeFrame(std::string_view data, size_t maxPayload, size_t* consumed) {
  *consumed = 0;
  if (data.size() < 2) return std::optional<Frame>();
  auto byte = [&](size_t i) { return static_cast<uint8_t>(data[i]); };
  Frame frame;
  frame.fin = (byte(0) & 0x80) != 0;
  if ((byte(0) & 0x70) != 0) return Status::invalidArgument("reserved bits set (no extension was negotiated)");
  uint8_t op = byte(0) & 0x0F;
  if (!(op <= 0x2 || (op >= 0x8 && op <= 0xA))) return Status::invalidArgument(fmt::format("unknown opcode {}", op));
  frame.opcode = static_cast<Opcode>(op);
  frame.masked = (byte(1) & 0x80) != 0;
  uint64_t length = byte(1) & 0x7F;
  size_t pos = 2;
  if (length == 126) {
    if (data.size() < 4) return std::optional<Frame>();
    length = (static_cast<uint64_t>(byte(2)) << 8) | byte(3);
    pos = 4;
  } else if (length == 127) {
    if (data.size() < 10) return std::optional<Frame>();
    length = 0;
    for (size_t i = 2; i < 10; i++) length = (length << 8) | byte(i);
    if (length >> 63) return Status::invalidArgument("payload length has its top bit set");
    pos = 10;
  }
  if (isControl(frame.opcode) && (!frame.fin || length > 125)) {
    return Status::invalidArgument("a control frame is fragmented or longer than 125 bytes");
  }
  if (length > maxPayload) return Status::invalidArgument(fmt::format("a frame of {} bytes is over the limit", length));
  MaskKey key{};
  if (frame.masked) {
    if (data.size() < pos + 4) return std::optional<Frame>();
    for (size_t i = 0; i < 4; i++) key[i] = byte(pos + i);
    pos += 4;
  }
  if (data.size() - pos < length) return std::optional<Frame>();
  frame.payload.assign(data.substr(pos, static_cast<size_t>(length)));
  if (frame.masked) {
    for (size_t i = 0; i < frame.payload.size(); i++) {
      frame.payload[i] = static_cast<char>(static_cast<uint8_t>(frame.payload[i]) ^ key[i % 4]);
    }
  }
  *consumed = pos + static_cast<size_t>(length);
  return std::optional<Frame>(std::move(frame));
}

std::string closePayload(uint16_t code, std::string_view reason) {
  std::string out;
  out += static_cast<char>(code >> 8);
  out += static_cast<char>(code & 0xFF);
  out += reason.substr(0, 123);
  return out;
}

Result<std::string> handshakeResponse(const Request& request, std::string_view protocol) {
  if (request.method != "GET") return Status::invalidArgument("a WebSocket handshake is a GET");
  const std::string* upgrade = findHeader(request, "upgrade");
  const std::string* connection = findHeader(request, "connection");
  if (!upgrade || !listHas(*upgrade, "websocket", true) || !connection || !listHas(*connection, "upgrade", true)) {
    return Status::invalidArgument("not a WebSocket handshake: send Upgrade: websocket and Connection: Upgrade");
  }
  const std::string* version = findHeader(request, "sec-websocket-version");
  if (!version || trim(*version) != "13") return Status::invalidArgument("Sec-WebSocket-Version must be 13");
  const std::string* key = findHeader(request, "sec-websocket-key");
  if (!key || trim(*key).empty()) return Status::invalidArgument("the handshake has no Sec-WebSocket-Key");
  std::string out = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
  out += fmt::format("Sec-WebSocket-Accept: {}\r\n", acceptValue(trim(*key)));
  if (!protocol.empty()) {
    const std::string* offered = findHeader(request, "sec-websocket-protocol");
    if (!offered || !listHas(*offered, protocol, false)) {
      return Status::invalidArgument(fmt::format("the client must offer the subprotocol {}", protocol));
    }
    out += fmt::format("Sec-WebSocket-Protocol: {}\r\n", protocol);
  }
  out += "\r\n";
  return out;
}

Session::Session(asio::ip::tcp::socket socket, std::string buffered, Limits limits)
    : Session(std::make_unique<StreamTransport<asio::ip::tcp::socket>>(std::move(socket)), std::move(buffered), limits) {}

Session::Session(std::unique_ptr<Transport> transport, std::string buffered, Limits limits)
    : transport_(std::move(transport)), in_(std::move(buffered)), limits_(limits), idle_(transport_->executor()),
      lifetime_(transport_->executor()) {}

std::string Session::frame(Opcode opcode, std::string_view payload) {
  if (!limits_.client) return encodeFrame(opcode, payload);
  MaskKey mask;
  if (RAND_bytes(mask.data(), static_cast<int>(mask.size())) != 1) mask = {0x5a, 0x3c, 0x96, 0xe1};  // never seen
  return encodeFrame(opcode, payload, &mask);
}

Session::~Session() {
  // Ended without finish() (its io_context went away with operations pending): still tell the owner, once.
  if (!finished_ && handlers_.onClose) handlers_.onClose();
}

void Session::start(std::string handshake, Handlers handlers) {
  handlers_ = std::move(handlers);
  if (!handshake.empty()) {
    out_.push_back(std::move(handshake));
    queuedBytes_ += out_.back().size();
    write();
  }
  armIdleTimer();
  if (limits_.maxLifetime.count() > 0) {
    lifetime_.expires_after(limits_.maxLifetime);
    lifetime_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->close(1000, "expired");
    });
  }
  read();
}

bool Session::sendText(std::string_view text) { return sendMessage(Opcode::kText, text); }

bool Session::sendBinary(std::string_view bytes) { return sendMessage(Opcode::kBinary, bytes); }

bool Session::sendMessage(Opcode opcode, std::string_view payload) {
  if (closing_ || finished_) return false;
  if (queuedBytes_ + payload.size() > limits_.maxQueuedBytes) return false;
  queue(frame(opcode, payload));
  if (limits_.sendsKeepAlive) armIdleTimer();
  return true;
}

void Session::close(uint16_t code, std::string_view reason) {
  if (closing_ || finished_) return;
  if (!closeKnown_) {
    closeKnown_ = true;
    closeInfo_ = CloseInfo{code, std::string(reason.substr(0, 123)), true};
  }
  queue(frame(Opcode::kClose, closePayload(code, reason)));
  closing_ = true;
}

void Session::queue(std::string bytes) {
  queuedBytes_ += bytes.size();
  out_.push_back(std::move(bytes));
  write();
}

void Session::write() {
  if (writing_ || out_.empty() || finished_) return;
  writing_ = true;
  transport_->write(asio::buffer(out_.front()), [self = shared_from_this()](boost::system::error_code ec, size_t) {
    self->writing_ = false;
    if (!self->out_.empty()) {
      self->queuedBytes_ -= self->out_.front().size();
      self->out_.pop_front();
    }
    if (ec) return self->finish();
    if (self->out_.empty() && self->closing_) return self->finish();
    self->write();
  });
}

void Session::read() {
  while (!finished_ && !closing_) {
    size_t consumed = 0;
    auto frame = decodeFrame(in_, limits_.maxMessageBytes, &consumed);
    if (!frame.isOk()) {
      bool tooBig = frame.status().message().find("over the limit") != std::string::npos;
      return close(tooBig ? 1009 : 1002, tooBig ? "message too big" : "protocol error");
    }
    if (!frame.value()) break;
    in_.erase(0, consumed);
    onFrame(std::move(*frame.value()));
  }
  if (finished_ || closing_) return;
  transport_->readSome(asio::buffer(chunk_), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
    if (ec) return self->finish();
    self->in_.append(self->chunk_.data(), n);
    self->armIdleTimer();
    self->read();
  });
}

void Session::onFrame(Frame frame) {
  switch (frame.opcode) {
    case Opcode::kPing:
      queue(this->frame(Opcode::kPong, frame.payload));
      return;
    case Opcode::kPong:
      return;
    case Opcode::kClose: {
      uint16_t code = 1000;
      if (frame.payload.size() >= 2) {
        code = static_cast<uint16_t>((static_cast<uint8_t>(frame.payload[0]) << 8) | static_cast<uint8_t>(frame.payload[1]));
      }
      if (!closeKnown_) {
        closeKnown_ = true;
        // No code in the frame is 1005 ("no status received") to the application; the echo says 1000.
        closeInfo_ = CloseInfo{frame.payload.size() >= 2 ? code : uint16_t{1005},
                               frame.payload.size() > 2 ? frame.payload.substr(2) : std::string(), true};
      }
      return close(code, "");
    }
    case Opcode::kText:
    case Opcode::kBinary:
      if (messageOpcode_) return close(1002, "a new message inside a fragmented one");
      if (frame.fin) return deliver(frame.opcode, std::move(frame.payload));
      messageOpcode_ = frame.opcode;
      message_ = std::move(frame.payload);
      return;
    case Opcode::kContinuation:
      if (!messageOpcode_) return close(1002, "a continuation frame outside a message");
      if (message_.size() + frame.payload.size() > limits_.maxMessageBytes) return close(1009, "message too big");
      message_ += frame.payload;
      if (frame.fin) {
        Opcode opcode = *messageOpcode_;
        messageOpcode_.reset();
        std::string message = std::move(message_);
        message_.clear();
        deliver(opcode, std::move(message));
      }
      return;
  }
}

void Session::deliver(Opcode opcode, std::string message) {
  if (opcode == Opcode::kBinary && handlers_.onBinaryMessage) return handlers_.onBinaryMessage(std::move(message));
  if (handlers_.onMessage) handlers_.onMessage(std::move(message));
}

void Session::armIdleTimer() {
  idle_.expires_after(limits_.idleTimeout);
  idle_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->finish();
  });
}

void Session::finish() {
  if (finished_) return;
  finished_ = true;
  idle_.cancel();
  lifetime_.cancel();
  transport_->close();
  auto onClose = std::move(handlers_.onClose);
  handlers_ = {};
  if (onClose) onClose();
}

}  // namespace islet::net::websocket
