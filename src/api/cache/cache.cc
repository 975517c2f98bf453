#include "api/cache/cache.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "api/cache/http_cache.h"
#include "engine/engine.h"
#include "engine/platform.h"

namespace islet::api::cache {
namespace {

using engine::bind::Args;
using engine::bind::check;

constexpr size_t kMaxCacheNameBytes = 1024;
constexpr size_t kMaxUrlBytes = 16 * 1024;
constexpr double kMaxTtlSeconds = 365.0 * 86400;

// The account's namespace, from the host (never from tenant code).
std::string cacheNamespace(Args& args) {
  engine::Host* host = engine::Host::from(args.isolate());
  std::optional<std::string> ns = host ? host->cacheNamespace() : std::nullopt;
  if (!ns) engine::bind::throwError("the Cache API is not available here");
  return std::move(*ns);
}

std::string cacheName(Args& args, int i) {
  std::string name = args.string(i);
  if (name.size() > kMaxCacheNameBytes) engine::bind::throwTypeError("the cache name is too long");
  return name;
}

std::string url(Args& args, int i) {
  std::string u = args.string(i);
  if (u.size() > kMaxUrlBytes) engine::bind::throwTypeError("the URL is too long to be a cache key");
  return u;
}

}  // namespace

void match(Args& args) {
  std::string ns = cacheNamespace(args);
  HttpCache::Hit hit = HttpCache::node().match(ns, cacheName(args, 0), url(args, 1), engine::Clock::nowMs());
  if (!hit.response) return args.returnNull();
  const CachedResponse& r = *hit.response;
  v8::Isolate* iso = args.isolate();
  v8::Local<v8::Context> context = args.context();
  v8::Local<v8::Array> headers = v8::Array::New(iso, static_cast<int>(r.headers.size() * 2));
  uint32_t i = 0;
  auto latin1 = [&](const std::string& s) {
    return check(v8::String::NewFromOneByte(iso, reinterpret_cast<const uint8_t*>(s.data()), v8::NewStringType::kNormal,
                                            static_cast<int>(s.size())));
  };
  for (const auto& [name, value] : r.headers) {
    check(headers->Set(context, i++, latin1(name)));
    check(headers->Set(context, i++, latin1(value)));
  }
  auto store = v8::ArrayBuffer::NewBackingStore(iso, r.body.size());
  if (!r.body.empty()) memcpy(store->Data(), r.body.data(), r.body.size());
  auto body = v8::Uint8Array::New(v8::ArrayBuffer::New(iso, std::move(store)), 0, r.body.size());
  v8::Local<v8::Value> out[] = {v8::Integer::New(iso, r.status), latin1(r.statusText), headers, body,
                                v8::Number::New(iso, std::floor(std::max(0.0, hit.ageMs) / 1000))};
  args.returnValue(v8::Array::New(iso, out, 5));
}

void put(Args& args) {
  std::string ns = cacheNamespace(args);
  std::string name = cacheName(args, 0);
  std::string key = url(args, 1);
  CachedResponse response;
  double status = args.number(2);
  if (!(status >= 200 && status <= 599)) engine::bind::throwTypeError("cachePut: bad status");
  response.status = static_cast<int>(status);
  response.statusText = engine::bind::toLatin1(args.isolate(), args[3]);
  if (!args[4]->IsArray()) engine::bind::throwTypeError("cachePut: headers must be an array");
  auto list = args[4].As<v8::Array>();
  for (uint32_t i = 0; i + 1 < list->Length(); i += 2) {
    response.headers.emplace_back(engine::bind::toLatin1(args.isolate(), check(list->Get(args.context(), i))),
                                  engine::bind::toLatin1(args.isolate(), check(list->Get(args.context(), i + 1))));
  }
  std::span<uint8_t> body = args.bytes(5);
  response.body.assign(reinterpret_cast<const char*>(body.data()), body.size());
  double ttlSeconds = args.number(6);
  ttlSeconds = ttlSeconds > 0 ? std::min(ttlSeconds, kMaxTtlSeconds) : 0;  // NaN too
  Status s = HttpCache::node().put(ns, name, key, std::move(response), engine::Clock::nowMs(), ttlSeconds * 1000);
  if (!s.isOk()) engine::bind::throwRangeError("Cache.put: " + s.message());
}

void remove(Args& args) {
  std::string ns = cacheNamespace(args);
  args.returnBool(HttpCache::node().remove(ns, cacheName(args, 0), url(args, 1), engine::Clock::nowMs()));
}

}  // namespace islet::api::cache
