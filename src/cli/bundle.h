// Bundling a worker project with esbuild, for `islet dev` and `islet deploy`. islet loads relative ES imports by
// itself; a project that imports packages by name (`import { Hono } from 'hono'`) or is written in TypeScript needs
// a bundler first, and that bundler is esbuild, run as a child process with the options wrangler uses (one ES
// module, target es2022, conditions workerd/worker/browser).
//
// esbuild comes from the npm registry: the project's node_modules/.bin/esbuild (in its folder or one above), else
// islet's cache ($XDG_CACHE_HOME or ~/.cache, then islet/esbuild), where it is installed with npm on first need.
// Plain functions; any thread may call them (they block while a child process runs).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"

namespace islet::cli {

// Why the worker whose main module is `entry` needs a bundler ("src/index.ts is TypeScript", "src/app.js imports
// 'hono'"), found by following its relative imports and reading their import/export statements; empty when every
// module it reaches loads as it is.
std::string bundlingReason(const std::filesystem::path& entry);

struct Bundle {
  std::string code;   // one ES module with every package and TypeScript file inlined
  bool hasExports;    // false for a service-worker script (addEventListener, no exports)
  std::vector<std::filesystem::path> sources;  // the project's own files that went in (not node_modules)
  std::vector<std::filesystem::path> wasm;     // .wasm files it imports, kept as separate modules
};

// Bundles the worker whose main module is `entry`. Finds esbuild (installing it into the cache if needed, which it
// reports on stderr) and prints esbuild's warnings on stderr. kNotFound, saying what to run, when there is no
// esbuild and npm cannot install one; kInvalidArgument with esbuild's messages when the bundle fails.
Result<Bundle> bundleWorker(const std::filesystem::path& entry);

// The esbuild executable for a project in `projectDir`, installed into the cache when neither the project nor the
// cache has one.
Result<std::filesystem::path> findEsbuild(const std::filesystem::path& projectDir);

}  // namespace islet::cli
