// net: a body that arrives piece by piece — a request body still on the client's socket, a fetch() response
// still on the upstream's, or a body a worker produces for an upload. The one interface between them, so a
// proxy can hand one side's reader to the other without the bytes passing through JS.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/status.h"

namespace islet::net {

class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Asks for the next piece. `done` gets non-empty bytes, an empty string at the end of the body, or an error;
  // it runs on the reader's thread, never inside read(). At most one read is outstanding at a time.
  using ReadCallback = std::function<void(Result<std::string>)>;
  virtual void read(ReadCallback done) = 0;
  // Nobody will read the rest. What the body still holds is dropped (its connection is not reused), and an
  // outstanding read completes with an error.
  virtual void cancel() = 0;
  // The whole length, when the sender declared it.
  virtual std::optional<uint64_t> length() const { return std::nullopt; }
};

}  // namespace islet::net
