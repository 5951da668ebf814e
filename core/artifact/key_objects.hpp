#pragma once
// Key custody on a shared catalog (issue 16 item 6). A database keeps what
// it deleted in dead tuples, its write-ahead log, replicas and backups, so a
// wrapped data key that ever entered a PostgreSQL catalog cannot be erased
// for good. On such a catalog each artifact's wrapped data key lives in a
// key object in storage, beside the data object, and the row holds only a
// key reference: one type byte (0x10) and the SHA-256 of the key object.
// The wrap MAC covers the reference (core/artifact/seal.hpp), so a key
// object swapped or edited in storage fails at load, and purge destroys the
// key object with every version of it, as it destroys the data object.
// SQLite catalogs keep the wrapped key in the row (scrubbed by purge).
#include "core/catalog/artifacts.hpp"
#include "core/catalog/catalog.hpp"
#include "core/crypto/secret.hpp"
#include "core/storage/backend.hpp"
#include "core/util/fs.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {
class Instance;
}

namespace cairn::artifact {

constexpr unsigned char k_key_reference_type = 0x10;

// Whether new data keys on this catalog go to key objects (PostgreSQL) or
// stay in the row (SQLite).
bool keys_in_objects(const catalog::Catalog& catalog);

// Whether a row's wrapped_key column holds a key reference.
bool is_key_reference(std::string_view wrapped_key_column);

// The reference stored in the row for a key object holding `wrapped`.
std::string key_reference(std::string_view wrapped);

// "<object_name>.<key_id>.key": a rotation writes the new key object under
// a new name before it commits, so the old one stays valid until then.
std::string key_object_name(std::string_view object_name, std::string_view key_id);

// Writes `wrapped` as key object `name` through `temp` (an empty 0600
// temp file, e.g. Cache::new_temp(), removed afterwards) and returns its
// reference. Throws Error(storage) on failure.
std::string store_key_object(storage::Backend& storage, fs::TempFile temp, const std::string& name,
                             std::string_view wrapped);

// Reads key object `name` and checks it against `reference` in constant
// time. Integrity error when it is missing or differs; storage error when
// the store cannot be read.
std::string read_key_object(storage::Backend& storage, const std::string& name, std::string_view reference, const std::string& artifact_uid);

// The wrapped data key of `row`: the row's own, or its key object's.
std::string wrapped_data_key(Instance& inst, const catalog::ArtifactRow& row);

// The data key of `row`, unwrapped with the instance's key ring.
crypto::SecretKey unwrap_data_key(Instance& inst, const catalog::ArtifactRow& row);

// Moves every wrapped key still in its row into a key object and puts the
// reference (and a new wrap MAC) in the row, in the caller's transaction:
// catalog migrate does this before copying rows, so no wrapped key enters
// the PostgreSQL catalog. Appends each key object written to `written`,
// for the caller to remove if its transaction does not commit.
int64_t move_keys_to_objects(Instance& inst, std::vector<std::string>& written);

} // namespace cairn::artifact
