// A worker project on disk, as `islet dev` (and later `islet deploy`) reads it: a worker file, or a folder with a
// wrangler.toml (its `name`, `main`, `[vars]`) or an index.js. Every module file below the main module's folder
// (skipping node_modules and dot-folders) is loaded, so relative imports resolve without a bundler.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/worker.h"

namespace islet::cli {

struct Project {
  std::shared_ptr<const runtime::Script> script;
  std::vector<std::filesystem::path> files;  // what to watch for changes
};

Result<Project> loadProject(const std::filesystem::path& path);

// A fingerprint of the files' sizes and modification times, to notice a change.
std::string fingerprint(const std::vector<std::filesystem::path>& files);

}  // namespace islet::cli
