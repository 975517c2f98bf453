#include "net/multipart.h"

#include <fmt/format.h>

#include <limits>
#include <optional>
#include <unordered_map>
#include <utility>

namespace islet::net {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr size_t kMaxBoundaryLength = 70;  // RFC 2046 §5.1.1

bool isWsp(char c) { return c == ' ' || c == '\t'; }

bool isControl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// RFC 9110 tchar: the characters of a token.
bool isTchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 2046 bchars: the characters of a boundary.
bool isBchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

char toLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (toLowerAscii(a[i]) != toLowerAscii(b[i])) return false;
  }
  return true;
}

std::string_view trimWsp(std::string_view s) {
  while (!s.empty() && isWsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && isWsp(s.back())) s.remove_suffix(1);
  return s;
}

template <typename... Args>
Status invalid(fmt::format_string<Args...> format, Args&&... args) {
  return Status::invalidArgument(fmt::format(format, std::forward<Args>(args)...));
}

// A short, printable rendering of untrusted bytes for an error message.
std::string excerpt(std::string_view s) {
  constexpr size_t kMaxChars = 60;
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMaxChars; ++i) out += isControl(s[i]) ? '?' : s[i];
  if (s.size() > kMaxChars) out += "...";
  return out;
}

std::string_view restOfLine(std::string_view s) { return s.substr(0, s.find(kCrlf)); }

Status validateBoundary(std::string_view boundary) {
  if (boundary.empty() || boundary.size() > kMaxBoundaryLength) {
    return invalid("boundary must be 1 to {} characters, not {}", kMaxBoundaryLength, boundary.size());
  }
  for (char c : boundary) {
    if (!isBchar(c)) return invalid("boundary \"{}\" has a character RFC 2046 does not allow", excerpt(boundary));
  }
  if (boundary.back() == ' ') return Status::invalidArgument("boundary ends with a space");
  return Status::ok();
}

struct Parameter {
  std::string name;  // lower-cased
  std::string value;
};

// The parameters after a media type or disposition type:
//   *( OWS ";" OWS [ token OWS "=" OWS ( token / quoted-string ) ] ) OWS
// Empty parameters (";;", a trailing ";") are skipped; a quoted-string's backslash escapes the next character.
Result<std::vector<Parameter>> parseParameters(std::string_view s) {
  std::vector<Parameter> params;
  size_t i = 0;
  auto skipWsp = [&] {
    while (i < s.size() && isWsp(s[i])) ++i;
  };
  skipWsp();
  while (i < s.size()) {
    if (s[i] != ';') return invalid("expected ';' before \"{}\"", excerpt(s.substr(i)));
    ++i;
    skipWsp();
    if (i == s.size() || s[i] == ';') continue;
    Parameter param;
    while (i < s.size() && isTchar(s[i])) param.name += toLowerAscii(s[i++]);
    if (param.name.empty()) return invalid("parameter without a name at \"{}\"", excerpt(s.substr(i)));
    skipWsp();
    if (i == s.size() || s[i] != '=') return invalid("parameter {} has no '='", param.name);
    ++i;
    skipWsp();
    if (i < s.size() && s[i] == '"') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char c = s[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i == s.size()) break;
          c = s[i++];
        }
        if (isControl(c) && c != '\t') return invalid("parameter {} has a control character", param.name);
        param.value += c;
      }
      if (!closed) return invalid("parameter {} has an unterminated quoted string", param.name);
    } else {
      const size_t start = i;
      while (i < s.size() && isTchar(s[i])) ++i;
      if (i == start) return invalid("parameter {} has no value", param.name);
      param.value = s.substr(start, i - start);
    }
    params.push_back(std::move(param));
    skipWsp();
  }
  return params;
}

// What follows a media or disposition type that ends at `semicolon` (npos: no parameters).
std::string_view parametersOf(std::string_view value, size_t semicolon) {
  return semicolon == std::string_view::npos ? std::string_view() : value.substr(semicolon);
}

Status parseContentDisposition(std::string_view value, size_t number, MultipartPart& part) {
  const size_t semicolon = value.find(';');
  const std::string_view type = trimWsp(value.substr(0, semicolon));
  if (!equalsIgnoreCase(type, "form-data")) {
    return invalid("part {}: Content-Disposition is \"{}\", not form-data", number, excerpt(type));
  }
  auto params = parseParameters(parametersOf(value, semicolon));
  if (!params.isOk()) return invalid("part {}: Content-Disposition: {}", number, params.status().message());
  std::optional<std::string> name;
  std::optional<std::string> filename;
  for (Parameter& param : *params) {
    std::optional<std::string>* slot = param.name == "name" ? &name : param.name == "filename" ? &filename : nullptr;
    if (slot == nullptr) continue;  // filename*= and anything unknown
    if (slot->has_value()) return invalid("part {}: Content-Disposition has two {} parameters", number, param.name);
    *slot = std::move(param.value);
  }
  if (!name) return invalid("part {}: missing Content-Disposition name", number);
  if (name->empty()) return invalid("part {}: empty Content-Disposition name", number);
  part.name = std::move(*name);
  part.filename = std::move(filename).value_or(std::string());
  return Status::ok();
}

// One body-part: the bytes between the CRLF ending a boundary line and the CRLF starting the next delimiter.
Result<MultipartPart> parsePart(std::string_view bytes, size_t number, const MultipartLimits& limits) {
  std::string_view headers;  // the header lines, each ending in CRLF
  std::string_view data;
  if (bytes.starts_with(kCrlf)) {
    data = bytes.substr(kCrlf.size());
  } else {
    // Look for the blank line only as far as the limit allows, so an oversized or missing one costs no more.
    const size_t maxHeaders = limits.maxPartHeaderBytes;
    const size_t window = maxHeaders > std::numeric_limits<size_t>::max() - 2 ? bytes.size() : maxHeaders + 2;
    const size_t blank = bytes.substr(0, window).find("\r\n\r\n");
    if (blank != std::string_view::npos) {
      headers = bytes.substr(0, blank + kCrlf.size());
      data = bytes.substr(blank + 2 * kCrlf.size());
    } else if (bytes.size() <= maxHeaders && bytes.ends_with(kCrlf)) {
      headers = bytes;  // headers straight up to the next delimiter: RFC 2046 allows a part with no body
    } else if (bytes.size() > maxHeaders) {
      return invalid("part {}: headers exceed {} bytes", number, maxHeaders);
    } else {
      return invalid("part {}: no blank line after the headers", number);
    }
  }

  MultipartPart part;
  std::optional<std::string_view> disposition;  // read once every line is known to be well-formed
  bool haveContentType = false;
  while (!headers.empty()) {
    const size_t end = headers.find(kCrlf);
    const std::string_view line = headers.substr(0, end);
    headers.remove_prefix(end + kCrlf.size());
    if (!line.empty() && isWsp(line.front())) {
      return invalid("part {}: folded header line \"{}\"", number, excerpt(line));
    }
    for (char c : line) {
      if (isControl(c) && c != '\t') {
        return invalid("part {}: control character in header line \"{}\"", number, excerpt(line));
      }
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return invalid("part {}: header line without a colon: \"{}\"", number, excerpt(line));
    }
    const std::string_view name = line.substr(0, colon);
    if (name.empty()) return invalid("part {}: empty header name", number);
    for (char c : name) {
      if (!isTchar(c)) return invalid("part {}: invalid header name \"{}\"", number, excerpt(name));
    }
    const std::string_view value = trimWsp(line.substr(colon + 1));
    if (equalsIgnoreCase(name, "content-disposition")) {
      if (disposition) return invalid("part {}: duplicate Content-Disposition header", number);
      disposition = value;
    } else if (equalsIgnoreCase(name, "content-type")) {
      if (haveContentType) return invalid("part {}: duplicate Content-Type header", number);
      haveContentType = true;
      part.contentType = value;
    }
    // Other headers (Content-Transfer-Encoding, which RFC 7578 deprecates, among them) carry nothing we use.
  }
  if (!disposition) return invalid("part {}: missing Content-Disposition header", number);
  if (Status s = parseContentDisposition(*disposition, number, part); !s.isOk()) return s;
  part.data = data;
  return part;
}

}  // namespace

Result<std::string> multipartBoundary(std::string_view contentType) {
  const size_t semicolon = contentType.find(';');
  const std::string_view type = trimWsp(contentType.substr(0, semicolon));
  if (!equalsIgnoreCase(type, "multipart/form-data")) {
    return invalid("Content-Type \"{}\" is not multipart/form-data", excerpt(type));
  }
  auto params = parseParameters(parametersOf(contentType, semicolon));
  if (!params.isOk()) return invalid("Content-Type: {}", params.status().message());
  const Parameter* boundary = nullptr;
  for (const Parameter& param : *params) {
    if (param.name != "boundary") continue;
    if (boundary != nullptr) return Status::invalidArgument("Content-Type has two boundary parameters");
    boundary = &param;
  }
  if (boundary == nullptr) return Status::invalidArgument("Content-Type multipart/form-data has no boundary parameter");
  if (Status s = validateBoundary(boundary->value); !s.isOk()) return invalid("Content-Type: {}", s.message());
  return boundary->value;
}

Result<std::vector<MultipartPart>> parseMultipart(std::string_view body, std::string_view boundary,
                                                  const MultipartLimits& limits) {
  if (Status s = validateBoundary(boundary); !s.isOk()) return s;
  const std::string delimiter = fmt::format("\r\n--{}", boundary);
  const std::string_view dashBoundary = std::string_view(delimiter).substr(kCrlf.size());

  size_t pos;  // always just past a "--boundary" that starts a line
  if (body.starts_with(dashBoundary)) {
    pos = dashBoundary.size();
  } else {
    const size_t at = body.find(delimiter);
    if (at == std::string_view::npos) {
      return invalid("multipart body has no opening boundary \"--{}\"", boundary);
    }
    pos = at + delimiter.size();
  }

  std::vector<MultipartPart> parts;
  std::unordered_map<std::string, size_t> numberByName;
  for (;;) {
    const size_t number = parts.size() + 1;  // of the part this boundary line would open
    const bool closing = body.substr(pos).starts_with("--");
    if (closing) pos += 2;
    while (pos < body.size() && isWsp(body[pos])) ++pos;
    const std::string_view rest = body.substr(pos);
    if (closing) {
      if (rest.empty() || rest.starts_with(kCrlf)) return parts;  // the epilogue, if any, is ignored
      return invalid("closing boundary is followed by \"{}\", not CRLF", excerpt(restOfLine(rest)));
    }
    if (!rest.starts_with(kCrlf)) {
      if (kCrlf.starts_with(rest) || std::string_view("--").starts_with(rest)) {
        return invalid("missing closing boundary: body truncated after a boundary line, {} parts read", number - 1);
      }
      return invalid("boundary before part {} is followed by \"{}\", not CRLF", number, excerpt(restOfLine(rest)));
    }
    pos += kCrlf.size();
    if (parts.size() >= limits.maxParts) return invalid("more than {} parts", limits.maxParts);
    const size_t end = body.find(delimiter, pos);
    if (end == std::string_view::npos) {
      return invalid("part {}: missing closing boundary (body truncated)", number);
    }
    auto part = parsePart(body.substr(pos, end - pos), number, limits);
    if (!part.isOk()) return part.status();
    auto [it, inserted] = numberByName.emplace(part->name, number);
    if (!inserted) {
      return invalid("part {}: duplicate part name \"{}\" (also part {})", number, excerpt(part->name), it->second);
    }
    parts.push_back(std::move(*part));
    pos = end + delimiter.size();
  }
}

}  // namespace islet::net
