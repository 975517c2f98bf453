#include "cli/commands.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/api_client.h"
#include "cli/project.h"
#include "cli/tail_stream.h"

namespace islet::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kDefaultApiUrl = "http://127.0.0.1:8788";

// Where the API is and who calls it: the same flags on every client command.
struct ConnectionFlags {
  std::string apiUrl = kDefaultApiUrl;
  std::string token;
  std::string account;
  double timeoutSeconds = 60;
};

enum class AccountScope { kNone, kAccount };

void addConnectionFlags(CLI::App* cmd, ConnectionFlags& flags, AccountScope scope) {
  cmd->add_option("--api-url", flags.apiUrl, "the management API, e.g. http://127.0.0.1:8788")
      ->envname("ISLET_API")
      ->capture_default_str();
  cmd->add_option("--token", flags.token, "an API token (islet serve writes an admin token to <data>/admin-token)")
      ->envname("ISLET_API_TOKEN");
  cmd->add_option("--timeout", flags.timeoutSeconds, "seconds to wait for each answer from the API")
      ->capture_default_str();
  if (scope == AccountScope::kAccount) {
    cmd->add_option("--account", flags.account, "the account id (default: the token's only account)")
        ->envname("ISLET_ACCOUNT_ID");
  }
}

// A string field of an API object; "" when it is missing or not a string.
std::string field(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string()) return "";
  return object[key].get<std::string>();
}

// One command's client of the API and the account it acts on.
class Session {
 public:
  static Result<Session> open(const ConnectionFlags& flags) {
    auto address = parseApiUrl(flags.apiUrl);
    if (!address.isOk()) return address.status();
    if (flags.token.empty()) {
      return Status::invalidArgument(
          "no API token: pass --token or set ISLET_API_TOKEN (islet serve writes an admin token to <data>/admin-token)");
    }
    ApiClientOptions options;
    options.address = std::move(address.value());
    options.token = flags.token;
    if (!(flags.timeoutSeconds > 0)) return Status::invalidArgument("--timeout must be a positive number of seconds");
    options.timeout = std::chrono::milliseconds(static_cast<int64_t>(flags.timeoutSeconds * 1000));
    return Session(ApiClient(std::move(options)), flags.account);
  }

  ApiClient& api() { return api_; }

  // The account to act on: the one given, or else the token's only account.
  Result<std::string> accountId() {
    if (!accountId_.empty()) return accountId_;
    auto memberships = api_.call("GET", "/memberships");
    if (!memberships.isOk()) return memberships.status();
    if (!memberships->is_array()) return Status::unavailable("GET /memberships did not answer a list");
    if (memberships->size() == 1) {
      accountId_ = field((*memberships)[0]["account"], "id");
      if (accountId_.empty()) return Status::unavailable("GET /memberships answered an account without an id");
      return accountId_;
    }
    if (memberships->empty()) {
      return Status::notFound("this token has no account; an admin creates one with `islet account create NAME`");
    }
    std::string list;
    for (const auto& m : *memberships) {
      list += fmt::format("\n  {}  {}", field(m["account"], "id"), field(m["account"], "name"));
    }
    return Status::invalidArgument(fmt::format(
        "this token reaches {} accounts; choose one with --account ID or ISLET_ACCOUNT_ID:{}", memberships->size(), list));
  }

  // "/accounts/<id>", the prefix of every account-scoped path.
  Result<std::string> accountPath() {
    auto id = accountId();
    if (!id.isOk()) return id.status();
    return "/accounts/" + urlEncode(id.value());
  }

 private:
  Session(ApiClient api, std::string accountId) : api_(std::move(api)), accountId_(std::move(accountId)) {}

  ApiClient api_;
  std::string accountId_;
};

// Prints rows under a header, in columns two spaces apart.
void printTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size());
  for (size_t i = 0; i < header.size(); i++) widths[i] = header[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); i++) widths[i] = std::max(widths[i], row[i].size());
  }
  auto printRow = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); i++) {
      line += i + 1 < row.size() ? fmt::format("{:<{}}  ", row[i], widths[i]) : row[i];
    }
    fmt::print("{}\n", line);
  };
  printRow(header);
  for (const auto& row : rows) printRow(row);
}

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::notFound(fmt::format("cannot read {}", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string today() {
  std::time_t now = std::time(nullptr);
  std::tm tm;
  gmtime_r(&now, &tm);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

// ---- account, token ----

Status createAccount(Session& session, const std::string& name) {
  auto account = session.api().call("POST", "/accounts", jsonBody({{"name", name}}));
  if (!account.isOk()) return account.status();
  fmt::print("{}\n", field(*account, "id"));
  return Status::ok();
}

Status createToken(Session& session, const std::string& name) {
  auto accountPath = session.accountPath();
  if (!accountPath.isOk()) return accountPath.status();
  json body = json::object();
  if (!name.empty()) body["name"] = name;
  auto token = session.api().call("POST", accountPath.value() + "/tokens", jsonBody(body));
  if (!token.isOk()) return token.status();
  fmt::print("{}\n", field(*token, "value"));
  std::fflush(stdout);
  fmt::print(stderr, "islet token create: the secret above is shown only once\n");
  return Status::ok();
}

// ---- account limits ----

// The per-account limits as the API names them, and the flag of each.
struct LimitFlag {
  const char* key;   // "cpu_ms"
  const char* flag;  // "--cpu-ms"
  const char* help;
};
constexpr LimitFlag kLimitFlags[] = {
    {"cpu_ms", "--cpu-ms", "CPU ms per request, for scripts that do not ask for their own"},
    {"max_cpu_ms", "--max-cpu-ms", "the most CPU ms a script may ask for (metadata limits.cpu_ms)"},
    {"wall_ms", "--wall-ms", "wall-time ms per request"},
    {"heap_mb", "--heap-mb", "heap MB per isolate"},
    {"subrequests", "--subrequests", "subrequests per request"},
    {"connections", "--connections", "subrequests in flight per request"},
};
constexpr size_t kLimitCount = sizeof kLimitFlags / sizeof kLimitFlags[0];

struct LimitsArgs {
  std::string account;                  // an id or a name
  std::string values[kLimitCount];      // per kLimitFlags: a whole number, or "default"
  CLI::Option* options[kLimitCount] = {};
  bool reset = false;
};

bool isAccountId(const std::string& s) {
  return s.size() == 32 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Shows an account's limit overrides, or changes the ones named by flags (the others stay) and then shows them.
Status accountLimits(Session& session, const LimitsArgs& args) {
  std::string id = args.account;
  if (!isAccountId(id)) {
    auto accounts = session.api().call("GET", "/accounts");
    if (!accounts.isOk()) return accounts.status();
    id.clear();
    for (const auto& a : *accounts) {
      if (field(a, "name") == args.account) id = field(a, "id");
    }
    if (id.empty()) return Status::notFound(fmt::format("no account named {}", args.account));
  }
  std::string path = "/accounts/" + urlEncode(id) + "/limits";
  bool change = false;
  for (const auto* option : args.options) change = change || (option != nullptr && option->count() > 0);
  Result<json> limits = args.reset ? session.api().call("DELETE", path) : session.api().call("GET", path);
  if (!limits.isOk()) return limits.status();
  if (change) {
    json overrides = (*limits)["overrides"].is_object() ? (*limits)["overrides"] : json::object();
    for (size_t i = 0; i < kLimitCount; i++) {
      if (args.options[i] == nullptr || args.options[i]->count() == 0) continue;
      const std::string& value = args.values[i];
      if (value == "default") {
        overrides.erase(kLimitFlags[i].key);
        continue;
      }
      int64_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size()) {
        return Status::invalidArgument(fmt::format(
            "{} takes a whole number, or \"default\" for the process default, not \"{}\"", kLimitFlags[i].flag, value));
      }
      overrides[kLimitFlags[i].key] = n;
    }
    limits = session.api().call("PUT", path, jsonBody(overrides));
    if (!limits.isOk()) return limits.status();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& f : kLimitFlags) {
    const json& overrides = (*limits)["overrides"];
    const json& effective = (*limits)["effective"];
    rows.push_back({f.key, overrides.contains(f.key) ? overrides[f.key].dump() : "default",
                    effective.contains(f.key) ? effective[f.key].dump() : "?"});
  }
  printTable({"LIMIT", "ACCOUNT", "IN EFFECT"}, rows);
  return Status::ok();
}

// ---- deploy ----

struct DeployArgs {
  std::string path = ".";
  std::string name;
  std::string main;
  std::string compatibilityDate;
  std::vector<std::string> vars;  // KEY:VALUE
  std::string baseDomain = "islet.localhost";
};

// The upload's metadata part: the main module, the bindings (wrangler.toml's vars and KV namespaces, then the
// --var flags, each replacing a var of its name) and the compatibility date.
Result<json> uploadMetadata(const Project& project, const DeployArgs& args) {
  const runtime::Script& script = *project.script;
  json meta = json::object();
  meta[script.syntax == runtime::ScriptSyntax::kServiceWorker ? "body_part" : "main_module"] = script.mainModule;
  json bindings = json::array();
  for (const auto& b : script.bindings) {
    if (b.type == runtime::Binding::Type::kJson) {
      json value = json::parse(b.value, nullptr, false);
      if (value.is_discarded()) return Status::invalidArgument(fmt::format("var {} is not a JSON value", b.name));
      bindings.push_back({{"type", "json"}, {"name", b.name}, {"json", value}});
    } else {
      bindings.push_back({{"type", "plain_text"}, {"name", b.name}, {"text", b.value}});
    }
  }
  for (const auto& var : args.vars) {
    size_t colon = var.find(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::invalidArgument(fmt::format("--var {}: expected KEY:VALUE", var));
    }
    std::string name = var.substr(0, colon);
    auto sameName = [&](const json& b) { return b["name"] == name; };
    bindings.erase(std::remove_if(bindings.begin(), bindings.end(), sameName), bindings.end());
    bindings.push_back({{"type", "plain_text"}, {"name", name}, {"text", var.substr(colon + 1)}});
  }
  for (const auto& ns : project.deploy.kvNamespaces) {
    bindings.push_back({{"type", "kv_namespace"}, {"name", ns.binding}, {"namespace_id", ns.id}});
  }
  meta["bindings"] = bindings;
  meta["compatibility_date"] = !args.compatibilityDate.empty()         ? args.compatibilityDate
                               : !project.deploy.compatibilityDate.empty() ? project.deploy.compatibilityDate
                                                                           : today();
  return meta;
}

// The upload: the metadata part, then one part per module with the content type that says what it is.
Result<MultipartForm::Encoded> uploadForm(const Project& project, const DeployArgs& args) {
  auto meta = uploadMetadata(project, args);
  if (!meta.isOk()) return meta.status();
  MultipartForm form;
  Status s = form.add("metadata", "application/json", meta->dump());
  const runtime::Script& script = *project.script;
  for (const auto& m : script.modules) {
    if (!s.isOk()) return s;
    const char* type = "application/javascript+module";
    switch (m.kind) {
      case engine::ModuleKind::kEsModule:
        if (script.syntax == runtime::ScriptSyntax::kServiceWorker) type = "text/javascript";
        break;
      case engine::ModuleKind::kJson: type = "application/json"; break;
      case engine::ModuleKind::kText: type = "text/plain"; break;
      case engine::ModuleKind::kData: type = "application/octet-stream"; break;
      case engine::ModuleKind::kWasm: type = "application/wasm"; break;
    }
    s = form.add(m.name, type, m.source, m.name);
  }
  if (!s.isOk()) return s;
  return form.encode();
}

// Points `pattern` at `script`. A pattern that already points at this script (an earlier deploy) is fine.
Status addRoute(Session& session, const std::string& accountPath, const std::string& pattern,
                const std::string& script) {
  auto added = session.api().call("POST", accountPath + "/workers/routes",
                                  jsonBody({{"pattern", pattern}, {"script", script}}));
  if (added.isOk()) return Status::ok();
  if (added.status().code() != StatusCode::kAlreadyExists) return added.status();
  auto routes = session.api().call("GET", accountPath + "/workers/routes");
  if (!routes.isOk()) return routes.status();
  for (const auto& route : *routes) {
    if (field(route, "pattern") != pattern) continue;
    if (field(route, "script") == script) return Status::ok();
    return Status::alreadyExists(
        fmt::format("route {} already points at script {}; delete that route first", pattern, field(route, "script")));
  }
  return added.status();  // taken by another account
}

Status deploy(Session& session, const DeployArgs& args) {
  ProjectOptions options;
  options.main = args.main;
  auto project = loadProject(args.path, options);
  if (!project.isOk()) return project.status();
  std::string name = args.name.empty() ? project->script->name : args.name;
  auto form = uploadForm(project.value(), args);
  if (!form.isOk()) return form.status();

  auto accountPath = session.accountPath();
  if (!accountPath.isOk()) return accountPath.status();
  auto account = session.api().call("GET", accountPath.value());
  if (!account.isOk()) return account.status();

  std::string scriptPath = accountPath.value() + "/workers/scripts/" + urlEncode(name);
  auto uploaded = session.api().call("PUT", scriptPath + "?source=cli", {std::move(form->body), form->contentType});
  if (!uploaded.isOk()) return uploaded.status();

  if (project->deploy.crons) {
    json schedules = json::array();
    for (const auto& cron : *project->deploy.crons) schedules.push_back({{"cron", cron}});
    auto set = session.api().call("PUT", scriptPath + "/schedules", jsonBody(schedules));
    if (!set.isOk()) return set.status();
  }
  for (const auto& pattern : project->deploy.routes) {
    Status s = addRoute(session, accountPath.value(), pattern, name);
    if (!s.isOk()) return s;
  }

  std::string accountName = field(*account, "name");
  fmt::print("deployed {} (account {})\n", name, accountName);
  fmt::print("version: {}\n", field(*uploaded, "version_id"));
  fmt::print("url: http://{}.{}.{}\n", name, accountName, args.baseDomain);
  for (const auto& pattern : project->deploy.routes) fmt::print("route: {}\n", pattern);
  if (project->deploy.crons) {
    for (const auto& cron : *project->deploy.crons) fmt::print("schedule: {}\n", cron);
  }
  return Status::ok();
}

// ---- scripts, versions, rollback ----

Status listScripts(Session& session) {
  auto accountPath = session.accountPath();
  if (!accountPath.isOk()) return accountPath.status();
  auto scripts = session.api().call("GET", accountPath.value() + "/workers/scripts");
  if (!scripts.isOk()) return scripts.status();
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : *scripts) rows.push_back({field(s, "id"), field(s, "created_on"), field(s, "modified_on")});
  printTable({"NAME", "CREATED", "MODIFIED"}, rows);
  return Status::ok();
}

Status deleteScript(Session& session, const std::string& name) {
  auto accountPath = session.accountPath();
  if (!accountPath.isOk()) return accountPath.status();
  auto deleted = session.api().call("DELETE", accountPath.value() + "/workers/scripts/" + urlEncode(name));
  if (!deleted.isOk()) return deleted.status();
  fmt::print("deleted {}\n", name);
  return Status::ok();
}

struct VersionRow {
  int64_t number = 0;
  std::string id;
  std::string createdOn;
  std::string source;
};

// A script's versions, newest first.
Result<std::vector<VersionRow>> fetchVersions(Session& session, const std::string& scriptPath) {
  auto versions = session.api().call("GET", scriptPath + "/versions");
  if (!versions.isOk()) return versions.status();
  std::vector<VersionRow> rows;
  for (const auto& v : versions->value("items", json::array())) {
    VersionRow row;
    row.number = v.contains("number") && v["number"].is_number_integer() ? v["number"].get<int64_t>() : 0;
    row.id = field(v, "id");
    row.createdOn = field(v.value("metadata", json::object()), "created_on");
    row.source = field(v.value("metadata", json::object()), "source");
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end(), [](const VersionRow& a, const VersionRow& b) { return a.number > b.number; });
  return rows;
}

Status listVersions(Session& session, const std::string& name) {
  auto accountPath = session.accountPath();
  if (!accountPath.isOk()) return accountPath.status();
  auto versions = fetchVersions(session, accountPath.value() + "/workers/scripts/" + urlEncode(name));
  if (!versions.isOk()) return versions.status();
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : *versions) rows.push_back({std::to_string(v.number), v.id, v.createdOn, v.source});
  printTable({"NUMBER", "ID", "CREATED", "SOURCE"}, rows);
  return Status::ok();
}

Status rollback(Session& session, const std::string& name, const std::string& versionId) {
  auto accountPath = session.accountPath();
  if (!accountPath.isOk()) return accountPath.status();
  std::string scriptPath = accountPath.value() + "/workers/scripts/" + urlEncode(name);
  auto deployments = session.api().call("GET", scriptPath + "/deployments");
  if (!deployments.isOk()) return deployments.status();
  json list = deployments->value("deployments", json::array());
  if (list.empty()) return Status::notFound(fmt::format("{} has no deployment to roll back", name));
  // The live version: the newest deployment's version with the largest share.
  std::string liveId;
  double liveShare = -1;
  for (const auto& v : list[0].value("versions", json::array())) {
    double share = v.contains("percentage") && v["percentage"].is_number() ? v["percentage"].get<double>() : 0;
    if (share > liveShare) {
      liveShare = share;
      liveId = field(v, "version_id");
    }
  }
  auto versions = fetchVersions(session, scriptPath);
  if (!versions.isOk()) return versions.status();
  auto live = std::find_if(versions->begin(), versions->end(), [&](const VersionRow& v) { return v.id == liveId; });
  const VersionRow* target = nullptr;
  if (!versionId.empty()) {
    auto it = std::find_if(versions->begin(), versions->end(), [&](const VersionRow& v) { return v.id == versionId; });
    if (it == versions->end()) return Status::notFound(fmt::format("{} has no version {}", name, versionId));
    target = &*it;
  } else {
    if (live == versions->end()) return Status::notFound(fmt::format("the live version {} is not among {}'s versions", liveId, name));
    // Versions are newest first: the one after the live one in the list came before it.
    if (live + 1 == versions->end()) {
      return Status::notFound(fmt::format("{} runs its first version ({}); there is none before it", name, live->number));
    }
    target = &*(live + 1);
  }
  if (target->id == liveId) {
    fmt::print("{} already runs version {} ({})\n", name, target->number, target->id);
    return Status::ok();
  }
  json body = {{"strategy", "percentage"},
               {"versions", json::array({{{"version_id", target->id}, {"percentage", 100}}})},
               {"annotations", {{"workers/message", "rollback"}}}};
  auto deployed = session.api().call("POST", scriptPath + "/deployments", jsonBody(body));
  if (!deployed.isOk()) return deployed.status();
  fmt::print("rolled back {} to version {} ({})\n", name, target->number, target->id);
  return Status::ok();
}

// ---- tail ----

struct TailArgs {
  std::vector<std::string> status;  // ok, error, canceled
  std::vector<std::string> method;
  std::string search;
};

// Creates a tail of the script, streams it to stdout as JSON lines until Ctrl-C or the server ends it, then
// deletes it (the server also ends a tail whose connection closes).
Status tail(Session& session, const std::string& name, const TailArgs& args) {
  auto accountPath = session.accountPath();
  if (!accountPath.isOk()) return accountPath.status();
  std::string scriptPath = accountPath.value() + "/workers/scripts/" + urlEncode(name);
  json filters = json::array();
  if (!args.status.empty()) {
    json outcomes = json::array();
    for (const auto& s : args.status) {
      if (s == "ok" || s == "canceled") {
        outcomes.push_back(s);
      } else if (s == "error") {
        for (const char* o : {"exception", "exceededCpu", "exceededMemory", "unknown"}) outcomes.push_back(o);
      } else {
        return Status::invalidArgument(fmt::format("--status {}: expected ok, error or canceled", s));
      }
    }
    filters.push_back({{"outcome", outcomes}});
  }
  if (!args.method.empty()) filters.push_back({{"method", args.method}});
  if (!args.search.empty()) filters.push_back({{"query", args.search}});
  auto created = session.api().call("POST", scriptPath + "/tails", jsonBody({{"filters", filters}}));
  if (!created.isOk()) return created.status();
  fmt::print(stderr, "islet tail: tailing {}; each event is one JSON line on stdout (Ctrl-C ends)\n", name);
  Status streamed = streamTail(field(*created, "url"), stdout);
  auto deleted = session.api().call("DELETE", scriptPath + "/tails/" + urlEncode(field(*created, "id")));
  if (!deleted.isOk() && deleted.status().code() != StatusCode::kNotFound) {
    fmt::print(stderr, "islet tail: could not delete the tail: {}\n", deleted.status().message());
  }
  return streamed;
}

// ---- kv ----

Status createNamespace(Session& session, const std::string& title) {
  auto accountPath = session.accountPath();
  if (!accountPath.isOk()) return accountPath.status();
  auto ns = session.api().call("POST", accountPath.value() + "/storage/kv/namespaces", jsonBody({{"title", title}}));
  if (!ns.isOk()) return ns.status();
  fmt::print("{}\n", field(*ns, "id"));
  return Status::ok();
}

Status listNamespaces(Session& session) {
  auto accountPath = session.accountPath();
  if (!accountPath.isOk()) return accountPath.status();
  auto list = session.api().call("GET", accountPath.value() + "/storage/kv/namespaces");
  if (!list.isOk()) return list.status();
  std::vector<std::vector<std::string>> rows;
  for (const auto& ns : *list) rows.push_back({field(ns, "id"), field(ns, "title")});
  printTable({"ID", "TITLE"}, rows);
  return Status::ok();
}

Status deleteNamespace(Session& session, const std::string& id) {
  auto accountPath = session.accountPath();
  if (!accountPath.isOk()) return accountPath.status();
  auto deleted = session.api().call("DELETE", accountPath.value() + "/storage/kv/namespaces/" + urlEncode(id));
  if (!deleted.isOk()) return deleted.status();
  fmt::print("deleted namespace {}\n", id);
  return Status::ok();
}

struct KvArgs {
  std::string ns;
  std::string key;
  std::string value;
  std::string path;      // --path: the value from a file
  int64_t ttl = 0;       // --ttl, when given
  std::string metadata;  // --metadata, when given
  std::string prefix;
  bool asJson = false;
  // Which optional arguments the command line gave.
  const CLI::Option* valueOption = nullptr;
  const CLI::Option* ttlOption = nullptr;
  const CLI::Option* metadataOption = nullptr;
};

Result<std::string> namespacePath(Session& session, const std::string& ns) {
  auto accountPath = session.accountPath();
  if (!accountPath.isOk()) return accountPath.status();
  return accountPath.value() + "/storage/kv/namespaces/" + urlEncode(ns);
}

Status putKey(Session& session, const KvArgs& args) {
  bool haveValue = args.valueOption->count() > 0;
  if (haveValue == !args.path.empty()) return Status::invalidArgument("give the value either as VALUE or with --path FILE");
  std::string value = args.value;
  if (!args.path.empty()) {
    auto content = readFile(args.path);
    if (!content.isOk()) return content.status();
    value = std::move(content.value());
  }
  auto nsPath = namespacePath(session, args.ns);
  if (!nsPath.isOk()) return nsPath.status();
  std::string path = nsPath.value() + "/values/" + urlEncode(args.key);
  if (args.ttlOption->count() > 0) path += fmt::format("?expiration_ttl={}", args.ttl);
  RequestBody body;
  if (args.metadataOption->count() > 0) {
    json metadata = json::parse(args.metadata, nullptr, false);
    if (metadata.is_discarded()) return Status::invalidArgument("--metadata is not valid JSON");
    MultipartForm form;
    Status s = form.add("value", "application/octet-stream", std::move(value));
    if (s.isOk()) s = form.add("metadata", "application/json", metadata.dump());
    if (!s.isOk()) return s;
    auto encoded = form.encode();
    body = {std::move(encoded.body), std::move(encoded.contentType)};
  } else {
    body = {std::move(value), "application/octet-stream"};
  }
  auto put = session.api().call("PUT", path, body);
  if (!put.isOk()) return put.status();
  fmt::print("wrote {}\n", args.key);
  return Status::ok();
}

Status getKey(Session& session, const KvArgs& args) {
  auto nsPath = namespacePath(session, args.ns);
  if (!nsPath.isOk()) return nsPath.status();
  auto value = session.api().callRaw("GET", nsPath.value() + "/values/" + urlEncode(args.key));
  if (!value.isOk()) return value.status();
  std::fwrite(value->data(), 1, value->size(), stdout);
  std::fflush(stdout);
  return Status::ok();
}

Status deleteKey(Session& session, const KvArgs& args) {
  auto nsPath = namespacePath(session, args.ns);
  if (!nsPath.isOk()) return nsPath.status();
  auto deleted = session.api().call("DELETE", nsPath.value() + "/values/" + urlEncode(args.key));
  if (!deleted.isOk()) return deleted.status();
  fmt::print("deleted {}\n", args.key);
  return Status::ok();
}

Status listKeys(Session& session, const KvArgs& args) {
  auto nsPath = namespacePath(session, args.ns);
  if (!nsPath.isOk()) return nsPath.status();
  json keys = json::array();
  std::string cursor;
  do {
    std::string path = nsPath.value() + "/keys?limit=1000";
    if (!args.prefix.empty()) path += "&prefix=" + urlEncode(args.prefix);
    if (!cursor.empty()) path += "&cursor=" + urlEncode(cursor);
    auto page = session.api().callEnvelope("GET", path);
    if (!page.isOk()) return page.status();
    json result = page->value("result", json::array());
    for (auto& k : result) keys.push_back(std::move(k));
    cursor = result.empty() ? "" : field(page->value("result_info", json::object()), "cursor");
  } while (!cursor.empty());
  if (args.asJson) {
    fmt::print("{}\n", keys.dump(2));
  } else {
    for (const auto& k : keys) fmt::print("{}\n", field(k, "name"));
  }
  return Status::ok();
}

}  // namespace

struct ClientCommands::State {
  ConnectionFlags connection;
  std::string accountName;
  LimitsArgs limits;
  std::string tokenName;
  DeployArgs deploy;
  std::string scriptName;
  std::string versionId;
  std::string title;
  std::string namespaceId;
  KvArgs kv;
  TailArgs tail;
};

struct ClientCommands::Command {
  CLI::App* app;
  std::string label;  // "kv key put": what an error message starts with
  std::function<Status(Session&)> run;
};

ClientCommands::ClientCommands(CLI::App& app) : state_(std::make_unique<State>()) {
  State& s = *state_;
  auto add = [&](CLI::App* cmd, std::string label, AccountScope scope, std::function<Status(Session&)> run) {
    addConnectionFlags(cmd, s.connection, scope);
    commands_.push_back({cmd, std::move(label), std::move(run)});
  };
  constexpr auto kAccount = AccountScope::kAccount;

  auto* account = app.add_subcommand("account", "manage accounts (needs the admin token)");
  account->require_subcommand(1);
  auto* accountCreate = account->add_subcommand("create", "create an account; prints its id");
  accountCreate->add_option("name", s.accountName, "the account's name, a lower-case DNS label")->required();
  add(accountCreate, "account create", AccountScope::kNone, [&s](Session& session) {
    return createAccount(session, s.accountName);
  });
  auto* accountLimitsCmd = account->add_subcommand(
      "limits", "show an account's limits, or override the process defaults for it (flags given change, others stay)");
  accountLimitsCmd->add_option("account", s.limits.account, "the account's id or name")->required();
  for (size_t i = 0; i < kLimitCount; i++) {
    s.limits.options[i] = accountLimitsCmd->add_option(kLimitFlags[i].flag, s.limits.values[i],
                                                       std::string(kLimitFlags[i].help) + " (\"default\": the process's)");
  }
  accountLimitsCmd->add_flag("--reset", s.limits.reset, "remove every override first");
  add(accountLimitsCmd, "account limits", AccountScope::kNone, [&s](Session& session) {
    return accountLimits(session, s.limits);
  });

  auto* token = app.add_subcommand("token", "manage API tokens");
  token->require_subcommand(1);
  auto* tokenCreate = token->add_subcommand("create", "create a token for the account; prints its secret once");
  tokenCreate->add_option("--name", s.tokenName, "a name to tell the token by");
  add(tokenCreate, "token create", kAccount, [&s](Session& session) { return createToken(session, s.tokenName); });

  auto* deployCmd = app.add_subcommand("deploy", "upload a worker project as a new version and make it live");
  deployCmd->add_option("path", s.deploy.path, "a worker file, or a folder with wrangler.toml or index.js")
      ->capture_default_str();
  deployCmd->add_option("--name", s.deploy.name, "the script's name (default: wrangler.toml's, or the folder's)");
  deployCmd->add_option("--main", s.deploy.main, "the main module (replaces wrangler.toml's main)");
  deployCmd->add_option("--compatibility-date", s.deploy.compatibilityDate, "YYYY-MM-DD (default: wrangler.toml's, or today)");
  deployCmd->add_option("--var", s.deploy.vars, "a text var KEY:VALUE (repeatable; replaces a var of that name)")
      ->allow_extra_args(false);
  deployCmd->add_option("--base-domain", s.deploy.baseDomain, "the platform's base domain, for the printed URL")
      ->capture_default_str();
  add(deployCmd, "deploy", kAccount, [&s](Session& session) { return deploy(session, s.deploy); });

  auto* scripts = app.add_subcommand("scripts", "list or delete the account's scripts");
  scripts->require_subcommand(1);
  auto* scriptsList = scripts->add_subcommand("list", "list the scripts");
  add(scriptsList, "scripts list", kAccount, [](Session& session) { return listScripts(session); });
  auto* scriptsDelete = scripts->add_subcommand("delete", "delete a script with its versions, routes and schedules");
  scriptsDelete->add_option("name", s.scriptName, "the script")->required();
  add(scriptsDelete, "scripts delete", kAccount, [&s](Session& session) { return deleteScript(session, s.scriptName); });

  auto* versions = app.add_subcommand("versions", "list a script's versions, newest first");
  versions->add_option("name", s.scriptName, "the script")->required();
  add(versions, "versions", kAccount, [&s](Session& session) { return listVersions(session, s.scriptName); });

  auto* rollbackCmd = app.add_subcommand("rollback", "make an earlier version of a script live again");
  rollbackCmd->add_option("name", s.scriptName, "the script")->required();
  rollbackCmd->add_option("version", s.versionId, "the version id (default: the version before the live one)");
  add(rollbackCmd, "rollback", kAccount, [&s](Session& session) { return rollback(session, s.scriptName, s.versionId); });

  auto* tailCmd = app.add_subcommand("tail", "stream a script's invocations (logs, exceptions, outcome) as JSON lines");
  tailCmd->add_option("name", s.scriptName, "the script")->required();
  tailCmd->add_option("--status", s.tail.status, "only these outcomes: ok, error, canceled (repeatable)")
      ->allow_extra_args(false);
  tailCmd->add_option("--method", s.tail.method, "only requests with this method (repeatable)")->allow_extra_args(false);
  tailCmd->add_option("--search", s.tail.search, "only invocations with a log line or exception containing this");
  add(tailCmd, "tail", kAccount, [&s](Session& session) { return tail(session, s.scriptName, s.tail); });

  auto* kv = app.add_subcommand("kv", "manage KV namespaces and keys");
  kv->require_subcommand(1);
  auto* ns = kv->add_subcommand("namespace", "create, list or delete KV namespaces");
  ns->require_subcommand(1);
  auto* nsCreate = ns->add_subcommand("create", "create a namespace; prints its id");
  nsCreate->add_option("title", s.title, "the namespace's title, unique in the account")->required();
  add(nsCreate, "kv namespace create", kAccount, [&s](Session& session) { return createNamespace(session, s.title); });
  auto* nsList = ns->add_subcommand("list", "list the namespaces");
  add(nsList, "kv namespace list", kAccount, [](Session& session) { return listNamespaces(session); });
  auto* nsDelete = ns->add_subcommand("delete", "delete a namespace with its keys");
  nsDelete->add_option("id", s.namespaceId, "the namespace id")->required();
  add(nsDelete, "kv namespace delete", kAccount, [&s](Session& session) { return deleteNamespace(session, s.namespaceId); });

  auto* key = kv->add_subcommand("key", "put, get, delete or list keys");
  key->require_subcommand(1);
  auto* keyPut = key->add_subcommand("put", "write a key's value");
  keyPut->add_option("namespace", s.kv.ns, "the namespace id")->required();
  keyPut->add_option("key", s.kv.key, "the key")->required();
  s.kv.valueOption = keyPut->add_option("value", s.kv.value, "the value (or --path)");
  keyPut->add_option("--path", s.kv.path, "read the value from this file");
  s.kv.ttlOption = keyPut->add_option("--ttl", s.kv.ttl, "expire after this many seconds (at least 60)");
  s.kv.metadataOption = keyPut->add_option("--metadata", s.kv.metadata, "JSON metadata stored with the key");
  add(keyPut, "kv key put", kAccount, [&s](Session& session) { return putKey(session, s.kv); });
  auto* keyGet = key->add_subcommand("get", "print a key's value, byte for byte");
  keyGet->add_option("namespace", s.kv.ns, "the namespace id")->required();
  keyGet->add_option("key", s.kv.key, "the key")->required();
  add(keyGet, "kv key get", kAccount, [&s](Session& session) { return getKey(session, s.kv); });
  auto* keyDelete = key->add_subcommand("delete", "delete a key");
  keyDelete->add_option("namespace", s.kv.ns, "the namespace id")->required();
  keyDelete->add_option("key", s.kv.key, "the key")->required();
  add(keyDelete, "kv key delete", kAccount, [&s](Session& session) { return deleteKey(session, s.kv); });
  auto* keyList = key->add_subcommand("list", "list key names, one a line");
  keyList->add_option("namespace", s.kv.ns, "the namespace id")->required();
  keyList->add_option("--prefix", s.kv.prefix, "only keys that start with this");
  keyList->add_flag("--json", s.kv.asJson, "print the keys with their expiration and metadata as JSON");
  add(keyList, "kv key list", kAccount, [&s](Session& session) { return listKeys(session, s.kv); });
}

ClientCommands::~ClientCommands() = default;

std::optional<int> ClientCommands::run() const {
  for (const auto& command : commands_) {
    if (!*command.app) continue;
    auto session = Session::open(state_->connection);
    Status s = session.isOk() ? command.run(session.value()) : session.status();
    if (s.isOk()) return 0;
    std::fflush(stdout);
    fmt::print(stderr, "islet {}: {}\n", command.label, s.message());
    return 1;
  }
  return std::nullopt;
}

}  // namespace islet::cli
