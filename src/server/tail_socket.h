// The WebSocket end of a tail. `wrangler tail` and `islet tail` open the URL the management API handed out for a
// tail (control::tailPath); this answers the handshake (subprotocol trace-v1), attaches the connection to the
// TailHub with the secret in the URL — the only credential, as wrangler sends no Authorization header — and
// streams the tail's events to it, one text message each, until either side closes or the tail expires.
//
// Runs on the API listener's thread: the hub's deliveries are posted to that thread's io_context. A client must
// send something (wrangler pings every 10 s) at least once a minute, or the connection is dropped.
#pragma once

#include <boost/asio/io_context.hpp>

#include <memory>

#include "net/http_server.h"
#include "runtime/tail.h"

namespace islet::server {

// Whether `request` is for a tail's WebSocket (its path is a tail path; the handshake itself is checked later).
bool isTailSocketRequest(const net::Request& request);

// Takes the exchange: a bad handshake answers 400, an unknown, expired or already-open tail 404; otherwise the
// connection becomes the tail's WebSocket.
void serveTailSocket(runtime::TailHub& hub, boost::asio::io_context& io, std::shared_ptr<net::Exchange> exchange);

}  // namespace islet::server
