// The native half of WebSocketPair: what the server end of a pair sends to a client's socket, forwarded to the
// isolate's Host (the runtime owns the socket). See websocket.js for the JS half and README.md for the flow.
#pragma once

#include "engine/bind/bind.h"

namespace islet::api::websocket {

// webSocketSend(id, data): `data` a string (a text message) or an ArrayBuffer / view (a binary message).
void send(engine::bind::Args& args);
// webSocketClose(id, code, reason)
void close(engine::bind::Args& args);

}  // namespace islet::api::websocket
