#include "api/kv/kv.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>

namespace islet::api::kv {
namespace {

constexpr uint32_t kKvSlot = 1;  // V8 isolate data slot (engine.cc lists them)

using engine::bind::Args;
using engine::bind::throwError;
using engine::bind::throwTypeError;

int64_t nowSec() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

KvAccess& access(Args& args, const std::string& namespaceId) {
  auto* a = static_cast<KvAccess*>(args.isolate()->GetData(kKvSlot));
  if (a == nullptr || !a->store) throwError("KV is not available here");
  if (!a->namespaceIds.count(namespaceId)) throwTypeError("this worker is not bound to that KV namespace");
  return *a;
}

void check(const Status& s) {
  if (s.code() == StatusCode::kInvalidArgument) throwTypeError(s.message());
  if (!s.isOk()) throwError(fmt::format("KV: {}", s.message()));
}

}  // namespace

void setAccess(v8::Isolate* isolate, KvAccess* a) { isolate->SetData(kKvSlot, a); }

// get(ns, key) → [Uint8Array value, metadataJson | null] or null
void get(Args& args) {
  std::string ns = args.string(0);
  KvAccess& a = access(args, ns);
  auto entry = a.store->get(ns, args.string(1), nowSec());
  if (!entry.isOk()) {
    if (entry.status().code() == StatusCode::kNotFound) return args.returnNull();
    check(entry.status());
  }
  v8::Isolate* iso = args.isolate();
  const std::string& value = entry->value;
  auto store = v8::ArrayBuffer::NewBackingStore(iso, value.size());
  if (!value.empty()) memcpy(store->Data(), value.data(), value.size());
  auto buffer = v8::ArrayBuffer::New(iso, std::move(store));
  v8::Local<v8::Value> meta = v8::Null(iso);
  if (!entry->metadataJson.empty()) meta = engine::bind::newString(iso, entry->metadataJson);
  v8::Local<v8::Value> pair[] = {v8::Uint8Array::New(buffer, 0, value.size()), meta};
  args.returnValue(v8::Array::New(iso, pair, 2));
}

// put(ns, key, bytes, expirationSec (0: none), metadataJson ('' : none)
void put(Args& args) {
  std::string ns = args.string(0);
  KvAccess& a = access(args, ns);
  std::span<uint8_t> bytes = args.bytes(2);
  store::KvEntry entry;
  entry.value.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  double expiration = args.number(3);
  if (expiration > 0) entry.expirationSec = static_cast<int64_t>(expiration);
  entry.metadataJson = args.string(4);
  check(a.store->put(ns, args.string(1), std::move(entry)));
}

void remove(Args& args) {
  std::string ns = args.string(0);
  KvAccess& a = access(args, ns);
  check(a.store->remove(ns, args.string(1)));
}

// list(ns, prefix, cursor, limit) → JSON text of {keys: [{name, expiration?, metadata?}], list_complete, cursor?}
void list(Args& args) {
  std::string ns = args.string(0);
  KvAccess& a = access(args, ns);
  auto result = a.store->list(ns, args.string(1), args.string(2), static_cast<int>(args.number(3)), nowSec());
  if (!result.isOk()) check(result.status());
  nlohmann::json out;
  out["keys"] = nlohmann::json::array();
  for (const auto& k : result->keys) {
    nlohmann::json key{{"name", k.name}};
    if (k.expirationSec) key["expiration"] = *k.expirationSec;
    if (!k.metadataJson.empty()) {
      key["metadata"] = nlohmann::json::parse(k.metadataJson, nullptr, false);
    }
    out["keys"].push_back(std::move(key));
  }
  out["list_complete"] = result->cursor.empty();
  if (!result->cursor.empty()) out["cursor"] = result->cursor;
  args.returnString(out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace islet::api::kv
