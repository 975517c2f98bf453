#include "api/websocket/websocket.h"

#include "engine/engine.h"

namespace islet::api::websocket {

using engine::bind::Args;

void send(Args& args) {
  engine::Host* host = engine::Host::from(args.isolate());
  if (host == nullptr) return;
  uint32_t id = args.uint32(0);
  if (args[1]->IsString()) return host->webSocketSend(id, args.string(1), /*binary=*/false);
  std::span<uint8_t> bytes = args.bytes(1);
  host->webSocketSend(id, std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()), /*binary=*/true);
}

void close(Args& args) {
  engine::Host* host = engine::Host::from(args.isolate());
  if (host == nullptr) return;
  double code = args.number(1);
  if (!(code >= 1000 && code <= 4999)) code = 1000;
  host->webSocketClose(args.uint32(0), static_cast<uint16_t>(code), args.string(2));
}

}  // namespace islet::api::websocket
