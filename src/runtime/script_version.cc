#include "runtime/script_version.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace islet::runtime {

namespace {

bool validBindingName(const std::string& name) {
  if (name.empty() || name.size() > 256) return false;
  if (!(isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_' || name[0] == '$')) return false;
  for (char c : name) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$')) return false;
  }
  return true;
}

std::string baseType(const std::string& contentType) {
  std::string t = contentType.substr(0, contentType.find(';'));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  for (char& c : t) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return t;
}

}  // namespace

Result<std::shared_ptr<const Script>> scriptFromVersion(const store::ScriptVersion& version,
                                                        const UploadLimits& limits) {
  using nlohmann::json;
  json meta = json::parse(version.metadataJson, nullptr, false);
  if (meta.is_discarded() || !meta.is_object()) return Status::invalidArgument("metadata is not a JSON object");
  auto script = std::make_shared<Script>();
  script->name = version.scriptName;
  script->accountId = version.accountId;
  script->versionId = version.id;

  size_t total = 0;
  for (const auto& m : version.modules) total += m.data.size();
  if (total > limits.maxScriptBytes) {
    return Status::invalidArgument(
        fmt::format("script too large: {} bytes, the limit is {} bytes", total, limits.maxScriptBytes));
  }

  std::string main;
  if (meta.contains("main_module") && meta["main_module"].is_string()) {
    main = meta["main_module"].get<std::string>();
    script->syntax = ScriptSyntax::kModules;
  } else if (meta.contains("body_part") && meta["body_part"].is_string()) {
    main = meta["body_part"].get<std::string>();
    script->syntax = ScriptSyntax::kServiceWorker;
  } else {
    return Status::invalidArgument("metadata needs main_module (ES modules) or body_part (service worker)");
  }
  script->mainModule = main;

  bool foundMain = false;
  for (const auto& m : version.modules) {
    std::string type = baseType(m.contentType);
    engine::ModuleKind kind;
    if (type == "application/javascript+module" || type == "text/javascript+module") {
      kind = engine::ModuleKind::kEsModule;
    } else if (type == "application/javascript" || type == "text/javascript") {
      // A classic script: the service worker's body part; a module worker may not import it.
      kind = engine::ModuleKind::kEsModule;
      if (m.name != main) continue;
    } else if (type == "application/json") {
      kind = engine::ModuleKind::kJson;
    } else if (type == "text/plain") {
      kind = engine::ModuleKind::kText;
    } else if (type == "application/octet-stream") {
      kind = engine::ModuleKind::kData;
    } else if (type == "application/wasm") {
      kind = engine::ModuleKind::kWasm;
    } else if (type == "application/source-map") {
      continue;  // newer wrangler uploads source maps; islet does not use them yet
    } else {
      return Status::invalidArgument(fmt::format("module {}: unsupported content type \"{}\"", m.name, m.contentType));
    }
    if (m.name == main) foundMain = true;
    script->modules.push_back({m.name, m.data, kind});
  }
  if (!foundMain) return Status::invalidArgument(fmt::format("the main module \"{}\" is not among the parts", main));
  if (script->syntax == ScriptSyntax::kServiceWorker) {
    // Only the body part runs; a wasm_module binding carries its part's bytes itself.
    std::erase_if(script->modules, [&](const engine::ModuleSource& m) { return m.name != main; });
  }

  if (meta.contains("limits")) {
    const json& l = meta["limits"];
    if (!l.is_object()) return Status::invalidArgument("metadata.limits must be an object");
    if (l.contains("cpu_ms")) {
      if (!l["cpu_ms"].is_number_integer() || l["cpu_ms"].get<int64_t>() < 1) {
        return Status::invalidArgument("metadata.limits.cpu_ms must be a positive integer");
      }
      script->cpuLimitMs = l["cpu_ms"].get<int64_t>();
    }
  }

  if (meta.contains("bindings")) {
    const json& bindings = meta["bindings"];
    if (!bindings.is_array()) return Status::invalidArgument("metadata.bindings must be an array");
    if (bindings.size() > limits.maxBindings) {
      return Status::invalidArgument(fmt::format("too many bindings: {}, the limit is {}", bindings.size(), limits.maxBindings));
    }
    for (const auto& b : bindings) {
      if (!b.is_object() || !b.contains("name") || !b["name"].is_string() || !b.contains("type") ||
          !b["type"].is_string()) {
        return Status::invalidArgument("each binding needs a string name and type");
      }
      Binding binding;
      binding.name = b["name"].get<std::string>();
      std::string type = b["type"].get<std::string>();
      if (!validBindingName(binding.name)) {
        return Status::invalidArgument(fmt::format("binding name \"{}\" is not a valid JavaScript identifier", binding.name));
      }
      if (type == "plain_text" || type == "secret_text") {
        if (!b.contains("text") || !b["text"].is_string()) {
          return Status::invalidArgument(fmt::format("binding {}: {} needs a string \"text\"", binding.name, type));
        }
        binding.value = b["text"].get<std::string>();
      } else if (type == "json") {
        if (!b.contains("json")) return Status::invalidArgument(fmt::format("binding {}: json needs \"json\"", binding.name));
        binding.type = Binding::Type::kJson;
        binding.value = b["json"].dump();
      } else if (type == "kv_namespace") {
        if (!b.contains("namespace_id") || !b["namespace_id"].is_string()) {
          return Status::invalidArgument(fmt::format("binding {}: kv_namespace needs a namespace_id", binding.name));
        }
        binding.type = Binding::Type::kKvNamespace;
        binding.value = b["namespace_id"].get<std::string>();
      } else if (type == "service") {
        if (!b.contains("service") || !b["service"].is_string()) {
          return Status::invalidArgument(fmt::format("binding {}: service needs a \"service\" (a script name)", binding.name));
        }
        binding.type = Binding::Type::kService;
        binding.value = b["service"].get<std::string>();
      } else if (type == "wasm_module") {
        if (!b.contains("part") || !b["part"].is_string()) {
          return Status::invalidArgument(fmt::format("binding {}: wasm_module needs the \"part\" that holds it", binding.name));
        }
        std::string part = b["part"].get<std::string>();
        auto it = std::find_if(version.modules.begin(), version.modules.end(),
                               [&](const store::ModuleBlob& m) { return m.name == part; });
        if (it == version.modules.end() || baseType(it->contentType) != "application/wasm") {
          return Status::invalidArgument(
              fmt::format("binding {}: no application/wasm part named \"{}\" in the upload", binding.name, part));
        }
        binding.type = Binding::Type::kWasmModule;
        binding.value = it->data;
      } else {
        return Status::invalidArgument(fmt::format("binding {}: unsupported binding type \"{}\"", binding.name, type));
      }
      if ((binding.type == Binding::Type::kText || binding.type == Binding::Type::kJson) &&
          binding.value.size() > limits.maxVarBytes) {
        return Status::invalidArgument(
            fmt::format("binding {}: {} bytes, the limit is {} bytes", binding.name, binding.value.size(), limits.maxVarBytes));
      }
      script->bindings.push_back(std::move(binding));
    }
  }
  return std::shared_ptr<const Script>(std::move(script));
}

}  // namespace islet::runtime
