// SqliteDb: the SQLite connections shared by the SQLite-backed stores, private to store/.
//
// One database file in WAL mode, opened as one write connection plus a few read-only connections. Every use goes
// through a session, which holds its connection's mutex for its lifetime and hands out prepared statements
// (prepared once per connection, cached for the life of the connection):
//   - session(): the write connection, for anything that writes and for reads that decide a write. It runs at most
//     one write transaction (BEGIN IMMEDIATE). A Session that ends with its transaction still open rolls it back,
//     so an early `return status;` never leaves a half-written change behind.
//   - readSession(): one of the read-only connections, for reads that stand alone. WAL lets them read while the
//     write connection holds a write transaction, so a read never waits for a writer (only, when every read
//     connection is busy, for another reader). A ReadSession reads one snapshot: every commit that returned before
//     its first statement ran, and nothing committed after.
// Any thread may call session() and readSession(); a session itself belongs to the thread that made it.
//
// Every SQLite return code becomes a Status: busy/locked/full/I-O errors are kUnavailable, constraint violations
// map to kAlreadyExists (UNIQUE, PRIMARY KEY), kNotFound (FOREIGN KEY) or kInvalidArgument, anything else is
// kInternal. Messages name the operation and carry SQLite's own message.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

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
  class Reader;
  class Session;
  class ReadSession;

  // Opens (creating if missing) the database at `path` in WAL mode with synchronous=FULL, foreign keys on and a
  // busy timeout for other processes holding the file, then its read-only connections. Fails when the file cannot
  // use WAL mode, which rules out in-memory databases (a second connection could not see them anyway).
  static Result<std::shared_ptr<SqliteDb>> open(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // The write connection; blocks until it is free.
  Session session();
  // A free read-only connection, with its snapshot transaction begun; blocks only when every read connection is in
  // use. Fails (kUnavailable, kInternal) when the transaction cannot begin.
  Result<ReadSession> readSession();

 private:
  // One sqlite3 handle with its mutex and its statement cache.
  struct Connection {
    ~Connection();  // finalizes the statements and closes the handle

    // The cached statement for `sql`, prepared on first use. Call with `mutex` held.
    Result<Statement> prepare(std::string_view sql);

    std::mutex mutex;
    sqlite3* db = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> statements;  // guarded by mutex
  };

  SqliteDb() = default;
  static Result<std::unique_ptr<Connection>> connect(const std::string& path, int flags);

  std::unique_ptr<Connection> writer_;
  std::vector<std::unique_ptr<Connection>> readers_;  // never empty once open() succeeded
  std::atomic<size_t> nextReader_{0};                 // where readSession() starts looking for a free one
};

// What every session offers: exclusive use of one connection and its prepared statements. Helpers that only read
// take a Reader&, so they serve both kinds of session. Not thread-safe itself; create one per call.
class SqliteDb::Reader {
 public:
  Reader(Reader&&) = default;

  // A prepared statement for `sql`, which must not contain values (bind them).
  Result<Statement> prepare(std::string_view sql);

 protected:
  Reader(std::unique_lock<std::mutex> lock, Connection& connection)
      : lock_(std::move(lock)), connection_(&connection) {}
  ~Reader() = default;

  std::unique_lock<std::mutex> lock_;  // does not own the mutex once moved from
  Connection* connection_;
};

// Exclusive use of the write connection.
class SqliteDb::Session : public Reader {
 public:
  ~Session();
  Session(Session&&) = default;

  // Runs SQL without parameters or results (DDL, pragmas that return nothing); several statements allowed.
  Status exec(const char* sql);

  Status begin();   // BEGIN IMMEDIATE: takes the write lock now, so the transaction cannot fail to upgrade later
  Status commit();  // durable when OK; on failure the transaction is rolled back when the Session ends

 private:
  friend class SqliteDb;
  explicit Session(Connection& connection) : Reader(std::unique_lock(connection.mutex), connection) {}
};

// Exclusive use of one read-only connection, inside a read transaction that gives its statements one snapshot
// and ends with the session. Statements that write fail (kUnavailable: SQLITE_READONLY).
class SqliteDb::ReadSession : public Reader {
 public:
  ~ReadSession();
  ReadSession(ReadSession&&) = default;

 private:
  friend class SqliteDb;
  ReadSession(std::unique_lock<std::mutex> lock, Connection& connection) : Reader(std::move(lock), connection) {}
};

// Maps an SQLite result code to a Status whose message starts with `what`.
Status sqliteStatus(sqlite3* db, int rc, std::string_view what);

}  // namespace islet::store
