// multipart/form-data (RFC 7578, on RFC 2046's multipart syntax), parsed strictly and within bounds. The
// management API receives script uploads in it: a `metadata` JSON part plus one part per module.
//
// The parser takes a complete body already in memory (the server's body limit bounds its size), makes one
// linear pass over it and copies each part out; the caller owns the result and the input may go away after the
// call. Bad input never throws: every malformation is a kInvalidArgument whose message names the part (counted
// from 1) and the problem. Plain functions with no shared state: any thread may call them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace islet::net {

struct MultipartPart {
  std::string name;         // from Content-Disposition: form-data; name="..."; never empty
  std::string filename;     // filename="..." if present (may be empty); filename*= is ignored
  std::string contentType;  // the part's Content-Type value as sent (whitespace trimmed), or empty if absent
  std::string data;         // the body bytes, exactly as sent
};

struct MultipartLimits {
  size_t maxParts = 1000;
  size_t maxPartHeaderBytes = 8192;  // one part's header lines, each with its CRLF, not counting the blank line
};

// The boundary parameter of a Content-Type header value such as `multipart/form-data; boundary="abc"`.
// The media type and parameter names are case-insensitive; the boundary may be a token or a quoted string and
// must be 1..70 characters of RFC 2046's bchars, not ending in a space. Other parameters are ignored.
// kInvalidArgument if the type is not multipart/form-data, the parameters are malformed, or the boundary is
// missing, repeated or invalid.
Result<std::string> multipartBoundary(std::string_view contentType);

// Splits `body` into its parts, in order.
//
// The delimiter is CRLF "--" boundary; the first may instead open the body. Anything before the first delimiter
// (a preamble) and after the closing "--boundary--" line (an epilogue) is ignored. Spaces and tabs may follow a
// boundary or the closing boundary before its CRLF; the closing boundary may also end the body without a CRLF.
// A body consisting only of the closing boundary has zero parts. Part header names are case-insensitive; only
// Content-Disposition (which must be form-data, with a non-empty name) and Content-Type are read, others are
// ignored. A part whose headers run straight into the next delimiter (no blank line, as RFC 2046 allows) has
// empty data. Part data is binary-safe.
//
// Strictness a caller should know: a line that starts with "--boundary" but continues with anything other
// than "--", padding or CRLF is an error rather than data (RFC 2046 forbids it inside parts); header lines must
// end in CRLF, may not be folded and may not hold control characters other than tab; quoted parameter values
// take backslash escapes, so a backslash in a browser-sent filename escapes the next character; part names
// are compared byte for byte when checking for duplicates; a part may not repeat Content-Disposition,
// Content-Type or a name/filename parameter.
//
// kInvalidArgument for an invalid boundary, no opening boundary, a missing closing boundary (truncated body), a
// part without a blank line after its headers, a header line without a colon, more than limits.maxParts parts,
// part headers over limits.maxPartHeaderBytes, a part without Content-Disposition or without a name, and a
// duplicate part name.
Result<std::vector<MultipartPart>> parseMultipart(std::string_view body, std::string_view boundary,
                                                  const MultipartLimits& limits = {});

}  // namespace islet::net
