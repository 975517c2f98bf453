// engine/bind: the one C++ <-> JS glue layer.
//
// Native functions exposed to JS are plain C++ functions `void f(Args& args)` listed once (as a
// NativeFunction) in api/natives.cc. bind wraps each one so that:
//   - a JsError thrown by native code becomes the matching JS exception (TypeError, RangeError, ...);
//   - any other C++ exception becomes a generic JS Error and a log line: no C++ exception ever unwinds
//     through V8 frames;
//   - argument access is checked: a wrong type is a TypeError, never a crash.
// Values a tenant controls are converted with the Maybe-returning V8 calls; ToLocalChecked() is kept for
// values islet itself made (short constant strings, fresh objects).
#pragma once

#include <v8.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace islet::engine::bind {

enum class ErrorType { kError, kTypeError, kRangeError };

// Thrown by native code; turned into a JS exception at the boundary.
struct JsError {
  ErrorType type;
  std::string message;
};
[[noreturn]] void throwTypeError(std::string message);
[[noreturn]] void throwRangeError(std::string message);
[[noreturn]] void throwError(std::string message);

// Thrown when V8 already has a pending exception (a getter threw, termination): just unwind to the boundary.
struct PendingException {};

// Unwraps a MaybeLocal, or unwinds with the pending JS exception. For values a tenant can influence.
template <typename T>
v8::Local<T> check(v8::MaybeLocal<T> maybe) {
  v8::Local<T> out;
  if (!maybe.ToLocal(&out)) throw PendingException{};
  return out;
}
template <typename T>
T check(v8::Maybe<T> maybe) {
  T out;
  if (!maybe.To(&out)) throw PendingException{};
  return out;
}

// Argument access for a native callback.
class Args {
 public:
  explicit Args(const v8::FunctionCallbackInfo<v8::Value>& info) : info_(info) {}
  v8::Isolate* isolate() const { return info_.GetIsolate(); }
  v8::Local<v8::Context> context() const { return isolate()->GetCurrentContext(); }
  int length() const { return info_.Length(); }
  v8::Local<v8::Value> operator[](int i) const { return info_[i]; }

  std::string string(int i) const;        // String(args[i]) as UTF-8
  double number(int i) const;             // Number(args[i])
  bool boolean(int i) const;              // ToBoolean
  uint32_t uint32(int i) const;           // a number in [0, 2^32), else TypeError
  // The bytes of an ArrayBuffer or ArrayBufferView argument, else TypeError. Valid until JS runs again.
  std::span<uint8_t> bytes(int i) const;

  void returnValue(v8::Local<v8::Value> v) const { info_.GetReturnValue().Set(v); }
  void returnString(std::string_view utf8) const;
  void returnNumber(double v) const { info_.GetReturnValue().Set(v); }
  void returnBool(bool v) const { info_.GetReturnValue().Set(v); }
  void returnNull() const { info_.GetReturnValue().SetNull(); }

 private:
  const v8::FunctionCallbackInfo<v8::Value>& info_;
};

using NativeFn = void (*)(Args&);

// Calls fn with the boundary rules above. Used by the Native<> trampoline.
void invoke(NativeFn fn, const v8::FunctionCallbackInfo<v8::Value>& info) noexcept;

template <NativeFn F>
void trampoline(const v8::FunctionCallbackInfo<v8::Value>& info) {
  invoke(F, info);
}

// One native function exposed on the `native` object given to api/ JS files.
struct NativeFunction {
  const char* name;
  v8::FunctionCallback callback;
};
#define ISLET_NATIVE(name, fn) ::islet::engine::bind::NativeFunction{name, &::islet::engine::bind::trampoline<fn>}

// Strings islet made itself (never longer than V8's maximum).
v8::Local<v8::String> str(v8::Isolate* isolate, std::string_view utf8);
// A string from tenant-influenced bytes: unwinds (RangeError pending) if too long.
v8::Local<v8::String> newString(v8::Isolate* isolate, std::string_view utf8);
// String(value) as UTF-8, or unwinds.
std::string toUtf8(v8::Isolate* isolate, v8::Local<v8::Value> value);

// String(value) as Latin-1 bytes, one per UTF-16 code unit (HTTP's ByteString; callers have checked <= 0xFF).
std::string toLatin1(v8::Isolate* isolate, v8::Local<v8::Value> value);

// Throws a JS exception of the given type now (for code outside a NativeFn that must raise one).
void throwJs(v8::Isolate* isolate, ErrorType type, std::string_view message);

}  // namespace islet::engine::bind
