// The client side of the management API (control/api.h): where it lives, how to encode what is sent to it, and a
// synchronous HTTP/1.1 client that unwraps Cloudflare's envelope {success, errors, messages, result}.
//
// Plain http only: the API listens on plain TCP, usually on loopback; https is refused with a clear message.
// An ApiClient opens one connection per call and is meant for one command on one thread; the free functions
// have no state and any thread may call them.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace islet::cli {

// Where the management API answers, from a URL such as "http://127.0.0.1:8788" (a trailing "/client/v4", as
// `islet serve` prints it, is accepted and dropped; a scheme-less "host:port" means http).
struct ApiAddress {
  std::string host;      // without brackets for IPv6
  uint16_t port = 80;
  std::string basePath;  // "" or "/prefix" before /client/v4, without a trailing slash
};

// kInvalidArgument for https (with a message saying so), another scheme, user info, or a bad host or port.
Result<ApiAddress> parseApiUrl(std::string_view url);

// Percent-encodes every byte but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~): safe for a path segment
// (a KV key may hold '/', '?', '%' or spaces) and for a query value.
std::string urlEncode(std::string_view s);

// A multipart/form-data body (RFC 7578), built part by part, encoded at the end.
class MultipartForm {
 public:
  struct Encoded {
    std::string contentType;  // "multipart/form-data; boundary=..."
    std::string body;
  };

  // Appends a part. Quotes and backslashes in `name` and `filename` are backslash-escaped; kInvalidArgument if
  // either holds CR, LF or NUL, which no header can carry. An empty `contentType` sends no Content-Type line.
  Status add(std::string_view name, std::string_view contentType, std::string data, std::string_view filename = {});

  // The parts in the order added, under a random boundary that occurs in none of them.
  Encoded encode() const;

 private:
  struct Part {
    std::string headers;  // the part's header lines, each ending in CRLF
    std::string data;
  };
  std::vector<Part> parts_;
};

struct RequestBody {
  std::string data;
  std::string contentType;  // empty: the request has no body
};

RequestBody jsonBody(const nlohmann::json& value);

struct HttpResponse {
  int status = 0;
  std::string contentType;
  std::string body;
};

struct ApiClientOptions {
  ApiAddress address;
  std::string token;                            // sent as Authorization: Bearer <token>
  std::chrono::milliseconds timeout{60'000};    // for a whole exchange: connect, send, receive
  size_t maxResponseBytes = 256u << 20;
};

class ApiClient {
 public:
  explicit ApiClient(ApiClientOptions options);

  // Sends `method` to /client/v4 + `path` (`path` starts with '/', its segments already encoded, and may carry a
  // query) and returns the answer whatever its status. kUnavailable when the server cannot be reached, closes
  // the connection, or does not answer within the timeout.
  Result<HttpResponse> send(std::string_view method, std::string_view path, const RequestBody& body = {});

  // send(), then the envelope: the `result` of a 2xx answer with "success": true. Otherwise a Status whose
  // message is the API's error messages, each followed by its code as " [code: N]"; its code follows the HTTP
  // status (400 kInvalidArgument, 401/403 kPermissionDenied, 404 kNotFound, 409 kAlreadyExists, else kUnavailable).
  Result<nlohmann::json> call(std::string_view method, std::string_view path, const RequestBody& body = {});

  // call(), but the whole envelope, for answers with more than `result` (a KV listing's result_info.cursor).
  Result<nlohmann::json> callEnvelope(std::string_view method, std::string_view path, const RequestBody& body = {});

  // send() for endpoints that answer raw bytes when they succeed (a KV value): the body of a 2xx answer, and
  // otherwise the error as call() reports it.
  Result<std::string> callRaw(std::string_view method, std::string_view path, const RequestBody& body = {});

  // "http://host:port" as given, for messages.
  std::string origin() const;

 private:
  // The Status for an answer that is not a success, from its envelope if it has one.
  Status errorOf(const HttpResponse& response) const;

  ApiClientOptions options_;
};

}  // namespace islet::cli
