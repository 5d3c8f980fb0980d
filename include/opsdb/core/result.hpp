#pragma once

#include <cassert>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace opsdb {

/// Why an operation on a port (database, buffer, replica) did not produce its value. The kinds
/// are what the callers decide on; the adapters translate library errors into them.
enum class Fault {
  /// The dependency could not be reached or did not answer in time, and nothing was done (or
  /// doing it again is harmless). The drain pauses; a client gets 503.
  unavailable,
  /// The request was sent but its answer was lost (a commit in doubt, an EXEC whose reply never
  /// came): it may or may not have taken effect. Its own case, never folded into "failed".
  outcome_unknown,
  /// The dependency answered and refused the data itself (a constraint violation, an invalid
  /// value, an update that matched no row). Retrying unchanged will fail again.
  rejected,
  /// The addressed thing does not exist.
  not_found,
  /// The request contradicts the current state (someone else was first).
  conflict,
  /// Anything else: a bug, or an answer of a shape that should not happen.
  internal,
};

/// Stable lower-case name of a fault ("unavailable", "outcome_unknown", ...).
std::string_view to_string(Fault fault);

/// A failed operation: what kind of failure, a message for logs and people (never secrets or
/// SQL text), and the dependency's own code when it gave one (a SQLSTATE, a Redis error word).
struct Error {
  Fault fault = Fault::internal;
  std::string message;
  std::string code;

  bool is(Fault f) const { return fault == f; }
};

/// The outcome of an asynchronous operation: a value or an Error. Every port uses it.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

/// An operation that yields nothing but success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

/// Completion of an asynchronous port operation; runs exactly once, on any thread.
template <typename T>
using Callback = std::function<void(Result<T>)>;

}  // namespace opsdb
