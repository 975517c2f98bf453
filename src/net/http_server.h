// net: the HTTP/1.1 server transport. Knows nothing of workers: it parses requests, enforces the limits of the
// protocol (head size, body size, slow clients), hands each request to a Handler, and writes whatever Response
// the handler gives back with correct framing.
//
// One Listener per event-loop thread, all bound to the same address with SO_REUSEPORT so the kernel spreads
// connections across threads. A Listener, its connections and their Exchanges live on that thread's
// io_context; Exchange::respond() must be called on that thread. A connection can move to another thread between
// requests (Exchange::handOff, Listener::takeOver), so that the thread that runs a request's worker also owns its socket.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "net/body_reader.h"

namespace islet::net {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct ServerLimits {
  size_t maxHeaderBytes = 32 * 1024;     // request line + headers; over it → 431
  size_t maxBodyBytes = 100u << 20;      // over it → 413 (or, once the body streams, a read error)
  // A body of declared length up to this is read whole before the handler runs (Request::body); any other body
  // reaches the handler as Request::bodyStream, read from the socket as the handler asks for it.
  size_t bufferBodiesUpTo = 64 * 1024;
  std::chrono::milliseconds readTimeout{30'000};   // a whole request (or the idle gap before it)
  std::chrono::milliseconds writeTimeout{30'000};
};

struct Request {
  std::string method;
  std::string target;  // as sent: origin-form "/path?q" (or absolute-form)
  std::string host;    // the Host header
  HeaderList headers;  // names lower-cased, in arrival order
  std::string body;
  // Set instead of `body` when the body streams (see ServerLimits::bufferBodiesUpTo). If the response is sent
  // before the body has been read to its end, the connection closes after the response.
  std::shared_ptr<BodyReader> bodyStream;
  unsigned version = 11;  // 10 or 11
};

struct Response {
  int status = 200;
  std::string statusText;  // empty: the standard reason phrase
  HeaderList headers;      // hop-by-hop and framing headers here are ignored: the server frames the body
  std::string body;
};

class Connection;

// One request and the right to answer it, once.
class Exchange {
 public:
  Exchange(std::shared_ptr<Connection> connection, Request request);
  // An exchange with no connection: the response goes to `onRespond` (service bindings, in-process).
  Exchange(Request request, std::function<void(Response)> onRespond);
  const Request& request() const { return request_; }
  Request& request() { return request_; }
  // Sends the response (framing it: Content-Length, no body for HEAD/204/304) and reads the next request
  // if the connection stays open. Later calls are ignored.
  void respond(Response response);
  bool responded() const { return responded_; }

  // Starts a streamed response: sends the head now (chunked framing; no body for HEAD/204/304) and returns the
  // writer for the body. Later respond() calls are ignored.
  class BodyWriter {
   public:
    virtual ~BodyWriter() = default;
    // Queues one chunk; `done(ok)` runs once it is on the wire (ok false: the client is gone, stop writing).
    virtual void write(std::string chunk, std::function<void(bool ok)> done) = 0;
    // Ends the body; the connection then reads the next request.
    virtual void end() = 0;
    // Abandons the response mid-body: the connection is closed, so the client sees it truncated.
    virtual void abort() = 0;
  };
  std::shared_ptr<BodyWriter> respondStreaming(Response head);

  // Takes the connection out of HTTP for a protocol upgrade (a WebSocket): its socket, and the bytes the client
  // sent after this request. The exchange then counts as answered, and the server forgets the connection.
  struct Upgraded {
    boost::asio::ip::tcp::socket socket;
    std::string buffered;
  };
  Upgraded upgrade();
  // Whether upgrade() may be called: not yet answered, and read from a client's connection (not in-process).
  bool upgradable() const { return connection_ != nullptr && !responded_; }

  // The connection carrying this request, taken off this thread's event loop to be given to another thread's
  // Listener (Listener::takeOver), which answers the request and reads the connection's later requests. Owns the
  // socket until adopted: dropped, it closes it.
  struct Handoff {
    Handoff(int fd, boost::asio::ip::tcp protocol) : fd(fd), protocol(protocol) {}
    ~Handoff();
    Handoff(const Handoff&) = delete;
    Handoff& operator=(const Handoff&) = delete;
    int fd;
    boost::asio::ip::tcp protocol;
    std::string buffered;  // bytes the client sent after this request (a pipelined one)
    bool keepAlive = true;
    // False for a connection handed over before any request was parsed (net/front_door.h): `buffered` then
    // holds everything the client has sent, and the adopting Listener reads the first request from it.
    bool hasRequest = true;
    Request request;
    // The count of the Listener that will adopt it, raised already (Listener::takeOver); lowered again if the
    // handoff is dropped unadopted.
    std::shared_ptr<std::atomic<int>> reservedIn;
  };
  // Takes the connection for a Handoff. Only for a request read whole from a client's connection and not yet
  // answered (a streamed body is read by the thread that holds its socket); otherwise null and nothing changes.
  std::unique_ptr<Handoff> handOff();
  // Whether this exchange arrived on a connection handed over by another thread (see Listener::takeOver).
  bool adopted() const { return adopted_; }

 private:
  friend class Connection;  // marks the exchanges of adopted connections
  std::shared_ptr<Connection> connection_;
  std::function<void(Response)> onRespond_;
  Request request_;
  bool responded_ = false;
  bool adopted_ = false;
};

using Handler = std::function<void(std::shared_ptr<Exchange>)>;

// Opens, binds and listens (SO_REUSEADDR, and SO_REUSEPORT when asked); the error names the address.
Status openAcceptor(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& endpoint,
                    bool reusePort);

class Listener {
 public:
  Listener(boost::asio::io_context& io, Handler handler, ServerLimits limits);
  ~Listener();
  // Binds (SO_REUSEPORT) and starts accepting.
  Status listen(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint localEndpoint() const;
  void close();
  // Takes over a connection handed off by another thread's Listener: counted as this Listener's at once (so that
  // connections handed out in a burst are not all sent to one loop), adopted on this Listener's thread, where its
  // request goes to the handler (Exchange::adopted() true) and its later requests are read. Any thread.
  void takeOver(std::unique_ptr<Exchange::Handoff> handoff);
  // Client connections this Listener holds now (accepted or adopted, and not yet closed or handed off), counting
  // those on their way to it; may be read from any thread.
  int connections() const { return connections_->load(std::memory_order_relaxed); }
  // Asked, on this Listener's thread, each time a keep-alive connection has answered a request and would wait for
  // the next: another thread's Listener that should read it instead (the connection moves there, with any bytes
  // read ahead, as the front door hands over a new one), or null to keep it. Set before listening.
  using IdlePlacer = std::function<Listener*()>;
  void setIdlePlacer(IdlePlacer placer) { idlePlacer_ = std::make_shared<const IdlePlacer>(std::move(placer)); }

 private:
  void accept();
  void adopt(std::unique_ptr<Exchange::Handoff> handoff);
  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<const Handler> handler_;
  ServerLimits limits_;
  std::shared_ptr<const IdlePlacer> idlePlacer_ = std::make_shared<const IdlePlacer>();
  std::shared_ptr<std::atomic<int>> connections_ = std::make_shared<std::atomic<int>>(0);
};

// The standard reason phrase for a status code ("" if unknown).
std::string_view reasonPhrase(int status);

}  // namespace islet::net
