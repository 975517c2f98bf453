// net: the HTTP/1.1 client behind fetch() subrequests. One HttpClient per event-loop thread; all calls and
// callbacks happen on that thread. Plain HTTP and HTTPS (OpenSSL, certificates verified against the system
// store, SNI, host-name check), keep-alive connections reused per origin, a timeout per request (and per read of a
// streamed body), and — unless allowed — no connections to loopback, private, link-local or unspecified
// addresses (checked on the resolved address, so DNS cannot smuggle one in). Bodies stream both ways: a request
// body may be a BodyReader (sent with its declared length, or chunked), and a response body of unknown or large
// length is handed over as a BodyReader that reads the connection as it is asked to.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "net/body_reader.h"
#include "net/http_server.h"
#include "net/websocket.h"

namespace islet::net {

struct ClientRequest {
  std::string method = "GET";
  bool https = false;
  std::string host;   // a name or an IP literal (IPv6 without brackets)
  uint16_t port = 80;
  std::string target = "/";  // origin-form: path and query
  HeaderList headers;        // as the worker set them; Host and framing headers are the client's
  std::string body;
  std::shared_ptr<BodyReader> bodyStream;  // instead of `body`: sent as it is read
};

struct ClientResponse {
  int status = 0;
  std::string statusText;
  HeaderList headers;  // names lower-cased
  std::string body;
  // Instead of `body`, for a body of unknown length or longer than ClientOptions::bufferResponsesUpTo. The
  // connection goes back to the pool once it has been read to its end.
  std::shared_ptr<BodyReader> bodyStream;
};

// The answer to a WebSocket handshake: a 101 with the connection taken out of HTTP (`transport`, and the bytes that
// arrived after the head), or the server's other answer (its body read whole, up to bufferResponsesUpTo).
struct ClientUpgrade {
  ClientResponse response;
  std::unique_ptr<websocket::Transport> transport;  // set for a 101
  std::string buffered;
};

struct ClientOptions {
  bool allowPrivateAddresses = false;
  size_t bufferResponsesUpTo = 64 * 1024;  // a response body of declared length up to this arrives whole
  std::chrono::milliseconds timeout{30'000};
  size_t maxIdlePerOrigin = 8;
};

class HttpClient {
 public:
  HttpClient(boost::asio::io_context& io, ClientOptions options);
  ~HttpClient();
  using Callback = std::function<void(Result<ClientResponse>)>;
  // Sends the request; `done` runs on the io thread exactly once (never inside send()).
  void send(ClientRequest request, Callback done);
  // Opens a WebSocket: a GET with the handshake's headers added on a new connection; the 101's Sec-WebSocket-Accept
  // is checked. `done` runs on the io thread exactly once (never inside upgrade()).
  void upgrade(ClientRequest request, std::function<void(Result<ClientUpgrade>)> done);

  // Whether an address may be connected to under the options (exposed for tests).
  static bool isPublicAddress(const boost::asio::ip::address& address);

  struct Impl;  // in the .cc

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace islet::net
