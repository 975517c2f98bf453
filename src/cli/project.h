// A worker project on disk, as `islet dev` and `islet deploy` read it: a worker file, or a folder with a
// wrangler.toml, an index.js or an index.ts. Every module file below the main module's folder (skipping
// node_modules and dot-folders) is loaded, so relative imports resolve without a bundler. A project that imports
// packages by name or is written in TypeScript is bundled with esbuild into one module instead (bundle.h).
//
// From wrangler.toml, `name`, `main` and `[vars]` shape the Script that `islet dev` runs; `compatibility_date`,
// `[[kv_namespaces]]`, `[triggers] crons` and `routes`/`route` only matter to a deploy and are kept apart in
// DeployConfig, so a project that names a KV namespace still runs in `islet dev` (without that binding).
// Plain functions over the file system; any thread may call them.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/worker.h"

namespace islet::cli {

// What a deploy sends beyond the Script: read from wrangler.toml, empty when there is none.
struct DeployConfig {
  struct KvNamespace {
    std::string binding;  // the name the worker sees: env.BINDING
    std::string id;       // the namespace id on the platform
  };
  std::string compatibilityDate;                  // YYYY-MM-DD, or empty
  std::vector<KvNamespace> kvNamespaces;
  std::optional<std::vector<std::string>> crons;  // set when wrangler.toml has [triggers] crons (maybe empty)
  std::vector<std::string> routes;                // "host/path*" patterns
};

struct Project {
  std::shared_ptr<const runtime::Script> script;
  std::vector<std::filesystem::path> files;  // what to watch for changes
  DeployConfig deploy;
};

struct ProjectOptions {
  // Replaces wrangler.toml's `main` (or a folder's index.js); relative paths are taken from the current folder.
  // Only for a folder: given with a worker file it is an error.
  std::filesystem::path main;
};

// Reads the project at `path`, bundling it when it needs it. kNotFound when the path, its wrangler.toml/index.js
// or its main module is missing, or when it needs esbuild and none can be had; kInvalidArgument for a malformed
// wrangler.toml (with file:line:column), too many/too large modules, or a bundle that fails.
Result<Project> loadProject(const std::filesystem::path& path, const ProjectOptions& options = {});

// A fingerprint of the files' sizes and modification times, to notice a change.
std::string fingerprint(const std::vector<std::filesystem::path>& files);

}  // namespace islet::cli
