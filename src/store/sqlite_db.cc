#include "store/sqlite_db.h"

#include <sqlite3.h>

#include <algorithm>
#include <cassert>
#include <thread>

#include "base/log.h"

namespace islet::store {
namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr size_t kMinReadConnections = 2;
constexpr size_t kMaxReadConnections = 8;

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

SqliteDb::Connection::~Connection() {
  for (auto& [sql, stmt] : statements) {
    // finalize repeats the last step's error, already reported to whoever ran it.
    (void)sqlite3_finalize(stmt);
  }
  if (db == nullptr) return;
  int rc = sqlite3_close(db);
  if (rc != SQLITE_OK) log::error("{}", describe(db, rc, "closing the database"));
}

Result<Statement> SqliteDb::Connection::prepare(std::string_view sql) {
  auto it = statements.find(std::string(sql));
  if (it == statements.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                nullptr);
    if (rc != SQLITE_OK) return sqliteStatus(db, rc, "preparing '" + std::string(sql) + "'");
    if (stmt == nullptr) return Status::internal("sqlite: '" + std::string(sql) + "' holds no statement");
    it = statements.emplace(std::string(sql), stmt).first;
  }
  return Statement(it->second, it->first);
}

Result<std::unique_ptr<SqliteDb::Connection>> SqliteDb::connect(const std::string& path, int flags) {
  auto connection = std::make_unique<Connection>();
  // Each connection is guarded by its own mutex, so SQLite's per-connection mutex is unneeded (NOMUTEX).
  int rc = sqlite3_open_v2(path.c_str(), &connection->db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  const bool readOnly = (flags & SQLITE_OPEN_READONLY) != 0;
  // A failed open may still allocate a handle; ~Connection closes it.
  if (rc != SQLITE_OK) return sqliteStatus(connection->db, rc, "opening " + path + (readOnly ? " to read" : ""));
  rc = sqlite3_extended_result_codes(connection->db, 1);
  if (rc != SQLITE_OK) return sqliteStatus(connection->db, rc, "enabling extended result codes");
  // Other processes may hold the file; and even in WAL mode a reader may briefly wait, e.g. while the WAL index is
  // rebuilt after a crash.
  rc = sqlite3_busy_timeout(connection->db, kBusyTimeoutMs);
  if (rc != SQLITE_OK) return sqliteStatus(connection->db, rc, "setting the busy timeout");
  return connection;
}

Result<std::shared_ptr<SqliteDb>> SqliteDb::open(const std::string& path) {
  // NOMUTEX still requires a library built thread-safe.
  if (sqlite3_threadsafe() == 0) return Status::internal("sqlite: the library was built without thread support");

  std::shared_ptr<SqliteDb> db(new SqliteDb());
  STORE_ASSIGN_OR_RETURN(db->writer_, connect(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  {
    Session session = db->session();
    {
      // journal_mode answers with the mode in force, which stays the old one when WAL is impossible (e.g. a
      // filesystem without shared memory, or an in-memory database); an acknowledged write is only durable as
      // promised, and the read connections only read beside the writer, in WAL mode.
      STORE_ASSIGN_OR_RETURN(Statement st, session.prepare("PRAGMA journal_mode=WAL"));
      STORE_ASSIGN_OR_RETURN(bool row, st.step());
      std::string mode = row ? st.columnBytes(0) : "";
      if (mode != "wal") {
        return Status::unavailable("sqlite: " + path + ": cannot use WAL mode (mode is '" + mode + "')");
      }
    }
    STORE_RETURN_IF_ERROR(session.exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON"));
    {
      // A build without foreign-key support ignores the pragma silently; the stores rely on its cascades.
      STORE_ASSIGN_OR_RETURN(Statement st, session.prepare("PRAGMA foreign_keys"));
      STORE_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row || st.columnInt(0) != 1) return Status::internal("sqlite: foreign keys cannot be enabled");
    }
  }

  // One read connection per core, as the data plane runs one event-loop thread per core: in the common case no
  // reader waits for another. Each costs a file handle and its own page cache, hence the cap.
  const size_t readers = std::clamp<size_t>(std::thread::hardware_concurrency(), kMinReadConnections,
                                            kMaxReadConnections);
  for (size_t i = 0; i < readers; ++i) {
    STORE_ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, connect(path, SQLITE_OPEN_READONLY));
    {
      // The mode is a property of the file, so this only fails if the file changed under us; a reader outside WAL
      // mode would wait for the writer, which is what these connections exist to avoid.
      std::lock_guard lock(reader->mutex);
      STORE_ASSIGN_OR_RETURN(Statement st, reader->prepare("PRAGMA journal_mode"));
      STORE_ASSIGN_OR_RETURN(bool row, st.step());
      std::string mode = row ? st.columnBytes(0) : "";
      if (mode != "wal") {
        return Status::unavailable("sqlite: " + path + ": a read connection is not in WAL mode (mode is '" + mode +
                                   "')");
      }
    }
    db->readers_.push_back(std::move(reader));
  }
  return db;
}

SqliteDb::~SqliteDb() {
  // The read connections close first: the last connection to close checkpoints the WAL into the database file and
  // removes it, and only the write connection can.
  readers_.clear();
  writer_.reset();
}

SqliteDb::Session SqliteDb::session() { return Session(*writer_); }

Result<SqliteDb::ReadSession> SqliteDb::readSession() {
  assert(!readers_.empty() && "readSession() on a database that did not open");
  // Start at a different connection on each call and take the first free one; when all are busy, wait for the
  // first (another reader's short read, never a write transaction).
  const size_t first = nextReader_.fetch_add(1, std::memory_order_relaxed);
  Connection* connection = nullptr;
  std::unique_lock<std::mutex> lock;
  for (size_t i = 0; i < readers_.size(); ++i) {
    Connection& candidate = *readers_[(first + i) % readers_.size()];
    lock = std::unique_lock(candidate.mutex, std::try_to_lock);
    if (lock.owns_lock()) {
      connection = &candidate;
      break;
    }
  }
  if (connection == nullptr) {
    connection = readers_[first % readers_.size()].get();
    lock = std::unique_lock(connection->mutex);
  }
  ReadSession session(std::move(lock), *connection);
  {
    // A deferred BEGIN: the snapshot is taken by the session's first statement and kept until the session ends.
    STORE_ASSIGN_OR_RETURN(Statement begin, session.prepare("BEGIN"));
    STORE_RETURN_IF_ERROR(begin.run());
  }
  return session;
}

// ---- sessions ----

Result<Statement> SqliteDb::Reader::prepare(std::string_view sql) { return connection_->prepare(sql); }

SqliteDb::Session::~Session() {
  if (!lock_.owns_lock()) return;  // moved from
  sqlite3* db = connection_->db;
  if (sqlite3_get_autocommit(db) != 0) return;  // no transaction open (SQLite may have rolled back already)
  int rc = sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) log::error("{}", describe(db, rc, "rolling back"));
}

Status SqliteDb::Session::exec(const char* sql) {
  int rc = sqlite3_exec(connection_->db, sql, nullptr, nullptr, nullptr);
  return sqliteStatus(connection_->db, rc, std::string("running '") + sql + "'");
}

Status SqliteDb::Session::begin() {
  assert(sqlite3_get_autocommit(connection_->db) != 0 && "a transaction is already open");
  return exec("BEGIN IMMEDIATE");
}

Status SqliteDb::Session::commit() { return exec("COMMIT"); }

SqliteDb::ReadSession::~ReadSession() {
  if (!lock_.owns_lock()) return;  // moved from
  sqlite3* db = connection_->db;
  if (sqlite3_get_autocommit(db) != 0) return;  // BEGIN failed, or SQLite ended the transaction after an error
  // Ending the read transaction releases its snapshot (which would otherwise hold back checkpoints and hide later
  // commits from this connection's next session). It wrote nothing, so COMMIT and ROLLBACK are the same; the
  // ROLLBACK is a second way out, so that a connection is never left inside a stale snapshot.
  auto commit = connection_->prepare("COMMIT");
  Status ended = commit.isOk() ? commit->run() : commit.status();
  if (ended.isOk()) return;
  log::error("{}", ended.message());
  int rc = sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) log::error("{}", describe(db, rc, "ending a read transaction"));
}

}  // namespace islet::store
