// SqliteDb: one SQLite connection shared by the SQLite-backed stores, private to store/.
//
// The connection is used by one thread at a time: every use goes through a Session, which holds the connection's
// mutex for its lifetime, hands out prepared statements (prepared once, cached for the life of the connection) and
// runs at most one write transaction (BEGIN IMMEDIATE). A Session that ends with its transaction still open rolls it
// back, so an early `return status;` never leaves a half-written change behind.
//
// Every SQLite return code becomes a Status: busy/locked/full/I-O errors are kUnavailable, constraint violations
// map to kAlreadyExists (UNIQUE, PRIMARY KEY), kNotFound (FOREIGN KEY) or kInvalidArgument, anything else is
// kInternal. Messages name the operation and carry SQLite's own message.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace islet::store {

// Propagation helpers for this folder's implementation files.
inline const Status& statusOf(const Status& s) { return s; }
template <typename T>
const Status& statusOf(const Result<T>& r) { return r.status(); }

#define STORE_RETURN_IF_ERROR(expr)                             \
  do {                                                          \
    if (auto&& store_r_ = (expr); !store_r_.isOk()) {           \
      return ::islet::store::statusOf(store_r_);                \
    }                                                           \
  } while (0)

#define STORE_CONCAT_INNER_(a, b) a##b
#define STORE_CONCAT_(a, b) STORE_CONCAT_INNER_(a, b)
#define STORE_ASSIGN_OR_RETURN_(tmp, lhs, expr) \
  auto tmp = (expr);                            \
  if (!tmp.isOk()) return tmp.status();         \
  lhs = std::move(tmp).value()
// STORE_ASSIGN_OR_RETURN(auto x, resultExpr): declares x from the value, or returns the Status.
#define STORE_ASSIGN_OR_RETURN(lhs, expr) STORE_ASSIGN_OR_RETURN_(STORE_CONCAT_(store_result_, __LINE__), lhs, expr)

// A cached prepared statement, borrowed for one use: it is reset and its bindings cleared when this goes out of
// scope. Bind calls are chained; the first failing bind is reported by the next step()/run().
class Statement {
 public:
  Statement(sqlite3_stmt* stmt, std::string_view sql);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQLite. Values are copied, so temporaries are fine.
  Statement& bindText(int index, std::string_view text);
  Statement& bindBlob(int index, std::string_view bytes);  // compared bytewise (memcmp) by SQLite
  Statement& bindInt(int index, int64_t value);
  Statement& bindOptionalInt(int index, std::optional<int64_t> value);  // nullopt binds NULL
  Statement& bindDouble(int index, double value);
  Statement& bindNull(int index);

  // Advances: true when a row is ready to read, false when the statement is done.
  Result<bool> step();
  // Runs a statement that returns no rows to completion.
  Status run();
  // Rows changed by the last run() (not counting foreign-key cascades).
  int64_t changes() const;

  int64_t columnInt(int index) const;  // 0-based, as in SQLite
  double columnDouble(int index) const;
  std::string columnBytes(int index) const;  // TEXT or BLOB, embedded NULs kept; NULL reads as ""
  bool columnIsNull(int index) const;

 private:
  Statement& noteBind(int rc, int index);

  sqlite3_stmt* stmt_;
  std::string_view sql_;  // for messages; points into the connection's statement cache
  Status bindStatus_;
};

class SqliteDb {
 public:
  class Session;

  // Opens (creating if missing) the database at `path` in WAL mode with synchronous=FULL, foreign keys on and
  // a busy timeout for other processes holding the file.
  static Result<std::shared_ptr<SqliteDb>> open(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Blocks until the connection is free.
  Session session();

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}

  std::mutex mutex_;
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;  // guarded by mutex_
};

// Exclusive use of the connection. Not thread-safe itself; create one per call.
class SqliteDb::Session {
 public:
  ~Session();
  Session(Session&&) = default;

  // A prepared statement for `sql`, which must not contain values (bind them).
  Result<Statement> prepare(std::string_view sql);
  // Runs SQL without parameters or results (DDL, pragmas that return nothing); several statements allowed.
  Status exec(const char* sql);

  Status begin();   // BEGIN IMMEDIATE: takes the write lock now, so the transaction cannot fail to upgrade later
  Status commit();  // durable when OK; on failure the transaction is rolled back when the Session ends

 private:
  friend class SqliteDb;
  explicit Session(SqliteDb* db) : lock_(db->mutex_), db_(db) {}

  std::unique_lock<std::mutex> lock_;
  SqliteDb* db_;
};

// Maps an SQLite result code to a Status whose message starts with `what`.
Status sqliteStatus(sqlite3* db, int rc, std::string_view what);

}  // namespace islet::store
