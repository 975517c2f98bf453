#include "net/front_door.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "base/log.h"

namespace islet::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

// One accepted connection until its first head has arrived.
class FrontDoor::Peek : public std::enable_shared_from_this<Peek> {
 public:
  Peek(FrontDoor* door, tcp::socket socket)
      : door_(door), alive_(door->alive_), socket_(std::move(socket)), timer_(socket_.get_executor()) {}

  void start() {
    timer_.expires_after(door_->limits_.readTimeout);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;  // cancelled: the head arrived (or the connection ended) first
      boost::system::error_code ignored;
      self->socket_.close(ignored);  // a client that never sends a head is disconnected
    });
    read();
  }

 private:
  static constexpr size_t kChunk = 4096;

  void read() {
    size_t used = bytes_.size();
    bytes_.resize(used + kChunk);
    socket_.async_read_some(asio::buffer(bytes_.data() + used, kChunk),
                            [self = shared_from_this(), used](boost::system::error_code ec, size_t n) {
                              self->onRead(ec, used, n);
                            });
  }

  void onRead(boost::system::error_code ec, size_t used, size_t n) {
    bytes_.resize(used + n);
    if (!*alive_) return;
    if (ec) {
      timer_.cancel();
      return;  // closed, reset or timed out before a whole head: nothing to answer
    }
    size_t from = used >= 3 ? used - 3 : 0;
    size_t end = bytes_.find("\r\n\r\n", from);
    if (end == std::string::npos && bytes_.size() <= door_->limits_.maxHeaderBytes) return read();
    timer_.cancel();
    std::string host, target;
    if (end != std::string::npos) {
      http::request_parser<http::empty_body> parser;
      parser.header_limit(static_cast<uint32_t>(door_->limits_.maxHeaderBytes));
      parser.eager(false);
      boost::beast::error_code parseEc;
      parser.put(asio::buffer(bytes_.data(), end + 4), parseEc);
      if (!parseEc && parser.is_header_done()) {
        const auto& head = parser.get();
        if (auto it = head.find(http::field::host); it != head.end()) host = std::string(it->value());
        target = std::string(head.target());
      }
    }
    door_->handOn(std::move(socket_), std::move(bytes_), host, target);
  }

  FrontDoor* door_;
  std::shared_ptr<bool> alive_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string bytes_;
};

FrontDoor::FrontDoor(asio::io_context& io, std::vector<Listener*> loops, Choose choose, ServerLimits limits)
    : io_(io), acceptor_(io), loops_(std::move(loops)), choose_(std::move(choose)), limits_(limits) {}

FrontDoor::~FrontDoor() {
  *alive_ = false;
  close();
}

Status FrontDoor::listen(const tcp::endpoint& endpoint) {
  Status s = openAcceptor(acceptor_, endpoint, /*reusePort=*/false);
  if (!s.isOk()) return s;
  accept();
  return Status::ok();
}

tcp::endpoint FrontDoor::localEndpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void FrontDoor::close() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void FrontDoor::accept() {
  acceptor_.async_accept(io_, [this, alive = alive_](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !*alive) return;
    if (!ec) {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Peek>(this, std::move(socket))->start();
    } else {
      log::warn("http: accept failed: {}", ec.message());
    }
    accept();
  });
}

void FrontDoor::handOn(tcp::socket socket, std::string bytes, std::string_view host, std::string_view target) {
  size_t index = loops_.empty() ? 0 : choose_(host, target);
  if (index >= loops_.size()) return;  // no loop to give it to: the socket closes
  boost::system::error_code ec;
  auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return;
  int fd = socket.release(ec);
  if (ec) {
    log::warn("http: cannot hand a connection on: {}", ec.message());
    return;
  }
  auto handoff = std::make_unique<Exchange::Handoff>(fd, protocol);
  handoff->buffered = std::move(bytes);
  handoff->hasRequest = false;
  loops_[index]->takeOver(std::move(handoff));
}

}  // namespace islet::net
