// store: the durable state of an islet node, behind interfaces so higher layers never open a database.
//
// ControlStore holds what the management API manages: accounts (with the operator's limit overrides), API tokens,
// scripts and their immutable versions, deployments (which versions serve, by percentage), routes, cron
// schedules, secrets live inside versions.
// KvStore holds Workers KV namespaces and their entries. UsageStore (later) holds metering.
//
// Every mutating call is durable when it returns OK (SQLite WAL, synchronous=FULL): an acknowledged write survives
// kill -9. Calls are thread-safe; implementations serialise writers internally. Times are ms since the epoch.
// Ids are opaque strings made by the store (32 lower-case hex characters).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace islet::store {

struct Account {
  std::string id;
  std::string name;  // unique, a lower-case DNS label
  int64_t createdMs = 0;
};

// The operator's overrides of the per-request limits for one account (tenant). Each field left empty means the
// process default (the `islet serve` flags). Values are whole numbers >= 1; the management API checks their ranges.
struct AccountLimits {
  std::optional<int64_t> cpuMs;        // CPU time per request, for scripts that do not ask for their own
  std::optional<int64_t> maxCpuMs;     // the most a script may ask for (metadata limits.cpu_ms)
  std::optional<int64_t> wallMs;       // wall time per request
  std::optional<int64_t> heapMb;       // heap per isolate
  std::optional<int64_t> subrequests;  // subrequests per request
  std::optional<int64_t> connections;  // subrequests in flight per request

  bool empty() const { return !cpuMs && !maxCpuMs && !wallMs && !heapMb && !subrequests && !connections; }
  bool operator==(const AccountLimits&) const = default;
};

struct Token {
  std::string id;
  std::string accountId;  // empty for an admin token
  std::string name;
  int64_t createdMs = 0;
  bool revoked = false;
};

// One module of a script version, as uploaded.
struct ModuleBlob {
  std::string name;         // "index.js", "lib/x.js", "app.wasm"
  std::string contentType;  // "application/javascript+module", "text/javascript", "application/wasm", ...
  std::string data;
};

struct ScriptVersion {
  std::string id;
  std::string accountId;
  std::string scriptName;
  int64_t number = 0;        // 1, 2, 3... per script
  int64_t createdMs = 0;
  std::string metadataJson;  // the upload's metadata part (main_module, bindings, compatibility_date, ...)
  std::string source;        // who uploaded it: "api", "wrangler", "islet-cli"
  std::vector<ModuleBlob> modules;
};

struct ScriptInfo {
  std::string accountId;
  std::string name;
  int64_t createdMs = 0;
  int64_t modifiedMs = 0;
};

struct DeploymentVersion {
  std::string versionId;
  double percentage = 100;
};

// Which versions serve a script's traffic; the newest deployment is the live one.
struct Deployment {
  std::string id;
  std::string accountId;
  std::string scriptName;
  int64_t createdMs = 0;
  std::string message;  // "upload", "rollback", ...
  std::vector<DeploymentVersion> versions;
};

struct Route {
  std::string id;
  std::string accountId;
  std::string pattern;  // "api.example.com/v1/*"
  std::string scriptName;
};

struct Schedule {
  std::string cron;
  int64_t createdMs = 0;
};

class ControlStore {
 public:
  virtual ~ControlStore() = default;

  // Accounts. createAccount fails with kAlreadyExists for a taken name.
  virtual Result<Account> createAccount(const std::string& name) = 0;
  virtual Result<Account> getAccount(const std::string& id) = 0;                // kNotFound
  virtual Result<Account> getAccountByName(const std::string& name) = 0;        // kNotFound
  virtual Result<std::vector<Account>> listAccounts() = 0;

  // Per-account limit overrides. getAccountLimits answers an empty AccountLimits for an account without any, and
  // kNotFound for no such account. setAccountLimits replaces the account's overrides as a whole (an empty one
  // removes them; kNotFound for no such account, kInvalidArgument for a value below 1) and, like a deploy, moves
  // the generation, so the data plane reloads the account's workers. allAccountLimits lists every account that has
  // overrides, by account id.
  virtual Result<AccountLimits> getAccountLimits(const std::string& accountId) = 0;
  virtual Status setAccountLimits(const std::string& accountId, const AccountLimits& limits) = 0;
  virtual Result<std::map<std::string, AccountLimits>> allAccountLimits() = 0;

  // Tokens: only a hash of the secret is stored; findTokenByHash compares hashes (callers hash the presented secret).
  virtual Result<Token> createToken(const std::string& accountId, const std::string& name,
                                    const std::string& secretHash) = 0;
  virtual Result<Token> findTokenByHash(const std::string& secretHash) = 0;    // kNotFound, also when revoked
  virtual Result<std::vector<Token>> listTokens(const std::string& accountId) = 0;
  virtual Status revokeToken(const std::string& accountId, const std::string& tokenId) = 0;  // kNotFound

  // Scripts and versions. addVersion assigns id, number and createdMs, creates the script if new, and — when
  // `deploy` is true — records a deployment that sends 100 % to the new version, all in one transaction.
  virtual Result<ScriptVersion> addVersion(ScriptVersion version, bool deploy, const std::string& message) = 0;
  virtual Result<ScriptVersion> getVersion(const std::string& accountId, const std::string& scriptName,
                                           const std::string& versionId) = 0;  // kNotFound
  virtual Result<std::vector<ScriptVersion>> listVersions(const std::string& accountId,
                                                          const std::string& scriptName) = 0;  // newest first, no module data
  virtual Result<std::vector<ScriptInfo>> listScripts(const std::string& accountId) = 0;
  virtual Result<ScriptInfo> getScript(const std::string& accountId, const std::string& scriptName) = 0;  // kNotFound
  // Deletes the script with its versions, deployments, routes and schedules.
  virtual Status deleteScript(const std::string& accountId, const std::string& scriptName) = 0;

  // Deployments. addDeployment checks that every version belongs to the script and percentages sum to 100.
  virtual Result<Deployment> addDeployment(const std::string& accountId, const std::string& scriptName,
                                           std::vector<DeploymentVersion> versions, const std::string& message) = 0;
  virtual Result<std::vector<Deployment>> listDeployments(const std::string& accountId,
                                                          const std::string& scriptName) = 0;  // newest first
  // Every script's live deployment (what the data plane serves), for loading at start.
  virtual Result<std::vector<Deployment>> liveDeployments() = 0;

  // Routes: a pattern is unique across all accounts (kAlreadyExists).
  virtual Result<Route> addRoute(const std::string& accountId, const std::string& pattern,
                                 const std::string& scriptName) = 0;
  virtual Result<std::vector<Route>> listRoutes(const std::string& accountId) = 0;
  virtual Result<std::vector<Route>> allRoutes() = 0;
  virtual Status deleteRoute(const std::string& accountId, const std::string& routeId) = 0;

  // Cron schedules of a script: replaced as a whole.
  virtual Status setSchedules(const std::string& accountId, const std::string& scriptName,
                              const std::vector<std::string>& crons) = 0;
  virtual Result<std::vector<Schedule>> getSchedules(const std::string& accountId, const std::string& scriptName) = 0;
  // Every script's schedules, for the cron scheduler.
  struct ScheduledScript {
    std::string accountId;
    std::string scriptName;
    std::string cron;
  };
  virtual Result<std::vector<ScheduledScript>> allSchedules() = 0;

  // A monotonically increasing counter bumped by every change that affects what serves (versions, deployments,
  // routes, deletes, account limits): the data plane reloads its routing table when it moves.
  virtual int64_t generation() = 0;
};

struct KvNamespace {
  std::string id;
  std::string accountId;
  std::string title;
};

struct KvEntry {
  std::string value;
  std::optional<int64_t> expirationSec;  // absolute, seconds since the epoch
  std::string metadataJson;              // empty: none
};

struct KvKey {
  std::string name;
  std::optional<int64_t> expirationSec;
  std::string metadataJson;
};

struct KvListResult {
  std::vector<KvKey> keys;  // sorted by name (bytewise)
  std::string cursor;       // empty when complete
};

class KvStore {
 public:
  virtual ~KvStore() = default;
  virtual Result<KvNamespace> createNamespace(const std::string& accountId, const std::string& title) = 0;  // title unique per account
  virtual Result<std::vector<KvNamespace>> listNamespaces(const std::string& accountId) = 0;
  virtual Result<KvNamespace> getNamespace(const std::string& accountId, const std::string& namespaceId) = 0;
  virtual Status deleteNamespace(const std::string& accountId, const std::string& namespaceId) = 0;

  // Entries. An expired entry reads as kNotFound (nowSec passed by the caller, so tests control time).
  virtual Status put(const std::string& namespaceId, const std::string& key, KvEntry entry) = 0;
  virtual Result<KvEntry> get(const std::string& namespaceId, const std::string& key, int64_t nowSec) = 0;
  virtual Status remove(const std::string& namespaceId, const std::string& key) = 0;  // OK if absent
  // Keys >= the cursor position with the prefix, at most `limit` (1..1000).
  virtual Result<KvListResult> list(const std::string& namespaceId, const std::string& prefix,
                                    const std::string& cursor, int limit, int64_t nowSec) = 0;
};

// Metering aggregated per account, script and minute. Adding a record for an existing (account, script, minute)
// adds to its counters.
struct UsageRecord {
  std::string accountId;
  std::string scriptName;
  int64_t minute = 0;  // minutes since the epoch
  int64_t requests = 0;
  int64_t errors = 0;       // invocations that did not end with a response from the worker
  int64_t cpuUs = 0;
  int64_t wallUs = 0;
  int64_t subrequests = 0;
  int64_t bytesIn = 0;
  int64_t bytesOut = 0;
  int64_t wallBilledMs = 0;  // each invocation's wall time rounded up to 100 ms (Lambda's 2018 billing unit)

  void add(const UsageRecord& o) {
    requests += o.requests;
    errors += o.errors;
    cpuUs += o.cpuUs;
    wallUs += o.wallUs;
    subrequests += o.subrequests;
    bytesIn += o.bytesIn;
    bytesOut += o.bytesOut;
    wallBilledMs += o.wallBilledMs;
  }
};

class UsageStore {
 public:
  virtual ~UsageStore() = default;
  // Adds the records' counters in one transaction.
  virtual Status add(const std::vector<UsageRecord>& records) = 0;
  // The account's records with sinceMinute <= minute < untilMinute, ordered by minute then script.
  virtual Result<std::vector<UsageRecord>> query(const std::string& accountId, int64_t sinceMinute,
                                                 int64_t untilMinute) = 0;
};

// V8's code cache of one module of a script version, as the data plane made it after compiling the module, so
// that later loads of the version (after eviction, on another thread, after a restart) skip the compile. `tag` is
// V8's CachedDataVersionTag (its version and flags) when it was made. A cache is an optimisation: losing one costs
// a compile, so readers treat any failure as "none", and writes are not durable at once (no fsync of their own: a
// crash may lose the last ones, never corrupt them) — unlike every other write in this file.
struct CodeCacheEntry {
  std::string versionId;
  std::string module;  // the module's name in the version
  uint32_t tag = 0;
  std::string data;
};

class CodeCacheStore {
 public:
  virtual ~CodeCacheStore() = default;
  // The version's entries made under `tag` (none: an empty list).
  virtual Result<std::vector<CodeCacheEntry>> getCodeCache(const std::string& versionId, uint32_t tag) = 0;
  // Adds the entries in one transaction, each replacing the version's entry for its module (whatever its tag).
  // Entries of versions that no longer exist are skipped; a deleted version's entries go with it.
  virtual Status putCodeCache(const std::vector<CodeCacheEntry>& entries) = 0;
};

// The embedded default: one SQLite file at `path` (created if missing) holding every store.
struct SqliteStores {
  std::shared_ptr<ControlStore> control;
  std::shared_ptr<KvStore> kv;
  std::shared_ptr<UsageStore> usage;
  std::shared_ptr<CodeCacheStore> codeCache;
};
Result<SqliteStores> openSqlite(const std::string& path);

}  // namespace islet::store
