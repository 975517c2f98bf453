// The reading end of a tail for `islet tail`: a small WebSocket client (RFC 6455, client side) for the URL that
// POST .../tails answers. It prints each event the server sends as one JSON line, answers pings, pings the server
// every 10 s (it drops silent clients), and stops on SIGINT/SIGTERM or when the server closes the tail.
//
// Plain ws:// only, like the API client; one call per command, on the calling thread.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "base/status.h"

namespace islet::cli {

// Streams the tail at `url` ("ws://host:port/path") to `out` until it ends. OK when the server closed it or a
// signal asked to stop; kUnavailable when it cannot be reached, refuses the handshake or breaks the protocol.
Status streamTail(std::string_view url, std::FILE* out);

}  // namespace islet::cli
