#include <utility>  // before Asio's awaitable.hpp, which uses std::exchange

#include "net/http_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <fmt/format.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <limits>
#include <map>
#include <variant>

#include "base/log.h"

namespace islet::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

bool inV4(const asio::ip::address_v4& a, uint32_t net, int bits) {
  uint32_t mask = bits == 0 ? 0 : ~uint32_t(0) << (32 - bits);
  return (a.to_uint() & mask) == (net & mask);
}

struct ClientConnection {
  std::variant<std::unique_ptr<beast::tcp_stream>, std::unique_ptr<beast::ssl_stream<beast::tcp_stream>>> stream;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idleSince;
  beast::tcp_stream& tcp() {
    if (auto* p = std::get_if<0>(&stream)) return **p;
    return beast::get_lowest_layer(*std::get<1>(stream));
  }
};

// Awaits the next piece of a BodyReader.
template <typename Token>
auto asyncPull(BodyReader& reader, Token&& token) {
  return asio::async_initiate<Token, void(Result<std::string>)>(
      [&reader](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        reader.read([shared](Result<std::string> piece) { (*shared)(std::move(piece)); });
      },
      token);
}

// A failure that is the request body's (its producer failed), not the connection's: never retried.
struct BodyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using StreamParser = http::response_parser<http::buffer_body>;

}  // namespace

bool HttpClient::isPublicAddress(const asio::ip::address& address) {
  if (address.is_v4()) {
    auto a = address.to_v4();
    return !(inV4(a, 0x00000000, 8) || inV4(a, 0x0A000000, 8) || inV4(a, 0x7F000000, 8) || inV4(a, 0xA9FE0000, 16) ||
             inV4(a, 0xAC100000, 12) || inV4(a, 0xC0A80000, 16) || inV4(a, 0x64400000, 10) ||
             inV4(a, 0xE0000000, 4) || inV4(a, 0xF0000000, 4));
  }
  auto a = address.to_v6();
  if (a.is_v4_mapped()) return isPublicAddress(asio::ip::make_address_v4(asio::ip::v4_mapped, a));
  auto b = a.to_bytes();
  bool uniqueLocal = (b[0] & 0xFE) == 0xFC;
  return !(a.is_loopback() || a.is_unspecified() || a.is_link_local() || a.is_multicast() || uniqueLocal ||
           a.is_site_local());
}

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  Impl(asio::io_context& io, ClientOptions options)
      : io(io), options(options), tls(ssl::context::tls_client), resolver(io) {
    tls.set_default_verify_paths();
    tls.set_verify_mode(ssl::verify_peer);
  }

  asio::io_context& io;
  ClientOptions options;
  ssl::context tls;
  tcp::resolver resolver;
  std::multimap<std::string, std::unique_ptr<ClientConnection>> idle;  // by origin
  bool closed = false;

  static std::string origin(const ClientRequest& r) {
    return fmt::format("{}://{}:{}", r.https ? "https" : "http", r.host, r.port);
  }

  std::unique_ptr<ClientConnection> takeIdle(const std::string& key) {
    auto now = std::chrono::steady_clock::now();
    while (true) {
      auto it = idle.find(key);
      if (it == idle.end()) return nullptr;
      auto c = std::move(it->second);
      idle.erase(it);
      if (now - c->idleSince < std::chrono::seconds(30)) return c;
    }
  }

  asio::awaitable<std::unique_ptr<ClientConnection>> connect(const ClientRequest& r) {
    auto results = co_await resolver.async_resolve(r.host, std::to_string(r.port), asio::use_awaitable);
    std::vector<tcp::endpoint> allowed;
    for (const auto& entry : results) {
      if (options.allowPrivateAddresses || isPublicAddress(entry.endpoint().address())) allowed.push_back(entry.endpoint());
    }
    if (allowed.empty()) {
      throw std::runtime_error(fmt::format("{} resolves only to private or local addresses, which workers may not reach",
                                           r.host));
    }
    auto c = std::make_unique<ClientConnection>();
    auto tcpStream = std::make_unique<beast::tcp_stream>(io);
    tcpStream->expires_after(options.timeout);
    co_await tcpStream->async_connect(allowed, asio::use_awaitable);
    tcpStream->socket().set_option(tcp::no_delay(true));
    if (!r.https) {
      c->stream = std::move(tcpStream);
      co_return c;
    }
    auto tlsStream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*tcpStream), tls);
    if (!SSL_set_tlsext_host_name(tlsStream->native_handle(), r.host.c_str())) {
      throw std::runtime_error("cannot set TLS SNI");
    }
    tlsStream->set_verify_callback(ssl::host_name_verification(r.host));
    co_await tlsStream->async_handshake(ssl::stream_base::client, asio::use_awaitable);
    c->stream = std::move(tlsStream);
    co_return c;
  }

  template <typename Stream>
  asio::awaitable<void> writeRequest(Stream& stream, ClientConnection& c, const ClientRequest& r, bool* bodyTouched) {
    http::request<http::empty_body> req;
    req.method_string(r.method);
    req.target(r.target);
    req.version(11);
    for (const auto& [name, value] : r.headers) {
      if (name == "host" || name == "content-length" || name == "transfer-encoding" || name == "connection" ||
          name == "keep-alive" || name == "upgrade" || name == "te" || name == "trailer") {
        continue;
      }
      req.insert(name, value);
    }
    bool defaultPort = (r.https && r.port == 443) || (!r.https && r.port == 80);
    req.set(http::field::host, defaultPort ? r.host : fmt::format("{}:{}", r.host, r.port));
    std::optional<uint64_t> length;
    if (r.bodyStream) {
      length = r.bodyStream->length();
    } else if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
      length = r.body.size();
    }
    if (length) {
      req.content_length(*length);
    } else if (r.bodyStream) {
      req.chunked(true);
    }
    c.tcp().expires_after(options.timeout);
    http::request_serializer<http::empty_body> head(req);
    co_await http::async_write_header(stream, head, asio::use_awaitable);
    if (!r.bodyStream) {
      if (!r.body.empty()) co_await asio::async_write(stream, asio::buffer(r.body), asio::use_awaitable);
      co_return;
    }
    // The body streams: each piece is pulled only once the previous one is on the wire.
    uint64_t sent = 0;
    for (;;) {
      *bodyTouched = true;
      Result<std::string> piece = co_await asyncPull(*r.bodyStream, asio::use_awaitable);
      if (!piece.isOk()) throw BodyError(std::string(piece.status().message()));
      const std::string& bytes = piece.value();
      c.tcp().expires_after(options.timeout);
      if (bytes.empty()) {
        if (!length) co_await asio::async_write(stream, asio::buffer("0\r\n\r\n", 5), asio::use_awaitable);
        if (length && sent != *length) throw BodyError("the request body ended before its declared length");
        co_return;
      }
      sent += bytes.size();
      if (length) {
        if (sent > *length) throw BodyError("the request body is longer than its declared length");
        co_await asio::async_write(stream, asio::buffer(bytes), asio::use_awaitable);
      } else {
        std::string size = fmt::format("{:x}\r\n", bytes.size());
        std::array<asio::const_buffer, 3> framed = {asio::buffer(size), asio::buffer(bytes), asio::buffer("\r\n", 2)};
        co_await asio::async_write(stream, framed, asio::use_awaitable);
      }
    }
  }

  // Sends the request and reads the response head. A short body of declared length is read whole; any other is
  // left on the connection for a StreamParser (set in *streamed).
  template <typename Stream>
  asio::awaitable<ClientResponse> exchange(Stream& stream, ClientConnection& c, const ClientRequest& r, bool* reusable,
                                           bool* bodyTouched, std::unique_ptr<StreamParser>* streamed) {
    co_await writeRequest(stream, c, r, bodyTouched);
    http::response_parser<http::empty_body> head;
    head.header_limit(64 * 1024);
    head.body_limit(std::numeric_limits<uint64_t>::max());  // memory is bounded by streaming, not by a cap
    if (r.method == "HEAD") head.skip(true);
    c.tcp().expires_after(options.timeout);
    co_await http::async_read_header(stream, c.buffer, head, asio::use_awaitable);
    auto& msg = head.get();
    ClientResponse out;
    out.status = static_cast<int>(msg.result_int());
    out.statusText = std::string(msg.reason());
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (char& ch : name) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
      out.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    *reusable = msg.keep_alive();
    if (head.is_done()) co_return out;
    if (auto length = head.content_length(); length && *length <= options.bufferResponsesUpTo) {
      http::response_parser<http::string_body> whole(std::move(head));
      co_await http::async_read(stream, c.buffer, whole, asio::use_awaitable);
      out.body = std::move(whole.get().body());
      *reusable = whole.get().keep_alive();
      co_return out;
    }
    *streamed = std::make_unique<StreamParser>(std::move(head));
    co_return out;
  }

  void giveBack(const std::string& key, std::unique_ptr<ClientConnection> c) {
    if (closed || idle.count(key) >= options.maxIdlePerOrigin) return;
    c->idleSince = std::chrono::steady_clock::now();
    c->tcp().expires_never();
    idle.emplace(key, std::move(c));
  }

  asio::awaitable<void> run(ClientRequest r, Callback done);

  template <typename Stream>
  asio::awaitable<ClientUpgrade> handshake(Stream& stream, ClientConnection& c, const ClientRequest& r) {
    unsigned char nonce[16];
    if (RAND_bytes(nonce, sizeof nonce) != 1) throw std::runtime_error("no randomness for the WebSocket key");
    unsigned char encoded[32];
    int n = EVP_EncodeBlock(encoded, nonce, sizeof nonce);
    std::string key(reinterpret_cast<const char*>(encoded), n > 0 ? static_cast<size_t>(n) : 0);
    http::request<http::empty_body> req;
    req.method(http::verb::get);
    req.target(r.target);
    req.version(11);
    for (const auto& [name, value] : r.headers) {
      if (name == "host" || name == "content-length" || name == "transfer-encoding" || name == "connection" ||
          name == "keep-alive" || name == "upgrade" || name == "te" || name == "trailer" ||
          name == "sec-websocket-key" || name == "sec-websocket-version" || name == "sec-websocket-extensions") {
        continue;  // the handshake's own; no extensions (permessage-deflate) are spoken
      }
      req.insert(name, value);
    }
    bool defaultPort = (r.https && r.port == 443) || (!r.https && r.port == 80);
    req.set(http::field::host, defaultPort ? r.host : fmt::format("{}:{}", r.host, r.port));
    req.set(http::field::upgrade, "websocket");
    req.set(http::field::connection, "Upgrade");
    req.set(http::field::sec_websocket_key, key);
    req.set(http::field::sec_websocket_version, "13");
    c.tcp().expires_after(options.timeout);
    co_await http::async_write(stream, req, asio::use_awaitable);
    http::response_parser<http::empty_body> head;
    head.header_limit(64 * 1024);
    head.body_limit(options.bufferResponsesUpTo);
    co_await http::async_read_header(stream, c.buffer, head, asio::use_awaitable);
    ClientUpgrade out;
    auto& msg = head.get();
    out.response.status = static_cast<int>(msg.result_int());
    out.response.statusText = std::string(msg.reason());
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (char& ch : name) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
      out.response.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    if (out.response.status != 101) {
      if (!head.is_done()) {
        http::response_parser<http::string_body> whole(std::move(head));
        whole.body_limit(options.bufferResponsesUpTo);
        co_await http::async_read(stream, c.buffer, whole, asio::use_awaitable);
        out.response.body = std::move(whole.get().body());
      }
      co_return out;
    }
    if (msg[http::field::sec_websocket_accept] != websocket::acceptValue(key)) {
      throw std::runtime_error("the server's 101 did not accept the WebSocket key");
    }
    out.buffered.assign(static_cast<const char*>(c.buffer.data().data()), c.buffer.size());
    co_return out;
  }

  asio::awaitable<void> runUpgrade(ClientRequest r, std::function<void(Result<ClientUpgrade>)> done) {
    auto self = shared_from_this();
    std::string key = origin(r);
    Result<ClientUpgrade> result = Status::internal("no response");
    try {
      std::unique_ptr<ClientConnection> c = co_await connect(r);
      ClientUpgrade upgraded;
      if (auto* p = std::get_if<0>(&c->stream)) {
        upgraded = co_await handshake(**p, *c, r);
        if (upgraded.response.status == 101) {
          (*p)->expires_never();
          upgraded.transport = std::make_unique<websocket::StreamTransport<beast::tcp_stream>>(std::move(**p));
        }
      } else {
        auto& tls = *std::get<1>(c->stream);
        upgraded = co_await handshake(tls, *c, r);
        if (upgraded.response.status == 101) {
          beast::get_lowest_layer(tls).expires_never();
          upgraded.transport =
              std::make_unique<websocket::StreamTransport<beast::ssl_stream<beast::tcp_stream>>>(std::move(tls));
        }
      }
      result = std::move(upgraded);
    } catch (const boost::system::system_error& e) {
      std::string what = e.code() == beast::error::timeout ? "the handshake timed out" : e.code().message();
      result = Status::unavailable(fmt::format("WebSocket to {} failed: {}", key, what));
    } catch (const std::exception& e) {
      result = Status::unavailable(fmt::format("WebSocket to {} failed: {}", key, e.what()));
    }
    done(std::move(result));
  }
};

namespace {

// A response body read from its connection as it is asked for, a piece of at most kPiece bytes at a time. Once read
// to its end, the connection goes back to the client's pool.
class ClientBody final : public BodyReader, public std::enable_shared_from_this<ClientBody> {
 public:
  static constexpr size_t kPiece = 64 * 1024;
  ClientBody(std::weak_ptr<HttpClient::Impl> impl, asio::io_context& io, std::string key,
             std::unique_ptr<ClientConnection> c, std::unique_ptr<StreamParser> parser, bool reusable,
             std::chrono::milliseconds timeout)
      : impl_(std::move(impl)), io_(io), key_(std::move(key)), c_(std::move(c)), parser_(std::move(parser)),
        reusable_(reusable), timeout_(timeout) {
    if (auto declared = parser_->content_length()) length_ = *declared;
  }

  std::optional<uint64_t> length() const override { return length_; }

  void read(ReadCallback done) override {
    asio::co_spawn(io_, readPiece(shared_from_this(), std::move(done)), asio::detached);
  }

  void cancel() override {
    cancelled_ = true;
    if (c_) {
      beast::error_code ignored;
      c_->tcp().socket().close(ignored);  // an outstanding read ends with an error
    }
  }

 private:
  static asio::awaitable<void> readPiece(std::shared_ptr<ClientBody> self, ReadCallback done) {
    Result<std::string> result = std::string();
    try {
      result = co_await self->next();
    } catch (const boost::system::system_error& e) {
      self->failed_ = true;
      std::string what = e.code() == beast::error::timeout ? std::string("the upstream stopped sending the response body")
                         : self->cancelled_                 ? std::string("the response body was cancelled")
                                                            : e.code().message();
      result = Status::unavailable(fmt::format("reading the response body from {} failed: {}", self->key_, what));
    }
    done(std::move(result));
  }

  asio::awaitable<std::string> next() {
    if (cancelled_) throw boost::system::system_error(asio::error::operation_aborted);
    if (failed_ || !c_) co_return std::string();
    for (;;) {
      buffer_.resize(kPiece);
      parser_->get().body().data = buffer_.data();
      parser_->get().body().size = buffer_.size();
      parser_->get().body().more = true;
      c_->tcp().expires_after(timeout_);
      beast::error_code ec;
      if (auto* p = std::get_if<0>(&c_->stream)) {
        co_await http::async_read(**p, c_->buffer, *parser_, asio::redirect_error(asio::use_awaitable, ec));
      } else {
        co_await http::async_read(*std::get<1>(c_->stream), c_->buffer, *parser_,
                                  asio::redirect_error(asio::use_awaitable, ec));
      }
      if (ec == http::error::need_buffer) ec = {};
      if (ec) throw boost::system::system_error(ec);
      size_t got = kPiece - parser_->get().body().size;
      if (parser_->is_done()) finish();
      if (got > 0) co_return std::string(buffer_.data(), got);
      if (!c_) co_return std::string();
    }
  }

  void finish() {
    auto c = std::move(c_);
    if (!reusable_ || !parser_->get().keep_alive() || cancelled_) return;
    if (auto impl = impl_.lock()) impl->giveBack(key_, std::move(c));
  }

  std::weak_ptr<HttpClient::Impl> impl_;
  asio::io_context& io_;
  std::string key_;
  std::unique_ptr<ClientConnection> c_;
  std::unique_ptr<StreamParser> parser_;
  bool reusable_;
  std::chrono::milliseconds timeout_;
  std::optional<uint64_t> length_;
  std::string buffer_;
  bool cancelled_ = false;
  bool failed_ = false;
};

}  // namespace

asio::awaitable<void> HttpClient::Impl::run(ClientRequest r, Callback done) {
  auto self = shared_from_this();
  std::string key = origin(r);
  Result<ClientResponse> result = Status::internal("no response");
  for (int attempt = 0; attempt < 2; attempt++) {
    std::unique_ptr<ClientConnection> c = takeIdle(key);
    bool reused = c != nullptr;
    bool bodyTouched = false;
    try {
      if (!c) c = co_await connect(r);
      bool reusable = false;
      std::unique_ptr<StreamParser> streamed;
      ClientResponse response;
      if (auto* p = std::get_if<0>(&c->stream)) {
        response = co_await exchange(**p, *c, r, &reusable, &bodyTouched, &streamed);
      } else {
        response = co_await exchange(*std::get<1>(c->stream), *c, r, &reusable, &bodyTouched, &streamed);
      }
      if (streamed) {
        response.bodyStream = std::make_shared<ClientBody>(weak_from_this(), io, key, std::move(c), std::move(streamed),
                                                           reusable, options.timeout);
      } else if (reusable) {
        giveBack(key, std::move(c));
      }
      result = std::move(response);
      break;
    } catch (const BodyError& e) {
      result = Status::unavailable(fmt::format("fetch to {} failed: {}", key, e.what()));
      break;
    } catch (const boost::system::system_error& e) {
      // A reused keep-alive connection the server closed meanwhile: try once more on a fresh one (unless part of a
      // streamed body has been taken, which cannot be taken again).
      if (reused && attempt == 0 && !bodyTouched) continue;
      std::string what = e.code() == beast::error::timeout ? "the request timed out" : e.code().message();
      result = Status::unavailable(fmt::format("fetch to {} failed: {}", key, what));
      break;
    } catch (const std::exception& e) {
      result = Status::unavailable(fmt::format("fetch to {} failed: {}", key, e.what()));
      break;
    }
  }
  if (!result.isOk() && r.bodyStream) r.bodyStream->cancel();
  done(std::move(result));
}

HttpClient::HttpClient(asio::io_context& io, ClientOptions options) : impl_(std::make_shared<Impl>(io, options)) {}

HttpClient::~HttpClient() {
  impl_->closed = true;
  impl_->idle.clear();
}

void HttpClient::send(ClientRequest request, Callback done) {
  auto impl = impl_;
  asio::co_spawn(impl->io, impl->run(std::move(request), std::move(done)), asio::detached);
}

void HttpClient::upgrade(ClientRequest request, std::function<void(Result<ClientUpgrade>)> done) {
  auto impl = impl_;
  asio::co_spawn(impl->io, impl->runUpgrade(std::move(request), std::move(done)), asio::detached);
}

}  // namespace islet::net
