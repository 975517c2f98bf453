#include "control/api.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>

#include "base/log.h"
#include "control/tokens.h"
#include "runtime/account_limits.h"
#include "runtime/cron.h"
#include "net/multipart.h"

namespace islet::control {

using nlohmann::json;

namespace {

// Cloudflare's error codes where wrangler looks at them.
constexpr int kCodeAuth = 10000;
constexpr int kCodeNotFound = 10007;
constexpr int kCodeBadRequest = 10001;
constexpr int kCodeValidation = 10021;
constexpr int kCodeKvKeyNotFound = 10009;
constexpr int kCodeConflict = 10014;
constexpr int kCodeInternal = 10013;
// An unknown endpoint: not 10007, which wrangler reads as "no such script" (and then uploads a draft over it).
constexpr int kCodeNoRoute = 7000;

std::string isoTime(int64_t ms) {
  std::time_t t = ms / 1000;
  std::tm tm;
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

net::Response jsonResponse(int status, const json& body) {
  net::Response r;
  r.status = status;
  r.headers.emplace_back("content-type", "application/json");
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

net::Response ok(json result, json extra = json::object()) {
  json body = {{"success", true}, {"errors", json::array()}, {"messages", json::array()}, {"result", std::move(result)}};
  for (auto& [k, v] : extra.items()) body[k] = v;
  return jsonResponse(200, body);
}

net::Response fail(int status, int code, std::string message) {
  json body = {{"success", false},
               {"errors", json::array({{{"code", code}, {"message", std::move(message)}}})},
               {"messages", json::array()},
               {"result", nullptr}};
  return jsonResponse(status, body);
}

net::Response fromStatus(const Status& s, int notFoundCode = kCodeNotFound) {
  switch (s.code()) {
    case StatusCode::kNotFound: return fail(404, notFoundCode, s.message());
    case StatusCode::kInvalidArgument: return fail(400, kCodeBadRequest, s.message());
    case StatusCode::kAlreadyExists: return fail(409, kCodeConflict, s.message());
    case StatusCode::kPermissionDenied: return fail(403, kCodeAuth, s.message());
    default:
      log::error("management API: {}", s.message());
      return fail(500, kCodeInternal, "internal error");
  }
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(std::string_view s, bool plusIsSpace) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2]));
      i += 2;
    } else if (plusIsSpace && s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

json accountJson(const store::Account& a) {
  return {{"id", a.id}, {"name", a.name}, {"created_on", isoTime(a.createdMs)}, {"type", "standard"}};
}

json tokenJson(const store::Token& t) {
  return {{"id", t.id}, {"name", t.name}, {"status", t.revoked ? "revoked" : "active"},
          {"issued_on", isoTime(t.createdMs)}};
}

json versionJson(const store::ScriptVersion& v) {
  json meta = json::parse(v.metadataJson, nullptr, false);
  json item = {{"id", v.id},
               {"number", v.number},
               {"metadata",
                {{"created_on", isoTime(v.createdMs)},
                 {"modified_on", isoTime(v.createdMs)},
                 {"source", v.source},
                 {"author_email", ""}}},
               {"annotations", json::object()},
               {"resources", {{"script", {{"etag", v.id}}}}}};
  if (meta.is_object()) {
    if (meta.contains("annotations") && meta["annotations"].is_object()) item["annotations"] = meta["annotations"];
    json bindings = meta.value("bindings", json::array());
    // Secrets never leave the store in clear.
    for (auto& b : bindings) {
      if (b.is_object() && b.value("type", "") == "secret_text") b.erase("text");
    }
    item["resources"]["bindings"] = bindings;
    item["resources"]["script_runtime"] = {{"compatibility_date", meta.value("compatibility_date", "")},
                                           {"compatibility_flags", meta.value("compatibility_flags", json::array())}};
  }
  return item;
}

json deploymentJson(const store::Deployment& d) {
  json versions = json::array();
  for (const auto& v : d.versions) versions.push_back({{"version_id", v.versionId}, {"percentage", v.percentage}});
  return {{"id", d.id},
          {"source", "api"},
          {"strategy", "percentage"},
          {"author_email", ""},
          {"created_on", isoTime(d.createdMs)},
          {"annotations", {{"workers/message", d.message}}},
          {"versions", versions}};
}

bool validScriptName(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

// A version id as wrangler prints it (a hyphenated UUID) back to the store's 32 hex digits.
std::string plainId(std::string id) {
  std::erase(id, '-');
  for (char& c : id) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return id;
}

// A string member of a JSON object; "" when it is missing or not a string.
std::string stringField(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string()) return "";
  return object[key].get<std::string>();
}

std::optional<std::string> header(const net::Request& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

// The per-account limit overrides: the JSON name, the field, the accepted range and its unit (for messages).
struct LimitField {
  const char* name;
  std::optional<int64_t> store::AccountLimits::*field;
  int64_t min;
  int64_t max;
  const char* unit;  // appended to the range in messages
};
constexpr LimitField kLimitFields[] = {
    {"cpu_ms", &store::AccountLimits::cpuMs, 1, 300'000, " ms"},  // 5 minutes, Workers' own ceiling
    {"max_cpu_ms", &store::AccountLimits::maxCpuMs, 1, 300'000, " ms"},
    {"wall_ms", &store::AccountLimits::wallMs, 1, 900'000, " ms"},  // 15 minutes
    {"heap_mb", &store::AccountLimits::heapMb, 16, 4'096, " MB"},  // 16: the snapshot's few MB and room to work
    {"subrequests", &store::AccountLimits::subrequests, 1, 1'000'000, ""},
    {"connections", &store::AccountLimits::connections, 1, 1'000, ""},
};

// The overrides from a PUT body: every member optional (absent or null: the process default); an unknown member,
// a value that is not a whole number, or one outside its range is an error that names it.
Result<store::AccountLimits> parseAccountLimits(const json& body) {
  if (!body.is_object()) {
    return Status::invalidArgument("the body must be a JSON object of limits, e.g. {\"cpu_ms\": 200}");
  }
  store::AccountLimits limits;
  for (const auto& [key, value] : body.items()) {
    const LimitField* f = nullptr;
    for (const auto& candidate : kLimitFields) {
      if (key == candidate.name) f = &candidate;
    }
    if (f == nullptr) {
      std::string known;
      for (const auto& candidate : kLimitFields) {
        known += fmt::format("{}{}", known.empty() ? "" : ", ", candidate.name);
      }
      return Status::invalidArgument(fmt::format("unknown limit \"{}\": the limits are {}", key, known));
    }
    if (value.is_null()) continue;
    if (!value.is_number_integer()) {
      return Status::invalidArgument(fmt::format("{} must be a whole number, not {}", key, value.dump()));
    }
    // A JSON integer above 2^63 - 1 is only representable unsigned.
    bool inRange = value.is_number_unsigned()
                       ? value.get<uint64_t>() >= static_cast<uint64_t>(f->min) &&
                             value.get<uint64_t>() <= static_cast<uint64_t>(f->max)
                       : value.get<int64_t>() >= f->min && value.get<int64_t>() <= f->max;
    if (!inRange) {
      return Status::invalidArgument(
          fmt::format("{} must be between {} and {}{}, not {}", key, f->min, f->max, f->unit, value.dump()));
    }
    limits.*(f->field) = value.get<int64_t>();
  }
  if (limits.cpuMs && limits.maxCpuMs && *limits.cpuMs > *limits.maxCpuMs) {
    return Status::invalidArgument(
        fmt::format("cpu_ms ({}) must not exceed max_cpu_ms ({})", *limits.cpuMs, *limits.maxCpuMs));
  }
  return limits;
}

// {"overrides": what the account sets, "effective": what its workers get}.
json accountLimitsJson(const store::AccountLimits& overrides, const runtime::WorkerLimits& defaults) {
  json set = json::object();
  for (const auto& f : kLimitFields) {
    if (overrides.*(f.field)) set[f.name] = *(overrides.*(f.field));
  }
  runtime::WorkerLimits l = runtime::withAccountOverrides(defaults, overrides);
  json effective = {{"cpu_ms", l.cpuMicrosPerRequest / 1000},
                    {"max_cpu_ms", l.maxCpuMicrosPerRequest / 1000},
                    {"wall_ms", static_cast<int64_t>(l.wallMsPerRequest)},
                    {"heap_mb", static_cast<int64_t>(l.heapBytes >> 20)},
                    {"subrequests", l.maxSubrequests},
                    {"connections", l.maxConnections}};
  return {{"overrides", set}, {"effective", effective}};
}

}  // namespace

struct ManagementApi::Call {
  const net::Request& request;
  std::vector<std::string> path;  // segments after /client/v4, percent-decoded
  std::map<std::string, std::string> query;
  std::optional<store::Token> token;
  bool admin() const { return token && token->accountId.empty(); }
};

ManagementApi::ManagementApi(const engine::Engine& engine, std::shared_ptr<store::ControlStore> control,
                             std::shared_ptr<store::KvStore> kv, std::shared_ptr<store::UsageStore> usage,
                             runtime::Metering* metering, ApiOptions options)
    : engine_(engine),
      control_(std::move(control)),
      kv_(std::move(kv)),
      usage_(std::move(usage)),
      metering_(metering),
      options_(std::move(options)) {}

Result<bool> ManagementApi::ensureAdminToken(const std::string& tokenFile) {
  if (std::filesystem::exists(tokenFile)) return false;
  std::string secret = generateSecret();
  auto token = control_->createToken("", "admin", hashSecret(secret));
  if (!token.isOk()) return token.status();
  std::string tmp = tokenFile + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return Status::unavailable(fmt::format("cannot write {}", tmp));
  std::string line = secret + "\n";
  bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), tokenFile.c_str()) != 0) {
    return Status::unavailable(fmt::format("cannot write {}", tokenFile));
  }
  return true;
}

std::string tailPath(const std::string& id, const std::string& secret) {
  return fmt::format("/client/v4/tails/{}/{}", id, secret);
}

std::optional<std::pair<std::string, std::string>> parseTailPath(std::string_view target) {
  constexpr std::string_view kTails = "/client/v4/tails/";
  if (!target.starts_with(kTails)) return std::nullopt;
  std::string_view rest = target.substr(kTails.size());
  rest = rest.substr(0, rest.find('?'));
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size()) return std::nullopt;
  if (rest.find('/', slash + 1) != std::string_view::npos) return std::nullopt;
  return std::make_pair(std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1)));
}

net::Response ManagementApi::handle(const net::Request& request) {
  log::debug("api: {} {}", request.method, request.target);
  std::string_view target = request.target;
  std::string_view pathPart = target.substr(0, target.find('?'));
  Call call{request, {}, {}, {}};
  if (size_t q = target.find('?'); q != std::string_view::npos) {
    std::string_view qs = target.substr(q + 1);
    size_t start = 0;
    while (start <= qs.size()) {
      size_t end = qs.find('&', start);
      if (end == std::string_view::npos) end = qs.size();
      std::string_view pair = qs.substr(start, end - start);
      size_t eq = pair.find('=');
      if (!pair.empty()) {
        call.query[percentDecode(pair.substr(0, eq), true)] =
            eq == std::string_view::npos ? "" : percentDecode(pair.substr(eq + 1), true);
      }
      start = end + 1;
    }
  }
  if (pathPart == "/metrics" && request.method == "GET") {
    net::Response r;
    r.status = 200;
    r.headers.emplace_back("content-type", "text/plain; version=0.0.4");
    r.body = metering_ ? metering_->prometheus() : "";
    return r;
  }
  constexpr std::string_view kPrefix = "/client/v4/";
  if (!pathPart.starts_with(kPrefix)) return fail(404, kCodeNoRoute, "not found: the API lives under /client/v4");
  std::string_view rest = pathPart.substr(kPrefix.size());
  size_t start = 0;
  while (start <= rest.size()) {
    size_t end = rest.find('/', start);
    if (end == std::string_view::npos) end = rest.size();
    if (end > start) call.path.push_back(percentDecode(rest.substr(start, end - start), false));
    start = end + 1;
  }

  auto auth = header(request, "authorization");
  if (!auth || !auth->starts_with("Bearer ") || auth->size() < 8) {
    return fail(401, kCodeAuth, "Authentication error: send Authorization: Bearer <API token>");
  }
  auto token = control_->findTokenByHash(hashSecret(std::string_view(*auth).substr(7)));
  if (!token.isOk()) {
    if (token.status().code() == StatusCode::kNotFound) return fail(401, kCodeAuth, "Authentication error: invalid API token");
    return fromStatus(token.status());
  }
  call.token = std::move(token.value());
  try {
    return route(call);
  } catch (const json::exception& e) {
    return fail(400, kCodeBadRequest, fmt::format("malformed JSON: {}", e.what()));
  }
}

net::Response ManagementApi::route(Call& call) {
  const auto& p = call.path;
  const std::string& method = call.request.method;
  auto is = [&](std::initializer_list<const char*> shape) {
    if (p.size() != shape.size()) return false;
    size_t i = 0;
    for (const char* s : shape) {
      if (std::string_view(s) != "*" && p[i] != s) return false;
      i++;
    }
    return true;
  };
  auto body = [&]() { return json::parse(call.request.body); };

  // ---- identity ----
  if (is({"user", "tokens", "verify"})) return ok({{"id", call.token->id}, {"status", "active"}});
  if (is({"user"})) return ok({{"id", call.token->id}, {"email", ""}});
  if (is({"memberships"}) || (is({"accounts"}) && method == "GET")) {
    json list = json::array();
    if (call.admin()) {
      auto all = control_->listAccounts();
      if (!all.isOk()) return fromStatus(all.status());
      for (const auto& a : all.value()) list.push_back(accountJson(a));
    } else {
      auto a = control_->getAccount(call.token->accountId);
      if (!a.isOk()) return fromStatus(a.status());
      list.push_back(accountJson(a.value()));
    }
    if (p[0] == "memberships") {
      json members = json::array();
      for (auto& a : list) members.push_back({{"id", a["id"]}, {"account", a}, {"status", "accepted"}});
      return ok(members);
    }
    return ok(list);
  }
  if (is({"accounts"}) && method == "POST") {
    if (!call.admin()) return fail(403, kCodeAuth, "only an admin token may create accounts");
    json b = body();
    if (!b.is_object() || !b.contains("name") || !b["name"].is_string()) {
      return fail(400, kCodeBadRequest, "body must be {\"name\": \"...\"}");
    }
    auto a = control_->createAccount(b["name"].get<std::string>());
    if (!a.isOk()) return fromStatus(a.status());
    return ok(accountJson(a.value()));
  }
  if (p.empty() || p[0] != "accounts" || p.size() < 2) return fail(404, kCodeNoRoute, "no such endpoint");

  // ---- everything below is scoped to one account ----
  const std::string& accountId = p[1];
  if (!call.admin() && !constantTimeEquals(call.token->accountId, accountId)) {
    return fail(403, kCodeAuth, "Authentication error: this token is not valid for that account");
  }
  auto account = control_->getAccount(accountId);
  if (!account.isOk()) return fromStatus(account.status());
  if (p.size() == 2 && method == "GET") return ok(accountJson(account.value()));

  if (p.size() >= 3 && p[2] == "tokens") {
    if (p.size() == 3 && method == "POST") {
      json b = call.request.body.empty() ? json::object() : body();
      std::string name = b.is_object() ? b.value("name", "token") : "token";
      std::string secret = generateSecret();
      auto t = control_->createToken(accountId, name, hashSecret(secret));
      if (!t.isOk()) return fromStatus(t.status());
      json r = tokenJson(t.value());
      r["value"] = secret;
      return ok(r);
    }
    if (p.size() == 3 && method == "GET") {
      auto list = control_->listTokens(accountId);
      if (!list.isOk()) return fromStatus(list.status());
      json out = json::array();
      for (const auto& t : list.value()) out.push_back(tokenJson(t));
      return ok(out);
    }
    if (p.size() == 4 && method == "DELETE") {
      Status s = control_->revokeToken(accountId, p[3]);
      if (!s.isOk()) return fromStatus(s);
      return ok({{"id", p[3]}});
    }
  }

  if (p.size() == 3 && p[2] == "limits") return limits(call, accountId);
  if (p.size() >= 4 && p[2] == "workers") return workers(call, account.value());
  if (p.size() >= 5 && p[2] == "storage" && p[3] == "kv" && p[4] == "namespaces") return kv(call);
  return fail(404, kCodeNoRoute, "no such endpoint");
}

net::Response ManagementApi::limits(Call& call, const std::string& accountId) {
  // The operator's lever: an account's own token may neither raise nor read its limits.
  if (!call.admin()) return fail(403, kCodeAuth, "only an admin token may read or change an account's limits");
  const std::string& method = call.request.method;
  if (method == "PUT") {
    auto parsed = parseAccountLimits(json::parse(call.request.body));
    if (!parsed.isOk()) return fromStatus(parsed.status());
    Status s = control_->setAccountLimits(accountId, parsed.value());
    if (!s.isOk()) return fromStatus(s);
  } else if (method == "DELETE") {
    Status s = control_->setAccountLimits(accountId, store::AccountLimits{});
    if (!s.isOk()) return fromStatus(s);
  } else if (method != "GET") {
    return fail(404, kCodeNoRoute, "no such endpoint");
  }
  auto overrides = control_->getAccountLimits(accountId);
  if (!overrides.isOk()) return fromStatus(overrides.status());
  return ok(accountLimitsJson(overrides.value(), options_.validationLimits));
}

Result<store::ScriptVersion> ManagementApi::parseUpload(Call& call, const std::string& accountId,
                                                        const std::string& scriptName) {
  auto contentType = header(call.request, "content-type");
  if (!contentType) return Status::invalidArgument("the upload must be multipart/form-data");
  auto boundary = net::multipartBoundary(*contentType);
  if (!boundary.isOk()) return boundary.status();
  auto parts = net::parseMultipart(call.request.body, boundary.value());
  if (!parts.isOk()) return Status::invalidArgument(fmt::format("malformed multipart upload: {}", parts.status().message()));
  store::ScriptVersion version;
  version.accountId = accountId;
  version.scriptName = scriptName;
  version.source = call.query.count("source") ? call.query["source"] : "api";
  bool haveMetadata = false;
  for (auto& part : parts.value()) {
    if (part.name == "metadata") {
      haveMetadata = true;
      json meta = json::parse(part.data, nullptr, false);
      if (meta.is_discarded() || !meta.is_object()) return Status::invalidArgument("the metadata part is not a JSON object");
      Status inherited = inheritBindings(meta, accountId, scriptName, call.query["bindings_inherit"] == "strict");
      if (!inherited.isOk()) return inherited;
      version.metadataJson = meta.dump();
      continue;
    }
    std::string type = part.contentType.empty() ? "application/octet-stream" : part.contentType;
    version.modules.push_back({part.name, type, std::move(part.data)});
  }
  if (!haveMetadata) return Status::invalidArgument("the upload has no metadata part");
  if (version.modules.empty()) return Status::invalidArgument("the upload has no module parts");
  if (auto ua = header(call.request, "user-agent"); ua && ua->find("wrangler") != std::string::npos) {
    version.source = "wrangler";
  }

  Status valid = validate(version);
  if (!valid.isOk()) return valid;
  return version;
}

Status ManagementApi::validate(const store::ScriptVersion& version) {
  const std::string& accountId = version.accountId;
  auto script = runtime::scriptFromVersion(version, options_.uploadLimits);
  if (!script.isOk()) return script.status();
  for (const auto& b : script.value()->bindings) {
    if (b.type != runtime::Binding::Type::kKvNamespace) continue;
    auto ns = kv_->getNamespace(accountId, b.value);
    if (!ns.isOk()) return Status::invalidArgument(fmt::format("binding {}: no KV namespace {} in this account", b.name, b.value));
  }
  // Compile it and run its top level, under the limits its account's workers get, before it can serve.
  auto overrides = control_->getAccountLimits(accountId);
  if (!overrides.isOk()) return overrides.status();
  boost::asio::io_context io;
  runtime::Worker::Options options;
  options.limits = runtime::withAccountOverrides(options_.validationLimits, overrides.value());
  options.kv = kv_;
  auto worker = runtime::Worker::load(engine_, io, script.value(), std::move(options));
  if (!worker.isOk()) return Status::invalidArgument(worker.status().message());
  return Status::ok();
}

Status ManagementApi::inheritBindings(json& meta, const std::string& accountId, const std::string& scriptName,
                                      bool strict) {
  if (meta.contains("bindings") && !meta["bindings"].is_array()) return Status::ok();  // scriptFromVersion says why
  json previous = json::array();
  auto versions = control_->listVersions(accountId, scriptName);
  if (versions.isOk() && !versions->empty()) {
    json last = json::parse(versions->front().metadataJson, nullptr, false);
    if (last.is_object() && last.contains("bindings") && last["bindings"].is_array()) previous = last["bindings"];
  } else if (!versions.isOk() && versions.status().code() != StatusCode::kNotFound) {
    return versions.status();
  }
  auto find = [&](const std::string& name) -> const json* {
    for (const auto& b : previous) {
      if (stringField(b, "name") == name) return &b;
    }
    return nullptr;
  };
  std::set<std::string> keepTypes = {"secret_text"};
  if (meta.contains("keep_bindings") && meta["keep_bindings"].is_array()) {
    for (const auto& t : meta["keep_bindings"]) {
      if (t.is_string()) keepTypes.insert(t.get<std::string>());
    }
  }
  json out = json::array();
  std::set<std::string> named;
  for (const auto& b : meta.value("bindings", json::array())) {
    std::string name = stringField(b, "name");
    if (stringField(b, "type") == "inherit") {
      const json* from = find(name);
      if (from == nullptr) {
        if (strict) {
          return Status::invalidArgument(
              fmt::format("binding {}: \"inherit\", but the script's newest version has no binding of that name", name));
        }
        continue;
      }
      out.push_back(*from);
    } else {
      out.push_back(b);
    }
    if (!name.empty()) named.insert(name);
  }
  for (const auto& b : previous) {
    std::string name = stringField(b, "name");
    if (name.empty() || named.count(name) || !keepTypes.count(stringField(b, "type"))) continue;
    out.push_back(b);
    named.insert(name);
  }
  meta["bindings"] = std::move(out);
  return Status::ok();
}

net::Response ManagementApi::workers(Call& call, const store::Account& account) {
  const auto& p = call.path;
  const std::string& method = call.request.method;
  const std::string& accountId = account.id;

  if (p.size() == 4 && p[3] == "subdomain") return ok({{"subdomain", account.name}});
  if (p.size() == 4 && p[3] == "usage" && method == "GET") return usage(call);
  if (p.size() == 4 && p[3] == "scripts" && method == "GET") {
    auto list = control_->listScripts(accountId);
    if (!list.isOk()) return fromStatus(list.status());
    json out = json::array();
    for (const auto& s : list.value()) {
      out.push_back({{"id", s.name}, {"created_on", isoTime(s.createdMs)}, {"modified_on", isoTime(s.modifiedMs)}});
    }
    return ok(out);
  }
  if (p[3] == "routes") {
    if (p.size() == 4 && method == "GET") {
      auto list = control_->listRoutes(accountId);
      if (!list.isOk()) return fromStatus(list.status());
      json out = json::array();
      for (const auto& r : list.value()) out.push_back({{"id", r.id}, {"pattern", r.pattern}, {"script", r.scriptName}});
      return ok(out);
    }
    if (p.size() == 4 && method == "POST") {
      json b = json::parse(call.request.body);
      if (!b.is_object() || !b["pattern"].is_string() || !b["script"].is_string()) {
        return fail(400, kCodeBadRequest, "body must be {\"pattern\": \"host/path*\", \"script\": \"name\"}");
      }
      std::string pattern = b["pattern"].get<std::string>();
      if (pattern.find('/') == std::string::npos || pattern.front() == '/') {
        return fail(400, kCodeBadRequest, "a route pattern is host/path, e.g. api.example.com/v1/*");
      }
      auto r = control_->addRoute(accountId, pattern, b["script"].get<std::string>());
      if (!r.isOk()) return fromStatus(r.status());
      return ok({{"id", r->id}, {"pattern", r->pattern}, {"script", r->scriptName}});
    }
    if (p.size() == 5 && method == "DELETE") {
      Status s = control_->deleteRoute(accountId, p[4]);
      if (!s.isOk()) return fromStatus(s);
      return ok({{"id", p[4]}});
    }
    return fail(404, kCodeNoRoute, "no such endpoint");
  }
  if (p[3] == "services" && p.size() == 5 && method == "GET") {
    auto s = control_->getScript(accountId, p[4]);
    if (!s.isOk()) return fromStatus(s.status());
    return ok({{"id", s->name},
               {"default_environment",
                {{"environment", "production"},
                 {"script", {{"id", s->name}, {"created_on", isoTime(s->createdMs)}, {"modified_on", isoTime(s->modifiedMs)}}}}}});
  }
  if (p[3] == "workers" && p.size() == 5 && method == "GET") {
    // The Workers API's view of a script (newer wrangler reads its workers.dev subdomain state here).
    auto s = control_->getScript(accountId, p[4]);
    if (!s.isOk()) return fromStatus(s.status());
    return ok({{"id", s->name},
               {"name", s->name},
               {"created_on", isoTime(s->createdMs)},
               {"updated_on", isoTime(s->modifiedMs)},
               {"logpush", false},
               {"observability", {{"enabled", false}}},
               {"subdomain", {{"enabled", true}, {"previews_enabled", false}}},
               {"tags", json::array()},
               {"tail_consumers", json::array()}});
  }
  if (p[3] != "scripts" || p.size() < 5) return fail(404, kCodeNoRoute, "no such endpoint");

  const std::string& scriptName = p[4];
  if (!validScriptName(scriptName)) {
    return fail(400, kCodeBadRequest, "a script name is 1-63 characters of a-z, 0-9, - and _");
  }
  if (p.size() == 5) {
    if (method == "PUT") {
      auto version = parseUpload(call, accountId, scriptName);
      if (!version.isOk()) {
        if (version.status().code() == StatusCode::kInvalidArgument) {
          return fail(400, kCodeValidation, version.status().message());
        }
        return fromStatus(version.status());
      }
      auto stored = control_->addVersion(std::move(version.value()), true, "upload");
      if (!stored.isOk()) return fromStatus(stored.status());
      log::info("deployed {}/{} version {} ({})", account.name, scriptName, stored->number, stored->id);
      json meta = json::parse(stored->metadataJson);
      return ok({{"id", scriptName},
                 {"etag", stored->id},
                 {"version_id", stored->id},
                 {"deployment_id", stored->id},
                 {"created_on", isoTime(stored->createdMs)},
                 {"modified_on", isoTime(stored->createdMs)},
                 {"compatibility_date", meta.value("compatibility_date", "")},
                 {"handlers", json::array({"fetch"})},
                 {"usage_model", "standard"}});
    }
    if (method == "GET") {
      auto deployments = control_->listDeployments(accountId, scriptName);
      if (!deployments.isOk()) return fromStatus(deployments.status());
      if (deployments->empty()) return fail(404, kCodeNotFound, "the script has no deployment");
      auto version = control_->getVersion(accountId, scriptName, deployments->front().versions.front().versionId);
      if (!version.isOk()) return fromStatus(version.status());
      // The live version's modules, as multipart/form-data (what Cloudflare's download returns).
      std::string boundary = "islet-" + generateSecret().substr(6, 24);
      net::Response r;
      r.status = 200;
      r.headers.emplace_back("content-type", "multipart/form-data; boundary=" + boundary);
      for (const auto& m : version->modules) {
        r.body += fmt::format("--{}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                              boundary, m.name, m.name, m.contentType);
        r.body += m.data;
        r.body += "\r\n";
      }
      r.body += fmt::format("--{}--\r\n", boundary);
      return r;
    }
    if (method == "DELETE") {
      Status s = control_->deleteScript(accountId, scriptName);
      if (!s.isOk()) return fromStatus(s);
      log::info("deleted {}/{}", account.name, scriptName);
      return ok({{"id", scriptName}});
    }
    return fail(405, kCodeBadRequest, "method not allowed");
  }

  const std::string& what = p[5];
  if (what == "versions") {
    if (p.size() == 6 && method == "GET") {
      auto list = control_->listVersions(accountId, scriptName);
      if (!list.isOk()) return fromStatus(list.status());
      json items = json::array();
      for (const auto& v : list.value()) items.push_back(versionJson(v));
      return ok({{"items", items}});
    }
    if (p.size() == 6 && method == "POST") {
      auto version = parseUpload(call, accountId, scriptName);
      if (!version.isOk()) {
        if (version.status().code() == StatusCode::kInvalidArgument) return fail(400, kCodeValidation, version.status().message());
        return fromStatus(version.status());
      }
      // A version uploaded without deploying it; the script must exist first for a later deployment to make sense,
      // but a first upload through this endpoint creates it (undeployed).
      auto stored = control_->addVersion(std::move(version.value()), false, "");
      if (!stored.isOk()) return fromStatus(stored.status());
      json v = versionJson(stored.value());
      return ok(v);
    }
    if (p.size() == 7 && method == "GET") {
      auto v = control_->getVersion(accountId, scriptName, plainId(p[6]));
      if (!v.isOk()) return fromStatus(v.status());
      return ok(versionJson(v.value()));
    }
  }
  if (what == "deployments") {
    if (p.size() == 6 && method == "GET") {
      auto list = control_->listDeployments(accountId, scriptName);
      if (!list.isOk()) return fromStatus(list.status());
      json out = json::array();
      for (const auto& d : list.value()) out.push_back(deploymentJson(d));
      return ok({{"deployments", out}});
    }
    if (p.size() == 6 && method == "POST") {
      json b = json::parse(call.request.body);
      if (!b.is_object() || !b.contains("versions") || !b["versions"].is_array()) {
        return fail(400, kCodeBadRequest, "body must be {\"strategy\": \"percentage\", \"versions\": [{\"version_id\", \"percentage\"}]}");
      }
      std::vector<store::DeploymentVersion> versions;
      for (const auto& v : b["versions"]) {
        if (!v.is_object() || !v.contains("version_id") || !v["version_id"].is_string()) {
          return fail(400, kCodeBadRequest, "each version needs a version_id");
        }
        double pct = v.contains("percentage") && v["percentage"].is_number() ? v["percentage"].get<double>() : 100;
        versions.push_back({plainId(v["version_id"].get<std::string>()), pct});
      }
      std::string message = "deployment";
      if (b.contains("annotations") && b["annotations"].is_object()) {
        message = b["annotations"].value("workers/message", message);
      }
      auto d = control_->addDeployment(accountId, scriptName, std::move(versions), message);
      if (!d.isOk()) return fromStatus(d.status());
      log::info("deployment {} of {}/{}", d->id, account.name, scriptName);
      return ok(deploymentJson(d.value()));
    }
  }
  if (what == "schedules" && p.size() == 6) {
    if (method == "PUT") {
      json b = json::parse(call.request.body);
      std::vector<std::string> crons;
      if (!b.is_array()) return fail(400, kCodeBadRequest, "body must be [{\"cron\": \"*/5 * * * *\"}]");
      for (const auto& c : b) {
        if (!c.is_object() || !c.contains("cron") || !c["cron"].is_string()) {
          return fail(400, kCodeBadRequest, "each schedule needs a cron string");
        }
        std::string cron = c["cron"].get<std::string>();
        auto parsed = runtime::Cron::parse(cron);
        if (!parsed.isOk()) return fail(400, kCodeBadRequest, parsed.status().message());
        crons.push_back(std::move(cron));
      }
      Status s = control_->setSchedules(accountId, scriptName, crons);
      if (!s.isOk()) return fromStatus(s);
    }
    auto list = control_->getSchedules(accountId, scriptName);
    if (!list.isOk()) return fromStatus(list.status());
    json out = json::array();
    for (const auto& s : list.value()) {
      out.push_back({{"cron", s.cron}, {"created_on", isoTime(s.createdMs)}, {"modified_on", isoTime(s.createdMs)}});
    }
    return ok({{"schedules", out}});
  }
  if (what == "subdomain" && p.size() == 6) return ok({{"enabled", true}, {"previews_enabled", false}});
  if (what == "secrets" && (p.size() == 6 || p.size() == 7)) return secrets(call, account, scriptName);
  if (what == "tails" && (p.size() == 6 || p.size() == 7)) return tails(call, accountId, scriptName);
  if ((what == "settings" || what == "script-settings") && p.size() == 6) {
    auto s = control_->getScript(accountId, scriptName);
    if (!s.isOk()) return fromStatus(s.status());
    return ok({{"logpush", false}, {"tail_consumers", json::array()}, {"observability", {{"enabled", false}}}});
  }
  return fail(404, kCodeNoRoute, "no such endpoint");
}

net::Response ManagementApi::secrets(Call& call, const store::Account& account, const std::string& scriptName) {
  const auto& p = call.path;
  const std::string& method = call.request.method;
  const std::string& accountId = account.id;
  bool change = (p.size() == 6 && method == "PUT") || (p.size() == 7 && method == "DELETE");
  if (!change && method != "GET") return fail(405, kCodeBadRequest, "method not allowed");
  // Secrets live in versions: read from, and changed by a new version made from, the live one (or the newest
  // version of a script never deployed).
  auto deployments = control_->listDeployments(accountId, scriptName);
  if (!deployments.isOk()) return fromStatus(deployments.status());
  std::string baseId;
  bool deployed = !deployments->empty();
  if (deployed) {
    const auto& live = deployments->front().versions;
    if (live.empty()) return fail(500, kCodeInternal, "the live deployment has no version");
    if (change && live.size() > 1) {
      return fail(400, kCodeBadRequest,
                  "the script is in a gradual deployment: deploy one version to 100% before changing its secrets");
    }
    baseId = std::max_element(live.begin(), live.end(), [](const auto& a, const auto& b) {
               return a.percentage < b.percentage;
             })->versionId;
  } else {
    auto versions = control_->listVersions(accountId, scriptName);
    if (!versions.isOk()) return fromStatus(versions.status());
    if (versions->empty()) return fail(404, kCodeNotFound, fmt::format("script not found: {}", scriptName));
    baseId = versions->front().id;
  }
  auto base = control_->getVersion(accountId, scriptName, baseId);
  if (!base.isOk()) return fromStatus(base.status());
  json meta = json::parse(base->metadataJson, nullptr, false);
  if (!meta.is_object()) meta = json::object();
  json bindings = meta.contains("bindings") && meta["bindings"].is_array() ? meta["bindings"] : json::array();
  auto isSecret = [](const json& b, const std::string& name) {
    return stringField(b, "type") == "secret_text" && stringField(b, "name") == name;
  };
  // Drops the secret `name` from `bindings`; whether it was there.
  auto removeSecret = [&](const std::string& name) {
    json kept = json::array();
    for (auto& b : bindings) {
      if (!isSecret(b, name)) kept.push_back(std::move(b));
    }
    bool removed = kept.size() != bindings.size();
    bindings = std::move(kept);
    return removed;
  };

  if (method == "GET") {
    json list = json::array();
    for (const auto& b : bindings) {
      if (stringField(b, "type") != "secret_text") continue;
      json item = {{"name", stringField(b, "name")}, {"type", "secret_text"}};
      if (p.size() == 7 && item["name"] == p[6]) return ok(item);
      list.push_back(std::move(item));
    }
    if (p.size() == 7) return fail(404, kCodeNotFound, fmt::format("{} has no secret {}", scriptName, p[6]));
    return ok(list);
  }

  std::string name;
  if (method == "PUT") {
    json b = json::parse(call.request.body);
    name = stringField(b, "name");
    std::string type = b.is_object() && b.contains("type") ? stringField(b, "type") : "secret_text";
    if (name.empty() || !b.contains("text") || !b["text"].is_string()) {
      return fail(400, kCodeBadRequest, "body must be {\"name\": \"...\", \"text\": \"...\", \"type\": \"secret_text\"}");
    }
    if (type != "secret_text") return fail(400, kCodeBadRequest, "only secrets of type secret_text are supported");
    for (const auto& existing : bindings) {
      if (stringField(existing, "name") == name && !isSecret(existing, name)) {
        return fail(400, kCodeValidation,
                    fmt::format("{} already has a binding named {} (of type {})", scriptName, name, stringField(existing, "type")));
      }
    }
    removeSecret(name);
    bindings.push_back({{"type", "secret_text"}, {"name", name}, {"text", b["text"]}});
  } else {
    name = p[6];
    if (!removeSecret(name)) return fail(404, kCodeNotFound, fmt::format("{} has no secret {}", scriptName, name));
  }
  meta["bindings"] = bindings;
  meta["annotations"] = {{"workers/message", method == "PUT" ? "secret put" : "secret delete"},
                         {"workers/triggered_by", "secret"}};
  store::ScriptVersion version;
  version.accountId = accountId;
  version.scriptName = scriptName;
  version.metadataJson = meta.dump();
  version.modules = std::move(base->modules);
  auto ua = header(call.request, "user-agent");
  version.source = ua && ua->find("wrangler") != std::string::npos ? "wrangler" : "api";
  Status valid = validate(version);
  if (!valid.isOk()) {
    if (valid.code() == StatusCode::kInvalidArgument) return fail(400, kCodeValidation, valid.message());
    return fromStatus(valid);
  }
  auto stored = control_->addVersion(std::move(version), deployed, method == "PUT" ? "secret put" : "secret delete");
  if (!stored.isOk()) return fromStatus(stored.status());
  log::info("{} secret {} of {}/{}: version {} ({}){}", method == "PUT" ? "set" : "deleted", name, account.name,
            scriptName, stored->number, stored->id, deployed ? ", deployed" : "");
  if (method == "DELETE") return ok(nullptr);
  return ok({{"name", name}, {"type", "secret_text"}});
}

net::Response ManagementApi::tails(Call& call, const std::string& accountId, const std::string& scriptName) {
  const auto& p = call.path;
  const std::string& method = call.request.method;
  auto script = control_->getScript(accountId, scriptName);
  if (!script.isOk()) return fromStatus(script.status());
  if (options_.tails == nullptr) return fail(501, kCodeInternal, "this server does not offer tails");
  if (p.size() == 6 && method == "POST") {
    auto created = options_.tails->create(accountId, scriptName, call.request.body);
    if (!created.isOk()) {
      if (created.status().code() == StatusCode::kUnavailable) return fail(429, kCodeBadRequest, created.status().message());
      return fromStatus(created.status());
    }
    // wrangler opens the URL as given: it points back at this API, through whatever host the caller reached.
    auto proto = header(call.request, "x-forwarded-proto");
    std::string scheme = proto && *proto == "https" ? "wss" : "ws";
    std::string host = call.request.host.empty() ? "127.0.0.1" : call.request.host;
    const auto& tail = created->tail;
    return ok({{"id", tail.id},
               {"url", fmt::format("{}://{}{}", scheme, host, tailPath(tail.id, created->secret))},
               {"expires_at", isoTime(tail.expiresMs)}});
  }
  if (p.size() == 6 && method == "GET") {
    json list = json::array();
    for (const auto& t : options_.tails->list(accountId, scriptName)) {
      list.push_back({{"id", t.id}, {"expires_at", isoTime(t.expiresMs)}, {"connected", t.attached}});
    }
    return ok(list);
  }
  if (p.size() == 7 && method == "DELETE") {
    // A tail also ends when its connection closes, and wrangler deletes it right after closing: a tail that is
    // gone already counts as deleted.
    Status s = options_.tails->remove(accountId, scriptName, p[6]);
    if (!s.isOk() && s.code() != StatusCode::kNotFound) return fromStatus(s);
    return ok(nullptr);
  }
  return fail(405, kCodeBadRequest, "method not allowed");
}

net::Response ManagementApi::kv(Call& call) {
  const auto& p = call.path;
  const std::string& method = call.request.method;
  const std::string& accountId = p[1];
  if (p.size() == 5) {
    if (method == "GET") {
      auto list = kv_->listNamespaces(accountId);
      if (!list.isOk()) return fromStatus(list.status());
      json out = json::array();
      for (const auto& n : list.value()) out.push_back({{"id", n.id}, {"title", n.title}});
      return ok(out, {{"result_info", {{"count", out.size()}, {"page", 1}, {"per_page", out.size()}, {"total_count", out.size()}}}});
    }
    if (method == "POST") {
      json b = json::parse(call.request.body);
      if (!b.is_object() || !b.contains("title") || !b["title"].is_string()) {
        return fail(400, kCodeBadRequest, "body must be {\"title\": \"...\"}");
      }
      auto n = kv_->createNamespace(accountId, b["title"].get<std::string>());
      if (!n.isOk()) return fromStatus(n.status());
      return ok({{"id", n->id}, {"title", n->title}});
    }
    return fail(405, kCodeBadRequest, "method not allowed");
  }
  const std::string& nsId = p[5];
  auto ns = kv_->getNamespace(accountId, nsId);
  if (!ns.isOk()) return fromStatus(ns.status());
  if (p.size() == 6) {
    if (method == "GET") return ok({{"id", ns->id}, {"title", ns->title}});
    if (method == "DELETE") {
      Status s = kv_->deleteNamespace(accountId, nsId);
      if (!s.isOk()) return fromStatus(s);
      return ok(nullptr);
    }
  }
  if (p.size() == 7 && p[6] == "keys" && method == "GET") {
    int limit = 1000;
    if (call.query.count("limit")) {
      limit = std::atoi(call.query["limit"].c_str());
      if (limit < 10 || limit > 1000) return fail(400, kCodeBadRequest, "limit must be between 10 and 1000");
    }
    using namespace std::chrono;
    int64_t now = duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
    auto list = kv_->list(nsId, call.query["prefix"], call.query["cursor"], limit, now);
    if (!list.isOk()) return fromStatus(list.status());
    json out = json::array();
    for (const auto& k : list->keys) {
      json key = {{"name", k.name}};
      if (k.expirationSec) key["expiration"] = *k.expirationSec;
      if (!k.metadataJson.empty()) key["metadata"] = json::parse(k.metadataJson, nullptr, false);
      out.push_back(key);
    }
    return ok(out, {{"result_info", {{"count", out.size()}, {"cursor", list->cursor}}}});
  }
  if (p.size() == 8 && p[6] == "values") {
    const std::string& key = p[7];
    using namespace std::chrono;
    int64_t now = duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
    if (method == "GET") {
      auto entry = kv_->get(nsId, key, now);
      if (!entry.isOk()) return fromStatus(entry.status(), kCodeKvKeyNotFound);
      net::Response r;
      r.status = 200;
      r.headers.emplace_back("content-type", "application/octet-stream");
      if (entry->expirationSec) r.headers.emplace_back("expiration", std::to_string(*entry->expirationSec));
      r.body = std::move(entry->value);
      return r;
    }
    if (method == "DELETE") {
      Status s = kv_->remove(nsId, key);
      if (!s.isOk()) return fromStatus(s);
      return ok(nullptr);
    }
    if (method == "PUT") {
      store::KvEntry entry;
      auto contentType = header(call.request, "content-type");
      if (contentType && contentType->starts_with("multipart/form-data")) {
        auto boundary = net::multipartBoundary(*contentType);
        if (!boundary.isOk()) return fail(400, kCodeBadRequest, boundary.status().message());
        auto parts = net::parseMultipart(call.request.body, boundary.value());
        if (!parts.isOk()) return fail(400, kCodeBadRequest, parts.status().message());
        bool haveValue = false;
        for (auto& part : parts.value()) {
          if (part.name == "value") {
            entry.value = std::move(part.data);
            haveValue = true;
          } else if (part.name == "metadata") {
            json meta = json::parse(part.data, nullptr, false);
            if (meta.is_discarded()) return fail(400, kCodeBadRequest, "metadata is not JSON");
            entry.metadataJson = meta.dump();
          }
        }
        if (!haveValue) return fail(400, kCodeBadRequest, "the multipart body has no value part");
      } else {
        entry.value = call.request.body;
      }
      if (call.query.count("expiration_ttl")) {
        int64_t ttl = std::atoll(call.query["expiration_ttl"].c_str());
        if (ttl < 60) return fail(400, kCodeBadRequest, "expiration_ttl must be at least 60 seconds");
        entry.expirationSec = now + ttl;
      } else if (call.query.count("expiration")) {
        int64_t at = std::atoll(call.query["expiration"].c_str());
        if (at < now + 60) return fail(400, kCodeBadRequest, "expiration must be at least 60 seconds in the future");
        entry.expirationSec = at;
      }
      Status s = kv_->put(nsId, key, std::move(entry));
      if (!s.isOk()) return fromStatus(s);
      return ok(nullptr);
    }
  }
  return fail(404, kCodeNoRoute, "no such endpoint");
}


net::Response ManagementApi::usage(Call& call) {
  const std::string& accountId = call.path[1];
  using namespace std::chrono;
  int64_t nowSec = duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
  int64_t since = call.query.count("since") ? std::atoll(call.query["since"].c_str()) : nowSec - 24 * 3600;
  int64_t until = call.query.count("until") ? std::atoll(call.query["until"].c_str()) : nowSec + 60;
  if (since < 0 || until <= since) return fail(400, kCodeBadRequest, "since and until are seconds since the epoch, since < until");
  int64_t sinceMinute = since / 60, untilMinute = (until + 59) / 60;
  std::vector<store::UsageRecord> records;
  if (usage_) {
    auto stored = usage_->query(accountId, sinceMinute, untilMinute);
    if (!stored.isOk()) return fromStatus(stored.status());
    records = std::move(stored.value());
  }
  if (metering_) {
    for (auto& r : metering_->unflushed(accountId)) {
      if (r.minute >= sinceMinute && r.minute < untilMinute) records.push_back(std::move(r));
    }
  }
  std::map<std::string, store::UsageRecord> byScript;
  store::UsageRecord total;
  for (const auto& r : records) {
    byScript[r.scriptName].add(r);
    total.add(r);
  }
  const Pricing& price = options_.pricing;
  auto describe = [&](const std::string& name, const store::UsageRecord& r) {
    double cpuMs = r.cpuUs / 1000.0;
    double cost = r.requests / 1e6 * price.perMillionRequests + cpuMs / 1e6 * price.perMillionCpuMs;
    double lambda = r.requests / 1e6 * price.lambdaPerMillionRequests + (r.wallBilledMs / 100.0) * price.lambdaPer100Ms128Mb;
    json j = {{"requests", r.requests},         {"errors", r.errors},
              {"cpu_ms", cpuMs},                {"wall_ms", r.wallUs / 1000.0},
              {"subrequests", r.subrequests},   {"bytes_in", r.bytesIn},
              {"bytes_out", r.bytesOut},        {"cost_usd", cost},
              {"wall_billed_ms", r.wallBilledMs}, {"lambda_cost_usd", lambda}};
    if (!name.empty()) j["script"] = name;
    return j;
  };
  json scripts = json::array();
  for (const auto& [name, r] : byScript) scripts.push_back(describe(name, r));
  return ok({{"since", since},
             {"until", until},
             {"pricing",
              {{"per_million_requests", price.perMillionRequests},
               {"per_million_cpu_ms", price.perMillionCpuMs},
               {"lambda_per_million_requests", price.lambdaPerMillionRequests},
               {"lambda_per_100ms_128mb", price.lambdaPer100Ms128Mb}}},
             {"scripts", scripts},
             {"total", describe("", total)}});
}

}  // namespace islet::control
