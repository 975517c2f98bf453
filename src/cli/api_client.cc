#include "cli/api_client.h"

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <random>

namespace islet::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;

Result<ApiAddress> parseApiUrl(std::string_view url) {
  while (!url.empty() && (url.front() == ' ' || url.front() == '\t')) url.remove_prefix(1);
  while (!url.empty() && (url.back() == ' ' || url.back() == '\t' || url.back() == '\n')) url.remove_suffix(1);
  if (url.starts_with("https://")) {
    return Status::invalidArgument(fmt::format(
        "{}: https is not supported; the islet client speaks plain http (the API listens on plain TCP)", url));
  }
  std::string_view rest = url;
  if (url.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (url.find("://") != std::string_view::npos) {
    return Status::invalidArgument(fmt::format("{}: the API URL must start with http://", url));
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return Status::invalidArgument(fmt::format("{}: user info in the API URL is not supported; use --token", url));
  }
  if (path.find_first_of("?#") != std::string_view::npos) {
    return Status::invalidArgument(fmt::format("{}: the API URL may not carry a query or fragment", url));
  }
  ApiAddress address;
  std::string_view portText;
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::invalidArgument(fmt::format("{}: unclosed [ in the host", url));
    address.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Status::invalidArgument(fmt::format("{}: bad host", url));
      portText = after.substr(1);
    }
  } else {
    size_t colon = authority.find(':');
    address.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) portText = authority.substr(colon + 1);
  }
  if (address.host.empty()) return Status::invalidArgument(fmt::format("{}: no host in the API URL", url));
  if (!portText.empty()) {
    unsigned port = 0;
    for (char c : portText) {
      if (c < '0' || c > '9' || port > 65535) return Status::invalidArgument(fmt::format("{}: bad port", url));
      port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port == 0 || port > 65535) return Status::invalidArgument(fmt::format("{}: bad port", url));
    address.port = static_cast<uint16_t>(port);
  }
  while (path.ends_with("/")) path.remove_suffix(1);
  if (path.ends_with("/client/v4")) path.remove_suffix(std::string_view("/client/v4").size());
  address.basePath = std::string(path);
  return address;
}

std::string urlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

namespace {

// A quoted-string parameter value as the server's parser reads it: backslash escapes.
Result<std::string> quoted(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') {
      return Status::invalidArgument("a form part's name or filename may not hold CR, LF or NUL");
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string randomBoundary() {
  static constexpr char kChars[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::random_device device;
  std::uniform_int_distribution<size_t> pick(0, sizeof(kChars) - 2);
  std::string boundary = "islet-";
  for (int i = 0; i < 32; i++) boundary += kChars[pick(device)];
  return boundary;
}

}  // namespace

Status MultipartForm::add(std::string_view name, std::string_view contentType, std::string data,
                          std::string_view filename) {
  auto quotedName = quoted(name);
  if (!quotedName.isOk()) return quotedName.status();
  std::string headers = "Content-Disposition: form-data; name=" + quotedName.value();
  if (!filename.empty()) {
    auto quotedFile = quoted(filename);
    if (!quotedFile.isOk()) return quotedFile.status();
    headers += "; filename=" + quotedFile.value();
  }
  headers += "\r\n";
  if (!contentType.empty()) {
    if (contentType.find_first_of("\r\n") != std::string_view::npos) {
      return Status::invalidArgument("a form part's content type may not hold CR or LF");
    }
    headers += fmt::format("Content-Type: {}\r\n", contentType);
  }
  parts_.push_back({std::move(headers), std::move(data)});
  return Status::ok();
}

MultipartForm::Encoded MultipartForm::encode() const {
  std::string boundary;
  bool clash = true;
  while (clash) {
    boundary = randomBoundary();
    clash = false;
    for (const auto& p : parts_) clash = clash || p.data.find(boundary) != std::string::npos;
  }
  Encoded out;
  out.contentType = "multipart/form-data; boundary=" + boundary;
  for (const auto& p : parts_) {
    out.body += "--" + boundary + "\r\n" + p.headers + "\r\n";
    out.body += p.data;
    out.body += "\r\n";
  }
  out.body += "--" + boundary + "--\r\n";
  return out;
}

RequestBody jsonBody(const json& value) {
  return {value.dump(-1, ' ', false, json::error_handler_t::replace), "application/json"};
}

ApiClient::ApiClient(ApiClientOptions options) : options_(std::move(options)) {}

std::string ApiClient::origin() const {
  const auto& a = options_.address;
  bool v6 = a.host.find(':') != std::string::npos;
  return fmt::format("http://{}{}{}:{}{}", v6 ? "[" : "", a.host, v6 ? "]" : "", a.port, a.basePath);
}

Result<HttpResponse> ApiClient::send(std::string_view method, std::string_view path, const RequestBody& body) {
  const auto& a = options_.address;
  asio::io_context io;
  beast::error_code ec;
  asio::ip::tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(a.host, std::to_string(a.port), ec);
  if (ec) return Status::unavailable(fmt::format("cannot resolve {}: {}", a.host, ec.message()));

  // Every step runs asynchronously under the stream's one deadline, so a server that stalls anywhere is cut off.
  beast::tcp_stream stream(io);
  stream.expires_after(options_.timeout);
  auto runStep = [&] {
    io.restart();
    io.run();
  };
  auto failure = [&](std::string_view doing) {
    if (ec == beast::error::timeout) {
      return Status::unavailable(fmt::format("{} did not answer within {} s", origin(), options_.timeout.count() / 1000.0));
    }
    return Status::unavailable(fmt::format("{} {}: {}", doing, origin(), ec.message()));
  };
  stream.async_connect(endpoints, [&](beast::error_code e, const asio::ip::tcp::endpoint&) { ec = e; });
  runStep();
  if (ec) return failure("cannot connect to");

  http::request<http::string_body> request;
  request.method_string(method);
  request.target(a.basePath + "/client/v4" + std::string(path));
  request.version(11);
  bool v6 = a.host.find(':') != std::string::npos;
  request.set(http::field::host, fmt::format("{}{}{}:{}", v6 ? "[" : "", a.host, v6 ? "]" : "", a.port));
  request.set(http::field::authorization, "Bearer " + options_.token);
  request.set(http::field::user_agent, "islet-cli");
  request.set(http::field::accept, "application/json");
  request.set(http::field::connection, "close");
  if (!body.contentType.empty()) {
    request.set(http::field::content_type, body.contentType);
    request.body() = body.data;
  }
  request.prepare_payload();
  http::async_write(stream, request, [&](beast::error_code e, size_t) { ec = e; });
  runStep();
  if (ec) return failure("cannot send to");

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options_.maxResponseBytes);
  http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
  runStep();
  if (ec) return failure("no valid answer from");
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);

  auto& message = parser.get();
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  response.contentType = std::string(message[http::field::content_type]);
  response.body = std::move(message.body());
  return response;
}

Status ApiClient::errorOf(const HttpResponse& response) const {
  StatusCode code = StatusCode::kUnavailable;
  switch (response.status) {
    case 400: code = StatusCode::kInvalidArgument; break;
    case 401:
    case 403: code = StatusCode::kPermissionDenied; break;
    case 404: code = StatusCode::kNotFound; break;
    case 409: code = StatusCode::kAlreadyExists; break;
    default: break;
  }
  std::string message;
  json envelope = json::parse(response.body, nullptr, false);
  if (envelope.is_object() && envelope.contains("errors") && envelope["errors"].is_array()) {
    for (const auto& e : envelope["errors"]) {
      if (!message.empty()) message += "; ";
      message += e.is_object() && e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>()
                                                                                     : e.dump();
      if (e.is_object() && e.contains("code")) message += fmt::format(" [code: {}]", e["code"].dump());
    }
  }
  if (message.empty()) {
    std::string excerpt = response.body.substr(0, 200);
    message = fmt::format("{} answered HTTP {}{}{}", origin(), response.status, excerpt.empty() ? "" : ": ", excerpt);
  }
  switch (code) {
    case StatusCode::kInvalidArgument: return Status::invalidArgument(std::move(message));
    case StatusCode::kPermissionDenied: return Status::permissionDenied(std::move(message));
    case StatusCode::kNotFound: return Status::notFound(std::move(message));
    case StatusCode::kAlreadyExists: return Status::alreadyExists(std::move(message));
    default: return Status::unavailable(std::move(message));
  }
}

Result<json> ApiClient::callEnvelope(std::string_view method, std::string_view path, const RequestBody& body) {
  auto response = send(method, path, body);
  if (!response.isOk()) return response.status();
  if (response->status < 200 || response->status > 299) return errorOf(response.value());
  json envelope = json::parse(response->body, nullptr, false);
  if (!envelope.is_object() || !envelope.contains("success")) {
    return Status::unavailable(fmt::format("{} answered something other than an API envelope: {}", origin(),
                                           response->body.substr(0, 200)));
  }
  if (envelope["success"] != true) return errorOf(response.value());
  return envelope;
}

Result<json> ApiClient::call(std::string_view method, std::string_view path, const RequestBody& body) {
  auto envelope = callEnvelope(method, path, body);
  if (!envelope.isOk()) return envelope.status();
  return envelope->contains("result") ? (*envelope)["result"] : json(nullptr);
}

Result<std::string> ApiClient::callRaw(std::string_view method, std::string_view path, const RequestBody& body) {
  auto response = send(method, path, body);
  if (!response.isOk()) return response.status();
  if (response->status < 200 || response->status > 299) return errorOf(response.value());
  return std::move(response->body);
}

}  // namespace islet::cli
