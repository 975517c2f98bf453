#include "cli/project.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <fstream>
#include <sstream>

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

}  // namespace

Result<Project> loadProject(const fs::path& input) {
  std::error_code ec;
  fs::path path = fs::absolute(input, ec);
  if (ec || !fs::exists(path)) return Status::notFound(fmt::format("{}: no such file or folder", input.string()));
  fs::path mainFile;
  std::string name;
  auto script = std::make_shared<runtime::Script>();
  std::vector<fs::path> watched;
  if (fs::is_directory(path)) {
    fs::path toml = path / "wrangler.toml";
    if (fs::exists(toml)) {
      watched.push_back(toml);
      toml::table config;
      try {
        config = toml::parse_file(toml.string());
      } catch (const toml::parse_error& err) {
        return Status::invalidArgument(fmt::format("{}:{}:{}: {}", toml.string(), err.source().begin.line,
                                                   err.source().begin.column, err.description()));
      }
      auto main = config["main"].value<std::string>();
      if (!main) return Status::invalidArgument(fmt::format("{}: no `main` entry", toml.string()));
      mainFile = path / *main;
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
          script->bindings.push_back(std::move(b));
        }
      }
    } else if (fs::exists(path / "index.js")) {
      mainFile = path / "index.js";
    } else {
      return Status::notFound(fmt::format("{}: no wrangler.toml or index.js", path.string()));
    }
    if (name.empty()) name = path.filename().string();
  } else {
    mainFile = path;
    name = path.stem().string();
  }
  if (!fs::exists(mainFile)) return Status::notFound(fmt::format("{}: no such file", mainFile.string()));
  fs::path root = mainFile.parent_path();
  script->name = name;
  script->mainModule = fs::relative(mainFile, root).generic_string();

  auto main = readFile(mainFile);
  if (!main.isOk()) return main.status();
  if (!looksLikeModule(main.value())) {
    script->syntax = runtime::ScriptSyntax::kServiceWorker;
    script->modules.push_back({script->mainModule, std::move(main.value()), engine::ModuleKind::kEsModule});
    watched.push_back(mainFile);
    return Project{std::move(script), std::move(watched)};
  }
  uintmax_t total = 0;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    std::string leaf = p.filename().string();
    if (it->is_directory() && (leaf == "node_modules" || leaf.starts_with("."))) {
      it.disable_recursion_pending();
      continue;
    }
    engine::ModuleKind kind;
    if (!it->is_regular_file() || !moduleKind(p, &kind)) continue;
    if (script->modules.size() >= kMaxFiles) {
      return Status::invalidArgument(fmt::format("{}: more than {} module files", root.string(), kMaxFiles));
    }
    auto content = readFile(p);
    if (!content.isOk()) return content.status();
    total += content.value().size();
    if (total > kMaxBytes) return Status::invalidArgument(fmt::format("{}: modules exceed 50 MB", root.string()));
    script->modules.push_back({fs::relative(p, root).generic_string(), std::move(content.value()), kind});
    watched.push_back(p);
  }
  return Project{std::move(script), std::move(watched)};
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
