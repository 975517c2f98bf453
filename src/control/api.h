// The management API: a Cloudflare v4-shaped REST API under /client/v4 over the node's stores.
//
// Every JSON answer uses Cloudflare's envelope {"success", "errors": [{"code", "message"}], "messages", "result"}.
// Authentication is `Authorization: Bearer <token>`; an admin token may act on any account, an account's token
// only on its own (any other account id answers 403, whether it exists or not). Not-found answers carry code
// 10007, as wrangler expects. Uploads are validated — compiled and their top level run, under limits, in a
// scratch isolate — before they become a version; a failing upload leaves what is live untouched.
//
// handle() is synchronous and thread-safe (the stores are); the server runs it on the API listener's thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "net/http_server.h"
#include "runtime/script_version.h"
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
};

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
  // Parses a multipart upload into a version of `scriptName` and validates it in a scratch isolate.
  Result<store::ScriptVersion> parseUpload(Call& call, const std::string& accountId, const std::string& scriptName);

  const engine::Engine& engine_;
  std::shared_ptr<store::ControlStore> control_;
  std::shared_ptr<store::KvStore> kv_;
  std::shared_ptr<store::UsageStore> usage_;
  runtime::Metering* metering_;
  ApiOptions options_;
};

}  // namespace islet::control
