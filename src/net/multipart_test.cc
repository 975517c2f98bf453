// multipart/form-data: the boundary from a Content-Type, uploads as wrangler sends them, the RFC 2046 framing
// (preamble, epilogue, padding, binary bodies) and one test per malformation the parser reports.
#include "net/multipart.h"

#include <gtest/gtest.h>

#include <string>

namespace islet::net {
namespace {

constexpr std::string_view kBoundary = "----formdata-undici-0123456789";

// One encapsulated part: "--boundary" CRLF headers CRLF data CRLF. Close the body with closing().
std::string part(std::string_view headers, std::string_view data, std::string_view boundary = kBoundary) {
  std::string out = "--" + std::string(boundary) + "\r\n" + std::string(headers) + "\r\n";
  out += data;
  out += "\r\n";
  return out;
}

std::string closing(std::string_view boundary = kBoundary) { return "--" + std::string(boundary) + "--\r\n"; }

std::string formField(std::string_view name, std::string_view data) {
  return part("Content-Disposition: form-data; name=\"" + std::string(name) + "\"\r\n", data);
}

void expectInvalid(const Status& status, std::string_view fragment) {
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find(fragment), std::string::npos)
      << "message \"" << status.message() << "\" does not name \"" << fragment << "\"";
}

template <typename T>
void expectInvalid(const Result<T>& result, std::string_view fragment) {
  ASSERT_FALSE(result.isOk());
  expectInvalid(result.status(), fragment);
}

// --- multipartBoundary ---

TEST(MultipartBoundary, TokenBoundary) {
  auto boundary = multipartBoundary("multipart/form-data; boundary=----formdata-undici-0123456789");
  ASSERT_TRUE(boundary.isOk()) << boundary.status().message();
  EXPECT_EQ(*boundary, "----formdata-undici-0123456789");
}

TEST(MultipartBoundary, QuotedBoundaryWithSpacesAndEscapes) {
  auto boundary = multipartBoundary(R"(multipart/form-data; boundary="a b'()+_,-./:=?\z")");
  ASSERT_TRUE(boundary.isOk()) << boundary.status().message();
  EXPECT_EQ(*boundary, "a b'()+_,-./:=?z");
}

TEST(MultipartBoundary, CaseInsensitiveTypeAndParameterNamesAmongOthers) {
  auto boundary = multipartBoundary("  Multipart/Form-Data ;charset=utf-8;  BOUNDARY = abc ; ");
  ASSERT_TRUE(boundary.isOk()) << boundary.status().message();
  EXPECT_EQ(*boundary, "abc");
}

TEST(MultipartBoundary, SeventyCharactersIsTheLongestAllowed) {
  const std::string seventy(70, 'x');
  auto ok = multipartBoundary("multipart/form-data; boundary=" + seventy);
  ASSERT_TRUE(ok.isOk()) << ok.status().message();
  EXPECT_EQ(*ok, seventy);
  expectInvalid(multipartBoundary("multipart/form-data; boundary=" + seventy + "x"), "1 to 70 characters, not 71");
}

TEST(MultipartBoundary, RejectsOtherMediaTypes) {
  expectInvalid(multipartBoundary("multipart/mixed; boundary=abc"), "not multipart/form-data");
  expectInvalid(multipartBoundary("application/json"), "not multipart/form-data");
  expectInvalid(multipartBoundary(""), "not multipart/form-data");
}

TEST(MultipartBoundary, RejectsMissingOrRepeatedBoundary) {
  expectInvalid(multipartBoundary("multipart/form-data"), "no boundary parameter");
  expectInvalid(multipartBoundary("multipart/form-data; charset=utf-8"), "no boundary parameter");
  expectInvalid(multipartBoundary("multipart/form-data; boundary=a; boundary=b"), "two boundary parameters");
}

TEST(MultipartBoundary, RejectsInvalidBoundaries) {
  expectInvalid(multipartBoundary(R"(multipart/form-data; boundary="")"), "1 to 70 characters, not 0");
  expectInvalid(multipartBoundary(R"(multipart/form-data; boundary="a@b")"), "character RFC 2046 does not allow");
  expectInvalid(multipartBoundary(R"(multipart/form-data; boundary="abc ")"), "ends with a space");
  expectInvalid(multipartBoundary("multipart/form-data; boundary="), "boundary has no value");
  expectInvalid(multipartBoundary(R"(multipart/form-data; boundary="abc)"), "unterminated quoted string");
  expectInvalid(multipartBoundary("multipart/form-data; boundary=a b"), "expected ';'");
}

// --- parseMultipart: what it accepts ---

TEST(ParseMultipart, WranglerStyleUpload) {
  const std::string metadata = R"({"main_module":"index.js","compatibility_date":"2024-09-23","bindings":[]})";
  const std::string module = "export default {\r\n  async fetch() { return new Response(\"hi\"); },\r\n};\n";
  const std::string body =
      part("Content-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n", metadata) +
      part("Content-Disposition: form-data; name=\"index.js\"; filename=\"index.js\"\r\n"
           "Content-Type: application/javascript+module\r\n",
           module) +
      closing();
  auto parts = parseMultipart(body, kBoundary);
  ASSERT_TRUE(parts.isOk()) << parts.status().message();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "metadata");
  EXPECT_EQ((*parts)[0].filename, "");
  EXPECT_EQ((*parts)[0].contentType, "application/json");
  EXPECT_EQ((*parts)[0].data, metadata);
  EXPECT_EQ((*parts)[1].name, "index.js");
  EXPECT_EQ((*parts)[1].filename, "index.js");
  EXPECT_EQ((*parts)[1].contentType, "application/javascript+module");
  EXPECT_EQ((*parts)[1].data, module);
}

TEST(ParseMultipart, WorksFromTheParsedContentType) {
  auto boundary = multipartBoundary(R"(multipart/form-data; boundary="simple boundary")");
  ASSERT_TRUE(boundary.isOk());
  const std::string body = part("Content-Disposition: form-data; name=a\r\n", "1", *boundary) +
                           part("Content-Disposition: form-data; name=b\r\n", "2", *boundary) + closing(*boundary);
  auto parts = parseMultipart(body, *boundary);
  ASSERT_TRUE(parts.isOk()) << parts.status().message();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[1].name, "b");
  EXPECT_EQ((*parts)[1].data, "2");
}

TEST(ParseMultipart, BinaryDataWithNulCrLfAndNearMissBoundaries) {
  using namespace std::string_literals;
  // CR, LF, CRLF, NUL, "--", a prefix of the delimiter, and the boundary not at the start of a line.
  const std::string data = "\0\r\n--\r\n\r\n\r\r\n\n--"s + std::string(kBoundary.substr(0, kBoundary.size() - 1)) +
                           "x\r\nend--" + std::string(kBoundary) + "\0\xff\r"s;
  const std::string body =
      part("Content-Disposition: form-data; name=\"blob\"; filename=\"b.bin\"\r\n"
           "Content-Type: application/octet-stream\r\n",
           data) +
      closing();
  auto parts = parseMultipart(body, kBoundary);
  ASSERT_TRUE(parts.isOk()) << parts.status().message();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].data, data);
  EXPECT_EQ((*parts)[0].data.size(), data.size());
}

TEST(ParseMultipart, IgnoresPreambleAndEpilogue) {
  const std::string body = "This is the preamble. --" + std::string(kBoundary) + " here is not a boundary.\r\n" +
                           formField("a", "1") + closing() + "epilogue\r\n" + formField("b", "2") + closing();
  auto parts = parseMultipart(body, kBoundary);
  ASSERT_TRUE(parts.isOk()) << parts.status().message();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].name, "a");
  EXPECT_EQ((*parts)[0].data, "1");
}

TEST(ParseMultipart, AcceptsTransportPaddingAfterBoundaries) {
  const std::string b(kBoundary);
  const std::string body = "--" + b + " \t \r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--" + b +
                           "\t\r\nContent-Disposition: form-data; name=b\r\n\r\n2\r\n--" + b + "--  \t";
  auto parts = parseMultipart(body, kBoundary);
  ASSERT_TRUE(parts.isOk()) << parts.status().message();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].data, "1");
  EXPECT_EQ((*parts)[1].data, "2");
}

TEST(ParseMultipart, ClosingBoundaryMayEndTheBodyWithoutCrlf) {
  const std::string body = formField("a", "1") + "--" + std::string(kBoundary) + "--";
  auto parts = parseMultipart(body, kBoundary);
  ASSERT_TRUE(parts.isOk()) << parts.status().message();
  EXPECT_EQ(parts->size(), 1u);
}

TEST(ParseMultipart, HeaderNamesAndDispositionTypeAreCaseInsensitive) {
  const std::string body = part("CONTENT-DISPOSITION:Form-Data;NAME=\"a\";FileName=\"x.txt\"\r\n"
                                "content-type:   text/plain; charset=utf-8  \r\n",
                                "hi") +
                           closing();
  auto parts = parseMultipart(body, kBoundary);
  ASSERT_TRUE(parts.isOk()) << parts.status().message();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].name, "a");
  EXPECT_EQ((*parts)[0].filename, "x.txt");
  EXPECT_EQ((*parts)[0].contentType, "text/plain; charset=utf-8");
}

TEST(ParseMultipart, DispositionParametersQuotedEscapedOrTokens) {
  const std::string body =
      part(R"(Content-Disposition: form-data; name = "say \"hi\" \\ there"; filename="")" "\r\n", "") +
      part("Content-Disposition: form-data; name=plain.js; filename*=UTF-8''na%C3%AFve.js; size=3;\r\n", "abc") +
      part("Content-Disposition: form-data; filename=\"caf\xc3\xa9.js\"; name=\"utf8\"\r\n", "") + closing();
  auto parts = parseMultipart(body, kBoundary);
  ASSERT_TRUE(parts.isOk()) << parts.status().message();
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].name, R"(say "hi" \ there)");
  EXPECT_EQ((*parts)[0].filename, "");
  EXPECT_EQ((*parts)[0].data, "");
  EXPECT_EQ((*parts)[1].name, "plain.js");
  EXPECT_EQ((*parts)[1].filename, "");  // filename*= is ignored
  EXPECT_EQ((*parts)[1].data, "abc");
  EXPECT_EQ((*parts)[2].filename, "caf\xc3\xa9.js");
}

TEST(ParseMultipart, IgnoresOtherPartHeadersAndAbsentContentType) {
  const std::string body =
      part("Content-Disposition: form-data; name=a\r\nContent-Transfer-Encoding: binary\r\nX-Other: y\r\n", "1") +
      closing();
  auto parts = parseMultipart(body, kBoundary);
  ASSERT_TRUE(parts.isOk()) << parts.status().message();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].contentType, "");
  EXPECT_EQ((*parts)[0].data, "1");
}

TEST(ParseMultipart, HeadersRunningIntoTheDelimiterGiveEmptyData) {
  // RFC 2046: body-part := MIME-part-headers [CRLF *OCTET]; the CRLF before "--" belongs to the delimiter.
  const std::string b(kBoundary);
  const std::string body = "--" + b + "\r\nContent-Disposition: form-data; name=a\r\n\r\n--" + b + "--";
  auto parts = parseMultipart(body, kBoundary);
  ASSERT_TRUE(parts.isOk()) << parts.status().message();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].data, "");
}

TEST(ParseMultipart, OnlyAClosingBoundaryIsZeroParts) {
  auto parts = parseMultipart(closing(), kBoundary);
  ASSERT_TRUE(parts.isOk()) << parts.status().message();
  EXPECT_TRUE(parts->empty());
}

TEST(ParseMultipart, LimitsAreInclusive) {
  const std::string headers = "Content-Disposition: form-data; name=a\r\n";  // 40 bytes with its CRLF
  const std::string body = part(headers, "1") + part("Content-Disposition: form-data; name=b\r\n", "2") + closing();
  auto parts = parseMultipart(body, kBoundary, {.maxParts = 2, .maxPartHeaderBytes = headers.size()});
  ASSERT_TRUE(parts.isOk()) << parts.status().message();
  EXPECT_EQ(parts->size(), 2u);
}

TEST(ParseMultipart, LinearOnAdversarialBodies) {
  // Megabytes of delimiter near-misses and CRLFs must not take quadratic time.
  std::string data;
  const std::string nearMiss = "\r\n--" + std::string(kBoundary.substr(0, kBoundary.size() - 1)) + "\r\n\r\n";
  while (data.size() < (8u << 20)) data += nearMiss;
  const std::string body = formField("big", data) + closing();
  auto parts = parseMultipart(body, kBoundary);
  ASSERT_TRUE(parts.isOk()) << parts.status().message();
  EXPECT_EQ((*parts)[0].data.size(), data.size());
}

// --- parseMultipart: what it rejects ---

TEST(ParseMultipartError, NoOpeningBoundary) {
  expectInvalid(parseMultipart("just some text\r\n", kBoundary), "no opening boundary");
  expectInvalid(parseMultipart("", kBoundary), "no opening boundary");
  // The boundary must start a line.
  expectInvalid(parseMultipart("x--" + std::string(kBoundary) + "\r\n", kBoundary), "no opening boundary");
}

TEST(ParseMultipartError, MissingClosingBoundaryInTruncatedBody) {
  const std::string body = formField("a", "1") + part("Content-Disposition: form-data; name=b\r\n", "tru");
  std::string truncated = body.substr(0, body.size() - 3);
  expectInvalid(parseMultipart(truncated, kBoundary), "part 2: missing closing boundary");
}

TEST(ParseMultipartError, BodyEndingAfterABoundaryLine) {
  const std::string b(kBoundary);
  expectInvalid(parseMultipart(formField("a", "1") + "--" + b, kBoundary), "missing closing boundary");
  expectInvalid(parseMultipart(formField("a", "1") + "--" + b + "\r", kBoundary), "missing closing boundary");
  expectInvalid(parseMultipart(formField("a", "1") + "--" + b + "-", kBoundary), "missing closing boundary");
}

TEST(ParseMultipartError, PartWithoutBlankLineAfterHeaders) {
  const std::string b(kBoundary);
  const std::string body = formField("a", "1") + "--" + b + "\r\nContent-Disposition: form-data; name=b" + "\r\n--" +
                           b + "--\r\n";
  expectInvalid(parseMultipart(body, kBoundary), "part 2: no blank line after the headers");
}

TEST(ParseMultipartError, HeaderWithoutColon) {
  const std::string body = part("Content-Disposition: form-data; name=a\r\nNoColonHere\r\n", "1") + closing();
  expectInvalid(parseMultipart(body, kBoundary), "part 1: header line without a colon: \"NoColonHere\"");
}

TEST(ParseMultipartError, TooManyParts) {
  const std::string body = formField("a", "1") + formField("b", "2") + formField("c", "3") + closing();
  expectInvalid(parseMultipart(body, kBoundary, {.maxParts = 2}), "more than 2 parts");
}

TEST(ParseMultipartError, OversizedPartHeaders) {
  const std::string headers = "Content-Disposition: form-data; name=a\r\nX-Padding: " + std::string(100, 'p') + "\r\n";
  const std::string body = part(headers, "1") + closing();
  expectInvalid(parseMultipart(body, kBoundary, {.maxPartHeaderBytes = headers.size() - 1}),
                "part 1: headers exceed " + std::to_string(headers.size() - 1) + " bytes");
  // Headers that never end are reported against the limit, not searched to the end of the part.
  const std::string endless = part("X-Padding: " + std::string(20000, 'p'), "1") + closing();
  expectInvalid(parseMultipart(endless, kBoundary), "part 1: headers exceed 8192 bytes");
}

TEST(ParseMultipartError, PartWithoutName) {
  const std::string body = formField("a", "1") + part("Content-Disposition: form-data; filename=\"x.js\"\r\n", "2") +
                           closing();
  expectInvalid(parseMultipart(body, kBoundary), "part 2: missing Content-Disposition name");
  expectInvalid(parseMultipart(part("Content-Disposition: form-data; name=\"\"\r\n", "") + closing(), kBoundary),
                "part 1: empty Content-Disposition name");
}

TEST(ParseMultipartError, PartWithoutContentDisposition) {
  const std::string body = part("Content-Type: text/plain\r\n", "1") + closing();
  expectInvalid(parseMultipart(body, kBoundary), "part 1: missing Content-Disposition header");
  const std::string noHeaders = part("", "1") + closing();
  expectInvalid(parseMultipart(noHeaders, kBoundary), "part 1: missing Content-Disposition header");
}

TEST(ParseMultipartError, DuplicatePartName) {
  const std::string body = formField("a", "1") + formField("b", "2") + formField("a", "3") + closing();
  expectInvalid(parseMultipart(body, kBoundary), "part 3: duplicate part name \"a\" (also part 1)");
}

TEST(ParseMultipartError, BoundaryLineFollowedByOtherCharacters) {
  const std::string b(kBoundary);
  expectInvalid(parseMultipart(formField("a", "1") + "--" + b + "x\r\n" + closing(), kBoundary),
                "boundary before part 2 is followed by \"x\"");
  expectInvalid(parseMultipart(formField("a", "1") + "--" + b + "--x\r\n", kBoundary),
                "closing boundary is followed by \"x\"");
  expectInvalid(parseMultipart("--" + b + "\n" + formField("a", "1") + closing(), kBoundary), "not CRLF");
}

TEST(ParseMultipartError, MalformedContentDisposition) {
  auto parse = [](std::string_view headers) { return parseMultipart(part(headers, "1") + closing(), kBoundary); };
  expectInvalid(parse("Content-Disposition: attachment; name=a\r\n"), "part 1: Content-Disposition is \"attachment\"");
  expectInvalid(parse("Content-Disposition: form-data; name=\"a\r\n"), "unterminated quoted string");
  expectInvalid(parse("Content-Disposition: form-data; name=a; name=b\r\n"), "two name parameters");
  expectInvalid(parse("Content-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n"),
                "part 1: duplicate Content-Disposition header");
  expectInvalid(parse("Content-Disposition: form-data; name\r\n"), "parameter name has no '='");
}

TEST(ParseMultipartError, MalformedHeaderLines) {
  auto parse = [](std::string_view headers) { return parseMultipart(part(headers, "1") + closing(), kBoundary); };
  expectInvalid(parse("Content-Disposition: form-data;\r\n name=a\r\n"), "part 1: folded header line");
  expectInvalid(parse("Content-Disposition: form-data; name=a\nX: y\r\n"), "part 1: control character");
  expectInvalid(parse("Content-Disposition : form-data; name=a\r\n"), "part 1: invalid header name");
  expectInvalid(parse(": x\r\nContent-Disposition: form-data; name=a\r\n"), "part 1: empty header name");
  expectInvalid(parse("Content-Disposition: form-data; name=a\r\nContent-Type: a\r\nContent-Type: b\r\n"),
                "part 1: duplicate Content-Type header");
}

TEST(ParseMultipartError, InvalidBoundaryArgument) {
  expectInvalid(parseMultipart(closing(), ""), "1 to 70 characters");
  expectInvalid(parseMultipart("--a\tb--", "a\tb"), "does not allow");
}

}  // namespace
}  // namespace islet::net
