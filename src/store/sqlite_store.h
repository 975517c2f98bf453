// The SQLite backend of store.h over a SqliteDb the caller opened, private to store/: openSqlite(path) is
// SqliteDb::open(path) followed by openSqliteStores. Tests use it to hold the database's sessions beside the stores.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace islet::store {

// Brings the schema of `db` up to this build's version and returns the stores over it, which share `db` with the
// caller. `path` names the file in messages. Fails (kInternal) on a schema newer than this build's, and with the
// Status of any SQLite failure.
Result<SqliteStores> openSqliteStores(std::shared_ptr<SqliteDb> db, const std::string& path);

}  // namespace islet::store
