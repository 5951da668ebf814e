#pragma once
// The pending_upload table: objects a save is putting into storage before
// its artifact row exists. A save that dies or fails leaves its row, and a
// later save removes the object (or unfinished upload) it names.
#include "core/catalog/catalog.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::catalog {

struct PendingUpload {
    std::string object_name;
    std::string host;
    int64_t pid = 0;
};

// Each opens its own write transaction.
void add_pending_upload(Catalog& c, const std::string& object_name, int64_t storage_id,
                        int64_t started_at, const std::string& host, int64_t pid);
// Call inside a write transaction (a save registering its objects together,
// a rotation registering the key objects it replaces as it commits).
void add_pending_upload_in_transaction(Catalog& c, const std::string& object_name, int64_t storage_id,
                                       int64_t started_at, const std::string& host, int64_t pid);
void forget_pending_upload(Catalog& c, const std::string& object_name);

// Call inside a write transaction (the save that records its artifact:
// all its objects in one statement, one round trip while it holds the
// catalog's write lock).
void forget_pending_upload_in_transaction(Catalog& c, const std::string& object_name);
void forget_pending_uploads_in_transaction(Catalog& c, const std::vector<std::string>& object_names);

// Every pending upload's object name, sorted.
std::vector<std::string> pending_upload_names(Catalog& c);

// Uploads to this storage started before `started_before` (ms).
std::vector<PendingUpload> pending_uploads_before(Catalog& c, int64_t storage_id, int64_t started_before);

} // namespace cairn::catalog
