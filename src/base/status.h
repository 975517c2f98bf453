// Status and Result<T>: the one channel for expected failures (not found, invalid input, I/O, corrupt data)
// in store, control and net. Every Status is checked: both types are [[nodiscard]].
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace islet {

enum class StatusCode { kOk, kInvalidArgument, kNotFound, kAlreadyExists, kPermissionDenied, kUnavailable, kInternal };

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status invalidArgument(std::string m) { return Status(StatusCode::kInvalidArgument, std::move(m)); }
  static Status notFound(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
  static Status alreadyExists(std::string m) { return Status(StatusCode::kAlreadyExists, std::move(m)); }
  static Status permissionDenied(std::string m) { return Status(StatusCode::kPermissionDenied, std::move(m)); }
  static Status unavailable(std::string m) { return Status(StatusCode::kUnavailable, std::move(m)); }
  static Status internal(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }

  bool isOk() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(StatusCode c, std::string m) : code_(c), message_(std::move(m)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status that explains its absence.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) { assert(!status_.isOk()); }  // NOLINT
  bool isOk() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { assert(isOk()); return *value_; }
  const T& value() const& { assert(isOk()); return *value_; }
  T&& value() && { assert(isOk()); return std::move(*value_); }
  T* operator->() { return &value(); }
  T& operator*() { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace islet
