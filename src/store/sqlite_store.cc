// The embedded backend of store.h: every store on one SQLite file (see sqlite_db.h for the connections, their
// locking and error mapping).
//
// Sessions: a method that only reads uses readSession(), so it never waits for a write transaction (the metering
// flush, a deploy); a method that writes, including the reads that decide its write, uses one session() with one
// transaction.
//
// Layout: every table keeps an AUTOINCREMENT `seq` where order matters, so "newest first" is exact even when two
// rows share a millisecond. Versions, deployments and schedules hang off `scripts` with ON DELETE CASCADE; modules,
// code caches and deployment rows hang off their version/deployment; KV entries off their namespace.
// `meta.generation` counts the changes that affect serving and is bumped in the same transaction as the change.
#include "store/sqlite_store.h"

#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "store/sqlite_db.h"
#include "store/store.h"

namespace islet::store {
namespace {

constexpr size_t kMaxKeyBytes = 512;            // Workers KV key limit
constexpr size_t kMaxValueBytes = 25u << 20;    // Workers KV value limit (25 MiB)
constexpr int kMaxListLimit = 1000;
constexpr double kPercentageTolerance = 0.001;

// kMigrations[i] takes a database from schema version i to i + 1 (PRAGMA user_version). Append, never edit.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (key, value) VALUES ('generation', 0);

CREATE TABLE IF NOT EXISTS accounts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS tokens (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  account_id TEXT REFERENCES accounts (id),  -- NULL for an admin token
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tokens_by_account ON tokens (account_id);

CREATE TABLE IF NOT EXISTS scripts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  name TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  modified_ms INTEGER NOT NULL,
  UNIQUE (account_id, name)
);

CREATE TABLE IF NOT EXISTS versions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL,
  script_name TEXT NOT NULL,
  number INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  metadata_json TEXT NOT NULL,
  source TEXT NOT NULL,
  UNIQUE (account_id, script_name, number),
  FOREIGN KEY (account_id, script_name) REFERENCES scripts (account_id, name) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS modules (
  version_id TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (version_id, ordinal),
  UNIQUE (version_id, name)
);

CREATE TABLE IF NOT EXISTS deployments (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL,
  script_name TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  message TEXT NOT NULL,
  FOREIGN KEY (account_id, script_name) REFERENCES scripts (account_id, name) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS deployments_by_script ON deployments (account_id, script_name, seq);

CREATE TABLE IF NOT EXISTS deployment_versions (
  deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,
  version_id TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
  percentage REAL NOT NULL,
  PRIMARY KEY (deployment_id, ordinal)
);
CREATE INDEX IF NOT EXISTS deployment_versions_by_version ON deployment_versions (version_id);

CREATE TABLE IF NOT EXISTS routes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  pattern TEXT NOT NULL UNIQUE,
  script_name TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS routes_by_script ON routes (account_id, script_name);

CREATE TABLE IF NOT EXISTS schedules (
  account_id TEXT NOT NULL,
  script_name TEXT NOT NULL,
  ordinal INTEGER NOT NULL,
  cron TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (account_id, script_name, ordinal),
  FOREIGN KEY (account_id, script_name) REFERENCES scripts (account_id, name) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS kv_namespaces (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  title TEXT NOT NULL,
  UNIQUE (account_id, title)
);

-- Keys are always bound as BLOBs, so SQLite orders and compares them bytewise (memcmp).
CREATE TABLE IF NOT EXISTS kv_entries (
  namespace_id TEXT NOT NULL REFERENCES kv_namespaces (id) ON DELETE CASCADE,
  key BLOB NOT NULL,
  value BLOB NOT NULL,
  expiration INTEGER,  -- seconds since the epoch; NULL: never
  metadata TEXT NOT NULL,
  PRIMARY KEY (namespace_id, key)
);
)sql",
    R"sql(
CREATE TABLE IF NOT EXISTS usage (
  account_id TEXT NOT NULL,
  script_name TEXT NOT NULL,
  minute INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  cpu_us INTEGER NOT NULL,
  wall_us INTEGER NOT NULL,
  subrequests INTEGER NOT NULL,
  bytes_in INTEGER NOT NULL,
  bytes_out INTEGER NOT NULL,
  wall_billed_ms INTEGER NOT NULL,
  PRIMARY KEY (account_id, minute, script_name)
) WITHOUT ROWID;
)sql",
    R"sql(
-- The operator's limit overrides, one row per account that has any; NULL: the process default.
CREATE TABLE IF NOT EXISTS account_limits (
  account_id TEXT PRIMARY KEY REFERENCES accounts (id),
  cpu_ms INTEGER,
  max_cpu_ms INTEGER,
  wall_ms INTEGER,
  heap_mb INTEGER,
  subrequests INTEGER,
  connections INTEGER
) WITHOUT ROWID;
)sql",
    R"sql(
CREATE TABLE IF NOT EXISTS code_cache (
  version_id TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
  module TEXT NOT NULL,
  tag INTEGER NOT NULL,  -- V8's CachedDataVersionTag
  data BLOB NOT NULL,
  PRIMARY KEY (version_id, module)
) WITHOUT ROWID;
)sql",
};
constexpr int kSchemaVersion = sizeof kMigrations / sizeof kMigrations[0];

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string toHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::optional<std::string> fromHex(std::string_view hex) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

// 128 random bits from the CSPRNG as 32 lower-case hex characters.
Result<std::string> newId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return Status::internal("store: the CSPRNG (RAND_bytes) failed");
  return toHex(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

bool isDnsLabel(const std::string& s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// The smallest string above every string that starts with `prefix`, or nullopt when there is none (an empty prefix,
// or one of only 0xff bytes).
std::optional<std::string> prefixUpperBound(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (prefix.empty()) return std::nullopt;
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

Status checkKey(const std::string& key) {
  if (key.empty()) return Status::invalidArgument("kv: a key must not be empty");
  if (key.size() > kMaxKeyBytes) {
    return Status::invalidArgument("kv: key of " + std::to_string(key.size()) + " bytes exceeds the limit of " +
                                   std::to_string(kMaxKeyBytes));
  }
  return Status::ok();
}

Status requireAccount(SqliteDb::Reader& s, const std::string& accountId) {
  STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT 1 FROM accounts WHERE id = ?1"));
  st.bindText(1, accountId);
  STORE_ASSIGN_OR_RETURN(bool found, st.step());
  if (!found) return Status::notFound("account not found: " + accountId);
  return Status::ok();
}

Status requireScript(SqliteDb::Reader& s, const std::string& accountId, const std::string& scriptName) {
  STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT 1 FROM scripts WHERE account_id = ?1 AND name = ?2"));
  st.bindText(1, accountId).bindText(2, scriptName);
  STORE_ASSIGN_OR_RETURN(bool found, st.step());
  if (!found) return Status::notFound("script not found: " + scriptName);
  return Status::ok();
}

Status requireNamespace(SqliteDb::Reader& s, const std::string& namespaceId) {
  STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT 1 FROM kv_namespaces WHERE id = ?1"));
  st.bindText(1, namespaceId);
  STORE_ASSIGN_OR_RETURN(bool found, st.step());
  if (!found) return Status::notFound("kv namespace not found: " + namespaceId);
  return Status::ok();
}

// Column order: id, name, created_ms.
Account readAccount(const Statement& st) {
  return Account{st.columnBytes(0), st.columnBytes(1), st.columnInt(2)};
}

constexpr char kAccountLimitsColumns[] = "cpu_ms, max_cpu_ms, wall_ms, heap_mb, subrequests, connections";
// Column order: kAccountLimitsColumns from `first` on.
AccountLimits readAccountLimits(const Statement& st, int first) {
  auto column = [&](int i) -> std::optional<int64_t> {
    if (st.columnIsNull(first + i)) return std::nullopt;
    return st.columnInt(first + i);
  };
  return AccountLimits{column(0), column(1), column(2), column(3), column(4), column(5)};
}

// Column order: id, account_id, name, created_ms, revoked.
Token readToken(const Statement& st) {
  return Token{st.columnBytes(0), st.columnBytes(1), st.columnBytes(2), st.columnInt(3), st.columnInt(4) != 0};
}

constexpr char kVersionColumns[] = "id, account_id, script_name, number, created_ms, metadata_json, source";
ScriptVersion readVersion(const Statement& st) {
  ScriptVersion v;
  v.id = st.columnBytes(0);
  v.accountId = st.columnBytes(1);
  v.scriptName = st.columnBytes(2);
  v.number = st.columnInt(3);
  v.createdMs = st.columnInt(4);
  v.metadataJson = st.columnBytes(5);
  v.source = st.columnBytes(6);
  return v;
}

// Column order: account_id, name, created_ms, modified_ms.
ScriptInfo readScript(const Statement& st) {
  return ScriptInfo{st.columnBytes(0), st.columnBytes(1), st.columnInt(2), st.columnInt(3)};
}

// Column order: id, account_id, pattern, script_name.
Route readRoute(const Statement& st) {
  return Route{st.columnBytes(0), st.columnBytes(1), st.columnBytes(2), st.columnBytes(3)};
}

// Column order: id, account_id, title.
KvNamespace readNamespace(const Statement& st) {
  return KvNamespace{st.columnBytes(0), st.columnBytes(1), st.columnBytes(2)};
}

// Reads the rows of a deployments ⋈ deployment_versions query, one row per version, grouped by deployment in the
// query's order. Column order: d.id, d.account_id, d.script_name, d.created_ms, d.message, dv.version_id,
// dv.percentage.
Result<std::vector<Deployment>> readDeployments(Statement& st) {
  std::vector<Deployment> out;
  while (true) {
    STORE_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    std::string id = st.columnBytes(0);
    if (out.empty() || out.back().id != id) {
      Deployment d;
      d.id = std::move(id);
      d.accountId = st.columnBytes(1);
      d.scriptName = st.columnBytes(2);
      d.createdMs = st.columnInt(3);
      d.message = st.columnBytes(4);
      out.push_back(std::move(d));
    }
    out.back().versions.push_back(DeploymentVersion{st.columnBytes(5), st.columnDouble(6)});
  }
  return out;
}

constexpr char kDeploymentSelect[] =
    "SELECT d.id, d.account_id, d.script_name, d.created_ms, d.message, dv.version_id, dv.percentage "
    "FROM deployments d JOIN deployment_versions dv ON dv.deployment_id = d.id ";

// Inserts a deployment (validated by the caller) inside the caller's transaction.
Result<Deployment> insertDeployment(SqliteDb::Session& s, const std::string& accountId,
                                    const std::string& scriptName, std::vector<DeploymentVersion> versions,
                                    const std::string& message, int64_t createdMs) {
  STORE_ASSIGN_OR_RETURN(std::string id, newId());
  {
    STORE_ASSIGN_OR_RETURN(Statement st,
                           s.prepare("INSERT INTO deployments (id, account_id, script_name, created_ms, message) "
                                     "VALUES (?1, ?2, ?3, ?4, ?5)"));
    st.bindText(1, id).bindText(2, accountId).bindText(3, scriptName).bindInt(4, createdMs).bindText(5, message);
    STORE_RETURN_IF_ERROR(st.run());
  }
  for (size_t i = 0; i < versions.size(); ++i) {
    STORE_ASSIGN_OR_RETURN(Statement st,
                           s.prepare("INSERT INTO deployment_versions (deployment_id, ordinal, version_id, "
                                     "percentage) VALUES (?1, ?2, ?3, ?4)"));
    st.bindText(1, id).bindInt(2, static_cast<int64_t>(i)).bindText(3, versions[i].versionId);
    st.bindDouble(4, versions[i].percentage);
    STORE_RETURN_IF_ERROR(st.run());
  }
  return Deployment{std::move(id), accountId, scriptName, createdMs, message, std::move(versions)};
}

Status validateDeploymentVersions(const std::vector<DeploymentVersion>& versions) {
  if (versions.empty() || versions.size() > 2) {
    return Status::invalidArgument("a deployment names 1 or 2 versions, not " + std::to_string(versions.size()));
  }
  double sum = 0;
  for (const auto& v : versions) {
    if (!std::isfinite(v.percentage) || v.percentage < 0 || v.percentage > 100) {
      return Status::invalidArgument("a deployment percentage must be between 0 and 100");
    }
    sum += v.percentage;
  }
  if (std::fabs(sum - 100) > kPercentageTolerance) {
    return Status::invalidArgument("deployment percentages must sum to 100, not " + std::to_string(sum));
  }
  if (versions.size() == 2 && versions[0].versionId == versions[1].versionId) {
    return Status::invalidArgument("a deployment names version " + versions[0].versionId + " twice");
  }
  return Status::ok();
}

Status validateModules(const std::vector<ModuleBlob>& modules) {
  if (modules.empty()) return Status::invalidArgument("a script version needs at least one module");
  std::set<std::string_view> names;
  for (const auto& m : modules) {
    if (m.name.empty()) return Status::invalidArgument("a module name must not be empty");
    if (!names.insert(m.name).second) return Status::invalidArgument("duplicate module name: " + m.name);
  }
  return Status::ok();
}

// ---- ControlStore ----

class SqliteControlStore final : public ControlStore {
 public:
  SqliteControlStore(std::shared_ptr<SqliteDb> db, int64_t generation) : db_(std::move(db)), generation_(generation) {}

  Result<Account> createAccount(const std::string& name) override {
    if (!isDnsLabel(name)) return Status::invalidArgument("an account name must be a lower-case DNS label: " + name);
    auto s = db_->session();
    STORE_RETURN_IF_ERROR(s.begin());
    {
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT 1 FROM accounts WHERE name = ?1"));
      st.bindText(1, name);
      STORE_ASSIGN_OR_RETURN(bool taken, st.step());
      if (taken) return Status::alreadyExists("account name taken: " + name);
    }
    STORE_ASSIGN_OR_RETURN(std::string id, newId());
    Account account{std::move(id), name, nowMs()};
    {
      STORE_ASSIGN_OR_RETURN(Statement st,
                             s.prepare("INSERT INTO accounts (id, name, created_ms) VALUES (?1, ?2, ?3)"));
      st.bindText(1, account.id).bindText(2, account.name).bindInt(3, account.createdMs);
      STORE_RETURN_IF_ERROR(st.run());
    }
    STORE_RETURN_IF_ERROR(s.commit());
    return account;
  }

  Result<Account> getAccount(const std::string& id) override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT id, name, created_ms FROM accounts WHERE id = ?1"));
    st.bindText(1, id);
    STORE_ASSIGN_OR_RETURN(bool found, st.step());
    if (!found) return Status::notFound("account not found: " + id);
    return readAccount(st);
  }

  Result<Account> getAccountByName(const std::string& name) override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT id, name, created_ms FROM accounts WHERE name = ?1"));
    st.bindText(1, name);
    STORE_ASSIGN_OR_RETURN(bool found, st.step());
    if (!found) return Status::notFound("account not found: " + name);
    return readAccount(st);
  }

  Result<std::vector<Account>> listAccounts() override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT id, name, created_ms FROM accounts ORDER BY name"));
    std::vector<Account> out;
    while (true) {
      STORE_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      out.push_back(readAccount(st));
    }
    return out;
  }

  Result<AccountLimits> getAccountLimits(const std::string& accountId) override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_RETURN_IF_ERROR(requireAccount(s, accountId));
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare(std::string("SELECT ") + kAccountLimitsColumns +
                                                   " FROM account_limits WHERE account_id = ?1"));
    st.bindText(1, accountId);
    STORE_ASSIGN_OR_RETURN(bool found, st.step());
    if (!found) return AccountLimits{};
    return readAccountLimits(st, 0);
  }

  Status setAccountLimits(const std::string& accountId, const AccountLimits& limits) override {
    for (const auto& value : {limits.cpuMs, limits.maxCpuMs, limits.wallMs, limits.heapMb, limits.subrequests,
                              limits.connections}) {
      if (value && *value < 1) return Status::invalidArgument("an account limit must be at least 1");
    }
    auto s = db_->session();
    STORE_RETURN_IF_ERROR(s.begin());
    STORE_RETURN_IF_ERROR(requireAccount(s, accountId));
    if (limits.empty()) {
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("DELETE FROM account_limits WHERE account_id = ?1"));
      st.bindText(1, accountId);
      STORE_RETURN_IF_ERROR(st.run());
    } else {
      STORE_ASSIGN_OR_RETURN(Statement st,
                             s.prepare(std::string("INSERT OR REPLACE INTO account_limits (account_id, ") +
                                       kAccountLimitsColumns + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
      st.bindText(1, accountId).bindOptionalInt(2, limits.cpuMs).bindOptionalInt(3, limits.maxCpuMs);
      st.bindOptionalInt(4, limits.wallMs).bindOptionalInt(5, limits.heapMb);
      st.bindOptionalInt(6, limits.subrequests).bindOptionalInt(7, limits.connections);
      STORE_RETURN_IF_ERROR(st.run());
    }
    return commitServingChange(s);
  }

  Result<std::map<std::string, AccountLimits>> allAccountLimits() override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare(std::string("SELECT account_id, ") + kAccountLimitsColumns +
                                                   " FROM account_limits"));
    std::map<std::string, AccountLimits> out;
    while (true) {
      STORE_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      out.emplace(st.columnBytes(0), readAccountLimits(st, 1));
    }
    return out;
  }

  Result<Token> createToken(const std::string& accountId, const std::string& name,
                            const std::string& secretHash) override {
    if (secretHash.empty()) return Status::invalidArgument("a token needs a secret hash");
    auto s = db_->session();
    STORE_RETURN_IF_ERROR(s.begin());
    if (!accountId.empty()) STORE_RETURN_IF_ERROR(requireAccount(s, accountId));
    {
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT 1 FROM tokens WHERE secret_hash = ?1"));
      st.bindText(1, secretHash);
      STORE_ASSIGN_OR_RETURN(bool taken, st.step());
      if (taken) return Status::alreadyExists("a token with this secret already exists");
    }
    STORE_ASSIGN_OR_RETURN(std::string id, newId());
    Token token{std::move(id), accountId, name, nowMs(), false};
    {
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("INSERT INTO tokens (id, account_id, name, secret_hash, "
                                                     "created_ms) VALUES (?1, ?2, ?3, ?4, ?5)"));
      st.bindText(1, token.id);
      if (accountId.empty()) {
        st.bindNull(2);
      } else {
        st.bindText(2, accountId);
      }
      st.bindText(3, name).bindText(4, secretHash).bindInt(5, token.createdMs);
      STORE_RETURN_IF_ERROR(st.run());
    }
    STORE_RETURN_IF_ERROR(s.commit());
    return token;
  }

  Result<Token> findTokenByHash(const std::string& secretHash) override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT id, account_id, name, created_ms, revoked FROM tokens "
                                                   "WHERE secret_hash = ?1 AND revoked = 0"));
    st.bindText(1, secretHash);
    STORE_ASSIGN_OR_RETURN(bool found, st.step());
    if (!found) return Status::notFound("no such token");
    return readToken(st);
  }

  Result<std::vector<Token>> listTokens(const std::string& accountId) override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    // `IS` matches NULL too, so an empty accountId lists the admin tokens.
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT id, account_id, name, created_ms, revoked FROM tokens "
                                                   "WHERE account_id IS ?1 ORDER BY seq"));
    if (accountId.empty()) {
      st.bindNull(1);
    } else {
      st.bindText(1, accountId);
    }
    std::vector<Token> out;
    while (true) {
      STORE_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      out.push_back(readToken(st));
    }
    return out;
  }

  Status revokeToken(const std::string& accountId, const std::string& tokenId) override {
    auto s = db_->session();
    STORE_RETURN_IF_ERROR(s.begin());
    STORE_ASSIGN_OR_RETURN(Statement st,
                           s.prepare("UPDATE tokens SET revoked = 1 WHERE id = ?1 AND account_id IS ?2"));
    st.bindText(1, tokenId);
    if (accountId.empty()) {
      st.bindNull(2);
    } else {
      st.bindText(2, accountId);
    }
    STORE_RETURN_IF_ERROR(st.run());
    if (st.changes() == 0) return Status::notFound("token not found: " + tokenId);
    return s.commit();
  }

  Result<ScriptVersion> addVersion(ScriptVersion version, bool deploy, const std::string& message) override {
    if (version.accountId.empty()) return Status::invalidArgument("a script version needs an account");
    if (version.scriptName.empty()) return Status::invalidArgument("a script version needs a script name");
    STORE_RETURN_IF_ERROR(validateModules(version.modules));
    STORE_ASSIGN_OR_RETURN(version.id, newId());

    auto s = db_->session();
    STORE_RETURN_IF_ERROR(s.begin());
    STORE_RETURN_IF_ERROR(requireAccount(s, version.accountId));
    version.createdMs = nowMs();
    {
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("INSERT INTO scripts (account_id, name, created_ms, "
                                                     "modified_ms) VALUES (?1, ?2, ?3, ?3) "
                                                     "ON CONFLICT (account_id, name) DO UPDATE SET "
                                                     "modified_ms = excluded.modified_ms"));
      st.bindText(1, version.accountId).bindText(2, version.scriptName).bindInt(3, version.createdMs);
      STORE_RETURN_IF_ERROR(st.run());
    }
    {
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT COALESCE(MAX(number), 0) + 1 FROM versions "
                                                     "WHERE account_id = ?1 AND script_name = ?2"));
      st.bindText(1, version.accountId).bindText(2, version.scriptName);
      STORE_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) return Status::internal("store: MAX(number) returned no row");
      version.number = st.columnInt(0);
    }
    {
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("INSERT INTO versions (id, account_id, script_name, number, "
                                                     "created_ms, metadata_json, source) "
                                                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
      st.bindText(1, version.id).bindText(2, version.accountId).bindText(3, version.scriptName);
      st.bindInt(4, version.number).bindInt(5, version.createdMs).bindText(6, version.metadataJson);
      st.bindText(7, version.source);
      STORE_RETURN_IF_ERROR(st.run());
    }
    for (size_t i = 0; i < version.modules.size(); ++i) {
      const ModuleBlob& m = version.modules[i];
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("INSERT INTO modules (version_id, ordinal, name, "
                                                     "content_type, data) VALUES (?1, ?2, ?3, ?4, ?5)"));
      st.bindText(1, version.id).bindInt(2, static_cast<int64_t>(i)).bindText(3, m.name);
      st.bindText(4, m.contentType).bindBlob(5, m.data);
      STORE_RETURN_IF_ERROR(st.run());
    }
    if (deploy) {
      STORE_RETURN_IF_ERROR(insertDeployment(s, version.accountId, version.scriptName,
                                             {DeploymentVersion{version.id, 100}}, message, version.createdMs));
    }
    STORE_RETURN_IF_ERROR(commitServingChange(s));
    return version;
  }

  Result<ScriptVersion> getVersion(const std::string& accountId, const std::string& scriptName,
                                   const std::string& versionId) override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    ScriptVersion version;
    {
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare(std::string("SELECT ") + kVersionColumns +
                                                     " FROM versions WHERE id = ?1 AND account_id = ?2 AND "
                                                     "script_name = ?3"));
      st.bindText(1, versionId).bindText(2, accountId).bindText(3, scriptName);
      STORE_ASSIGN_OR_RETURN(bool found, st.step());
      if (!found) return Status::notFound("version not found: " + versionId);
      version = readVersion(st);
    }
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT name, content_type, data FROM modules "
                                                   "WHERE version_id = ?1 ORDER BY ordinal"));
    st.bindText(1, versionId);
    while (true) {
      STORE_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      version.modules.push_back(ModuleBlob{st.columnBytes(0), st.columnBytes(1), st.columnBytes(2)});
    }
    return version;
  }

  Result<std::vector<ScriptVersion>> listVersions(const std::string& accountId,
                                                  const std::string& scriptName) override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_RETURN_IF_ERROR(requireScript(s, accountId, scriptName));
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare(std::string("SELECT ") + kVersionColumns +
                                                   " FROM versions WHERE account_id = ?1 AND script_name = ?2 "
                                                   "ORDER BY seq DESC"));
    st.bindText(1, accountId).bindText(2, scriptName);
    std::vector<ScriptVersion> out;
    while (true) {
      STORE_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      out.push_back(readVersion(st));
    }
    return out;
  }

  Result<std::vector<ScriptInfo>> listScripts(const std::string& accountId) override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT account_id, name, created_ms, modified_ms FROM scripts "
                                                   "WHERE account_id = ?1 ORDER BY name"));
    st.bindText(1, accountId);
    std::vector<ScriptInfo> out;
    while (true) {
      STORE_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      out.push_back(readScript(st));
    }
    return out;
  }

  Result<ScriptInfo> getScript(const std::string& accountId, const std::string& scriptName) override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT account_id, name, created_ms, modified_ms FROM scripts "
                                                   "WHERE account_id = ?1 AND name = ?2"));
    st.bindText(1, accountId).bindText(2, scriptName);
    STORE_ASSIGN_OR_RETURN(bool found, st.step());
    if (!found) return Status::notFound("script not found: " + scriptName);
    return readScript(st);
  }

  Status deleteScript(const std::string& accountId, const std::string& scriptName) override {
    auto s = db_->session();
    STORE_RETURN_IF_ERROR(s.begin());
    {
      // Versions (with their modules), deployments and schedules go by ON DELETE CASCADE.
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("DELETE FROM scripts WHERE account_id = ?1 AND name = ?2"));
      st.bindText(1, accountId).bindText(2, scriptName);
      STORE_RETURN_IF_ERROR(st.run());
      if (st.changes() == 0) return Status::notFound("script not found: " + scriptName);
    }
    {
      STORE_ASSIGN_OR_RETURN(Statement st,
                             s.prepare("DELETE FROM routes WHERE account_id = ?1 AND script_name = ?2"));
      st.bindText(1, accountId).bindText(2, scriptName);
      STORE_RETURN_IF_ERROR(st.run());
    }
    return commitServingChange(s);
  }

  Result<Deployment> addDeployment(const std::string& accountId, const std::string& scriptName,
                                   std::vector<DeploymentVersion> versions, const std::string& message) override {
    STORE_RETURN_IF_ERROR(validateDeploymentVersions(versions));
    auto s = db_->session();
    STORE_RETURN_IF_ERROR(s.begin());
    STORE_RETURN_IF_ERROR(requireScript(s, accountId, scriptName));
    for (const auto& v : versions) {
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT 1 FROM versions WHERE id = ?1 AND account_id = ?2 AND "
                                                     "script_name = ?3"));
      st.bindText(1, v.versionId).bindText(2, accountId).bindText(3, scriptName);
      STORE_ASSIGN_OR_RETURN(bool found, st.step());
      if (!found) {
        return Status::invalidArgument("version " + v.versionId + " is not a version of script " + scriptName);
      }
    }
    STORE_ASSIGN_OR_RETURN(Deployment d,
                           insertDeployment(s, accountId, scriptName, std::move(versions), message, nowMs()));
    STORE_RETURN_IF_ERROR(commitServingChange(s));
    return d;
  }

  Result<std::vector<Deployment>> listDeployments(const std::string& accountId,
                                                  const std::string& scriptName) override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_RETURN_IF_ERROR(requireScript(s, accountId, scriptName));
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare(std::string(kDeploymentSelect) +
                                                   "WHERE d.account_id = ?1 AND d.script_name = ?2 "
                                                   "ORDER BY d.seq DESC, dv.ordinal"));
    st.bindText(1, accountId).bindText(2, scriptName);
    return readDeployments(st);
  }

  Result<std::vector<Deployment>> liveDeployments() override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare(std::string(kDeploymentSelect) +
                                                   "WHERE d.seq IN (SELECT MAX(seq) FROM deployments "
                                                   "GROUP BY account_id, script_name) "
                                                   "ORDER BY d.account_id, d.script_name, dv.ordinal"));
    return readDeployments(st);
  }

  Result<Route> addRoute(const std::string& accountId, const std::string& pattern,
                         const std::string& scriptName) override {
    if (pattern.empty()) return Status::invalidArgument("a route needs a pattern");
    if (scriptName.empty()) return Status::invalidArgument("a route needs a script name");
    auto s = db_->session();
    STORE_RETURN_IF_ERROR(s.begin());
    STORE_RETURN_IF_ERROR(requireAccount(s, accountId));
    {
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT 1 FROM routes WHERE pattern = ?1"));
      st.bindText(1, pattern);
      STORE_ASSIGN_OR_RETURN(bool taken, st.step());
      if (taken) return Status::alreadyExists("route pattern already in use: " + pattern);
    }
    STORE_ASSIGN_OR_RETURN(std::string id, newId());
    Route route{std::move(id), accountId, pattern, scriptName};
    {
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("INSERT INTO routes (id, account_id, pattern, script_name) "
                                                     "VALUES (?1, ?2, ?3, ?4)"));
      st.bindText(1, route.id).bindText(2, accountId).bindText(3, pattern).bindText(4, scriptName);
      STORE_RETURN_IF_ERROR(st.run());
    }
    STORE_RETURN_IF_ERROR(commitServingChange(s));
    return route;
  }

  Result<std::vector<Route>> listRoutes(const std::string& accountId) override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT id, account_id, pattern, script_name FROM routes "
                                                   "WHERE account_id = ?1 ORDER BY seq"));
    st.bindText(1, accountId);
    return readRoutes(st);
  }

  Result<std::vector<Route>> allRoutes() override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_ASSIGN_OR_RETURN(Statement st,
                           s.prepare("SELECT id, account_id, pattern, script_name FROM routes ORDER BY seq"));
    return readRoutes(st);
  }

  Status deleteRoute(const std::string& accountId, const std::string& routeId) override {
    auto s = db_->session();
    STORE_RETURN_IF_ERROR(s.begin());
    {
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("DELETE FROM routes WHERE id = ?1 AND account_id = ?2"));
      st.bindText(1, routeId).bindText(2, accountId);
      STORE_RETURN_IF_ERROR(st.run());
      if (st.changes() == 0) return Status::notFound("route not found: " + routeId);
    }
    return commitServingChange(s);
  }

  Status setSchedules(const std::string& accountId, const std::string& scriptName,
                      const std::vector<std::string>& crons) override {
    for (const auto& cron : crons) {
      if (cron.empty()) return Status::invalidArgument("a cron expression must not be empty");
    }
    auto s = db_->session();
    STORE_RETURN_IF_ERROR(s.begin());
    STORE_RETURN_IF_ERROR(requireScript(s, accountId, scriptName));
    {
      STORE_ASSIGN_OR_RETURN(Statement st,
                             s.prepare("DELETE FROM schedules WHERE account_id = ?1 AND script_name = ?2"));
      st.bindText(1, accountId).bindText(2, scriptName);
      STORE_RETURN_IF_ERROR(st.run());
    }
    int64_t now = nowMs();
    for (size_t i = 0; i < crons.size(); ++i) {
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("INSERT INTO schedules (account_id, script_name, ordinal, "
                                                     "cron, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)"));
      st.bindText(1, accountId).bindText(2, scriptName).bindInt(3, static_cast<int64_t>(i));
      st.bindText(4, crons[i]).bindInt(5, now);
      STORE_RETURN_IF_ERROR(st.run());
    }
    return commitServingChange(s);
  }

  Result<std::vector<Schedule>> getSchedules(const std::string& accountId, const std::string& scriptName) override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_RETURN_IF_ERROR(requireScript(s, accountId, scriptName));
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT cron, created_ms FROM schedules "
                                                   "WHERE account_id = ?1 AND script_name = ?2 ORDER BY ordinal"));
    st.bindText(1, accountId).bindText(2, scriptName);
    std::vector<Schedule> out;
    while (true) {
      STORE_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      out.push_back(Schedule{st.columnBytes(0), st.columnInt(1)});
    }
    return out;
  }

  Result<std::vector<ScheduledScript>> allSchedules() override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT account_id, script_name, cron FROM schedules "
                                                   "ORDER BY account_id, script_name, ordinal"));
    std::vector<ScheduledScript> out;
    while (true) {
      STORE_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      out.push_back(ScheduledScript{st.columnBytes(0), st.columnBytes(1), st.columnBytes(2)});
    }
    return out;
  }

  int64_t generation() override { return generation_.load(std::memory_order_acquire); }

 private:
  static Result<std::vector<Route>> readRoutes(Statement& st) {
    std::vector<Route> out;
    while (true) {
      STORE_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      out.push_back(readRoute(st));
    }
    return out;
  }

  // Bumps meta.generation inside the open transaction, commits, and publishes the new value once it is durable.
  Status commitServingChange(SqliteDb::Session& s) {
    {
      STORE_ASSIGN_OR_RETURN(Statement st,
                             s.prepare("UPDATE meta SET value = value + 1 WHERE key = 'generation'"));
      STORE_RETURN_IF_ERROR(st.run());
    }
    int64_t generation = 0;
    {
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT value FROM meta WHERE key = 'generation'"));
      STORE_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) return Status::internal("store: the generation counter is missing");
      generation = st.columnInt(0);
    }
    STORE_RETURN_IF_ERROR(s.commit());
    // Stored under the session's lock, so concurrent writers publish in commit order.
    generation_.store(generation, std::memory_order_release);
    return Status::ok();
  }

  std::shared_ptr<SqliteDb> db_;
  std::atomic<int64_t> generation_;
};

// ---- KvStore ----

class SqliteKvStore final : public KvStore {
 public:
  explicit SqliteKvStore(std::shared_ptr<SqliteDb> db) : db_(std::move(db)) {}

  Result<KvNamespace> createNamespace(const std::string& accountId, const std::string& title) override {
    if (title.empty()) return Status::invalidArgument("a kv namespace needs a title");
    auto s = db_->session();
    STORE_RETURN_IF_ERROR(s.begin());
    STORE_RETURN_IF_ERROR(requireAccount(s, accountId));
    {
      STORE_ASSIGN_OR_RETURN(Statement st,
                             s.prepare("SELECT 1 FROM kv_namespaces WHERE account_id = ?1 AND title = ?2"));
      st.bindText(1, accountId).bindText(2, title);
      STORE_ASSIGN_OR_RETURN(bool taken, st.step());
      if (taken) return Status::alreadyExists("a kv namespace with this title exists: " + title);
    }
    STORE_ASSIGN_OR_RETURN(std::string id, newId());
    KvNamespace ns{std::move(id), accountId, title};
    {
      STORE_ASSIGN_OR_RETURN(Statement st,
                             s.prepare("INSERT INTO kv_namespaces (id, account_id, title) VALUES (?1, ?2, ?3)"));
      st.bindText(1, ns.id).bindText(2, accountId).bindText(3, title);
      STORE_RETURN_IF_ERROR(st.run());
    }
    STORE_RETURN_IF_ERROR(s.commit());
    return ns;
  }

  Result<std::vector<KvNamespace>> listNamespaces(const std::string& accountId) override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT id, account_id, title FROM kv_namespaces "
                                                   "WHERE account_id = ?1 ORDER BY title"));
    st.bindText(1, accountId);
    std::vector<KvNamespace> out;
    while (true) {
      STORE_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      out.push_back(readNamespace(st));
    }
    return out;
  }

  Result<KvNamespace> getNamespace(const std::string& accountId, const std::string& namespaceId) override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT id, account_id, title FROM kv_namespaces "
                                                   "WHERE id = ?1 AND account_id = ?2"));
    st.bindText(1, namespaceId).bindText(2, accountId);
    STORE_ASSIGN_OR_RETURN(bool found, st.step());
    if (!found) return Status::notFound("kv namespace not found: " + namespaceId);
    return readNamespace(st);
  }

  Status deleteNamespace(const std::string& accountId, const std::string& namespaceId) override {
    auto s = db_->session();
    STORE_RETURN_IF_ERROR(s.begin());
    {
      // Its entries go by ON DELETE CASCADE.
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("DELETE FROM kv_namespaces WHERE id = ?1 AND account_id = ?2"));
      st.bindText(1, namespaceId).bindText(2, accountId);
      STORE_RETURN_IF_ERROR(st.run());
      if (st.changes() == 0) return Status::notFound("kv namespace not found: " + namespaceId);
    }
    return s.commit();
  }

  Status put(const std::string& namespaceId, const std::string& key, KvEntry entry) override {
    STORE_RETURN_IF_ERROR(checkKey(key));
    if (entry.value.size() > kMaxValueBytes) {
      return Status::invalidArgument("kv: value of " + std::to_string(entry.value.size()) +
                                     " bytes exceeds the limit of " + std::to_string(kMaxValueBytes));
    }
    auto s = db_->session();
    STORE_RETURN_IF_ERROR(s.begin());
    STORE_RETURN_IF_ERROR(requireNamespace(s, namespaceId));
    {
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("INSERT INTO kv_entries (namespace_id, key, value, expiration, "
                                                     "metadata) VALUES (?1, ?2, ?3, ?4, ?5) "
                                                     "ON CONFLICT (namespace_id, key) DO UPDATE SET "
                                                     "value = excluded.value, expiration = excluded.expiration, "
                                                     "metadata = excluded.metadata"));
      st.bindText(1, namespaceId).bindBlob(2, key).bindBlob(3, entry.value);
      st.bindOptionalInt(4, entry.expirationSec).bindText(5, entry.metadataJson);
      STORE_RETURN_IF_ERROR(st.run());
    }
    return s.commit();
  }

  Result<KvEntry> get(const std::string& namespaceId, const std::string& key, int64_t nowSec) override {
    STORE_RETURN_IF_ERROR(checkKey(key));
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT value, expiration, metadata FROM kv_entries "
                                                   "WHERE namespace_id = ?1 AND key = ?2"));
    st.bindText(1, namespaceId).bindBlob(2, key);
    STORE_ASSIGN_OR_RETURN(bool found, st.step());
    if (!found) return Status::notFound("kv key not found");
    KvEntry entry;
    if (!st.columnIsNull(1)) {
      entry.expirationSec = st.columnInt(1);
      if (*entry.expirationSec <= nowSec) return Status::notFound("kv key not found (expired)");
    }
    entry.value = st.columnBytes(0);
    entry.metadataJson = st.columnBytes(2);
    return entry;
  }

  Status remove(const std::string& namespaceId, const std::string& key) override {
    STORE_RETURN_IF_ERROR(checkKey(key));
    auto s = db_->session();
    STORE_RETURN_IF_ERROR(s.begin());
    STORE_RETURN_IF_ERROR(requireNamespace(s, namespaceId));
    {
      STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("DELETE FROM kv_entries WHERE namespace_id = ?1 AND key = ?2"));
      st.bindText(1, namespaceId).bindBlob(2, key);
      STORE_RETURN_IF_ERROR(st.run());
    }
    return s.commit();
  }

  Result<KvListResult> list(const std::string& namespaceId, const std::string& prefix, const std::string& cursor,
                            int limit, int64_t nowSec) override {
    limit = std::clamp(limit, 1, kMaxListLimit);
    // The cursor is the hex of the last key returned; the next page starts just above it. The smallest key above
    // `k` is `k + '\0'`, so both bounds become one inclusive lower bound.
    std::string lower = prefix;
    if (!cursor.empty()) {
      std::optional<std::string> last = fromHex(cursor);
      if (!last) return Status::invalidArgument("kv: invalid list cursor");
      std::string after = std::move(*last) + '\0';
      if (after > lower) lower = std::move(after);
    }
    std::optional<std::string> upper = prefixUpperBound(prefix);

    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_RETURN_IF_ERROR(requireNamespace(s, namespaceId));
    // Two statements rather than `(?3 IS NULL OR key < ?3)`, so both bounds stay index range bounds.
    STORE_ASSIGN_OR_RETURN(
        Statement st,
        s.prepare(upper ? "SELECT key, expiration, metadata FROM kv_entries WHERE namespace_id = ?1 AND key >= ?2 "
                          "AND key < ?3 AND (expiration IS NULL OR expiration > ?4) ORDER BY key LIMIT ?5"
                        : "SELECT key, expiration, metadata FROM kv_entries WHERE namespace_id = ?1 AND key >= ?2 "
                          "AND (expiration IS NULL OR expiration > ?4) ORDER BY key LIMIT ?5"));
    st.bindText(1, namespaceId).bindBlob(2, lower);
    if (upper) st.bindBlob(3, *upper);
    // One row more than asked tells whether another page exists.
    st.bindInt(4, nowSec).bindInt(5, limit + 1);
    KvListResult out;
    while (true) {
      STORE_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      if (out.keys.size() == static_cast<size_t>(limit)) {
        out.cursor = toHex(out.keys.back().name);
        break;
      }
      KvKey k;
      k.name = st.columnBytes(0);
      if (!st.columnIsNull(1)) k.expirationSec = st.columnInt(1);
      k.metadataJson = st.columnBytes(2);
      out.keys.push_back(std::move(k));
    }
    return out;
  }

 private:
  std::shared_ptr<SqliteDb> db_;
};

class SqliteUsageStore final : public UsageStore {
 public:
  explicit SqliteUsageStore(std::shared_ptr<SqliteDb> db) : db_(std::move(db)) {}

  Status add(const std::vector<UsageRecord>& records) override {
    if (records.empty()) return Status::ok();
    auto s = db_->session();
    STORE_RETURN_IF_ERROR(s.begin());
    for (const auto& r : records) {
      STORE_ASSIGN_OR_RETURN(
          Statement st,
          s.prepare("INSERT INTO usage (account_id, script_name, minute, requests, errors, cpu_us, wall_us, subrequests, "
                    "bytes_in, bytes_out, wall_billed_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                    "ON CONFLICT (account_id, minute, script_name) DO UPDATE SET requests = requests + ?4, "
                    "errors = errors + ?5, cpu_us = cpu_us + ?6, wall_us = wall_us + ?7, subrequests = subrequests + ?8, "
                    "bytes_in = bytes_in + ?9, bytes_out = bytes_out + ?10, wall_billed_ms = wall_billed_ms + ?11"));
      st.bindText(1, r.accountId).bindText(2, r.scriptName).bindInt(3, r.minute).bindInt(4, r.requests);
      st.bindInt(5, r.errors).bindInt(6, r.cpuUs).bindInt(7, r.wallUs).bindInt(8, r.subrequests);
      st.bindInt(9, r.bytesIn).bindInt(10, r.bytesOut).bindInt(11, r.wallBilledMs);
      STORE_RETURN_IF_ERROR(st.run());
    }
    return s.commit();
  }

  Result<std::vector<UsageRecord>> query(const std::string& accountId, int64_t sinceMinute,
                                         int64_t untilMinute) override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_ASSIGN_OR_RETURN(
        Statement st,
        s.prepare("SELECT script_name, minute, requests, errors, cpu_us, wall_us, subrequests, bytes_in, bytes_out, "
                  "wall_billed_ms FROM usage WHERE account_id = ?1 AND minute >= ?2 AND minute < ?3 "
                  "ORDER BY minute, script_name"));
    st.bindText(1, accountId).bindInt(2, sinceMinute).bindInt(3, untilMinute);
    std::vector<UsageRecord> out;
    while (true) {
      STORE_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      UsageRecord r;
      r.accountId = accountId;
      r.scriptName = st.columnBytes(0);
      r.minute = st.columnInt(1);
      r.requests = st.columnInt(2);
      r.errors = st.columnInt(3);
      r.cpuUs = st.columnInt(4);
      r.wallUs = st.columnInt(5);
      r.subrequests = st.columnInt(6);
      r.bytesIn = st.columnInt(7);
      r.bytesOut = st.columnInt(8);
      r.wallBilledMs = st.columnInt(9);
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  std::shared_ptr<SqliteDb> db_;
};

class SqliteCodeCacheStore final : public CodeCacheStore {
 public:
  explicit SqliteCodeCacheStore(std::shared_ptr<SqliteDb> db) : db_(std::move(db)) {}

  Result<std::vector<CodeCacheEntry>> getCodeCache(const std::string& versionId, uint32_t tag) override {
    STORE_ASSIGN_OR_RETURN(auto s, db_->readSession());
    STORE_ASSIGN_OR_RETURN(Statement st,
                           s.prepare("SELECT module, data FROM code_cache WHERE version_id = ?1 AND tag = ?2"));
    st.bindText(1, versionId).bindInt(2, tag);
    std::vector<CodeCacheEntry> out;
    while (true) {
      STORE_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      out.push_back(CodeCacheEntry{versionId, st.columnBytes(0), tag, st.columnBytes(1)});
    }
    return out;
  }

  Status putCodeCache(const std::vector<CodeCacheEntry>& entries) override {
    if (entries.empty()) return Status::ok();
    auto s = db_->session();
    // Not worth an fsync (a lost cache costs a compile), and an fsync would hold the write connection — and every
    // writer waiting for it — for its duration. The WAL keeps the file whole either way, and the next durable
    // commit syncs these pages too. The setting cannot change inside a transaction: FULL again once it has ended.
    STORE_RETURN_IF_ERROR(s.exec("PRAGMA synchronous = NORMAL"));
    Status written = insertCodeCache(s, entries);
    if (!written.isOk()) (void)s.exec("ROLLBACK");  // fails harmlessly when SQLite already rolled back
    STORE_RETURN_IF_ERROR(s.exec("PRAGMA synchronous = FULL"));
    return written;
  }

 private:
  Status insertCodeCache(SqliteDb::Session& s, const std::vector<CodeCacheEntry>& entries) {
    STORE_RETURN_IF_ERROR(s.begin());
    for (const auto& e : entries) {
      // The WHERE skips a version deleted since its cache was made (the foreign key would refuse it).
      STORE_ASSIGN_OR_RETURN(
          Statement st,
          s.prepare("INSERT INTO code_cache (version_id, module, tag, data) SELECT ?1, ?2, ?3, ?4 "
                    "WHERE EXISTS (SELECT 1 FROM versions WHERE id = ?1) "
                    "ON CONFLICT (version_id, module) DO UPDATE SET tag = excluded.tag, data = excluded.data"));
      st.bindText(1, e.versionId).bindText(2, e.module).bindInt(3, e.tag).bindBlob(4, e.data);
      STORE_RETURN_IF_ERROR(st.run());
    }
    return s.commit();
  }

  std::shared_ptr<SqliteDb> db_;
};

// Brings the schema up to kSchemaVersion; returns the generation counter.
Result<int64_t> migrate(SqliteDb& db, const std::string& path) {
  auto s = db.session();
  STORE_RETURN_IF_ERROR(s.begin());
  int64_t version = 0;
  {
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("PRAGMA user_version"));
    STORE_ASSIGN_OR_RETURN(bool row, st.step());
    if (row) version = st.columnInt(0);
  }
  if (version > kSchemaVersion) {
    return Status::internal("store: " + path + " has schema version " + std::to_string(version) +
                            ", newer than this build's " + std::to_string(kSchemaVersion));
  }
  if (version < kSchemaVersion) {
    for (int64_t v = version; v < kSchemaVersion; ++v) STORE_RETURN_IF_ERROR(s.exec(kMigrations[v]));
    // PRAGMA takes no parameters; the number is this build's constant, not input.
    STORE_RETURN_IF_ERROR(s.exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str()));
  }
  int64_t generation = 0;
  {
    STORE_ASSIGN_OR_RETURN(Statement st, s.prepare("SELECT value FROM meta WHERE key = 'generation'"));
    STORE_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) return Status::internal("store: " + path + " lacks the generation counter");
    generation = st.columnInt(0);
  }
  STORE_RETURN_IF_ERROR(s.commit());
  return generation;
}

}  // namespace

Result<SqliteStores> openSqliteStores(std::shared_ptr<SqliteDb> db, const std::string& path) {
  STORE_ASSIGN_OR_RETURN(int64_t generation, migrate(*db, path));
  SqliteStores stores;
  stores.control = std::make_shared<SqliteControlStore>(db, generation);
  stores.kv = std::make_shared<SqliteKvStore>(db);
  stores.usage = std::make_shared<SqliteUsageStore>(db);
  stores.codeCache = std::make_shared<SqliteCodeCacheStore>(db);
  return stores;
}

Result<SqliteStores> openSqlite(const std::string& path) {
  STORE_ASSIGN_OR_RETURN(std::shared_ptr<SqliteDb> db, SqliteDb::open(path));
  return openSqliteStores(std::move(db), path);
}

}  // namespace islet::store
