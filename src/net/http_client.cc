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
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <fmt/format.h>

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
  asio::awaitable<ClientResponse> exchange(Stream& stream, ClientConnection& c, const ClientRequest& r, bool* reusable) {
    http::request<http::string_body> req;
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
    req.body() = r.body;
    if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") req.prepare_payload();
    c.tcp().expires_after(options.timeout);
    co_await http::async_write(stream, req, asio::use_awaitable);
    http::response_parser<http::string_body> parser;
    parser.body_limit(options.maxResponseBytes);
    parser.header_limit(64 * 1024);
    if (r.method == "HEAD") parser.skip(true);
    co_await http::async_read_header(stream, c.buffer, parser, asio::use_awaitable);
    // Checked here too: Beast's own body limit was seen not to hold on a reused connection.
    if (auto length = parser.content_length(); length && *length > options.maxResponseBytes) {
      throw boost::system::system_error(http::error::body_limit);
    }
    if (!parser.is_done()) co_await http::async_read(stream, c.buffer, parser, asio::use_awaitable);
    if (parser.get().body().size() > options.maxResponseBytes) throw boost::system::system_error(http::error::body_limit);
    auto& msg = parser.get();
    ClientResponse out;
    out.status = static_cast<int>(msg.result_int());
    out.statusText = std::string(msg.reason());
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (char& ch : name) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
      out.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    out.body = std::move(msg.body());
    *reusable = msg.keep_alive();
    co_return out;
  }

  asio::awaitable<void> run(ClientRequest r, Callback done) {
    auto self = shared_from_this();
    std::string key = origin(r);
    Result<ClientResponse> result = Status::internal("no response");
    for (int attempt = 0; attempt < 2; attempt++) {
      std::unique_ptr<ClientConnection> c = takeIdle(key);
      bool reused = c != nullptr;
      try {
        if (!c) c = co_await connect(r);
        bool reusable = false;
        ClientResponse response;
        if (auto* p = std::get_if<0>(&c->stream)) {
          response = co_await exchange(**p, *c, r, &reusable);
        } else {
          response = co_await exchange(*std::get<1>(c->stream), *c, r, &reusable);
        }
        if (reusable && !closed && idle.count(key) < options.maxIdlePerOrigin) {
          c->idleSince = std::chrono::steady_clock::now();
          c->tcp().expires_never();
          idle.emplace(key, std::move(c));
        }
        result = std::move(response);
        break;
      } catch (const boost::system::system_error& e) {
        // A reused keep-alive connection the server closed meanwhile: try once more on a fresh one.
        if (reused && attempt == 0) continue;
        std::string what = e.code() == beast::error::timeout ? "the request timed out"
                           : e.code() == http::error::body_limit
                               ? fmt::format("the response is larger than {} bytes", options.maxResponseBytes)
                               : e.code().message();
        result = Status::unavailable(fmt::format("fetch to {} failed: {}", key, what));
        break;
      } catch (const std::exception& e) {
        result = Status::unavailable(fmt::format("fetch to {} failed: {}", key, e.what()));
        break;
      }
    }
    done(std::move(result));
  }
};

HttpClient::HttpClient(asio::io_context& io, ClientOptions options) : impl_(std::make_shared<Impl>(io, options)) {}

HttpClient::~HttpClient() {
  impl_->closed = true;
  impl_->idle.clear();
}

void HttpClient::send(ClientRequest request, Callback done) {
  auto impl = impl_;
  asio::co_spawn(impl->io, impl->run(std::move(request), std::move(done)), asio::detached);
}

}  // namespace islet::net
