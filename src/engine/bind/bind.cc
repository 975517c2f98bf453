#include "engine/bind/bind.h"

#include <exception>

#include "base/log.h"

namespace islet::engine::bind {

void throwTypeError(std::string message) { throw JsError{ErrorType::kTypeError, std::move(message)}; }
void throwRangeError(std::string message) { throw JsError{ErrorType::kRangeError, std::move(message)}; }
void throwError(std::string message) { throw JsError{ErrorType::kError, std::move(message)}; }

v8::Local<v8::String> str(v8::Isolate* isolate, std::string_view utf8) {
  return v8::String::NewFromUtf8(isolate, utf8.data(), v8::NewStringType::kNormal, static_cast<int>(utf8.size()))
      .ToLocalChecked();
}

v8::Local<v8::String> newString(v8::Isolate* isolate, std::string_view utf8) {
  if (utf8.size() > static_cast<size_t>(v8::String::kMaxLength)) throwRangeError("Invalid string length");
  return check(
      v8::String::NewFromUtf8(isolate, utf8.data(), v8::NewStringType::kNormal, static_cast<int>(utf8.size())));
}

std::string toUtf8(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  v8::Local<v8::String> s;
  if (value->IsString()) {
    s = value.As<v8::String>();
  } else {
    s = check(value->ToString(isolate->GetCurrentContext()));
  }
  std::string out(s->Utf8Length(isolate), '\0');
  s->WriteUtf8(isolate, out.data(), static_cast<int>(out.size()), nullptr, v8::String::NO_NULL_TERMINATION);
  return out;
}

std::string toLatin1(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  v8::Local<v8::String> s = value->IsString() ? value.As<v8::String>() : check(value->ToString(isolate->GetCurrentContext()));
  std::string out(s->Length(), '\0');
  s->WriteOneByte(isolate, reinterpret_cast<uint8_t*>(out.data()), 0, static_cast<int>(out.size()),
                  v8::String::NO_NULL_TERMINATION);
  return out;
}

void throwJs(v8::Isolate* isolate, ErrorType type, std::string_view message) {
  v8::Local<v8::String> m;
  if (!v8::String::NewFromUtf8(isolate, message.data(), v8::NewStringType::kNormal, static_cast<int>(message.size()))
           .ToLocal(&m)) {
    m = str(isolate, "error");
  }
  v8::Local<v8::Value> e;
  switch (type) {
    case ErrorType::kTypeError: e = v8::Exception::TypeError(m); break;
    case ErrorType::kRangeError: e = v8::Exception::RangeError(m); break;
    default: e = v8::Exception::Error(m); break;
  }
  isolate->ThrowException(e);
}

std::string Args::string(int i) const { return toUtf8(isolate(), info_[i]); }
double Args::number(int i) const { return check(info_[i]->NumberValue(context())); }
bool Args::boolean(int i) const { return info_[i]->BooleanValue(isolate()); }
uint32_t Args::uint32(int i) const {
  double d = number(i);
  if (!(d >= 0 && d < 4294967296.0)) throwTypeError("expected an unsigned 32-bit integer");
  return static_cast<uint32_t>(d);
}

std::span<uint8_t> Args::bytes(int i) const {
  v8::Local<v8::Value> v = info_[i];
  if (v->IsArrayBufferView()) {
    auto view = v.As<v8::ArrayBufferView>();
    auto store = view->Buffer()->GetBackingStore();
    auto* base = static_cast<uint8_t*>(store->Data());
    return {base ? base + view->ByteOffset() : nullptr, view->ByteLength()};
  }
  if (v->IsArrayBuffer()) {
    auto store = v.As<v8::ArrayBuffer>()->GetBackingStore();
    return {static_cast<uint8_t*>(store->Data()), store->ByteLength()};
  }
  throwTypeError("expected an ArrayBuffer or ArrayBufferView");
}

void Args::returnString(std::string_view utf8) const { info_.GetReturnValue().Set(newString(isolate(), utf8)); }

void invoke(NativeFn fn, const v8::FunctionCallbackInfo<v8::Value>& info) noexcept {
  v8::Isolate* isolate = info.GetIsolate();
  try {
    Args args(info);
    fn(args);
  } catch (const JsError& e) {
    throwJs(isolate, e.type, e.message);
  } catch (const PendingException&) {
    // V8 already holds the exception (or is terminating); returning lets it propagate.
  } catch (const std::bad_alloc&) {
    throwJs(isolate, ErrorType::kRangeError, "Out of memory");
  } catch (const std::exception& e) {
    log::error("internal error in a native function: {}", e.what());
    throwJs(isolate, ErrorType::kError, "internal error");
  } catch (...) {
    log::error("internal error in a native function: unknown exception");
    throwJs(isolate, ErrorType::kError, "internal error");
  }
}

}  // namespace islet::engine::bind
