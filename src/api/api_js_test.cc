// The API's JS as embedded in the binary.
#include <gtest/gtest.h>

#include "api/natives.h"

namespace islet::api {
namespace {

// V8 keeps a script's source as a one-byte string only when every character is Latin-1; one arrow in a comment
// makes the whole file two bytes a character, in every isolate (the snapshot holds the sources for lazy
// compilation). Keeping the files ASCII saved 0.3 MB per loaded worker (docs/benchmarks.md). Write non-ASCII
// characters in strings as \u escapes, and none in comments.
void expectAscii(std::span<const engine::EmbeddedScript> files) {
  for (const auto& f : files) {
    std::string_view text(f.source, f.length);
    size_t line = 1;
    for (char c : text) {
      if (c == '\n') line++;
      if (static_cast<unsigned char>(c) >= 0x80) {
        ADD_FAILURE() << f.name << ":" << line << " holds a non-ASCII character";
        break;
      }
    }
  }
}

TEST(ApiJs, EveryFileIsAscii) {
  EXPECT_FALSE(scripts().empty());
  expectAscii(scripts());
  expectAscii(warmUpScripts());
}

}  // namespace
}  // namespace islet::api
