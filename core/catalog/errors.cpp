#include "core/catalog/errors.hpp"

#include "core/util/fs.hpp"

#include <sqlite3.h>

namespace cairn::catalog {

Error read_only_catalog(const std::filesystem::path& db, const std::string& detail) {
    const std::string name = db.empty() ? std::string("the catalog") : "the catalog " + db.string();
    const std::string dir = db.empty() ? std::string(".cairn/") : db.parent_path().string();
    // Reads record an audit event before they show anything, so a catalog
    // this account cannot write serves nothing but audit verify.
    return Error(ErrorKind::permission,
                 "cannot write " + name + " (" + detail +
                     "): every command records an audit event, so nothing was done or shown",
                 "run cairn as an account that can write " + dir +
                     " and the files in it; 'cairn audit verify' reads a read-only copy");
}

Error catalog_error(const SQLite::Exception& e, const std::filesystem::path& db) {
    const std::string name = db.empty() ? std::string("the catalog") : "the catalog " + db.string();
    const std::string dir = db.empty() ? std::string(".cairn/") : db.parent_path().string();
    switch (e.getErrorCode() & 0xff) {
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
        return read_only_catalog(db, e.what());
    case SQLITE_FULL: {
        const auto free = db.empty() ? std::nullopt : fs::free_bytes(db);
        return Error(ErrorKind::storage,
                     "cannot write " + name + ": the disk is full (" +
                         (free ? fs::format_bytes(*free) + " free there" : std::string("free space unknown")) +
                         "); nothing was changed",
                     "free space on the filesystem of " + dir + ", then run the command again");
    }
    case SQLITE_IOERR:
        return Error(ErrorKind::storage, "disk I/O error on " + name + " (" + e.what() + ")",
                     "check the disk holding " + dir + " (dmesg), then run the command again");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return Error(ErrorKind::conflict, name + " stayed locked by another process (" + e.what() + ")",
                     "run the command again; a long-running cairn or sqlite3 may hold it");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return Error(ErrorKind::integrity, name + " is damaged (" + e.what() + ")",
                     "restore it from a backup, then run 'cairn audit verify'");
    default:
        return Error(ErrorKind::internal, std::string("catalog error: ") + e.what());
    }
}

} // namespace cairn::catalog
