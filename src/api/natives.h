// The API layer as the engine sees it: the native functions and JS files that make up a worker's global scope.
#pragma once

#include <span>

#include "engine/engine.h"

namespace islet::api {

// The JS files in load order (generated from ISLET_API_JS in CMakeLists.txt).
std::span<const engine::EmbeddedScript> scripts();
// warm_up.js: run once while the snapshot is built (see engine::ApiDefinition::warmUp).
std::span<const engine::EmbeddedScript> warmUpScripts();
// Natives + scripts: what the snapshot is built from and what every isolate is restored with.
engine::ApiDefinition definition();

}  // namespace islet::api
