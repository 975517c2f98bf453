// Tails: live streams of a script's invocations — console lines, uncaught exceptions, outcome — as `wrangler tail`
// and `islet tail` read them.
//
// The TailHub is the registry of tails of every (account, script). The management API creates a tail: an id, and a
// secret that, in the URL it hands out, is the only credential needed to open it (wrangler opens the URL without
// an Authorization header). A connection (the WebSocket in server/) attaches to the tail with that secret within
// kAttachWindow, once; from then on every invocation of the script, on any thread, is published to it as one JSON
// message in Cloudflare's trace-v1 shape. A tail ends when its connection goes (detach) or the API removes it.
//
// Thread-safe: Workers publish from every event-loop thread; the API and the connections call from theirs.
// watching() is the Workers' per-invocation check; while no tail is attached anywhere it is one atomic load.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "net/http_server.h"
#include "runtime/metering.h"

namespace islet::runtime {

// One invocation as its tails see it.
struct TailEvent {
  std::string scriptName;
  std::string versionId;
  Outcome outcome = Outcome::kOk;
  int64_t eventTimestampMs = 0;  // when it started
  // A fetch event (cron empty): the request and the status answered (0: none).
  std::string method;
  std::string url;
  net::HeaderList headers;
  int status = 0;
  // A scheduled event.
  std::string cron;
  double scheduledTimeMs = 0;

  struct Log {
    std::string level;    // "log", "info", "warn", "error", "debug"
    std::string message;  // the formatted line
    int64_t timestampMs = 0;
  };
  struct Exception {
    std::string name;     // "Error", "TypeError", ...
    std::string message;
    std::string stack;    // the "    at ..." lines, if any
    int64_t timestampMs = 0;
  };
  std::vector<Log> logs;
  std::vector<Exception> exceptions;

  // Log lines are kept up to kMaxLogBytes of messages; later ones are dropped and the event marked truncated.
  static constexpr size_t kMaxLogBytes = 128 * 1024;
  size_t logBytes = 0;
  bool truncated = false;
  void addLog(std::string_view level, std::string_view message, int64_t timestampMs);
};

// Cloudflare's name for an outcome in tail events ("ok", "exception", "exceededCpu", ...).
std::string_view tailOutcomeName(Outcome outcome);

// The event as one trace-v1 JSON message. Credentials in the request (Authorization, Cookie) are redacted.
std::string tailEventJson(const TailEvent& event);

// An uncaught error as islet describes it ("TypeError: x is not a function\n    at main.js:3:9") split into name,
// message and stack; a value that is not an Error ("Uncaught 42") gets the name "Error".
TailEvent::Exception parseException(std::string_view described, int64_t timestampMs);

// What a tail asks to see: the filters `wrangler tail` sends ({"filters": [{"outcome": [...]}, {"method": [...]},
// {"header": {"key", "query"}}, {"query": "text"}, {"sampling_rate": 0.5}, {"scriptVersion": "id"}]}). Every
// filter given must match. client_ip filters are accepted and ignored (islet does not pass the client's address
// to workers yet).
struct TailFilters {
  double samplingRate = 1;
  std::vector<std::string> outcomes;  // empty: any
  std::vector<std::string> methods;   // upper case; empty: any
  std::optional<std::pair<std::string, std::string>> header;  // lower-case name, and a value to equal ("" : present)
  std::string query;      // a substring of a log line or an exception message
  std::string versionId;  // 32 hex digits

  // kInvalidArgument for a body that is not this shape; an empty body is no filter.
  static Result<TailFilters> parse(std::string_view json);
  // `roll` is uniform in [0, 1), for sampling.
  bool matches(const TailEvent& event, double roll) const;
};

class TailHub {
 public:
  static constexpr size_t kMaxTailsPerScript = 10;
  static constexpr std::chrono::minutes kAttachWindow{5};
  static constexpr std::chrono::hours kLifetime{24};

  struct Tail {
    std::string id;
    std::string accountId;
    std::string scriptName;
    int64_t createdMs = 0;
    int64_t expiresMs = 0;  // an attached tail's connection is closed then
    bool attached = false;
  };
  struct Created {
    Tail tail;
    std::string secret;  // 64 hex digits; goes into the URL, never into a listing
  };
  // How the hub reaches an attached connection: `deliver` gets each message (sharing one buffer among tails);
  // `close` asks it to end. Both are called on the publishing thread, outside the hub's lock: they post to the
  // connection's own thread.
  struct Subscriber {
    std::function<void(std::shared_ptr<const std::string>)> deliver;
    std::function<void()> close;
  };

  // A new tail of the script. kInvalidArgument for malformed filters; kUnavailable when the script has
  // kMaxTailsPerScript tails already.
  Result<Created> create(const std::string& accountId, const std::string& scriptName, std::string_view filtersJson);
  // The script's tails (without their secrets).
  std::vector<Tail> list(const std::string& accountId, const std::string& scriptName);
  // Ends a tail and closes its connection. kNotFound if the script has no such tail.
  Status remove(const std::string& accountId, const std::string& scriptName, const std::string& id);
  // Attaches a connection to tail `id` if `secret` is its secret, it is not attached yet and its attach window is
  // open. kNotFound otherwise (one answer for every reason).
  Result<Tail> attach(const std::string& id, std::string_view secret, Subscriber subscriber);
  // The connection of tail `id` went away: the tail ends. No-op for an unknown id.
  void detach(const std::string& id);

  // Whether any tail is attached to the script: a Worker traces an invocation only then.
  bool watching(const std::string& accountId, const std::string& scriptName) const {
    if (attachedCount_.load(std::memory_order_relaxed) == 0) return false;
    return watchingSlow(accountId, scriptName);
  }
  // Sends the invocation to every attached tail of the script whose filters match it.
  void publish(const std::string& accountId, const TailEvent& event);

 private:
  struct Entry {
    Tail tail;
    std::string secret;
    TailFilters filters;
    Subscriber subscriber;
  };
  static std::string scriptKey(const std::string& accountId, const std::string& scriptName);
  bool watchingSlow(const std::string& accountId, const std::string& scriptName) const;
  // Forgets unattached tails whose attach window has passed. Holds mutex_.
  void pruneLocked(int64_t nowMs);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> tails_;            // by id
  std::unordered_map<std::string, size_t> attachedByScript_;  // scriptKey → attached tails
  std::atomic<size_t> attachedCount_{0};
};

}  // namespace islet::runtime
