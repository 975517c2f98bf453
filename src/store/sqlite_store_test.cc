// The SQLite stores against the contract of store.h: every method's result and error codes, version numbering,
// deployments, cascades, the generation counter, KV expiry/prefix/pagination, durability across reopen,
// concurrent writers, and reads on the read-only connections beside a write transaction.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <limits>
#include <map>
#include <set>
#include <thread>

#include "store/sqlite_db.h"
#include "store/sqlite_store.h"
#include "store/store.h"

namespace islet::store {
namespace {

namespace fs = std::filesystem;

#define ASSERT_OK(expr)                                       \
  do {                                                        \
    const auto& ok_r_ = (expr);                               \
    ASSERT_TRUE(ok_r_.isOk()) << statusMessage(ok_r_);        \
  } while (0)

std::string statusMessage(const Status& s) { return s.message(); }
template <typename T>
std::string statusMessage(const Result<T>& r) { return r.status().message(); }

template <typename T>
StatusCode codeOf(const Result<T>& r) { return r.isOk() ? StatusCode::kOk : r.status().code(); }
StatusCode codeOf(const Status& s) { return s.code(); }

bool isId(const std::string& id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

ScriptVersion makeVersion(const std::string& accountId, const std::string& scriptName, const std::string& body) {
  ScriptVersion v;
  v.accountId = accountId;
  v.scriptName = scriptName;
  v.metadataJson = R"({"main_module":"index.js"})";
  v.source = "api";
  v.modules.push_back(ModuleBlob{"index.js", "application/javascript+module", body});
  return v;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "islet-store-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "islet.db").string();
    reopen();
  }

  void TearDown() override {
    control_.reset();
    kv_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Closes the database (when this test holds the last references) and opens it again.
  void reopen() {
    control_.reset();
    kv_.reset();
    auto stores = openSqlite(path_);
    ASSERT_TRUE(stores.isOk()) << stores.status().message();
    control_ = stores->control;
    kv_ = stores->kv;
  }

  std::string newAccount(const std::string& name) {
    auto a = control_->createAccount(name);
    EXPECT_TRUE(a.isOk()) << statusMessage(a);
    return a.isOk() ? a->id : std::string();
  }

  // Adds a version and returns it; fails the test on error.
  ScriptVersion add(const std::string& accountId, const std::string& scriptName, bool deploy,
                    const std::string& body = "export default {}") {
    auto v = control_->addVersion(makeVersion(accountId, scriptName, body), deploy, "upload");
    EXPECT_TRUE(v.isOk()) << statusMessage(v);
    return v.isOk() ? v.value() : ScriptVersion{};
  }

  std::string newNamespace(const std::string& accountId, const std::string& title) {
    auto ns = kv_->createNamespace(accountId, title);
    EXPECT_TRUE(ns.isOk()) << statusMessage(ns);
    return ns.isOk() ? ns->id : std::string();
  }

  fs::path dir_;
  std::string path_;
  std::shared_ptr<ControlStore> control_;
  std::shared_ptr<KvStore> kv_;
};

// ---- accounts ----

TEST_F(SqliteStoreTest, AccountsCreateGetList) {
  auto a = control_->createAccount("acme");
  ASSERT_OK(a);
  EXPECT_TRUE(isId(a->id));
  EXPECT_EQ(a->name, "acme");
  EXPECT_GT(a->createdMs, 0);
  ASSERT_OK(control_->createAccount("beta-2"));

  auto byId = control_->getAccount(a->id);
  ASSERT_OK(byId);
  EXPECT_EQ(byId->name, "acme");
  EXPECT_EQ(byId->createdMs, a->createdMs);
  auto byName = control_->getAccountByName("acme");
  ASSERT_OK(byName);
  EXPECT_EQ(byName->id, a->id);

  auto all = control_->listAccounts();
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "acme");
  EXPECT_EQ((*all)[1].name, "beta-2");
}

TEST_F(SqliteStoreTest, AccountsErrors) {
  ASSERT_OK(control_->createAccount("acme"));
  EXPECT_EQ(codeOf(control_->createAccount("acme")), StatusCode::kAlreadyExists);
  EXPECT_EQ(codeOf(control_->createAccount("")), StatusCode::kInvalidArgument);
  EXPECT_EQ(codeOf(control_->createAccount("Acme")), StatusCode::kInvalidArgument);
  EXPECT_EQ(codeOf(control_->createAccount("-acme")), StatusCode::kInvalidArgument);
  EXPECT_EQ(codeOf(control_->createAccount("a.b")), StatusCode::kInvalidArgument);
  EXPECT_EQ(codeOf(control_->createAccount(std::string(64, 'a'))), StatusCode::kInvalidArgument);
  EXPECT_EQ(codeOf(control_->getAccount("0123456789abcdef0123456789abcdef")), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(control_->getAccountByName("nobody")), StatusCode::kNotFound);
}

// ---- account limits ----

TEST_F(SqliteStoreTest, AccountLimitsSetGetReplaceAndClear) {
  std::string acme = newAccount("acme");
  std::string beta = newAccount("beta");
  auto none = control_->getAccountLimits(acme);
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  auto all = control_->allAccountLimits();
  ASSERT_OK(all);
  EXPECT_TRUE(all->empty());

  int64_t g = control_->generation();
  AccountLimits limits;
  limits.cpuMs = 200;
  limits.heapMb = 256;
  limits.connections = 10;
  ASSERT_OK(control_->setAccountLimits(acme, limits));
  EXPECT_EQ(control_->generation(), g + 1);  // the data plane must reload the account's workers
  auto got = control_->getAccountLimits(acme);
  ASSERT_OK(got);
  EXPECT_EQ(got.value(), limits);
  EXPECT_FALSE(got->maxCpuMs.has_value());
  EXPECT_TRUE(control_->getAccountLimits(beta)->empty());

  // A set replaces the whole: a field not given goes back to the default.
  AccountLimits replaced;
  replaced.maxCpuMs = 1000;
  replaced.subrequests = 5000;
  replaced.wallMs = 60000;
  ASSERT_OK(control_->setAccountLimits(acme, replaced));
  EXPECT_EQ(control_->getAccountLimits(acme).value(), replaced);
  all = control_->allAccountLimits();
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->at(acme), replaced);

  reopen();
  EXPECT_EQ(control_->getAccountLimits(acme).value(), replaced);

  g = control_->generation();
  ASSERT_OK(control_->setAccountLimits(acme, AccountLimits{}));
  EXPECT_EQ(control_->generation(), g + 1);
  EXPECT_TRUE(control_->getAccountLimits(acme)->empty());
  EXPECT_TRUE(control_->allAccountLimits()->empty());
}

TEST_F(SqliteStoreTest, AccountLimitsErrors) {
  std::string acme = newAccount("acme");
  const std::string nobody = "0123456789abcdef0123456789abcdef";
  AccountLimits limits;
  limits.cpuMs = 100;
  EXPECT_EQ(codeOf(control_->getAccountLimits(nobody)), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(control_->setAccountLimits(nobody, limits)), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(control_->setAccountLimits(nobody, AccountLimits{})), StatusCode::kNotFound);
  limits.heapMb = 0;
  int64_t g = control_->generation();
  EXPECT_EQ(codeOf(control_->setAccountLimits(acme, limits)), StatusCode::kInvalidArgument);
  limits.heapMb = -5;
  EXPECT_EQ(codeOf(control_->setAccountLimits(acme, limits)), StatusCode::kInvalidArgument);
  EXPECT_EQ(control_->generation(), g);
  EXPECT_TRUE(control_->getAccountLimits(acme)->empty());
}

// A database written before account limits existed (schema version 2) is migrated in place when opened.
TEST_F(SqliteStoreTest, AccountLimitsMigrateADatabaseOfSchemaVersion2) {
  std::string acme = newAccount("acme");
  add(acme, "api", true);
  control_.reset();
  kv_.reset();
  {
    auto db = SqliteDb::open(path_);
    ASSERT_OK(db);
    auto s = db.value()->session();
    ASSERT_OK(s.exec("DROP TABLE account_limits; PRAGMA user_version = 2;"));
  }
  {
    auto db = SqliteDb::open(path_);
    ASSERT_OK(db);
    auto s = db.value()->session();
    auto st = s.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'account_limits'");
    ASSERT_OK(st);
    ASSERT_TRUE(st->step().value());
    ASSERT_EQ(st->columnInt(0), 0);  // really the old schema
  }
  reopen();
  auto account = control_->getAccount(acme);
  ASSERT_OK(account);
  EXPECT_EQ(account->name, "acme");
  EXPECT_TRUE(control_->getAccountLimits(acme)->empty());
  AccountLimits limits;
  limits.subrequests = 50;
  ASSERT_OK(control_->setAccountLimits(acme, limits));
  reopen();
  EXPECT_EQ(control_->getAccountLimits(acme).value(), limits);
  EXPECT_EQ(control_->liveDeployments()->size(), 1u);
}

// ---- tokens ----

TEST_F(SqliteStoreTest, TokensCreateFindListRevoke) {
  std::string acme = newAccount("acme");
  auto t = control_->createToken(acme, "ci", "hash-1");
  ASSERT_OK(t);
  EXPECT_TRUE(isId(t->id));
  EXPECT_EQ(t->accountId, acme);
  EXPECT_FALSE(t->revoked);
  auto admin = control_->createToken("", "root", "hash-admin");
  ASSERT_OK(admin);
  EXPECT_EQ(admin->accountId, "");

  auto found = control_->findTokenByHash("hash-1");
  ASSERT_OK(found);
  EXPECT_EQ(found->id, t->id);
  EXPECT_EQ(found->name, "ci");
  EXPECT_EQ(found->accountId, acme);
  auto foundAdmin = control_->findTokenByHash("hash-admin");
  ASSERT_OK(foundAdmin);
  EXPECT_EQ(foundAdmin->accountId, "");
  EXPECT_EQ(codeOf(control_->findTokenByHash("hash-other")), StatusCode::kNotFound);

  auto list = control_->listTokens(acme);
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, t->id);
  auto adminList = control_->listTokens("");
  ASSERT_OK(adminList);
  ASSERT_EQ(adminList->size(), 1u);
  EXPECT_EQ((*adminList)[0].id, admin->id);

  // Revoking needs the owning account.
  EXPECT_EQ(codeOf(control_->revokeToken("", t->id)), StatusCode::kNotFound);
  ASSERT_OK(control_->revokeToken(acme, t->id));
  EXPECT_EQ(codeOf(control_->findTokenByHash("hash-1")), StatusCode::kNotFound);
  list = control_->listTokens(acme);
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE((*list)[0].revoked);
  ASSERT_OK(control_->findTokenByHash("hash-admin"));
}

TEST_F(SqliteStoreTest, TokensErrors) {
  std::string acme = newAccount("acme");
  ASSERT_OK(control_->createToken(acme, "a", "hash-1"));
  EXPECT_EQ(codeOf(control_->createToken(acme, "b", "hash-1")), StatusCode::kAlreadyExists);
  EXPECT_EQ(codeOf(control_->createToken(acme, "c", "")), StatusCode::kInvalidArgument);
  EXPECT_EQ(codeOf(control_->createToken("ffffffffffffffffffffffffffffffff", "d", "hash-2")), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(control_->revokeToken(acme, "ffffffffffffffffffffffffffffffff")), StatusCode::kNotFound);
}

// ---- scripts and versions ----

TEST_F(SqliteStoreTest, VersionNumberingAndDeployFlag) {
  std::string acme = newAccount("acme");
  ScriptVersion v1 = add(acme, "api", /*deploy=*/true);
  ScriptVersion v2 = add(acme, "api", /*deploy=*/false);
  ScriptVersion v3 = add(acme, "api", /*deploy=*/false);
  ScriptVersion other = add(acme, "web", /*deploy=*/false);
  EXPECT_EQ(v1.number, 1);
  EXPECT_EQ(v2.number, 2);
  EXPECT_EQ(v3.number, 3);
  EXPECT_EQ(other.number, 1);  // numbering is per script
  EXPECT_TRUE(isId(v1.id));
  EXPECT_NE(v1.id, v2.id);
  EXPECT_GT(v1.createdMs, 0);

  // Only v1 was deployed.
  auto deployments = control_->listDeployments(acme, "api");
  ASSERT_OK(deployments);
  ASSERT_EQ(deployments->size(), 1u);
  EXPECT_EQ((*deployments)[0].message, "upload");
  ASSERT_EQ((*deployments)[0].versions.size(), 1u);
  EXPECT_EQ((*deployments)[0].versions[0].versionId, v1.id);
  EXPECT_EQ((*deployments)[0].versions[0].percentage, 100);
  auto none = control_->listDeployments(acme, "web");
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());

  auto versions = control_->listVersions(acme, "api");
  ASSERT_OK(versions);
  ASSERT_EQ(versions->size(), 3u);
  EXPECT_EQ((*versions)[0].id, v3.id);  // newest first
  EXPECT_EQ((*versions)[1].id, v2.id);
  EXPECT_EQ((*versions)[2].id, v1.id);
  for (const auto& v : *versions) {
    EXPECT_TRUE(v.modules.empty());  // no module data in lists
    EXPECT_EQ(v.metadataJson, R"({"main_module":"index.js"})");
    EXPECT_EQ(v.source, "api");
    EXPECT_EQ(v.accountId, acme);
    EXPECT_EQ(v.scriptName, "api");
  }
}

TEST_F(SqliteStoreTest, GetVersionReturnsModulesInOrder) {
  std::string acme = newAccount("acme");
  ScriptVersion v = makeVersion(acme, "api", "import x from './lib/x.js';");
  v.modules.push_back(ModuleBlob{"lib/x.js", "application/javascript+module", "export default 1;"});
  v.modules.push_back(ModuleBlob{"app.wasm", "application/wasm", std::string("\0asm\x01\0\0\0", 8)});
  v.modules.push_back(ModuleBlob{"a.txt", "text/plain", ""});
  auto added = control_->addVersion(v, false, "");
  ASSERT_OK(added);
  EXPECT_EQ(added->modules.size(), 4u);

  auto got = control_->getVersion(acme, "api", added->id);
  ASSERT_OK(got);
  EXPECT_EQ(got->number, 1);
  EXPECT_EQ(got->createdMs, added->createdMs);
  ASSERT_EQ(got->modules.size(), 4u);
  for (size_t i = 0; i < v.modules.size(); ++i) {
    EXPECT_EQ(got->modules[i].name, v.modules[i].name);
    EXPECT_EQ(got->modules[i].contentType, v.modules[i].contentType);
    EXPECT_EQ(got->modules[i].data, v.modules[i].data);
  }

  EXPECT_EQ(codeOf(control_->getVersion(acme, "other", added->id)), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(control_->getVersion(acme, "api", "ffffffffffffffffffffffffffffffff")), StatusCode::kNotFound);
  std::string beta = newAccount("beta");
  EXPECT_EQ(codeOf(control_->getVersion(beta, "api", added->id)), StatusCode::kNotFound);
}

TEST_F(SqliteStoreTest, AddVersionErrors) {
  std::string acme = newAccount("acme");
  EXPECT_EQ(codeOf(control_->addVersion(makeVersion("ffffffffffffffffffffffffffffffff", "api", "x"), true, "")),
            StatusCode::kNotFound);
  EXPECT_EQ(codeOf(control_->addVersion(makeVersion(acme, "", "x"), true, "")), StatusCode::kInvalidArgument);
  ScriptVersion noModules = makeVersion(acme, "api", "x");
  noModules.modules.clear();
  EXPECT_EQ(codeOf(control_->addVersion(noModules, true, "")), StatusCode::kInvalidArgument);
  ScriptVersion dup = makeVersion(acme, "api", "x");
  dup.modules.push_back(dup.modules[0]);
  EXPECT_EQ(codeOf(control_->addVersion(dup, true, "")), StatusCode::kInvalidArgument);
  // Nothing was created by the failures.
  EXPECT_EQ(codeOf(control_->getScript(acme, "api")), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(control_->listVersions(acme, "api")), StatusCode::kNotFound);
}

TEST_F(SqliteStoreTest, ScriptsListAndGet) {
  std::string acme = newAccount("acme");
  std::string beta = newAccount("beta");
  ScriptVersion first = add(acme, "web", false);
  add(acme, "api", false);
  add(beta, "other", false);
  ScriptVersion again = add(acme, "web", false);

  auto scripts = control_->listScripts(acme);
  ASSERT_OK(scripts);
  ASSERT_EQ(scripts->size(), 2u);
  EXPECT_EQ((*scripts)[0].name, "api");
  EXPECT_EQ((*scripts)[1].name, "web");

  auto web = control_->getScript(acme, "web");
  ASSERT_OK(web);
  EXPECT_EQ(web->accountId, acme);
  EXPECT_EQ(web->createdMs, first.createdMs);
  EXPECT_EQ(web->modifiedMs, again.createdMs);
  EXPECT_EQ(codeOf(control_->getScript(acme, "missing")), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(control_->getScript(beta, "web")), StatusCode::kNotFound);
  auto empty = control_->listScripts("ffffffffffffffffffffffffffffffff");
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->empty());
}

// ---- deployments ----

TEST_F(SqliteStoreTest, RollbackAndSplitDeployments) {
  std::string acme = newAccount("acme");
  ScriptVersion v1 = add(acme, "api", true);
  ScriptVersion v2 = add(acme, "api", true);

  auto rollback = control_->addDeployment(acme, "api", {{v1.id, 100}}, "rollback");
  ASSERT_OK(rollback);
  EXPECT_TRUE(isId(rollback->id));
  EXPECT_EQ(rollback->message, "rollback");
  EXPECT_EQ(rollback->scriptName, "api");

  auto split = control_->addDeployment(acme, "api", {{v2.id, 30}, {v1.id, 70}}, "gradual");
  ASSERT_OK(split);

  auto list = control_->listDeployments(acme, "api");
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 4u);  // two uploads, rollback, split; newest first even within one millisecond
  EXPECT_EQ((*list)[0].id, split->id);
  EXPECT_EQ((*list)[1].id, rollback->id);
  ASSERT_EQ((*list)[0].versions.size(), 2u);
  EXPECT_EQ((*list)[0].versions[0].versionId, v2.id);
  EXPECT_DOUBLE_EQ((*list)[0].versions[0].percentage, 30);
  EXPECT_EQ((*list)[0].versions[1].versionId, v1.id);
  EXPECT_DOUBLE_EQ((*list)[0].versions[1].percentage, 70);
  ASSERT_EQ((*list)[1].versions.size(), 1u);
  EXPECT_EQ((*list)[1].versions[0].versionId, v1.id);
  EXPECT_EQ((*list)[2].versions[0].versionId, v2.id);
  EXPECT_EQ((*list)[3].versions[0].versionId, v1.id);

  // Within tolerance.
  ASSERT_OK(control_->addDeployment(acme, "api", {{v1.id, 33.3335}, {v2.id, 66.6670}}, ""));
}

TEST_F(SqliteStoreTest, AddDeploymentValidation) {
  std::string acme = newAccount("acme");
  ScriptVersion v1 = add(acme, "api", true);
  ScriptVersion v2 = add(acme, "api", false);
  ScriptVersion foreign = add(acme, "web", false);
  int64_t generation = control_->generation();

  auto bad = [&](std::vector<DeploymentVersion> versions) {
    return codeOf(control_->addDeployment(acme, "api", std::move(versions), ""));
  };
  EXPECT_EQ(bad({}), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad({{v1.id, 99}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad({{v1.id, 50}, {v2.id, 49}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad({{v1.id, 50}, {v2.id, 50.01}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad({{v1.id, 120}, {v2.id, -20}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad({{v1.id, 50}, {v1.id, 50}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad({{v1.id, 40}, {v2.id, 40}, {v1.id, 20}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad({{foreign.id, 100}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad({{"ffffffffffffffffffffffffffffffff", 100}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(codeOf(control_->addDeployment(acme, "missing", {{v1.id, 100}}, "")), StatusCode::kNotFound);
  std::string beta = newAccount("beta");
  EXPECT_EQ(codeOf(control_->addDeployment(beta, "api", {{v1.id, 100}}, "")), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(control_->listDeployments(acme, "missing")), StatusCode::kNotFound);

  EXPECT_EQ(control_->generation(), generation);  // failures change nothing
  auto list = control_->listDeployments(acme, "api");
  ASSERT_OK(list);
  EXPECT_EQ(list->size(), 1u);
}

TEST_F(SqliteStoreTest, LiveDeploymentsAreTheNewestOfEachScript) {
  std::string acme = newAccount("acme");
  std::string beta = newAccount("beta");
  ScriptVersion a1 = add(acme, "api", true);
  ScriptVersion a2 = add(acme, "api", true);
  ASSERT_OK(control_->addDeployment(acme, "api", {{a1.id, 100}}, "rollback"));
  auto aLive = control_->addDeployment(acme, "api", {{a1.id, 90}, {a2.id, 10}}, "canary");
  ASSERT_OK(aLive);
  ScriptVersion w1 = add(acme, "web", true);
  add(acme, "web", false);  // uploaded, not deployed
  ScriptVersion b1 = add(beta, "api", true);
  add(acme, "draft", false);  // never deployed: no live deployment

  auto live = control_->liveDeployments();
  ASSERT_OK(live);
  ASSERT_EQ(live->size(), 3u);
  std::map<std::pair<std::string, std::string>, Deployment> byScript;
  for (auto& d : *live) byScript[{d.accountId, d.scriptName}] = d;
  ASSERT_EQ(byScript.size(), 3u);
  const Deployment& api = byScript[{acme, "api"}];
  EXPECT_EQ(api.id, aLive->id);
  EXPECT_EQ(api.message, "canary");
  ASSERT_EQ(api.versions.size(), 2u);
  EXPECT_EQ(api.versions[0].versionId, a1.id);
  EXPECT_EQ(api.versions[1].versionId, a2.id);
  const Deployment& web = byScript[{acme, "web"}];
  ASSERT_EQ(web.versions.size(), 1u);
  EXPECT_EQ(web.versions[0].versionId, w1.id);
  const Deployment& bApi = byScript[{beta, "api"}];
  ASSERT_EQ(bApi.versions.size(), 1u);
  EXPECT_EQ(bApi.versions[0].versionId, b1.id);
}

// ---- code caches ----

TEST_F(SqliteStoreTest, CodeCachesByVersionAndTagReplacedAndDeletedWithTheirScript) {
  std::string acme = newAccount("acme");
  ScriptVersion v1 = add(acme, "api", false);
  ScriptVersion v2 = add(acme, "api", true);
  ScriptVersion web = add(acme, "web", true);
  // A second connection's CodeCacheStore (the fixture's connection closes only when all of its stores do).
  std::shared_ptr<CodeCacheStore> cache;
  {
    auto stores = openSqlite(path_);
    ASSERT_OK(stores);
    cache = stores->codeCache;
  }
  auto byModule = [&](const std::string& versionId, uint32_t tag) {
    std::map<std::string, std::string> out;
    auto entries = cache->getCodeCache(versionId, tag);
    EXPECT_TRUE(entries.isOk()) << statusMessage(entries);
    if (!entries.isOk()) return out;
    for (const auto& e : *entries) {
      EXPECT_EQ(e.versionId, versionId);
      EXPECT_EQ(e.tag, tag);
      out[e.module] = e.data;
    }
    return out;
  };
  EXPECT_TRUE(byModule(v1.id, 7).empty());

  const std::string binary("\0\x01\xff\0", 4);
  const std::string gone = "ffffffffffffffffffffffffffffffff";
  ASSERT_OK(cache->putCodeCache({{v1.id, "index.js", 7, binary},
                                 {v1.id, "lib/x.js", 7, "bbb"},
                                 {v2.id, "index.js", 7, "ccc"},
                                 {web.id, "index.js", 0xfffffff0u, "www"},
                                 {gone, "index.js", 7, "skipped: no such version"}}));
  EXPECT_EQ(byModule(v1.id, 7), (std::map<std::string, std::string>{{"index.js", binary}, {"lib/x.js", "bbb"}}));
  EXPECT_EQ(byModule(v2.id, 7), (std::map<std::string, std::string>{{"index.js", "ccc"}}));
  EXPECT_EQ(byModule(web.id, 0xfffffff0u), (std::map<std::string, std::string>{{"index.js", "www"}}));
  EXPECT_TRUE(byModule(web.id, 7).empty());  // made by another V8: not returned
  EXPECT_TRUE(byModule(gone, 7).empty());

  // A module's new cache replaces its old one, whatever the tag.
  ASSERT_OK(cache->putCodeCache({{v1.id, "index.js", 8, "newer"}}));
  EXPECT_EQ(byModule(v1.id, 8), (std::map<std::string, std::string>{{"index.js", "newer"}}));
  EXPECT_EQ(byModule(v1.id, 7), (std::map<std::string, std::string>{{"lib/x.js", "bbb"}}));

  // Deleting the script deletes its versions' caches; other scripts keep theirs, across a reopen too.
  ASSERT_OK(control_->deleteScript(acme, "api"));
  EXPECT_TRUE(byModule(v1.id, 7).empty());
  EXPECT_TRUE(byModule(v1.id, 8).empty());
  EXPECT_TRUE(byModule(v2.id, 7).empty());
  cache.reset();
  reopen();
  auto again = openSqlite(path_);
  ASSERT_OK(again);
  auto entries = again->codeCache->getCodeCache(web.id, 0xfffffff0u);
  ASSERT_OK(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].data, "www");
}

TEST_F(SqliteStoreTest, DeleteScriptCascades) {
  std::string acme = newAccount("acme");
  ScriptVersion v1 = add(acme, "api", true);
  ScriptVersion v2 = add(acme, "api", true);
  ASSERT_OK(control_->addDeployment(acme, "api", {{v1.id, 50}, {v2.id, 50}}, ""));
  ASSERT_OK(control_->addRoute(acme, "api.example.com/*", "api"));
  ASSERT_OK(control_->setSchedules(acme, "api", {"*/5 * * * *"}));
  ScriptVersion keep = add(acme, "web", true);
  auto keepRoute = control_->addRoute(acme, "example.com/*", "web");
  ASSERT_OK(keepRoute);
  ASSERT_OK(control_->setSchedules(acme, "web", {"0 0 * * *"}));

  ASSERT_OK(control_->deleteScript(acme, "api"));
  EXPECT_EQ(codeOf(control_->getScript(acme, "api")), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(control_->getVersion(acme, "api", v1.id)), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(control_->listVersions(acme, "api")), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(control_->listDeployments(acme, "api")), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(control_->getSchedules(acme, "api")), StatusCode::kNotFound);
  auto routes = control_->allRoutes();
  ASSERT_OK(routes);
  ASSERT_EQ(routes->size(), 1u);
  EXPECT_EQ((*routes)[0].id, keepRoute->id);
  auto live = control_->liveDeployments();
  ASSERT_OK(live);
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].scriptName, "web");
  auto webSchedules = control_->getSchedules(acme, "web");
  ASSERT_OK(webSchedules);
  EXPECT_EQ(webSchedules->size(), 1u);
  ASSERT_OK(control_->getVersion(acme, "web", keep.id));

  EXPECT_EQ(codeOf(control_->deleteScript(acme, "api")), StatusCode::kNotFound);
  // A script of the same name starts over.
  ScriptVersion fresh = add(acme, "api", true);
  EXPECT_EQ(fresh.number, 1);
  auto deployments = control_->listDeployments(acme, "api");
  ASSERT_OK(deployments);
  EXPECT_EQ(deployments->size(), 1u);
}

// ---- routes and schedules ----

TEST_F(SqliteStoreTest, RoutesAreUniqueAcrossAccounts) {
  std::string acme = newAccount("acme");
  std::string beta = newAccount("beta");
  auto r1 = control_->addRoute(acme, "api.example.com/v1/*", "api");
  ASSERT_OK(r1);
  EXPECT_TRUE(isId(r1->id));
  EXPECT_EQ(r1->pattern, "api.example.com/v1/*");
  EXPECT_EQ(r1->scriptName, "api");
  auto r2 = control_->addRoute(beta, "beta.example.com/*", "site");
  ASSERT_OK(r2);
  EXPECT_EQ(codeOf(control_->addRoute(beta, "api.example.com/v1/*", "x")), StatusCode::kAlreadyExists);
  EXPECT_EQ(codeOf(control_->addRoute(acme, "api.example.com/v1/*", "y")), StatusCode::kAlreadyExists);
  EXPECT_EQ(codeOf(control_->addRoute(acme, "", "y")), StatusCode::kInvalidArgument);
  EXPECT_EQ(codeOf(control_->addRoute("ffffffffffffffffffffffffffffffff", "z.com/*", "y")), StatusCode::kNotFound);

  auto acmeRoutes = control_->listRoutes(acme);
  ASSERT_OK(acmeRoutes);
  ASSERT_EQ(acmeRoutes->size(), 1u);
  EXPECT_EQ((*acmeRoutes)[0].id, r1->id);
  auto all = control_->allRoutes();
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, r1->id);
  EXPECT_EQ((*all)[1].id, r2->id);

  EXPECT_EQ(codeOf(control_->deleteRoute(beta, r1->id)), StatusCode::kNotFound);  // not beta's
  ASSERT_OK(control_->deleteRoute(acme, r1->id));
  EXPECT_EQ(codeOf(control_->deleteRoute(acme, r1->id)), StatusCode::kNotFound);
  ASSERT_OK(control_->addRoute(beta, "api.example.com/v1/*", "x"));  // free again
}

TEST_F(SqliteStoreTest, SchedulesAreReplacedAsAWhole) {
  std::string acme = newAccount("acme");
  add(acme, "cron", true);
  auto empty = control_->getSchedules(acme, "cron");
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->empty());

  ASSERT_OK(control_->setSchedules(acme, "cron", {"*/5 * * * *", "0 0 * * *"}));
  auto got = control_->getSchedules(acme, "cron");
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].cron, "*/5 * * * *");
  EXPECT_EQ((*got)[1].cron, "0 0 * * *");
  EXPECT_GT((*got)[0].createdMs, 0);

  ASSERT_OK(control_->setSchedules(acme, "cron", {"0 12 * * 1"}));
  got = control_->getSchedules(acme, "cron");
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].cron, "0 12 * * 1");

  ASSERT_OK(control_->setSchedules(acme, "cron", {}));
  got = control_->getSchedules(acme, "cron");
  ASSERT_OK(got);
  EXPECT_TRUE(got->empty());

  EXPECT_EQ(codeOf(control_->setSchedules(acme, "missing", {"* * * * *"})), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(control_->getSchedules(acme, "missing")), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(control_->setSchedules(acme, "cron", {""})), StatusCode::kInvalidArgument);
}

// ---- generation ----

TEST_F(SqliteStoreTest, GenerationMovesWithEveryServingChange) {
  int64_t g = control_->generation();
  EXPECT_EQ(g, 0);
  std::string acme = newAccount("acme");
  ASSERT_OK(control_->createToken(acme, "t", "h"));
  std::string ns = newNamespace(acme, "ns");
  ASSERT_OK(kv_->put(ns, "k", KvEntry{"v", std::nullopt, ""}));
  EXPECT_EQ(control_->generation(), g);  // accounts, tokens and KV do not affect serving

  auto step = [&](const char* what) {
    EXPECT_EQ(control_->generation(), g + 1) << what;
    g = control_->generation();
  };
  ScriptVersion v1 = add(acme, "api", false);
  step("addVersion");
  ScriptVersion v2 = add(acme, "api", true);
  step("addVersion+deploy");
  ASSERT_OK(control_->addDeployment(acme, "api", {{v1.id, 100}}, "rollback"));
  step("addDeployment");
  auto route = control_->addRoute(acme, "a.example.com/*", "api");
  ASSERT_OK(route);
  step("addRoute");
  ASSERT_OK(control_->deleteRoute(acme, route->id));
  step("deleteRoute");
  ASSERT_OK(control_->setSchedules(acme, "api", {"* * * * *"}));
  step("setSchedules");
  ASSERT_OK(control_->deleteScript(acme, "api"));
  step("deleteScript");

  // Failed changes leave it alone.
  EXPECT_EQ(codeOf(control_->deleteScript(acme, "api")), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(control_->deleteRoute(acme, route->id)), StatusCode::kNotFound);
  EXPECT_EQ(control_->generation(), g);

  // It is persisted, not just counted in memory.
  reopen();
  EXPECT_EQ(control_->generation(), g);
  add(acme, "api", false);
  EXPECT_EQ(control_->generation(), g + 1);
}

// ---- KV ----

TEST_F(SqliteStoreTest, KvNamespaces) {
  std::string acme = newAccount("acme");
  std::string beta = newAccount("beta");
  auto ns = kv_->createNamespace(acme, "users");
  ASSERT_OK(ns);
  EXPECT_TRUE(isId(ns->id));
  EXPECT_EQ(ns->accountId, acme);
  EXPECT_EQ(ns->title, "users");
  EXPECT_EQ(codeOf(kv_->createNamespace(acme, "users")), StatusCode::kAlreadyExists);
  ASSERT_OK(kv_->createNamespace(beta, "users"));  // titles are unique per account only
  ASSERT_OK(kv_->createNamespace(acme, "cache"));
  EXPECT_EQ(codeOf(kv_->createNamespace(acme, "")), StatusCode::kInvalidArgument);
  EXPECT_EQ(codeOf(kv_->createNamespace("ffffffffffffffffffffffffffffffff", "x")), StatusCode::kNotFound);

  auto list = kv_->listNamespaces(acme);
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].title, "cache");
  EXPECT_EQ((*list)[1].title, "users");

  auto got = kv_->getNamespace(acme, ns->id);
  ASSERT_OK(got);
  EXPECT_EQ(got->title, "users");
  EXPECT_EQ(codeOf(kv_->getNamespace(beta, ns->id)), StatusCode::kNotFound);

  ASSERT_OK(kv_->put(ns->id, "k", KvEntry{"v", std::nullopt, ""}));
  EXPECT_EQ(codeOf(kv_->deleteNamespace(beta, ns->id)), StatusCode::kNotFound);
  ASSERT_OK(kv_->deleteNamespace(acme, ns->id));
  EXPECT_EQ(codeOf(kv_->getNamespace(acme, ns->id)), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(kv_->deleteNamespace(acme, ns->id)), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(kv_->get(ns->id, "k", 0)), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(kv_->put(ns->id, "k", KvEntry{"v", std::nullopt, ""})), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(kv_->list(ns->id, "", "", 10, 0)), StatusCode::kNotFound);
  EXPECT_EQ(codeOf(kv_->remove(ns->id, "k")), StatusCode::kNotFound);

  // The title is free again, and the new namespace starts empty.
  std::string again = newNamespace(acme, "users");
  auto keys = kv_->list(again, "", "", 10, 0);
  ASSERT_OK(keys);
  EXPECT_TRUE(keys->keys.empty());
}

TEST_F(SqliteStoreTest, KvPutGetRemove) {
  std::string ns = newNamespace(newAccount("acme"), "ns");
  std::string binary("a\0b\0\xff\x00", 6);
  ASSERT_OK(kv_->put(ns, "bin", KvEntry{binary, std::nullopt, R"({"type":"blob","n":[1,2]})"}));
  auto got = kv_->get(ns, "bin", 1000);
  ASSERT_OK(got);
  EXPECT_EQ(got->value, binary);
  EXPECT_EQ(got->value.size(), 6u);
  EXPECT_FALSE(got->expirationSec.has_value());
  EXPECT_EQ(got->metadataJson, R"({"type":"blob","n":[1,2]})");

  ASSERT_OK(kv_->put(ns, "bin", KvEntry{"", std::nullopt, ""}));  // overwrite with an empty value
  got = kv_->get(ns, "bin", 1000);
  ASSERT_OK(got);
  EXPECT_EQ(got->value, "");
  EXPECT_EQ(got->metadataJson, "");

  std::string nulKey("k\0ey", 4);
  ASSERT_OK(kv_->put(ns, nulKey, KvEntry{"nul", std::nullopt, ""}));
  EXPECT_EQ(codeOf(kv_->get(ns, "k", 0)), StatusCode::kNotFound);
  got = kv_->get(ns, nulKey, 0);
  ASSERT_OK(got);
  EXPECT_EQ(got->value, "nul");

  ASSERT_OK(kv_->remove(ns, nulKey));
  EXPECT_EQ(codeOf(kv_->get(ns, nulKey, 0)), StatusCode::kNotFound);
  ASSERT_OK(kv_->remove(ns, nulKey));  // absent is fine
  EXPECT_EQ(codeOf(kv_->get("ffffffffffffffffffffffffffffffff", "bin", 0)), StatusCode::kNotFound);
}

TEST_F(SqliteStoreTest, KvLimits) {
  std::string ns = newNamespace(newAccount("acme"), "ns");
  ASSERT_OK(kv_->put(ns, std::string(512, 'k'), KvEntry{"v", std::nullopt, ""}));
  EXPECT_EQ(codeOf(kv_->put(ns, std::string(513, 'k'), KvEntry{"v", std::nullopt, ""})),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(codeOf(kv_->put(ns, "", KvEntry{"v", std::nullopt, ""})), StatusCode::kInvalidArgument);
  EXPECT_EQ(codeOf(kv_->get(ns, std::string(513, 'k'), 0)), StatusCode::kInvalidArgument);
  EXPECT_EQ(codeOf(kv_->get(ns, "", 0)), StatusCode::kInvalidArgument);
  EXPECT_EQ(codeOf(kv_->remove(ns, std::string(513, 'k'))), StatusCode::kInvalidArgument);

  std::string big(25u << 20, 'v');
  big[12345] = '\0';
  ASSERT_OK(kv_->put(ns, "big", KvEntry{big, std::nullopt, ""}));
  auto got = kv_->get(ns, "big", 0);
  ASSERT_OK(got);
  EXPECT_TRUE(got->value == big);
  big.push_back('v');
  EXPECT_EQ(codeOf(kv_->put(ns, "big", KvEntry{big, std::nullopt, ""})), StatusCode::kInvalidArgument);
}

TEST_F(SqliteStoreTest, KvExpiration) {
  std::string ns = newNamespace(newAccount("acme"), "ns");
  ASSERT_OK(kv_->put(ns, "a", KvEntry{"1", 1000, ""}));
  ASSERT_OK(kv_->put(ns, "b", KvEntry{"2", 2000, R"({"m":1})"}));
  ASSERT_OK(kv_->put(ns, "c", KvEntry{"3", std::nullopt, ""}));

  auto a = kv_->get(ns, "a", 999);
  ASSERT_OK(a);
  EXPECT_EQ(a->expirationSec, 1000);
  EXPECT_EQ(codeOf(kv_->get(ns, "a", 1000)), StatusCode::kNotFound);  // expiration <= now: gone
  EXPECT_EQ(codeOf(kv_->get(ns, "a", 5000)), StatusCode::kNotFound);
  ASSERT_OK(kv_->get(ns, "c", 1'000'000'000));

  auto list = kv_->list(ns, "", "", 100, 1500);
  ASSERT_OK(list);
  ASSERT_EQ(list->keys.size(), 2u);
  EXPECT_EQ(list->keys[0].name, "b");
  EXPECT_EQ(list->keys[0].expirationSec, 2000);
  EXPECT_EQ(list->keys[0].metadataJson, R"({"m":1})");
  EXPECT_EQ(list->keys[1].name, "c");
  EXPECT_FALSE(list->keys[1].expirationSec.has_value());
  EXPECT_TRUE(list->cursor.empty());

  // Putting again without an expiration clears it.
  ASSERT_OK(kv_->put(ns, "a", KvEntry{"1", std::nullopt, ""}));
  a = kv_->get(ns, "a", 5000);
  ASSERT_OK(a);
  EXPECT_FALSE(a->expirationSec.has_value());
}

TEST_F(SqliteStoreTest, KvListPrefixIsLiteral) {
  std::string ns = newNamespace(newAccount("acme"), "ns");
  for (const std::string key : {"a%", "a%b", "a_b", "axb", "ab", "a", "b%", "A%", "a%\xff", "a&"}) {
    ASSERT_OK(kv_->put(ns, key, KvEntry{"v", std::nullopt, ""}));
  }
  auto names = [&](const std::string& prefix) {
    auto r = kv_->list(ns, prefix, "", 1000, 0);
    EXPECT_TRUE(r.isOk()) << statusMessage(r);
    std::vector<std::string> out;
    if (r.isOk()) {
      for (auto& k : r->keys) out.push_back(k.name);
    }
    return out;
  };
  EXPECT_EQ(names("a%"), (std::vector<std::string>{"a%", "a%b", "a%\xff"}));
  EXPECT_EQ(names("a_"), (std::vector<std::string>{"a_b"}));
  EXPECT_EQ(names("a"), (std::vector<std::string>{"a", "a%", "a%b", "a%\xff", "a&", "a_b", "ab", "axb"}));
  EXPECT_EQ(names("A"), (std::vector<std::string>{"A%"}));
  EXPECT_EQ(names("z"), (std::vector<std::string>{}));
  EXPECT_EQ(names("").size(), 10u);

  // Prefixes ending in 0xff have no simple upper bound.
  ASSERT_OK(kv_->put(ns, "\xff", KvEntry{"v", std::nullopt, ""}));
  ASSERT_OK(kv_->put(ns, "\xff\xff", KvEntry{"v", std::nullopt, ""}));
  ASSERT_OK(kv_->put(ns, "\xff\xff\x01", KvEntry{"v", std::nullopt, ""}));
  EXPECT_EQ(names("\xff\xff"), (std::vector<std::string>{"\xff\xff", "\xff\xff\x01"}));
  EXPECT_EQ(names("a%\xff"), (std::vector<std::string>{"a%\xff"}));
}

TEST_F(SqliteStoreTest, KvListSortsBytewise) {
  std::string ns = newNamespace(newAccount("acme"), "ns");
  // Unsigned byte order: 0x01 < 'A' < 'a' < 0x80 < 0xff; a key sorts before its extensions.
  const std::vector<std::string> sorted = {std::string("\x01", 1), "A", "a", std::string("a\0", 2), "ab",
                                           "\x80", "\xc3\xa9", "\xff"};
  for (auto it = sorted.rbegin(); it != sorted.rend(); ++it) {
    ASSERT_OK(kv_->put(ns, *it, KvEntry{"v", std::nullopt, ""}));
  }
  auto r = kv_->list(ns, "", "", 1000, 0);
  ASSERT_OK(r);
  ASSERT_EQ(r->keys.size(), sorted.size());
  for (size_t i = 0; i < sorted.size(); ++i) EXPECT_EQ(r->keys[i].name, sorted[i]) << i;
}

TEST_F(SqliteStoreTest, KvListPaginatesWithCursor) {
  std::string ns = newNamespace(newAccount("acme"), "ns");
  char name[16];
  for (int i = 0; i < 2500; ++i) {
    snprintf(name, sizeof name, "key-%05d", i);
    ASSERT_OK(kv_->put(ns, name, KvEntry{"v", std::nullopt, ""}));
  }
  ASSERT_OK(kv_->put(ns, "other", KvEntry{"v", std::nullopt, ""}));

  std::vector<std::string> seen;
  std::vector<size_t> pages;
  std::string cursor;
  do {
    auto r = kv_->list(ns, "key-", cursor, 1000, 0);
    ASSERT_OK(r);
    pages.push_back(r->keys.size());
    for (auto& k : r->keys) seen.push_back(k.name);
    cursor = r->cursor;
  } while (!cursor.empty() && pages.size() < 10);
  EXPECT_EQ(pages, (std::vector<size_t>{1000, 1000, 500}));
  ASSERT_EQ(seen.size(), 2500u);
  for (int i = 0; i < 2500; ++i) {
    snprintf(name, sizeof name, "key-%05d", i);
    EXPECT_EQ(seen[i], name);
  }

  // Exactly `limit` keys left: no cursor.
  auto exact = kv_->list(ns, "key-0000", "", 10, 0);
  ASSERT_OK(exact);
  EXPECT_EQ(exact->keys.size(), 10u);
  EXPECT_TRUE(exact->cursor.empty());

  // The limit is clamped to 1..1000.
  auto one = kv_->list(ns, "", "", 0, 0);
  ASSERT_OK(one);
  EXPECT_EQ(one->keys.size(), 1u);
  EXPECT_FALSE(one->cursor.empty());
  auto max = kv_->list(ns, "", "", 5000, 0);
  ASSERT_OK(max);
  EXPECT_EQ(max->keys.size(), 1000u);

  EXPECT_EQ(codeOf(kv_->list(ns, "", "not-hex", 10, 0)), StatusCode::kInvalidArgument);
  EXPECT_EQ(codeOf(kv_->list(ns, "", "abc", 10, 0)), StatusCode::kInvalidArgument);
}

// ---- durability and concurrency ----

TEST_F(SqliteStoreTest, EverythingSurvivesReopen) {
  std::string acme = newAccount("acme");
  auto token = control_->createToken(acme, "ci", "hash");
  ASSERT_OK(token);
  ScriptVersion v1 = add(acme, "api", true, "v1 body");
  ScriptVersion v2 = add(acme, "api", false, "v2 body");
  auto split = control_->addDeployment(acme, "api", {{v1.id, 25}, {v2.id, 75}}, "split");
  ASSERT_OK(split);
  auto route = control_->addRoute(acme, "api.example.com/*", "api");
  ASSERT_OK(route);
  ASSERT_OK(control_->setSchedules(acme, "api", {"0 * * * *"}));
  std::string ns = newNamespace(acme, "ns");
  ASSERT_OK(kv_->put(ns, "k", KvEntry{std::string("x\0y", 3), 99, "{}"}));
  int64_t generation = control_->generation();

  reopen();
  auto account = control_->getAccountByName("acme");
  ASSERT_OK(account);
  EXPECT_EQ(account->id, acme);
  auto t = control_->findTokenByHash("hash");
  ASSERT_OK(t);
  EXPECT_EQ(t->id, token->id);
  auto got = control_->getVersion(acme, "api", v2.id);
  ASSERT_OK(got);
  EXPECT_EQ(got->number, 2);
  ASSERT_EQ(got->modules.size(), 1u);
  EXPECT_EQ(got->modules[0].data, "v2 body");
  auto live = control_->liveDeployments();
  ASSERT_OK(live);
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].id, split->id);
  ASSERT_EQ((*live)[0].versions.size(), 2u);
  EXPECT_DOUBLE_EQ((*live)[0].versions[1].percentage, 75);
  auto routes = control_->allRoutes();
  ASSERT_OK(routes);
  ASSERT_EQ(routes->size(), 1u);
  EXPECT_EQ((*routes)[0].id, route->id);
  auto schedules = control_->getSchedules(acme, "api");
  ASSERT_OK(schedules);
  ASSERT_EQ(schedules->size(), 1u);
  EXPECT_EQ(control_->generation(), generation);
  auto entry = kv_->get(ns, "k", 0);
  ASSERT_OK(entry);
  EXPECT_EQ(entry->value, std::string("x\0y", 3));
  EXPECT_EQ(entry->expirationSec, 99);
  EXPECT_EQ(entry->metadataJson, "{}");
  EXPECT_EQ(add(acme, "api", false).number, 3);
}

TEST_F(SqliteStoreTest, ConcurrentAddVersionGetsDistinctNumbers) {
  std::string acme = newAccount("acme");
  constexpr int kPerThread = 200;
  std::vector<int64_t> numbers[2];
  int failures[2] = {0, 0};
  auto work = [&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      auto v = control_->addVersion(makeVersion(acme, "api", "t" + std::to_string(t)), i % 10 == 0, "upload");
      if (v.isOk()) {
        numbers[t].push_back(v->number);
      } else {
        ++failures[t];
      }
    }
  };
  std::thread a(work, 0), b(work, 1);
  a.join();
  b.join();
  EXPECT_EQ(failures[0] + failures[1], 0);
  std::set<int64_t> all(numbers[0].begin(), numbers[0].end());
  all.insert(numbers[1].begin(), numbers[1].end());
  ASSERT_EQ(all.size(), 2u * kPerThread);
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), 2 * kPerThread);
  auto versions = control_->listVersions(acme, "api");
  ASSERT_OK(versions);
  EXPECT_EQ(versions->size(), 2u * kPerThread);
  EXPECT_EQ(control_->generation(), 2 * kPerThread);
}

// Two connections to one file (as two processes would have) serialise through SQLite's own locking.
TEST_F(SqliteStoreTest, TwoConnectionsWriteTheSameFile) {
  std::string acme = newAccount("acme");
  auto second = openSqlite(path_);
  ASSERT_OK(second);
  constexpr int kPerThread = 50;
  std::vector<int64_t> numbers[2];
  auto work = [&](ControlStore* store, int t) {
    for (int i = 0; i < kPerThread; ++i) {
      auto v = store->addVersion(makeVersion(acme, "api", "x"), true, "");
      if (v.isOk()) {
        numbers[t].push_back(v->number);
      } else {
        ADD_FAILURE() << v.status().message();
      }
    }
  };
  std::thread a(work, control_.get(), 0), b(work, second->control.get(), 1);
  a.join();
  b.join();
  std::set<int64_t> all(numbers[0].begin(), numbers[0].end());
  all.insert(numbers[1].begin(), numbers[1].end());
  EXPECT_EQ(all.size(), 2u * kPerThread);
  EXPECT_EQ(*all.rbegin(), 2 * kPerThread);
}

// ---- reads beside the writer ----

// How long a writer in these tests holds its transaction open waiting for a reader: only reached when the reader
// waits for the writer (the failure being tested for), so it can be generous.
constexpr auto kWriterPatience = std::chrono::seconds(10);

// A cold start reads the script version and its code cache while the API thread's metering flush holds a write
// transaction: the reads finish while the transaction is still open, and do not see its uncommitted rows.
TEST_F(SqliteStoreTest, ColdStartReadsDoNotWaitForTheUsageFlush) {
  std::string acme = newAccount("acme");
  ScriptVersion v = add(acme, "api", true, "export default {}");
  control_.reset();
  kv_.reset();
  auto db = SqliteDb::open(path_);
  ASSERT_OK(db);
  auto stores = openSqliteStores(db.value(), path_);
  ASSERT_OK(stores);
  ASSERT_OK(stores->codeCache->putCodeCache({CodeCacheEntry{v.id, "index.js", 7, "cache"}}));

  std::promise<void> holding;
  std::promise<void> readDone;
  std::future<void> readDoneFuture = readDone.get_future();
  bool readWhileHeld = false;
  std::thread flush([&] {
    auto s = db.value()->session();
    Status begun = s.begin();
    Status inserted = begun;
    if (begun.isOk()) {
      auto st = s.prepare("INSERT INTO usage (account_id, script_name, minute, requests, errors, cpu_us, wall_us, "
                          "subrequests, bytes_in, bytes_out, wall_billed_ms) VALUES (?1, 'api', 1, 1, 0, 0, 0, 0, "
                          "0, 0, 0)");
      inserted = st.isOk() ? st->bindText(1, acme).run() : st.status();
    }
    holding.set_value();
    // Hold the write transaction until the reads are done; they only outlast the wait if they wait for it.
    readWhileHeld = readDoneFuture.wait_for(kWriterPatience) == std::future_status::ready;
    EXPECT_TRUE(begun.isOk()) << begun.message();
    EXPECT_TRUE(inserted.isOk()) << inserted.message();
    Status committed = s.commit();
    EXPECT_TRUE(committed.isOk()) << committed.message();
  });
  holding.get_future().wait();
  auto version = stores->control->getVersion(acme, "api", v.id);
  auto cache = stores->codeCache->getCodeCache(v.id, 7);
  auto usage = stores->usage->query(acme, 0, std::numeric_limits<int64_t>::max());
  readDone.set_value();
  flush.join();

  EXPECT_TRUE(readWhileHeld) << "the reads waited for the write transaction to end";
  ASSERT_OK(version);
  ASSERT_EQ(version->modules.size(), 1u);
  EXPECT_EQ(version->modules[0].data, "export default {}");
  ASSERT_OK(cache);
  ASSERT_EQ(cache->size(), 1u);
  EXPECT_EQ(cache->front().data, "cache");
  ASSERT_OK(usage);
  EXPECT_TRUE(usage->empty()) << "a read saw a transaction that had not committed";
  auto after = stores->usage->query(acme, 0, std::numeric_limits<int64_t>::max());
  ASSERT_OK(after);
  EXPECT_EQ(after->size(), 1u);
}

// Every read, whichever read connection serves it, sees every write that returned before it began.
TEST_F(SqliteStoreTest, ReadsSeeEveryCommittedWrite) {
  std::string acme = newAccount("acme");
  auto account = control_->getAccount(acme);
  ASSERT_OK(account);
  std::string ns = newNamespace(acme, "cache");
  // More rounds than read connections, so each connection serves reads after several commits.
  for (int i = 0; i < 40; ++i) {
    ScriptVersion v = add(acme, "api", true, "round " + std::to_string(i));
    auto read = control_->getVersion(acme, "api", v.id);
    ASSERT_OK(read);
    ASSERT_EQ(read->modules.size(), 1u);
    EXPECT_EQ(read->modules[0].data, "round " + std::to_string(i));
    auto live = control_->liveDeployments();
    ASSERT_OK(live);
    ASSERT_EQ(live->size(), 1u);
    EXPECT_EQ(live->front().versions.front().versionId, v.id);

    ASSERT_OK(kv_->put(ns, "k", KvEntry{std::to_string(i), std::nullopt, ""}));
    auto entry = kv_->get(ns, "k", 0);
    ASSERT_OK(entry);
    EXPECT_EQ(entry->value, std::to_string(i));

    AccountLimits limits;
    limits.cpuMs = i + 1;
    ASSERT_OK(control_->setAccountLimits(acme, limits));
    auto readLimits = control_->getAccountLimits(acme);
    ASSERT_OK(readLimits);
    EXPECT_EQ(*readLimits, limits);
  }
  ASSERT_OK(control_->deleteScript(acme, "api"));
  EXPECT_EQ(codeOf(control_->getScript(acme, "api")), StatusCode::kNotFound);
  auto live = control_->liveDeployments();
  ASSERT_OK(live);
  EXPECT_TRUE(live->empty());
}

// Many more reading threads than read connections, beside a writer: every read finishes and is whole.
TEST_F(SqliteStoreTest, ReadersOutnumberingTheReadConnectionsAllFinish) {
  std::string acme = newAccount("acme");
  ScriptVersion first = add(acme, "api", true, "first");
  constexpr int kReaders = 16;
  constexpr int kReadsEach = 100;
  std::atomic<int> failures{0};
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    for (int i = 0; i < 50; ++i) {
      auto v = control_->addVersion(makeVersion(acme, "api", "later"), true, "upload");
      if (!v.isOk()) failures.fetch_add(1);
    }
    writing.store(false);
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < kReaders; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < kReadsEach; ++i) {
        auto v = control_->getVersion(acme, "api", first.id);
        if (!v.isOk() || v->modules.size() != 1 || v->modules[0].data != "first") failures.fetch_add(1);
      }
    });
  }
  for (auto& r : readers) r.join();
  writer.join();
  EXPECT_FALSE(writing.load());
  EXPECT_EQ(failures.load(), 0);
}

// SqliteDb's own contract: read sessions are read-only, in WAL mode, and read one snapshot each.
TEST_F(SqliteStoreTest, ReadSessionIsAReadOnlySnapshotInWalMode) {
  auto db = SqliteDb::open((dir_ / "raw.db").string());
  ASSERT_OK(db);
  ASSERT_OK(db.value()->session().exec("CREATE TABLE t (x INTEGER)"));
  auto count = [](SqliteDb::Reader& s) -> int64_t {
    auto st = s.prepare("SELECT count(*) FROM t");
    if (!st.isOk()) {
      ADD_FAILURE() << st.status().message();
      return -1;
    }
    auto row = st->step();
    if (!row.isOk() || !row.value()) {
      ADD_FAILURE() << (row.isOk() ? "no row" : row.status().message());
      return -1;
    }
    return st->columnInt(0);
  };
  {
    auto r = db.value()->readSession();
    ASSERT_OK(r);
    auto mode = r->prepare("PRAGMA journal_mode");
    ASSERT_OK(mode);
    auto row = mode->step();
    ASSERT_OK(row);
    ASSERT_TRUE(row.value());
    EXPECT_EQ(mode->columnBytes(0), "wal");
  }
  {
    auto r = db.value()->readSession();
    ASSERT_OK(r);
    EXPECT_EQ(count(r.value()), 0);
    // The writer commits while the snapshot is open (it does not wait for the reader either)...
    ASSERT_OK(db.value()->session().exec("INSERT INTO t VALUES (1)"));
    // ...and the snapshot does not move.
    EXPECT_EQ(count(r.value()), 0);
    auto write = r->prepare("INSERT INTO t VALUES (2)");
    ASSERT_OK(write);
    EXPECT_EQ(codeOf(write->run()), StatusCode::kUnavailable);
  }
  auto r = db.value()->readSession();
  ASSERT_OK(r);
  EXPECT_EQ(count(r.value()), 1);
}

// ---- opening ----

TEST_F(SqliteStoreTest, OpenFailures) {
  EXPECT_FALSE(openSqlite((dir_ / "missing-dir" / "x.db").string()).isOk());
  // No WAL mode in memory, and the read connections could not see an in-memory database anyway.
  EXPECT_EQ(codeOf(openSqlite(":memory:")), StatusCode::kUnavailable);

  std::string junk = (dir_ / "junk.db").string();
  std::ofstream(junk) << std::string(4096, 'j');
  auto notDb = openSqlite(junk);
  ASSERT_FALSE(notDb.isOk());
  EXPECT_NE(notDb.status().message().find("sqlite"), std::string::npos) << notDb.status().message();
}

TEST_F(SqliteStoreTest, RefusesANewerSchema) {
  newAccount("acme");
  control_.reset();
  kv_.reset();  // closing checkpoints the WAL into the main file
  {
    // PRAGMA user_version lives at offset 60 of the database header, big-endian.
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.good());
    f.seekp(60);
    const char version[4] = {0, 0, 0, 99};
    f.write(version, 4);
  }
  auto stores = openSqlite(path_);
  ASSERT_FALSE(stores.isOk());
  EXPECT_EQ(stores.status().code(), StatusCode::kInternal);
  EXPECT_NE(stores.status().message().find("schema version 99"), std::string::npos) << stores.status().message();
}

}  // namespace
}  // namespace islet::store
