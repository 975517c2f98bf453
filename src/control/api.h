// The management API: a Cloudflare v4-shaped REST API under /client/v4 over the node's stores.
//
// Every JSON answer uses Cloudflare's envelope {"success", "errors": [{"code", "message"}], "messages", "result"}.
// Authentication is `Authorization: Bearer <token>`; an admin token may act on any account, an account's token
// only on its own (any other account id answers 403, whether it exists or not). Not-found answers carry code
// 10007, as wrangler expects; an unknown endpoint answers 7000, which wrangler does not mistake for a missing
// script. Uploads are validated — compiled and their top level run, under limits, in a scratch isolate — before
// they become a version; a failing upload leaves what is live untouched. Secrets carry over from version to
// version; changing one (PUT/DELETE .../secrets) makes a new version from the live one and deploys it.
//
// Limits: an admin token may override an account's per-request limits (GET/PUT/DELETE /accounts/{id}/limits); they
// replace the process defaults (`validationLimits`, the `islet serve` flags) for that account's uploads and workers.
//
// Tails: POST .../tails answers a WebSocket URL, tailPath(id, secret) on this API's own host; the server hands a
// WebSocket request for it to the TailHub (server/tail_socket.h), where the secret is the credential.
//
// handle() is synchronous and thread-safe (the stores are); the server runs it on the API listener's thread.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "engine/engine.h"
#include "net/http_server.h"
#include "runtime/script_version.h"
#include "runtime/tail.h"
#include "store/store.h"

namespace islet::control {

// Prices for the usage report (Workers' current model by default) and the comparison with Lambda's 2018 model.
struct Pricing {
  double perMillionRequests = 0.30;
  double perMillionCpuMs = 0.02;
  double lambdaPerMillionRequests = 0.20;
  double lambdaPer100Ms128Mb = 0.000000208;
};

struct ApiOptions {
  std::string baseDomain = "islet.localhost";
  Pricing pricing;
  runtime::UploadLimits uploadLimits;
  runtime::WorkerLimits validationLimits;
  runtime::TailHub* tails = nullptr;  // live tails (wrangler tail); null: creating one answers an error
};

// The path of a tail's WebSocket, and its id and secret back from a request target (nullopt: not a tail path).
std::string tailPath(const std::string& id, const std::string& secret);
std::optional<std::pair<std::string, std::string>> parseTailPath(std::string_view target);

class ManagementApi {
 public:
  ManagementApi(const engine::Engine& engine, std::shared_ptr<store::ControlStore> control,
                std::shared_ptr<store::KvStore> kv, std::shared_ptr<store::UsageStore> usage,
                runtime::Metering* metering, ApiOptions options);

  net::Response handle(const net::Request& request);

  // Ensures an admin token exists: if `tokenFile` is missing, creates a token and writes its secret there
  // (mode 0600). Returns whether a new token was created.
  Result<bool> ensureAdminToken(const std::string& tokenFile);

 private:
  struct Call;
  net::Response route(Call& call);
  net::Response workers(Call& call, const store::Account& account);
  net::Response kv(Call& call);
  net::Response usage(Call& call);
  // GET/PUT/DELETE /accounts/{id}/limits: the operator's per-account limit overrides (admin token only).
  net::Response limits(Call& call, const std::string& accountId);
  // Parses a multipart upload into a version of `scriptName`, completes its bindings from the script's newest
  // version (inheritBindings), and validates it.
  Result<store::ScriptVersion> parseUpload(Call& call, const std::string& accountId, const std::string& scriptName);
  // Compiles a version and runs its top level, under limits, in a scratch isolate; checks its KV namespaces.
  Status validate(const store::ScriptVersion& version);
  // Completes the bindings of an upload's metadata from the script's newest version, if it has one: a binding of
  // type "inherit" takes that version's binding of its name (missing: an error when `strict`, else dropped);
  // secrets the upload does not name carry over, and so do bindings of the types in metadata.keep_bindings.
  Status inheritBindings(nlohmann::json& metadata, const std::string& accountId, const std::string& scriptName,
                         bool strict);
  net::Response secrets(Call& call, const store::Account& account, const std::string& scriptName);
  net::Response tails(Call& call, const std::string& accountId, const std::string& scriptName);

  const engine::Engine& engine_;
  std::shared_ptr<store::ControlStore> control_;
  std::shared_ptr<store::KvStore> kv_;
  std::shared_ptr<store::UsageStore> usage_;
  runtime::Metering* metering_;
  ApiOptions options_;
};

}  // namespace islet::control
