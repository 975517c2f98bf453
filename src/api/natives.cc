// The native half of the API families, and the one list of native functions the JS half sees as `native`.
#include "api/natives.h"

#include <openssl/rand.h>
#include <unicode/uidna.h>

#include <array>
#include <cstring>
#include <vector>

#include "api/cache/cache.h"
#include "api/compression/compression.h"
#include "api/crypto/crypto.h"
#include "api/kv/kv.h"
#include "api/websocket/websocket.h"
#include "base/log.h"
#include "engine/engine.h"
#include "engine/platform.h"

namespace islet::api {
namespace {

using engine::bind::Args;
using engine::bind::check;
using engine::bind::str;
using engine::bind::throwRangeError;
using engine::bind::throwTypeError;

// ---- url: UTS #46 through ICU ----

std::string idna(const std::string& host, bool toAscii, bool beStrict, bool* ok) {
  uint32_t options = UIDNA_CHECK_BIDI | UIDNA_CHECK_CONTEXTJ | UIDNA_NONTRANSITIONAL_TO_ASCII |
                     UIDNA_NONTRANSITIONAL_TO_UNICODE;
  if (beStrict) options |= UIDNA_USE_STD3_RULES;
  UErrorCode status = U_ZERO_ERROR;
  UIDNA* uidna = uidna_openUTS46(options, &status);
  if (U_FAILURE(status)) throw std::runtime_error("uidna_openUTS46 failed");
  std::string out(host.size() * 4 + 64, '\0');
  UIDNAInfo info = UIDNA_INFO_INITIALIZER;
  int32_t n;
  for (;;) {
    status = U_ZERO_ERROR;
    info = UIDNA_INFO_INITIALIZER;
    n = toAscii ? uidna_nameToASCII_UTF8(uidna, host.data(), static_cast<int32_t>(host.size()), out.data(),
                                         static_cast<int32_t>(out.size()), &info, &status)
                : uidna_nameToUnicodeUTF8(uidna, host.data(), static_cast<int32_t>(host.size()), out.data(),
                                          static_cast<int32_t>(out.size()), &info, &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) {
      out.resize(n + 1);
      continue;
    }
    break;
  }
  uidna_close(uidna);
  uint32_t errors = info.errors;
  // WHATWG URL: CheckHyphens=false, and VerifyDnsLength only when beStrict.
  errors &= ~(UIDNA_ERROR_LEADING_HYPHEN | UIDNA_ERROR_TRAILING_HYPHEN | UIDNA_ERROR_HYPHEN_3_4);
  if (!beStrict) {
    errors &= ~(UIDNA_ERROR_EMPTY_LABEL | UIDNA_ERROR_LABEL_TOO_LONG | UIDNA_ERROR_DOMAIN_NAME_TOO_LONG);
  }
  *ok = U_SUCCESS(status) && errors == 0;
  out.resize(n > 0 ? n : 0);
  return out;
}

void domainToASCII(Args& args) {
  bool ok;
  std::string out = idna(args.string(0), true, args.boolean(1), &ok);
  if (!ok) return args.returnNull();
  args.returnString(out);
}

void domainToUnicode(Args& args) {
  bool ok;
  args.returnString(idna(args.string(0), false, false, &ok));
}

// ---- encoding ----

// Length of the valid UTF-8 prefix of [p, end): stops at the first ill-formed sequence (WHATWG rules).
size_t validUtf8Prefix(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = p[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (i + need >= n) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k <= need; k++) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    }
    i += need + 1;
  }
  return i;
}

void utf8Encode(Args& args) {
  v8::Isolate* isolate = args.isolate();
  v8::Local<v8::String> s = check(args[0]->ToString(args.context()));
  size_t len = s->Utf8Length(isolate);
  auto buffer = v8::ArrayBuffer::New(isolate, len);
  s->WriteUtf8(isolate, static_cast<char*>(buffer->GetBackingStore()->Data()), static_cast<int>(len), nullptr,
               v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  args.returnValue(v8::Uint8Array::New(buffer, 0, len));
}

void utf8EncodeInto(Args& args) {
  v8::Isolate* isolate = args.isolate();
  v8::Local<v8::String> s = check(args[0]->ToString(args.context()));
  std::span<uint8_t> dest = args.bytes(1);
  int read = 0;
  int written = s->WriteUtf8(isolate, reinterpret_cast<char*>(dest.data()), static_cast<int>(dest.size()), &read,
                             v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  v8::Local<v8::Value> pair[] = {v8::Integer::New(isolate, read), v8::Integer::New(isolate, written)};
  args.returnValue(v8::Array::New(isolate, pair, 2));
}

void utf8Decode(Args& args) {
  std::span<uint8_t> bytes = args.bytes(0);
  bool fatal = args.boolean(1);
  if (bytes.size() > static_cast<size_t>(v8::String::kMaxLength)) throwRangeError("Invalid string length");
  if (fatal && validUtf8Prefix(bytes.data(), bytes.size()) != bytes.size()) return args.returnNull();
  // V8's UTF-8 decoder replaces ill-formed sequences with U+FFFD following the Encoding Standard.
  v8::Local<v8::String> out = check(v8::String::NewFromUtf8(args.isolate(), reinterpret_cast<const char*>(bytes.data()),
                                                            v8::NewStringType::kNormal, static_cast<int>(bytes.size())));
  args.returnValue(out);
}

// ---- crypto ----

void randomFill(Args& args) {
  std::span<uint8_t> bytes = args.bytes(0);
  if (!bytes.empty() && RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  args.returnValue(args[0]);
}

void randomUUID(Args& args) {
  std::array<uint8_t, 16> b;
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  b[6] = (b[6] & 0x0F) | 0x40;
  b[8] = (b[8] & 0x3F) | 0x80;
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 15];
  }
  args.returnString(out);
}

// ---- structuredClone ----

class CloneDelegate final : public v8::ValueSerializer::Delegate {
 public:
  explicit CloneDelegate(v8::Isolate* isolate) : isolate_(isolate) {}
  void ThrowDataCloneError(v8::Local<v8::String> message) override {
    isolate_->ThrowException(makeDataCloneError(isolate_->GetCurrentContext(), message));
  }
  // DOMException lives in the JS half; a plain Error if it is missing.
  v8::Local<v8::Value> makeDataCloneError(v8::Local<v8::Context> context, v8::Local<v8::String> message) {
    v8::Local<v8::Value> ctor;
    if (context->Global()->Get(context, str(isolate_, "DOMException")).ToLocal(&ctor) && ctor->IsFunction()) {
      v8::Local<v8::Value> argv[] = {message, str(isolate_, "DataCloneError")};
      v8::Local<v8::Object> e;
      if (ctor.As<v8::Function>()->NewInstance(context, 2, argv).ToLocal(&e)) return e;
    }
    return v8::Exception::Error(message);
  }

 private:
  v8::Isolate* isolate_;
};

// structuredClone(value, transferList?): transferList is an array of ArrayBuffers the JS half has checked
// (no duplicates, none detached); their contents move to the clone and the originals are detached.
void structuredClone(Args& args) {
  v8::Isolate* isolate = args.isolate();
  v8::Local<v8::Context> context = args.context();
  CloneDelegate delegate(isolate);
  v8::ValueSerializer serializer(isolate, &delegate);
  std::vector<v8::Local<v8::ArrayBuffer>> transfers;
  if (args.length() > 1 && args[1]->IsArray()) {
    auto list = args[1].As<v8::Array>();
    for (uint32_t i = 0; i < list->Length(); i++) {
      v8::Local<v8::Value> item = check(list->Get(context, i));
      if (!item->IsArrayBuffer() || !item.As<v8::ArrayBuffer>()->IsDetachable()) {
        throwTypeError("structuredClone: only detachable ArrayBuffers can be transferred");
      }
      transfers.push_back(item.As<v8::ArrayBuffer>());
      serializer.TransferArrayBuffer(i, transfers.back());
    }
  }
  serializer.WriteHeader();
  if (serializer.WriteValue(context, args[0]).IsNothing()) return;  // DataCloneError pending
  std::pair<uint8_t*, size_t> data = serializer.Release();
  struct Free {
    uint8_t* p;
    ~Free() { free(p); }
  } guard{data.first};
  v8::ValueDeserializer deserializer(isolate, data.first, data.second);
  for (uint32_t i = 0; i < transfers.size(); i++) {
    deserializer.TransferArrayBuffer(i, v8::ArrayBuffer::New(isolate, transfers[i]->GetBackingStore()));
  }
  if (deserializer.ReadHeader(context).IsNothing()) return;
  v8::Local<v8::Value> out;
  if (!deserializer.ReadValue(context).ToLocal(&out)) return;
  for (auto& buffer : transfers) buffer->Detach();
  args.returnValue(out);
}

// ---- console, timers, clock, dispatch: through the isolate's Host ----

engine::Host& host(Args& args) { return *engine::Host::from(args.isolate()); }

void consoleLog(Args& args) {
  std::string level = args.string(0);
  std::string message = args.string(1);
  host(args).consoleLog(level, message);
}

void timerStart(Args& args) {
  double delay = args.number(1);
  if (!(delay >= 0)) delay = 0;
  host(args).timerStart(args.uint32(0), delay, args.boolean(2));
}

void timerCancel(Args& args) { host(args).timerCancel(args.uint32(0)); }

void now(Args& args) { args.returnNumber(engine::Clock::nowMs()); }
void timeOrigin(Args& args) { args.returnNumber(host(args).timeOrigin()); }

// fetchDone(id, error) or fetchDone(id, undefined, status, statusText, headers[], webSocket, body)
void fetchDone(Args& args) {
  if (args.length() < 7) return host(args).fetchDone(args.uint32(0), nullptr, args[1]);
  engine::Host::ResponseParts parts{args[2], args[3], args[4], args[5], args[6]};
  host(args).fetchDone(args.uint32(0), &parts, args[1]);
}

// fetchStart(id, service, method, url, headers[], body Uint8Array | null, bodyStream id | 0)
void fetchStart(Args& args) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (args[4]->IsArray()) {
    auto list = args[4].As<v8::Array>();
    for (uint32_t i = 0; i + 1 < list->Length(); i += 2) {
      headers.emplace_back(engine::bind::toLatin1(args.isolate(), check(list->Get(args.context(), i))),
                           engine::bind::toLatin1(args.isolate(), check(list->Get(args.context(), i + 1))));
    }
  }
  std::string body;
  if (!args[5]->IsNullOrUndefined()) {
    std::span<uint8_t> bytes = args.bytes(5);
    body.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  host(args).fetchStart(args.uint32(0), args.string(1), args.string(2), args.string(3), std::move(headers),
                        std::move(body), args.uint32(6));
}

// bodyRead(id) / bodyCancel(id): a native body's next piece (answered by internal.bodyChunk), or its end.
// webSocketAttach(fetchId, socketId): an upstream's WebSocket (a fetch() answered 101) joins its JS end.
void webSocketAttach(Args& args) { host(args).webSocketAttach(args.uint32(0), args.uint32(1)); }

void bodyRead(Args& args) { host(args).bodyRead(args.uint32(0)); }
void bodyCancel(Args& args) { host(args).bodyCancel(args.uint32(0)); }
// bodyOpen() → id / bodyPush(id, Uint8Array | null, error string | undefined): an upload JS produces.
void bodyOpen(Args& args) { args.returnNumber(host(args).bodyOpen()); }
void bodyPush(Args& args) {
  std::string bytes;
  bool end = args[1]->IsNullOrUndefined();
  if (!end) {
    std::span<uint8_t> view = args.bytes(1);
    bytes.assign(reinterpret_cast<const char*>(view.data()), view.size());
  }
  std::string error = args[2]->IsUndefined() ? std::string() : args.string(2);
  if (!args[2]->IsUndefined() && error.empty()) error = "the request body failed";
  host(args).bodyPush(args.uint32(0), std::move(bytes), end, std::move(error));
}

void fetchAbort(Args& args) { host(args).fetchAbort(args.uint32(0)); }

// streamWrite(id, Uint8Array chunk, done(ok)) / streamEnd(id) / streamAbort(id, error)
void streamWrite(Args& args) {
  std::span<uint8_t> bytes = args.bytes(1);
  if (!args[2]->IsFunction()) engine::bind::throwTypeError("streamWrite needs a callback");
  host(args).streamWrite(args.uint32(0), std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                         args[2].As<v8::Function>());
}
void streamEnd(Args& args) { host(args).streamEnd(args.uint32(0)); }
void streamAbort(Args& args) { host(args).streamAbort(args.uint32(0), args[1]); }

void testReadFile(Args& args) {
  Result<std::string> data = host(args).readTestFile(args.string(0));
  if (!data.isOk()) engine::bind::throwError(data.status().message());
  args.returnString(data.value());
}

constexpr engine::bind::NativeFunction kNatives[] = {
    ISLET_NATIVE("domainToASCII", domainToASCII),
    ISLET_NATIVE("domainToUnicode", domainToUnicode),
    ISLET_NATIVE("utf8Encode", utf8Encode),
    ISLET_NATIVE("utf8EncodeInto", utf8EncodeInto),
    ISLET_NATIVE("utf8Decode", utf8Decode),
    ISLET_NATIVE("randomFill", randomFill),
    ISLET_NATIVE("randomUUID", randomUUID),
    ISLET_NATIVE("structuredClone", structuredClone),
    ISLET_NATIVE("log", consoleLog),
    ISLET_NATIVE("timerStart", timerStart),
    ISLET_NATIVE("timerCancel", timerCancel),
    ISLET_NATIVE("now", now),
    ISLET_NATIVE("timeOrigin", timeOrigin),
    ISLET_NATIVE("fetchDone", fetchDone),
    ISLET_NATIVE("testReadFile", testReadFile),
    ISLET_NATIVE("fetchStart", fetchStart),
    ISLET_NATIVE("fetchAbort", fetchAbort),
    ISLET_NATIVE("streamWrite", streamWrite),
    ISLET_NATIVE("streamEnd", streamEnd),
    ISLET_NATIVE("streamAbort", streamAbort),
    ISLET_NATIVE("bodyRead", bodyRead),
    ISLET_NATIVE("webSocketAttach", webSocketAttach),
    ISLET_NATIVE("bodyCancel", bodyCancel),
    ISLET_NATIVE("bodyOpen", bodyOpen),
    ISLET_NATIVE("bodyPush", bodyPush),
    ISLET_NATIVE("kvGet", kv::get),
    ISLET_NATIVE("kvPut", kv::put),
    ISLET_NATIVE("kvDelete", kv::remove),
    ISLET_NATIVE("kvList", kv::list),
    ISLET_NATIVE("cryptoDigest", crypto::digest),
    ISLET_NATIVE("cryptoHmacSign", crypto::hmacSign),
    ISLET_NATIVE("cryptoHmacVerify", crypto::hmacVerify),
    ISLET_NATIVE("cryptoAesGcm", crypto::aesGcm),
    ISLET_NATIVE("cryptoAesCbc", crypto::aesCbc),
    ISLET_NATIVE("cryptoAesCtr", crypto::aesCtr),
    ISLET_NATIVE("cryptoAesKw", crypto::aesKw),
    ISLET_NATIVE("cryptoPbkdf2", crypto::pbkdf2),
    ISLET_NATIVE("cryptoHkdf", crypto::hkdf),
    ISLET_NATIVE("cryptoGenerateKeyPair", crypto::generateKeyPair),
    ISLET_NATIVE("cryptoImportKey", crypto::importKey),
    ISLET_NATIVE("cryptoImportJwk", crypto::importJwk),
    ISLET_NATIVE("cryptoExportKey", crypto::exportKey),
    ISLET_NATIVE("cryptoSign", crypto::sign),
    ISLET_NATIVE("cryptoVerify", crypto::verify),
    ISLET_NATIVE("cryptoRsaOaep", crypto::rsaOaep),
    ISLET_NATIVE("cryptoEcdh", crypto::ecdh),
    ISLET_NATIVE("zlibCreate", compression::create),
    ISLET_NATIVE("zlibPush", compression::push),
    ISLET_NATIVE("zlibEnd", compression::end),
    ISLET_NATIVE("cacheMatch", cache::match),
    ISLET_NATIVE("cachePut", cache::put),
    ISLET_NATIVE("cacheDelete", cache::remove),
    ISLET_NATIVE("webSocketSend", websocket::send),
    ISLET_NATIVE("webSocketClose", websocket::close),
};

// APIs that many workers never use, run in a worker's isolate on first use instead of held by every isolate
// (engine::LazyApi). Streams, URL and console are the largest (118, 54 and 26 KB of RSS per loaded worker,
// measured).
constexpr const char* kStreamsGlobals[] = {
    "ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamBYOBReader", "ReadableStreamDefaultController",
    "ReadableByteStreamController", "ReadableStreamBYOBRequest", "WritableStream", "WritableStreamDefaultWriter",
    "WritableStreamDefaultController", "TransformStream", "TransformStreamDefaultController",
    "ByteLengthQueuingStrategy", "CountQueuingStrategy", "TextEncoderStream", "TextDecoderStream",
    "IdentityTransformStream", "FixedLengthStream"};
constexpr const char* kConsoleGlobals[] = {"console"};
constexpr const char* kBlobGlobals[] = {"Blob", "File", "FormData"};
constexpr const char* kUrlGlobals[] = {"URL", "URLSearchParams"};
constexpr const char* kUrlPatternGlobals[] = {"URLPattern"};
constexpr const char* kWasiGlobals[] = {"WASI"};
constexpr const char* kCacheGlobals[] = {"Cache", "CacheStorage", "caches"};
constexpr const char* kSubtleGlobals[] = {"CryptoKey", "SubtleCrypto"};
constexpr const char* kCompressionGlobals[] = {"CompressionStream", "DecompressionStream"};
constexpr const char* kWebSocketGlobals[] = {"WebSocket", "WebSocketPair"};
constexpr engine::LazyApi kLazy[] = {
    {"streams/streams.js", kStreamsGlobals},             {"console/console.js", kConsoleGlobals},
    {"url/url.js", kUrlGlobals},                         {"blob/blob.js", kBlobGlobals},
    {"urlpattern/urlpattern.js", kUrlPatternGlobals},    {"wasi/wasi.js", kWasiGlobals},
    {"cache/cache.js", kCacheGlobals},                   {"crypto/subtle.js", kSubtleGlobals},
    {"compression/compression.js", kCompressionGlobals}, {"websocket/websocket.js", kWebSocketGlobals},
};

}  // namespace

engine::ApiDefinition definition() { return {kNatives, scripts(), warmUpScripts(), kLazy}; }

}  // namespace islet::api
