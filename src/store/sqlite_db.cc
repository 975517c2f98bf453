#include "store/sqlite_db.h"

#include <sqlite3.h>

#include <cassert>

#include "base/log.h"

namespace islet::store {
namespace {

constexpr int kBusyTimeoutMs = 5000;

std::string describe(sqlite3* db, int rc, std::string_view what) {
  std::string m = "sqlite: ";
  m += what;
  m += ": ";
  // sqlite3_errmsg describes the most recent failure on the connection, which is this one when rc came from it.
  m += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  m += " (code ";
  m += std::to_string(rc);
  m += ")";
  return m;
}

}  // namespace

Status sqliteStatus(sqlite3* db, int rc, std::string_view what) {
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return Status::ok();
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_NOMEM:
      return Status::unavailable(describe(db, rc, what));
    case SQLITE_CONSTRAINT:
      switch (rc) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
          return Status::alreadyExists(describe(db, rc, what));
        case SQLITE_CONSTRAINT_FOREIGNKEY:
          return Status::notFound(describe(db, rc, what));
        default:
          return Status::invalidArgument(describe(db, rc, what));
      }
    case SQLITE_TOOBIG:
      return Status::invalidArgument(describe(db, rc, what));
    default:  // SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_ERROR (bad SQL, schema mismatch), misuse...
      return Status::internal(describe(db, rc, what));
  }
}

// ---- Statement ----

Statement::Statement(sqlite3_stmt* stmt, std::string_view sql) : stmt_(stmt), sql_(sql) {}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), sql_(other.sql_), bindStatus_(std::move(other.bindStatus_)) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  // sqlite3_reset repeats the error of the last step, which step()/run() already reported; clear_bindings cannot
  // fail. Neither result carries new information.
  (void)sqlite3_reset(stmt_);
  (void)sqlite3_clear_bindings(stmt_);
}

Statement& Statement::noteBind(int rc, int index) {
  if (rc != SQLITE_OK && bindStatus_.isOk()) {
    bindStatus_ = sqliteStatus(sqlite3_db_handle(stmt_), rc,
                               "binding parameter " + std::to_string(index) + " of '" + std::string(sql_) + "'");
  }
  return *this;
}

Statement& Statement::bindText(int index, std::string_view text) {
  // data() of an empty string_view may be null, which SQLite would bind as NULL rather than ''.
  const char* p = text.data() != nullptr ? text.data() : "";
  return noteBind(sqlite3_bind_text64(stmt_, index, p, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8), index);
}

Statement& Statement::bindBlob(int index, std::string_view bytes) {
  const char* p = bytes.data() != nullptr ? bytes.data() : "";
  return noteBind(sqlite3_bind_blob64(stmt_, index, p, bytes.size(), SQLITE_TRANSIENT), index);
}

Statement& Statement::bindInt(int index, int64_t value) {
  return noteBind(sqlite3_bind_int64(stmt_, index, value), index);
}

Statement& Statement::bindOptionalInt(int index, std::optional<int64_t> value) {
  return value ? bindInt(index, *value) : bindNull(index);
}

Statement& Statement::bindDouble(int index, double value) {
  return noteBind(sqlite3_bind_double(stmt_, index, value), index);
}

Statement& Statement::bindNull(int index) { return noteBind(sqlite3_bind_null(stmt_, index), index); }

Result<bool> Statement::step() {
  if (!bindStatus_.isOk()) return bindStatus_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqliteStatus(sqlite3_db_handle(stmt_), rc, "running '" + std::string(sql_) + "'");
}

Status Statement::run() {
  STORE_ASSIGN_OR_RETURN(bool row, step());
  if (row) return Status::internal("sqlite: '" + std::string(sql_) + "' returned a row where none was expected");
  return Status::ok();
}

int64_t Statement::changes() const { return sqlite3_changes64(sqlite3_db_handle(stmt_)); }

int64_t Statement::columnInt(int index) const { return sqlite3_column_int64(stmt_, index); }

double Statement::columnDouble(int index) const { return sqlite3_column_double(stmt_, index); }

std::string Statement::columnBytes(int index) const {
  // Ask for the pointer first, then the size: that order keeps SQLite from converting the value in between.
  const void* p = sqlite3_column_blob(stmt_, index);
  int n = sqlite3_column_bytes(stmt_, index);
  if (p == nullptr || n <= 0) return std::string();
  return std::string(static_cast<const char*>(p), static_cast<size_t>(n));
}

bool Statement::columnIsNull(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

// ---- SqliteDb ----

Result<std::shared_ptr<SqliteDb>> SqliteDb::open(const std::string& path) {
  // The connection is guarded by our own mutex, so SQLite's per-connection mutex is unneeded (NOMUTEX); that still
  // requires a library built thread-safe.
  if (sqlite3_threadsafe() == 0) return Status::internal("sqlite: the library was built without thread support");

  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    Status s = sqliteStatus(raw, rc, "opening " + path);
    // A failed open may still allocate a handle, which must be closed; closing an unused handle cannot fail.
    (void)sqlite3_close(raw);
    return s;
  }
  std::shared_ptr<SqliteDb> db(new SqliteDb(raw));

  rc = sqlite3_extended_result_codes(raw, 1);
  if (rc != SQLITE_OK) return sqliteStatus(raw, rc, "enabling extended result codes");
  rc = sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  if (rc != SQLITE_OK) return sqliteStatus(raw, rc, "setting the busy timeout");

  Session session = db->session();
  {
    // journal_mode answers with the mode in force, which stays the old one when WAL is impossible (e.g. a
    // filesystem without shared memory); an acknowledged write is only durable as promised in WAL mode.
    STORE_ASSIGN_OR_RETURN(Statement st, session.prepare("PRAGMA journal_mode=WAL"));
    STORE_ASSIGN_OR_RETURN(bool row, st.step());
    std::string mode = row ? st.columnBytes(0) : "";
    if (mode != "wal") return Status::unavailable("sqlite: " + path + ": cannot use WAL mode (mode is '" + mode + "')");
  }
  STORE_RETURN_IF_ERROR(session.exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON"));
  {
    // A build without foreign-key support ignores the pragma silently; the stores rely on its cascades.
    STORE_ASSIGN_OR_RETURN(Statement st, session.prepare("PRAGMA foreign_keys"));
    STORE_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row || st.columnInt(0) != 1) return Status::internal("sqlite: foreign keys cannot be enabled");
  }
  return db;
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, stmt] : statements_) {
    // finalize repeats the last step's error, already reported to whoever ran it.
    (void)sqlite3_finalize(stmt);
  }
  int rc = sqlite3_close(db_);
  if (rc != SQLITE_OK) log::error("{}", describe(db_, rc, "closing the database"));
}

SqliteDb::Session SqliteDb::session() { return Session(this); }

// ---- Session ----

SqliteDb::Session::~Session() {
  if (!lock_.owns_lock()) return;  // moved from
  if (sqlite3_get_autocommit(db_->db_) != 0) return;  // no transaction open (SQLite may have rolled back already)
  int rc = sqlite3_exec(db_->db_, "ROLLBACK", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) log::error("{}", describe(db_->db_, rc, "rolling back"));
}

Result<Statement> SqliteDb::Session::prepare(std::string_view sql) {
  auto it = db_->statements_.find(std::string(sql));
  if (it == db_->statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_->db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                &stmt, nullptr);
    if (rc != SQLITE_OK) return sqliteStatus(db_->db_, rc, "preparing '" + std::string(sql) + "'");
    if (stmt == nullptr) return Status::internal("sqlite: '" + std::string(sql) + "' holds no statement");
    it = db_->statements_.emplace(std::string(sql), stmt).first;
  }
  return Statement(it->second, it->first);
}

Status SqliteDb::Session::exec(const char* sql) {
  int rc = sqlite3_exec(db_->db_, sql, nullptr, nullptr, nullptr);
  return sqliteStatus(db_->db_, rc, std::string("running '") + sql + "'");
}

Status SqliteDb::Session::begin() {
  assert(sqlite3_get_autocommit(db_->db_) != 0 && "a transaction is already open");
  return exec("BEGIN IMMEDIATE");
}

Status SqliteDb::Session::commit() { return exec("COMMIT"); }

}  // namespace islet::store
