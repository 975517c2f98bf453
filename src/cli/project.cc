#include "cli/project.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "cli/bundle.h"

namespace islet::cli {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxFiles = 1000;
constexpr uintmax_t kMaxBytes = 50u << 20;

Result<std::string> readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Status::notFound(fmt::format("cannot read {}", p.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool moduleKind(const fs::path& p, engine::ModuleKind* kind) {
  std::string ext = p.extension().string();
  if (ext == ".js" || ext == ".mjs") {
    *kind = engine::ModuleKind::kEsModule;
  } else if (ext == ".json") {
    *kind = engine::ModuleKind::kJson;
  } else if (ext == ".txt" || ext == ".html") {
    *kind = engine::ModuleKind::kText;
  } else if (ext == ".bin") {
    *kind = engine::ModuleKind::kData;
  } else if (ext == ".wasm") {
    *kind = engine::ModuleKind::kWasm;
  } else {
    return false;
  }
  return true;
}

// ES module syntax, as wrangler decides it: the main module exports or imports something.
bool looksLikeModule(const std::string& source) {
  for (const char* needle : {"export default", "export {", "export async", "export function", "export const", "import "}) {
    if (source.find(needle) != std::string::npos) return true;
  }
  return false;
}

// A wrangler route: "host/path*" or a table with a `pattern` (and a zone, which islet does not need).
std::optional<std::string> routePattern(const toml::node& node) {
  if (auto s = node.value<std::string>()) return *s;
  if (auto* t = node.as_table()) return (*t)["pattern"].value<std::string>();
  return std::nullopt;
}

Status tomlError(const fs::path& toml, const toml::node& node, std::string_view what) {
  const auto& where = node.source().begin;
  return Status::invalidArgument(fmt::format("{}:{}:{}: {}", toml.string(), where.line, where.column, what));
}

// Reads wrangler.toml: `name` and `main` into `name` and `mainFile`, `[vars]` into the script's bindings, and
// what only a deploy needs into `deploy`.
Status readWranglerToml(const fs::path& toml, runtime::Script& script, DeployConfig& deploy, fs::path& mainFile,
                        std::string& name) {
  toml::table config;
  try {
    config = toml::parse_file(toml.string());
  } catch (const toml::parse_error& err) {
    return Status::invalidArgument(fmt::format("{}:{}:{}: {}", toml.string(), err.source().begin.line,
                                               err.source().begin.column, err.description()));
  }
  if (auto main = config["main"].value<std::string>()) mainFile = toml.parent_path() / *main;
  name = config["name"].value_or(std::string());
  if (auto* vars = config["vars"].as_table()) {
    for (const auto& [key, value] : *vars) {
      runtime::Binding b;
      b.name = std::string(key.str());
      if (auto s = value.value<std::string>()) {
        b.value = *s;
      } else {
        // Non-string vars are JSON values in wrangler.
        std::ostringstream os;
        os << toml::json_formatter(toml::table{{"v", value}});
        std::string wrapped = os.str();  // {"v": ...}
        size_t colon = wrapped.find(':');
        size_t end = wrapped.rfind('}');
        b.type = runtime::Binding::Type::kJson;
        b.value = wrapped.substr(colon + 1, end - colon - 1);
      }
      script.bindings.push_back(std::move(b));
    }
  }

  if (auto* date = config.get("compatibility_date")) {
    if (auto s = date->value<std::string>()) {
      deploy.compatibilityDate = *s;
    } else if (auto d = date->value<toml::date>()) {
      deploy.compatibilityDate = fmt::format("{:04}-{:02}-{:02}", d->year, d->month, d->day);
    } else {
      return tomlError(toml, *date, "compatibility_date must be a date such as \"2024-01-01\"");
    }
  }
  if (auto* namespaces = config.get("kv_namespaces")) {
    auto* list = namespaces->as_array();
    if (!list) return tomlError(toml, *namespaces, "kv_namespaces must be an array of tables: [[kv_namespaces]]");
    for (const auto& entry : *list) {
      auto* t = entry.as_table();
      auto binding = t ? (*t)["binding"].value<std::string>() : std::nullopt;
      auto id = t ? (*t)["id"].value<std::string>() : std::nullopt;
      if (!binding || !id) return tomlError(toml, entry, "each [[kv_namespaces]] needs a `binding` and an `id`");
      deploy.kvNamespaces.push_back({*binding, *id});
    }
  }
  if (auto* triggers = config.get("triggers")) {
    auto* crons = triggers->is_table() ? (*triggers->as_table())["crons"].as_array() : nullptr;
    if (!crons) return tomlError(toml, *triggers, "[triggers] needs crons = [\"*/5 * * * *\", ...]");
    deploy.crons.emplace();
    for (const auto& cron : *crons) {
      auto s = cron.value<std::string>();
      if (!s) return tomlError(toml, cron, "each cron must be a string");
      deploy.crons->push_back(*s);
    }
  }
  if (auto* routes = config.get("routes")) {
    auto* list = routes->as_array();
    if (!list) return tomlError(toml, *routes, "routes must be an array: routes = [\"example.com/*\"]");
    for (const auto& route : *list) {
      auto pattern = routePattern(route);
      if (!pattern) return tomlError(toml, route, "a route is \"host/path*\" or { pattern = \"host/path*\" }");
      deploy.routes.push_back(*pattern);
    }
  }
  if (auto* route = config.get("route")) {
    auto pattern = routePattern(*route);
    if (!pattern) return tomlError(toml, *route, "route is \"host/path*\" or { pattern = \"host/path*\" }");
    deploy.routes.push_back(*pattern);
  }
  return Status::ok();
}

// The project as one module that esbuild made from `mainFile`, plus the Wasm modules it imports; the project's own
// files that went into it are what to watch.
Result<Project> loadBundled(const fs::path& mainFile, const std::string& reason,
                            std::shared_ptr<runtime::Script> script, std::vector<fs::path> watched,
                            DeployConfig deploy) {
  auto bundle = bundleWorker(mainFile);
  if (!bundle.isOk()) {
    std::string message = fmt::format("{}, so it is bundled with esbuild: {}", reason, bundle.status().message());
    return bundle.status().code() == StatusCode::kNotFound ? Status::notFound(message)
                                                           : Status::invalidArgument(message);
  }
  fs::path root = mainFile.parent_path();
  script->mainModule = fs::path(fs::relative(mainFile, root)).replace_extension(".js").generic_string();
  script->syntax = bundle->hasExports ? runtime::ScriptSyntax::kModules : runtime::ScriptSyntax::kServiceWorker;
  script->modules.push_back({script->mainModule, std::move(bundle->code), engine::ModuleKind::kEsModule});
  for (const auto& wasm : bundle->wasm) {
    auto bytes = readFile(wasm);
    if (!bytes.isOk()) return bytes.status();
    script->modules.push_back({fs::relative(wasm, root).generic_string(), std::move(bytes.value()),
                               engine::ModuleKind::kWasm});
    watched.push_back(wasm);
  }
  watched.insert(watched.end(), bundle->sources.begin(), bundle->sources.end());
  return Project{std::move(script), std::move(watched), std::move(deploy)};
}

}  // namespace

Result<Project> loadProject(const fs::path& input, const ProjectOptions& options) {
  std::error_code ec;
  fs::path path = fs::absolute(input, ec).lexically_normal();
  if (ec || !fs::exists(path)) return Status::notFound(fmt::format("{}: no such file or folder", input.string()));
  if (!path.has_filename()) path = path.parent_path();  // "." and "dir/" name the folder itself
  fs::path mainFile;
  std::string name;
  auto script = std::make_shared<runtime::Script>();
  DeployConfig deploy;
  std::vector<fs::path> watched;
  if (fs::is_directory(path)) {
    fs::path toml = path / "wrangler.toml";
    if (fs::exists(toml)) {
      watched.push_back(toml);
      Status s = readWranglerToml(toml, *script, deploy, mainFile, name);
      if (!s.isOk()) return s;
    } else if (fs::exists(path / "index.js")) {
      mainFile = path / "index.js";
    } else if (fs::exists(path / "index.ts")) {
      mainFile = path / "index.ts";
    } else if (options.main.empty()) {
      return Status::notFound(fmt::format("{}: no wrangler.toml, index.js or index.ts", path.string()));
    }
    if (!options.main.empty()) mainFile = fs::absolute(options.main, ec);
    if (mainFile.empty()) return Status::invalidArgument(fmt::format("{}: no `main` entry", toml.string()));
    if (name.empty()) name = path.filename().string();
  } else {
    if (!options.main.empty()) {
      return Status::invalidArgument(fmt::format("{} is a worker file; a main module applies to a project folder",
                                                 input.string()));
    }
    mainFile = path;
    name = path.stem().string();
  }
  mainFile = mainFile.lexically_normal();
  if (!fs::is_regular_file(mainFile)) return Status::notFound(fmt::format("{}: no such file", mainFile.string()));
  fs::path root = mainFile.parent_path();
  script->name = name;
  if (std::string reason = bundlingReason(mainFile); !reason.empty()) {
    return loadBundled(mainFile, reason, std::move(script), std::move(watched), std::move(deploy));
  }
  script->mainModule = fs::relative(mainFile, root).generic_string();

  auto main = readFile(mainFile);
  if (!main.isOk()) return main.status();
  if (!looksLikeModule(main.value())) {
    script->syntax = runtime::ScriptSyntax::kServiceWorker;
    script->modules.push_back({script->mainModule, std::move(main.value()), engine::ModuleKind::kEsModule});
    watched.push_back(mainFile);
    return Project{std::move(script), std::move(watched), std::move(deploy)};
  }
  uintmax_t total = 0;
  size_t count = 0;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    std::string leaf = p.filename().string();
    if (it->is_directory() && (leaf == "node_modules" || leaf.starts_with("."))) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    engine::ModuleKind kind = engine::ModuleKind::kEsModule;
    if (!moduleKind(p, &kind)) continue;
    if (++count > kMaxFiles) {
      return Status::invalidArgument(fmt::format("{}: more than {} module files", root.string(), kMaxFiles));
    }
    auto content = readFile(p);
    if (!content.isOk()) return content.status();
    total += content.value().size();
    if (total > kMaxBytes) return Status::invalidArgument(fmt::format("{}: modules exceed 50 MB", root.string()));
    std::string moduleName = fs::relative(p, root).generic_string();
    script->modules.push_back({std::move(moduleName), std::move(content.value()), kind});
    watched.push_back(p);
  }
  return Project{std::move(script), std::move(watched), std::move(deploy)};
}

std::string fingerprint(const std::vector<fs::path>& files) {
  std::string out;
  for (const auto& f : files) {
    std::error_code ec;
    auto size = fs::file_size(f, ec);
    auto time = fs::last_write_time(f, ec);
    out += fmt::format("{}:{}:{};", f.string(), ec ? 0 : size, ec ? 0 : time.time_since_epoch().count());
  }
  return out;
}

}  // namespace islet::cli
