#include "net/http_server.h"

#include <boost/asio/socket_base.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <cassert>
#include <cstring>
#include <deque>
#include <optional>

#include "base/log.h"

namespace islet::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string_view reasonPhrase(int status) {
  if (status < 100 || status > 999) return {};
  auto s = http::obsolete_reason(static_cast<http::status>(status));
  std::string_view text(s.data(), s.size());
  if (text == "<unknown-status>") return {};  // Beast's placeholder, not a reason phrase
  return text;
}

namespace {

bool isHopByHop(std::string_view lowerName) {
  return lowerName == "connection" || lowerName == "keep-alive" || lowerName == "transfer-encoding" ||
         lowerName == "te" || lowerName == "trailer" || lowerName == "upgrade" || lowerName == "proxy-connection" ||
         lowerName == "content-length";
}

// Header values from a worker were validated by Headers; this guards the wire anyway.
bool safeHeader(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c == '\r' || c == '\n' || c == ':' || c == ' ' || c == '\0') return false;
  }
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

}  // namespace

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `counted`: the Listener's count already includes this connection (Listener::reserve).
  Connection(tcp::socket socket, std::shared_ptr<const Handler> handler,
             std::shared_ptr<const Listener::IdlePlacer> idlePlacer, const ServerLimits& limits,
             std::shared_ptr<std::atomic<int>> count, bool counted = false)
      : stream_(std::move(socket)),
        handler_(std::move(handler)),
        idlePlacer_(std::move(idlePlacer)),
        limits_(limits),
        count_(std::move(count)) {
    if (!counted) count_->fetch_add(1, std::memory_order_relaxed);
    beast::error_code ignored;
    stream_.socket().non_blocking(true, ignored);  // send() writes without waiting, and waits only asynchronously
  }
  ~Connection() { count_->fetch_sub(1, std::memory_order_relaxed); }

  void start() { readRequest(); }

  // Gives up the socket to another thread (Exchange::handOff), unless a request body is still on it.
  std::unique_ptr<Exchange::Handoff> handOff() {
    if (bodyUnread_ || continuePending_ || !open_) return nullptr;
    beast::error_code ec;
    auto endpoint = stream_.socket().local_endpoint(ec);
    if (ec) return nullptr;
    stream_.expires_never();
    tcp::socket socket = stream_.release_socket();
    int fd = socket.release(ec);  // out of this loop's reactor, still open
    if (ec) {
      stream_.socket() = std::move(socket);
      return nullptr;
    }
    open_ = false;
    auto handoff = std::make_unique<Exchange::Handoff>(fd, endpoint.protocol());
    handoff->buffered.assign(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.consume(buffer_.size());
    handoff->keepAlive = keepAlive_;
    return handoff;
  }

  // The other side of a handoff: the bytes read ahead on the old thread, then the request it carried.
  void adopt(Exchange::Handoff& handoff) {
    auto space = buffer_.prepare(handoff.buffered.size());
    std::memcpy(space.data(), handoff.buffered.data(), handoff.buffered.size());
    buffer_.commit(handoff.buffered.size());
    if (!handoff.hasRequest) return readRequest();
    keepAlive_ = handoff.keepAlive;
    auto exchange = std::make_shared<Exchange>(shared_from_this(), std::move(handoff.request));
    exchange->adopted_ = true;
    (*handler_)(std::move(exchange));
  }

  // Hands the socket and the bytes read past the current request to a new owner; the connection is done.
  Exchange::Upgraded release() {
    stream_.expires_never();
    std::string buffered(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.consume(buffer_.size());
    return {stream_.release_socket(), std::move(buffered)};
  }

  void send(const Request& request, Response response) {
    bool head = request.method == "HEAD";
    bool noBody = head || response.status == 204 || response.status == 304 || response.status < 200;
    formatHead(response, /*chunked=*/false);
    body_ = noBody ? std::string() : std::move(response.body);
    // Written now when the socket takes it all (most responses fit its buffer): the connection then goes on at once
    // (reads its next request, or moves to another loop) rather than a turn of the loop later, behind whatever
    // was queued meanwhile — on a loop running 50 ms requests, that was one of them.
    beast::error_code ec;
    size_t written =
        stream_.socket().write_some(std::array<asio::const_buffer, 2>{asio::buffer(head_), asio::buffer(body_)}, ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) return close();
    if (!ec && written == head_.size() + body_.size()) return afterResponse();
    if (!ec) {
      size_t fromHead = std::min(written, head_.size());
      head_.erase(0, fromHead);
      body_.erase(0, written - fromHead);
    }
    stream_.expires_after(limits_.writeTimeout);
    std::array<asio::const_buffer, 2> buffers = {asio::buffer(head_), asio::buffer(body_)};
    asio::async_write(stream_, buffers, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->close();
      self->afterResponse();
    });
  }

  // The streamed form: head now, then chunks as the worker produces them. Writes are queued so that at most one
  // is on the socket at a time.
  class ChunkedWriter final : public Exchange::BodyWriter, public std::enable_shared_from_this<ChunkedWriter> {
   public:
    ChunkedWriter(std::shared_ptr<Connection> c, bool noBody) : c_(std::move(c)), noBody_(noBody) {}
    void start(std::string head) { enqueue(std::move(head), nullptr, false); }
    void write(std::string chunk, std::function<void(bool)> done) override {
      if (ended_ || !c_->open_) return done(false);
      if (noBody_ || chunk.empty()) return done(true);
      std::string framed = fmt::format("{:x}\r\n", chunk.size());
      framed += chunk;
      framed += "\r\n";
      enqueue(std::move(framed), std::move(done), false);
    }
    void end() override {
      if (ended_) return;
      ended_ = true;
      enqueue(noBody_ ? std::string() : std::string("0\r\n\r\n"), nullptr, true);
    }
    void abort() override {
      ended_ = true;
      queue_.clear();
      c_->close();
    }

   private:
    struct Item {
      std::string bytes;
      std::function<void(bool)> done;
      bool last;
    };
    void enqueue(std::string bytes, std::function<void(bool)> done, bool last) {
      queue_.push_back(Item{std::move(bytes), std::move(done), last});
      if (!writing_) pump();
    }
    void pump() {
      if (queue_.empty()) return;
      if (!c_->open_) {
        auto items = std::move(queue_);
        queue_.clear();
        for (auto& item : items) {
          if (item.done) item.done(false);
        }
        return;
      }
      writing_ = true;
      current_ = std::move(queue_.front());
      queue_.pop_front();
      c_->stream_.expires_after(c_->limits_.writeTimeout);
      asio::async_write(c_->stream_, asio::buffer(current_.bytes),
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          self->writing_ = false;
                          Item item = std::move(self->current_);
                          if (ec) self->c_->close();
                          if (item.done) item.done(!ec);
                          if (!ec && item.last) self->c_->afterResponse();
                          self->pump();
                        });
    }
    std::shared_ptr<Connection> c_;
    bool noBody_;
    bool ended_ = false;
    bool writing_ = false;
    std::deque<Item> queue_;
    Item current_;
  };

  std::shared_ptr<Exchange::BodyWriter> sendHead(const Request& request, Response response) {
    bool noBody = request.method == "HEAD" || response.status == 204 || response.status == 304 || response.status < 200;
    formatHead(response, /*chunked=*/!noBody);
    if (continuePending_) {
      continuePending_ = false;
      head_.insert(0, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    auto writer = std::make_shared<ChunkedWriter>(shared_from_this(), noBody);
    writer->start(std::move(head_));
    return writer;
  }

  void afterResponse() {
    // A request body the handler left unread is still on the socket: the connection cannot carry another request.
    if (!keepAlive_ || bodyUnread_) return close();
    if (*idlePlacer_) {
      if (Listener* to = (*idlePlacer_)()) {
        if (auto handoff = handOff()) {
          handoff->hasRequest = false;  // the next request, read ahead or not, is read where it goes
          return to->takeOver(std::move(handoff));
        }
      }
    }
    readRequest();
  }

  void formatHead(const Response& response, bool chunked) {
    std::string& out = head_;
    out.clear();
    std::string_view reason = response.statusText.empty() ? reasonPhrase(response.status) : response.statusText;
    fmt::format_to(std::back_inserter(out), "HTTP/1.1 {} {}\r\n", response.status, reason);
    for (const auto& [name, value] : response.headers) {
      std::string lower = name;
      for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') c += 32;
      }
      if (isHopByHop(lower) || !safeHeader(name, value)) continue;
      out += name;
      out += ": ";
      out += value;
      out += "\r\n";
    }
    if (chunked) {
      out += "transfer-encoding: chunked\r\n";
    } else if (response.status != 204 && response.status != 304 && response.status >= 200) {
      fmt::format_to(std::back_inserter(out), "content-length: {}\r\n", response.body.size());
    }
    if (!keepAlive_) out += "connection: close\r\n";
    out += "\r\n";
  }

 private:
  void readRequest() {
    headParser_.emplace();
    headParser_->header_limit(static_cast<uint32_t>(limits_.maxHeaderBytes));
    headParser_->body_limit(limits_.maxBodyBytes);  // a declared length over the limit fails with the head
    stream_.expires_after(limits_.readTimeout);
    http::async_read_header(stream_, buffer_, *headParser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) { self->onHead(ec); });
  }

  void onHead(beast::error_code ec) {
    if (ec) return onReadError(ec);
    auto& msg = headParser_->get();
    Request request;
    request.method = std::string(msg.method_string());
    request.target = std::string(msg.target());
    request.version = msg.version();
    request.headers.reserve(8);
    bool expectContinue = false;
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (char& c : name) {
        if (c >= 'A' && c <= 'Z') c += 32;
      }
      if (name == "host") request.host = std::string(field.value());
      if (name == "expect" && beast::iequals(field.value(), "100-continue")) expectContinue = request.version >= 11;
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    keepAlive_ = msg.keep_alive();
    if (request.version >= 11 && request.host.empty()) {
      keepAlive_ = false;
      return sendError(400, "Bad Request: missing Host header\n");
    }
    if (headParser_->is_done()) return dispatch(std::move(request));
    std::optional<uint64_t> length;
    if (auto declared = headParser_->content_length()) length = *declared;
    bool whole = length ? *length <= limits_.bufferBodiesUpTo : limits_.bufferBodiesUpTo == SIZE_MAX;
    if (!whole) {
      bodyUnread_ = true;
      continuePending_ = expectContinue;
      request.bodyStream = std::make_shared<SocketBody>(shared_from_this(), std::move(*headParser_), length);
      headParser_.reset();
      return dispatch(std::move(request));
    }
    if (expectContinue) writeContinue();
    wholeParser_.emplace(std::move(*headParser_));
    headParser_.reset();
    wholeParser_->body_limit(limits_.maxBodyBytes);
    waiting_ = std::move(request);
    http::async_read(stream_, buffer_, *wholeParser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->onReadError(ec);
      self->waiting_.body = std::move(self->wholeParser_->get().body());
      self->wholeParser_.reset();
      self->dispatch(std::move(self->waiting_));
    });
  }

  void dispatch(Request request) {
    auto exchange = std::make_shared<Exchange>(shared_from_this(), std::move(request));
    (*handler_)(std::move(exchange));
  }

  // "100 Continue" for a client that waits for it before sending its body. Written at once (a few bytes on a socket
  // with nothing else queued), so it cannot interleave with a response written later.
  void writeContinue() {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    beast::error_code ignored;
    asio::write(stream_.socket(), asio::buffer(kContinue.data(), kContinue.size()), ignored);
  }

  // A request body read from the socket as the handler asks for it, a piece of at most kPiece bytes at a time.
  class SocketBody final : public BodyReader, public std::enable_shared_from_this<SocketBody> {
   public:
    static constexpr size_t kPiece = 64 * 1024;
    SocketBody(std::shared_ptr<Connection> c, http::request_parser<http::empty_body>&& head,
               std::optional<uint64_t> length)
        : c_(std::move(c)), parser_(std::move(head)), length_(length) {
      parser_.body_limit(c_->limits_.maxBodyBytes);
    }
    std::optional<uint64_t> length() const override { return length_; }
    void cancel() override {
      cancelled_ = true;
      c_->keepAlive_ = false;  // the rest of the body is never read, so the connection cannot carry another request
    }
    void read(ReadCallback done) override {
      if (cancelled_ || !error_.empty() || finished_ || !c_->open_) {
        Result<std::string> r = std::string();
        if (!finished_) {
          r = Status::unavailable(!error_.empty() ? error_
                                  : cancelled_    ? std::string("the request body was cancelled")
                                                  : std::string("the client connection is closed"));
        }
        asio::post(c_->stream_.get_executor(), [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
        return;
      }
      if (c_->continuePending_) {
        c_->continuePending_ = false;
        c_->writeContinue();
      }
      buffer_.resize(kPiece);
      parser_.get().body().data = buffer_.data();
      parser_.get().body().size = buffer_.size();
      parser_.get().body().more = true;
      c_->stream_.expires_after(c_->limits_.readTimeout);
      http::async_read(c_->stream_, c_->buffer_, parser_,
                       [self = shared_from_this(), done = std::move(done)](beast::error_code ec, size_t) mutable {
                         self->onRead(ec, std::move(done));
                       });
    }

   private:
    void onRead(beast::error_code ec, ReadCallback done) {
      if (ec == http::error::need_buffer) ec = {};
      size_t got = kPiece - parser_.get().body().size;
      if (!ec && parser_.is_done()) {
        finished_ = true;
        c_->bodyUnread_ = false;
      }
      if (ec) {
        c_->keepAlive_ = false;
        error_ = ec == http::error::body_limit
                     ? fmt::format("the request body is larger than {} bytes", c_->limits_.maxBodyBytes)
                 : ec == beast::error::timeout ? std::string("the client stopped sending the request body")
                 : ec == http::error::partial_message || ec == http::error::end_of_stream || ec == asio::error::eof
                     ? std::string("the client closed the connection before the end of the request body")
                     : fmt::format("reading the request body failed: {}", ec.message());
        log::debug("http: {}", error_);
        return done(Status::unavailable(error_));
      }
      if (cancelled_) return done(Status::unavailable("the request body was cancelled"));
      if (got == 0 && !finished_) return read(std::move(done));  // only framing arrived (a chunk header)
      done(std::string(buffer_.data(), got));
    }

    std::shared_ptr<Connection> c_;
    http::request_parser<http::buffer_body> parser_;
    std::optional<uint64_t> length_;
    std::string buffer_;
    std::string error_;
    bool finished_ = false;
    bool cancelled_ = false;
  };

  void onReadError(beast::error_code ec) {
    keepAlive_ = false;
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted) {
      return close();
    }
    // tcp_stream has already closed the socket on a timeout: an idle or slow client is simply disconnected.
    if (ec == beast::error::timeout) return close();
    bool started = (headParser_ && headParser_->got_some()) || wholeParser_ || buffer_.size() > 0;
    if (ec == http::error::header_limit) return sendError(431, "Request Header Fields Too Large\n");
    if (ec == http::error::body_limit) return sendError(413, "Payload Too Large\n");
    if (!started) return close();
    log::debug("http: malformed request: {}", ec.message());
    sendError(400, fmt::format("Bad Request: {}\n", ec.message()));
  }

  void sendError(int status, std::string body) {
    Request dummy;
    dummy.method = "GET";
    Response r;
    r.status = status;
    r.headers.emplace_back("content-type", "text/plain; charset=utf-8");
    r.body = std::move(body);
    send(dummy, std::move(r));
  }

  void close() {
    open_ = false;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  std::shared_ptr<const Handler> handler_;
  std::shared_ptr<const Listener::IdlePlacer> idlePlacer_;
  const ServerLimits limits_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> headParser_;
  std::optional<http::request_parser<http::string_body>> wholeParser_;  // a body read whole before dispatch
  Request waiting_;                                                     // its request, meanwhile
  bool bodyUnread_ = false;  // a streamed request body not yet read to its end
  // The client waits for "100 Continue" before sending that body: sent at its first read, or ahead of a streamed
  // response (which may go on to read it); a whole response answers without it, and the connection then closes.
  bool continuePending_ = false;
  bool keepAlive_ = true;
  std::string head_;
  std::string body_;
  bool open_ = true;
  std::shared_ptr<std::atomic<int>> count_;  // the Listener's count of open connections
};

Exchange::Upgraded Exchange::upgrade() {
  assert(!responded_ && connection_);  // only an exchange read from a connection can be upgraded
  responded_ = true;
  auto upgraded = connection_->release();
  connection_.reset();
  return upgraded;
}

Exchange::Exchange(std::shared_ptr<Connection> connection, Request request)
    : connection_(std::move(connection)), request_(std::move(request)) {}

Exchange::Handoff::~Handoff() {
  if (fd >= 0) ::close(fd);
  if (reservedIn) reservedIn->fetch_sub(1, std::memory_order_relaxed);
}

std::unique_ptr<Exchange::Handoff> Exchange::handOff() {
  if (responded_ || !connection_ || request_.bodyStream) return nullptr;
  auto handoff = connection_->handOff();
  if (!handoff) return nullptr;
  responded_ = true;
  connection_.reset();
  handoff->request = std::move(request_);
  return handoff;
}

namespace {
// A streamed response to an in-process caller (a service binding): chunks are collected and delivered whole.
class BufferingWriter final : public Exchange::BodyWriter {
 public:
  BufferingWriter(Response head, std::function<void(Response)> onRespond)
      : response_(std::move(head)), onRespond_(std::move(onRespond)) {}
  void write(std::string chunk, std::function<void(bool)> done) override {
    if (!onRespond_) return done(false);
    response_.body += chunk;
    done(true);
  }
  void end() override {
    if (!onRespond_) return;
    auto callback = std::move(onRespond_);
    callback(std::move(response_));
  }
  void abort() override {
    if (!onRespond_) return;
    auto callback = std::move(onRespond_);
    Response failed;
    failed.status = 502;
    failed.body = "the service's response body failed\n";
    callback(std::move(failed));
  }

 private:
  Response response_;
  std::function<void(Response)> onRespond_;
};
}  // namespace

std::shared_ptr<Exchange::BodyWriter> Exchange::respondStreaming(Response head) {
  if (responded_) return nullptr;
  responded_ = true;
  if (connection_) {
    auto writer = connection_->sendHead(request_, std::move(head));
    connection_.reset();
    return writer;
  }
  head.body.clear();
  return std::make_shared<BufferingWriter>(std::move(head), std::move(onRespond_));
}

Exchange::Exchange(Request request, std::function<void(Response)> onRespond)
    : onRespond_(std::move(onRespond)), request_(std::move(request)) {}

void Exchange::respond(Response response) {
  if (responded_) return;
  responded_ = true;
  if (connection_) {
    connection_->send(request_, std::move(response));
    connection_.reset();
  } else if (onRespond_) {
    auto callback = std::move(onRespond_);
    callback(std::move(response));
  }
}

Listener::Listener(asio::io_context& io, Handler handler, ServerLimits limits)
    : io_(io), acceptor_(io), handler_(std::make_shared<const Handler>(std::move(handler))), limits_(limits) {}

Listener::~Listener() { close(); }

Status openAcceptor(tcp::acceptor& acceptor, const tcp::endpoint& endpoint, bool reusePort) {
  beast::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && reusePort) {
    int one = 1;
    if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      return Status::unavailable("setsockopt(SO_REUSEPORT) failed");
    }
  }
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::unavailable(
        fmt::format("cannot listen on {}:{}: {}", endpoint.address().to_string(), endpoint.port(), ec.message()));
  }
  return Status::ok();
}

Status Listener::listen(const tcp::endpoint& endpoint) {
  Status s = openAcceptor(acceptor_, endpoint, /*reusePort=*/true);
  if (!s.isOk()) return s;
  accept();
  return Status::ok();
}

tcp::endpoint Listener::localEndpoint() const {
  beast::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void Listener::close() {
  beast::error_code ignored;
  acceptor_.close(ignored);
}

void Listener::takeOver(std::unique_ptr<Exchange::Handoff> handoff) {
  connections_->fetch_add(1, std::memory_order_relaxed);
  handoff->reservedIn = connections_;
  asio::post(io_, [this, handoff = std::move(handoff)]() mutable { adopt(std::move(handoff)); });
}

void Listener::adopt(std::unique_ptr<Exchange::Handoff> handoff) {
  tcp::socket socket(io_);
  beast::error_code ec;
  socket.assign(handoff->protocol, handoff->fd, ec);
  if (ec) {
    log::warn("http: cannot adopt a connection: {}", ec.message());
    return;  // the handoff closes the descriptor
  }
  handoff->fd = -1;
  bool counted = handoff->reservedIn == connections_;
  if (counted) handoff->reservedIn.reset();  // the connection takes over the reservation
  std::make_shared<Connection>(std::move(socket), handler_, idlePlacer_, limits_, connections_, counted)->adopt(*handoff);
}

void Listener::accept() {
  acceptor_.async_accept(io_, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Connection>(std::move(socket), handler_, idlePlacer_, limits_, connections_)->start();
    } else {
      log::warn("http: accept failed: {}", ec.message());
    }
    accept();
  });
}

}  // namespace islet::net
