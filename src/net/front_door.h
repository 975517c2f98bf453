// FrontDoor: the public port's acceptor, on a thread that runs no JS.
//
// It accepts each connection, reads its first request head (no further), asks `choose` which event-loop thread
// should own the connection, and hands the socket, with every byte read so far, to that thread's Listener
// (Listener::takeOver), which parses the request as if it had read it itself and keeps the connection from then on.
// So a new connection is never held up by a thread busy running a tenant's JS: only the front door accepts, and
// it only reads heads. A client that sends no head within the read timeout is disconnected; a head too large or
// malformed is handed on unread, for the event loop to answer (431, 400) as it would any other.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "net/http_server.h"

namespace islet::net {

class FrontDoor {
 public:
  // The index (into the listeners) of the thread that should own a connection whose first request is for
  // `host` and `target`; both empty when the head could not be read.
  using Choose = std::function<size_t(std::string_view host, std::string_view target)>;
  // `loops`: the event loops' Listeners (Listener::takeOver), which need not be listening themselves.
  FrontDoor(boost::asio::io_context& io, std::vector<Listener*> loops, Choose choose, ServerLimits limits);
  ~FrontDoor();
  FrontDoor(const FrontDoor&) = delete;
  FrontDoor& operator=(const FrontDoor&) = delete;

  Status listen(const boost::asio::ip::tcp::endpoint& endpoint);
  boost::asio::ip::tcp::endpoint localEndpoint() const;
  void close();

 private:
  class Peek;
  void accept();
  void handOn(boost::asio::ip::tcp::socket socket, std::string bytes, std::string_view host, std::string_view target);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<Listener*> loops_;
  Choose choose_;
  ServerLimits limits_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace islet::net
