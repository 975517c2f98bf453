// net: the HTTP/1.1 client behind fetch() subrequests. One HttpClient per event-loop thread; all calls and
// callbacks happen on that thread. Plain HTTP and HTTPS (OpenSSL, certificates verified against the system
// store, SNI, host-name check), keep-alive connections reused per origin, a timeout per request, a cap on the
// response size, and — unless allowed — no connections to loopback, private, link-local or unspecified
// addresses (checked on the resolved address, so DNS cannot smuggle one in).
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "net/http_server.h"

namespace islet::net {

struct ClientRequest {
  std::string method = "GET";
  bool https = false;
  std::string host;   // a name or an IP literal (IPv6 without brackets)
  uint16_t port = 80;
  std::string target = "/";  // origin-form: path and query
  HeaderList headers;        // as the worker set them; Host and framing headers are the client's
  std::string body;
};

struct ClientResponse {
  int status = 0;
  std::string statusText;
  HeaderList headers;  // names lower-cased
  std::string body;
};

struct ClientOptions {
  bool allowPrivateAddresses = false;
  size_t maxResponseBytes = 32u << 20;
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

  // Whether an address may be connected to under the options (exposed for tests).
  static bool isPublicAddress(const boost::asio::ip::address& address);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace islet::net
