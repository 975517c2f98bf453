// From a stored, uploaded version (modules + Cloudflare-style metadata JSON) to the runtime's Script.
#pragma once

#include <memory>

#include "base/status.h"
#include "runtime/worker.h"
#include "store/store.h"

namespace islet::runtime {

// Limits a script upload must meet (Workers' own where they exist).
struct UploadLimits {
  size_t maxScriptBytes = 10u << 20;  // all modules together
  size_t maxBindings = 128;
  size_t maxVarBytes = 5 * 1024;      // one plain_text / secret_text / json binding
};

// Parses `version.metadataJson` (main_module or body_part, bindings, compatibility_date/flags) and the modules.
// Fails with kInvalidArgument and a message naming the problem (missing main module, unknown binding type, ...).
Result<std::shared_ptr<const Script>> scriptFromVersion(const store::ScriptVersion& version,
                                                        const UploadLimits& limits = {});

}  // namespace islet::runtime
