#include "runtime/tail.h"

#include <sys/random.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <random>

namespace islet::runtime {

using nlohmann::json;

namespace {

int64_t nowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// `bytes` random bytes from the kernel's CSPRNG, as lower-case hex.
std::string randomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = getrandom(raw.data() + got, bytes - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
    // n < 0 is EINTR (getrandom blocks only until the pool is initialised, long before islet runs): retry.
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); i++) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return s;
}

// A version id as wrangler may print it (a hyphenated UUID) back to islet's 32 hex digits.
std::string plainId(std::string id) {
  std::erase(id, '-');
  return lower(std::move(id));
}

bool isRedacted(const std::string& lowerName) {
  return lowerName == "authorization" || lowerName == "proxy-authorization" || lowerName == "cookie";
}

double roll() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0, 1)(rng);
}

}  // namespace

void TailEvent::addLog(std::string_view level, std::string_view message, int64_t timestampMs) {
  if (logBytes + message.size() > kMaxLogBytes) {
    truncated = true;
    return;
  }
  logBytes += message.size();
  logs.push_back({std::string(level), std::string(message), timestampMs});
}

std::string_view tailOutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk: return "ok";
    case Outcome::kException:
    case Outcome::kNoResponse: return "exception";
    case Outcome::kCpuLimit: return "exceededCpu";
    case Outcome::kMemoryLimit: return "exceededMemory";
    case Outcome::kWallLimit:
    case Outcome::kUnloaded: return "canceled";
  }
  return "unknown";
}

std::string tailEventJson(const TailEvent& e) {
  json logs = json::array();
  for (const auto& l : e.logs) {
    logs.push_back({{"message", json::array({l.message})}, {"level", l.level}, {"timestamp", l.timestampMs}});
  }
  json exceptions = json::array();
  for (const auto& x : e.exceptions) {
    json item = {{"name", x.name}, {"message", x.message}, {"timestamp", x.timestampMs}};
    if (!x.stack.empty()) item["stack"] = x.stack;
    exceptions.push_back(std::move(item));
  }
  json event;
  if (!e.cron.empty()) {
    event = {{"cron", e.cron}, {"scheduledTime", static_cast<int64_t>(e.scheduledTimeMs)}};
  } else {
    json headers = json::object();
    for (const auto& [name, value] : e.headers) {
      std::string key = lower(name);
      std::string shown = isRedacted(key) ? "REDACTED" : value;
      if (headers.contains(key)) {
        headers[key] = headers[key].get<std::string>() + ", " + shown;
      } else {
        headers[key] = shown;
      }
    }
    event = {{"request", {{"url", e.url}, {"method", e.method}, {"headers", headers}, {"cf", json::object()}}}};
    if (e.status != 0) event["response"] = {{"status", e.status}};
  }
  json out = {{"outcome", tailOutcomeName(e.outcome)},
              {"scriptName", e.scriptName},
              {"scriptVersion", {{"id", e.versionId}}},
              {"exceptions", exceptions},
              {"logs", logs},
              {"diagnosticsChannelEvents", json::array()},
              {"eventTimestamp", e.eventTimestampMs},
              {"truncated", e.truncated},
              {"event", event}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

TailEvent::Exception parseException(std::string_view described, int64_t timestampMs) {
  TailEvent::Exception x;
  x.timestampMs = timestampMs;
  size_t newline = described.find('\n');
  std::string_view first = described.substr(0, newline);
  if (newline != std::string_view::npos) x.stack = std::string(described.substr(newline + 1));
  size_t colon = first.find(": ");
  std::string_view name = colon == std::string_view::npos ? std::string_view() : first.substr(0, colon);
  bool identifier = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
  });
  if (identifier) {
    x.name = std::string(name);
    x.message = std::string(first.substr(colon + 2));
  } else {
    x.name = "Error";
    x.message = std::string(first);
  }
  return x;
}

Result<TailFilters> TailFilters::parse(std::string_view text) {
  TailFilters f;
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return f;
  json body = json::parse(text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return Status::invalidArgument("the body must be {\"filters\": [...]}");
  if (!body.contains("filters")) return f;
  if (!body["filters"].is_array()) return Status::invalidArgument("filters must be an array");
  auto strings = [](const json& v, std::vector<std::string>& out) {
    if (v.is_string()) {
      out.push_back(v.get<std::string>());
      return true;
    }
    if (!v.is_array()) return false;
    for (const auto& s : v) {
      if (!s.is_string()) return false;
      out.push_back(s.get<std::string>());
    }
    return true;
  };
  for (const auto& item : body["filters"]) {
    if (!item.is_object()) return Status::invalidArgument("each filter is an object");
    for (const auto& [kind, value] : item.items()) {
      bool ok = true;
      if (kind == "sampling_rate") {
        ok = value.is_number() && value.get<double>() > 0 && value.get<double>() <= 1;
        if (ok) f.samplingRate = value.get<double>();
      } else if (kind == "outcome") {
        ok = strings(value, f.outcomes);
      } else if (kind == "method") {
        ok = strings(value, f.methods);
        for (auto& m : f.methods) m = upper(m);
      } else if (kind == "header") {
        ok = value.is_object() && value.contains("key") && value["key"].is_string();
        if (ok) {
          std::string query = value.contains("query") && value["query"].is_string() ? value["query"].get<std::string>() : "";
          f.header = std::make_pair(lower(value["key"].get<std::string>()), query);
        }
      } else if (kind == "query") {
        ok = value.is_string();
        if (ok) f.query = value.get<std::string>();
      } else if (kind == "scriptVersion") {
        ok = value.is_string();
        if (ok) f.versionId = plainId(value.get<std::string>());
      } else if (kind == "client_ip") {
        ok = true;
      } else {
        return Status::invalidArgument(fmt::format("unknown tail filter \"{}\"", kind));
      }
      if (!ok) return Status::invalidArgument(fmt::format("malformed tail filter \"{}\"", kind));
    }
  }
  return f;
}

bool TailFilters::matches(const TailEvent& e, double r) const {
  if (samplingRate < 1 && r >= samplingRate) return false;
  if (!outcomes.empty() &&
      std::find(outcomes.begin(), outcomes.end(), tailOutcomeName(e.outcome)) == outcomes.end()) {
    return false;
  }
  if (!methods.empty() && (!e.cron.empty() || std::find(methods.begin(), methods.end(), e.method) == methods.end())) {
    return false;
  }
  if (header) {
    bool found = false;
    for (const auto& [name, value] : e.headers) {
      if (lower(name) == header->first && (header->second.empty() || value == header->second)) found = true;
    }
    if (!found) return false;
  }
  if (!query.empty()) {
    bool found = false;
    for (const auto& l : e.logs) found = found || l.message.find(query) != std::string::npos;
    for (const auto& x : e.exceptions) found = found || x.message.find(query) != std::string::npos;
    if (!found) return false;
  }
  if (!versionId.empty() && versionId != e.versionId) return false;
  return true;
}

std::string TailHub::scriptKey(const std::string& accountId, const std::string& scriptName) {
  return accountId + "/" + scriptName;
}

Result<TailHub::Created> TailHub::create(const std::string& accountId, const std::string& scriptName,
                                         std::string_view filtersJson) {
  auto filters = TailFilters::parse(filtersJson);
  if (!filters.isOk()) return filters.status();
  int64_t now = nowMs();
  std::lock_guard lock(mutex_);
  pruneLocked(now);
  size_t existing = 0;
  for (const auto& [id, e] : tails_) {
    if (e.tail.accountId == accountId && e.tail.scriptName == scriptName) existing++;
  }
  if (existing >= kMaxTailsPerScript) {
    return Status::unavailable(fmt::format("{} has {} tails already; end one first", scriptName, existing));
  }
  Entry entry;
  entry.tail.id = randomHex(16);
  entry.tail.accountId = accountId;
  entry.tail.scriptName = scriptName;
  entry.tail.createdMs = now;
  entry.tail.expiresMs = now + std::chrono::duration_cast<std::chrono::milliseconds>(kLifetime).count();
  entry.secret = randomHex(32);
  entry.filters = std::move(filters.value());
  Created created{entry.tail, entry.secret};
  tails_.emplace(entry.tail.id, std::move(entry));
  return created;
}

std::vector<TailHub::Tail> TailHub::list(const std::string& accountId, const std::string& scriptName) {
  std::lock_guard lock(mutex_);
  pruneLocked(nowMs());
  std::vector<Tail> out;
  for (const auto& [id, e] : tails_) {
    if (e.tail.accountId == accountId && e.tail.scriptName == scriptName) out.push_back(e.tail);
  }
  std::sort(out.begin(), out.end(), [](const Tail& a, const Tail& b) { return a.createdMs < b.createdMs; });
  return out;
}

Status TailHub::remove(const std::string& accountId, const std::string& scriptName, const std::string& id) {
  std::function<void()> close;
  {
    std::lock_guard lock(mutex_);
    auto it = tails_.find(id);
    if (it == tails_.end() || it->second.tail.accountId != accountId || it->second.tail.scriptName != scriptName) {
      return Status::notFound(fmt::format("{} has no tail {}", scriptName, id));
    }
    if (it->second.tail.attached) {
      close = std::move(it->second.subscriber.close);
      auto counted = attachedByScript_.find(scriptKey(accountId, scriptName));
      if (--counted->second == 0) attachedByScript_.erase(counted);
      attachedCount_--;
    }
    tails_.erase(it);
  }
  if (close) close();
  return Status::ok();
}

Result<TailHub::Tail> TailHub::attach(const std::string& id, std::string_view secret, Subscriber subscriber) {
  int64_t now = nowMs();
  std::lock_guard lock(mutex_);
  pruneLocked(now);
  auto it = tails_.find(id);
  if (it == tails_.end() || !constantTimeEquals(it->second.secret, secret) || it->second.tail.attached) {
    return Status::notFound("no such tail, or it is open already, or its URL has expired");
  }
  Entry& e = it->second;
  e.tail.attached = true;
  e.subscriber = std::move(subscriber);
  attachedByScript_[scriptKey(e.tail.accountId, e.tail.scriptName)]++;
  attachedCount_++;
  return e.tail;
}

void TailHub::detach(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = tails_.find(id);
  if (it == tails_.end()) return;
  if (it->second.tail.attached) {
    auto counted = attachedByScript_.find(scriptKey(it->second.tail.accountId, it->second.tail.scriptName));
    if (--counted->second == 0) attachedByScript_.erase(counted);
    attachedCount_--;
  }
  tails_.erase(it);
}

bool TailHub::watchingSlow(const std::string& accountId, const std::string& scriptName) const {
  std::lock_guard lock(mutex_);
  return attachedByScript_.count(scriptKey(accountId, scriptName)) > 0;
}

void TailHub::publish(const std::string& accountId, const TailEvent& event) {
  std::vector<std::function<void(std::shared_ptr<const std::string>)>> targets;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, e] : tails_) {
      if (!e.tail.attached || e.tail.accountId != accountId || e.tail.scriptName != event.scriptName) continue;
      if (!e.filters.matches(event, roll())) continue;
      targets.push_back(e.subscriber.deliver);
    }
  }
  if (targets.empty()) return;
  auto message = std::make_shared<const std::string>(tailEventJson(event));
  for (const auto& deliver : targets) deliver(message);
}

void TailHub::pruneLocked(int64_t now) {
  int64_t window = std::chrono::duration_cast<std::chrono::milliseconds>(kAttachWindow).count();
  std::erase_if(tails_, [&](const auto& item) {
    return !item.second.tail.attached && now - item.second.tail.createdMs > window;
  });
}

}  // namespace islet::runtime
