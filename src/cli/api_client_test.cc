#include "cli/api_client.h"

#include <gtest/gtest.h>

#include "net/multipart.h"

namespace islet::cli {
namespace {

TEST(ParseApiUrl, HostAndPort) {
  auto a = parseApiUrl("http://127.0.0.1:8788");
  ASSERT_TRUE(a.isOk()) << a.status().message();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8788);
  EXPECT_EQ(a->basePath, "");
}

TEST(ParseApiUrl, DropsTheClientV4SuffixThatServePrints) {
  auto a = parseApiUrl("http://localhost:8788/client/v4/");
  ASSERT_TRUE(a.isOk()) << a.status().message();
  EXPECT_EQ(a->host, "localhost");
  EXPECT_EQ(a->basePath, "");
}

TEST(ParseApiUrl, DefaultPortSchemelessAndPrefix) {
  auto a = parseApiUrl("http://api.example.test/islet");
  ASSERT_TRUE(a.isOk());
  EXPECT_EQ(a->port, 80);
  EXPECT_EQ(a->basePath, "/islet");
  auto b = parseApiUrl("127.0.0.1:9000");
  ASSERT_TRUE(b.isOk());
  EXPECT_EQ(b->host, "127.0.0.1");
  EXPECT_EQ(b->port, 9000);
}

TEST(ParseApiUrl, Ipv6) {
  auto a = parseApiUrl("http://[::1]:8788");
  ASSERT_TRUE(a.isOk()) << a.status().message();
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 8788);
}

TEST(ParseApiUrl, RejectsHttpsWithAClearMessage) {
  auto a = parseApiUrl("https://api.example.test");
  ASSERT_FALSE(a.isOk());
  EXPECT_NE(a.status().message().find("https is not supported"), std::string::npos);
}

TEST(ParseApiUrl, RejectsMalformed) {
  for (const char* url : {"http://", "http://h:0", "http://h:65536", "http://h:12x", "ftp://h", "http://u@h",
                          "http://[::1", "http://h/?q"}) {
    EXPECT_FALSE(parseApiUrl(url).isOk()) << url;
  }
}

TEST(UrlEncode, KeepsOnlyUnreserved) {
  EXPECT_EQ(urlEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(urlEncode("a b/c?d%e#f+"), "a%20b%2Fc%3Fd%25e%23f%2B");
  EXPECT_EQ(urlEncode("\xc3\xa9"), "%C3%A9");
  EXPECT_EQ(urlEncode(std::string("\0", 1)), "%00");
}

TEST(MultipartForm, RoundTripsThroughTheServersParser) {
  MultipartForm form;
  ASSERT_TRUE(form.add("metadata", "application/json", R"({"main_module":"index.js"})").isOk());
  ASSERT_TRUE(form.add("index.js", "application/javascript+module", "export default {};\r\n--x\r\n", "index.js").isOk());
  std::string binary("\0\r\n--\xff", 6);
  ASSERT_TRUE(form.add("we\"ird\\name.bin", "application/octet-stream", binary, "we\"ird\\name.bin").isOk());
  ASSERT_TRUE(form.add("empty", "", "").isOk());
  auto encoded = form.encode();
  auto boundary = net::multipartBoundary(encoded.contentType);
  ASSERT_TRUE(boundary.isOk()) << boundary.status().message();
  auto parts = net::parseMultipart(encoded.body, boundary.value());
  ASSERT_TRUE(parts.isOk()) << parts.status().message();
  ASSERT_EQ(parts->size(), 4u);
  EXPECT_EQ((*parts)[0].name, "metadata");
  EXPECT_EQ((*parts)[0].contentType, "application/json");
  EXPECT_EQ((*parts)[0].filename, "");
  EXPECT_EQ((*parts)[1].filename, "index.js");
  EXPECT_EQ((*parts)[1].data, "export default {};\r\n--x\r\n");
  EXPECT_EQ((*parts)[2].name, "we\"ird\\name.bin");
  EXPECT_EQ((*parts)[2].filename, "we\"ird\\name.bin");
  EXPECT_EQ((*parts)[2].data, binary);
  EXPECT_EQ((*parts)[3].contentType, "");
  EXPECT_EQ((*parts)[3].data, "");
}

TEST(MultipartForm, BoundaryIsRandom) {
  MultipartForm form;
  ASSERT_TRUE(form.add("a", "text/plain", "x").isOk());
  EXPECT_NE(form.encode().contentType, form.encode().contentType);
}

TEST(MultipartForm, RejectsLineBreaksInNames) {
  MultipartForm form;
  EXPECT_FALSE(form.add("a\r\nContent-Type: x", "text/plain", "x").isOk());
  EXPECT_FALSE(form.add("a", "text/plain", "x", "f\n").isOk());
  EXPECT_FALSE(form.add("a", "text/plain\r\nX: y", "x").isOk());
}

TEST(MultipartForm, NoPartsIsJustTheClosingBoundary) {
  MultipartForm form;
  auto encoded = form.encode();
  auto boundary = net::multipartBoundary(encoded.contentType);
  ASSERT_TRUE(boundary.isOk());
  auto parts = net::parseMultipart(encoded.body, boundary.value());
  ASSERT_TRUE(parts.isOk()) << parts.status().message();
  EXPECT_TRUE(parts->empty());
}

}  // namespace
}  // namespace islet::cli
