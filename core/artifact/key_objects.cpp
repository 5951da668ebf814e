#include "core/artifact/key_objects.hpp"

#include "core/artifact/seal.hpp"
#include "core/catalog/seals.hpp"
#include "core/crypto/sha256.hpp"
#include "core/instance/instance.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"

namespace cairn::artifact {

namespace {

// A wrapped data key is under 200 bytes (docs/FORMAT.md); anything this
// large is not a key object.
constexpr uint64_t k_max_key_object = 4096;

std::span<const std::byte> bytes_of(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

} // namespace

bool keys_in_objects(const catalog::Catalog& catalog) { return !catalog.is_sqlite(); }

bool is_key_reference(std::string_view column) {
    return column.size() == 33 && static_cast<unsigned char>(column[0]) == k_key_reference_type;
}

std::string key_reference(std::string_view wrapped) {
    crypto::Sha256 h;
    h.update(wrapped);
    const auto digest = h.finish();
    std::string out(1, static_cast<char>(k_key_reference_type));
    out.append(reinterpret_cast<const char*>(digest.data()), digest.size());
    return out;
}

std::string key_object_name(std::string_view object_name, std::string_view key_id) {
    return std::string(object_name) + "." + std::string(key_id) + ".key";
}

std::string store_key_object(storage::Backend& storage, fs::TempFile temp, const std::string& name,
                             std::string_view wrapped) {
    fs::write_all(temp.fd(), bytes_of(wrapped), temp.path());
    temp.close();
    if (auto st = storage.put(name, temp.path()); !st)
        throw Error(ErrorKind::storage, "cannot store key object " + name + " in " + storage.describe() + ": " + st.error().message,
                    "check the storage and try again");
    return key_reference(wrapped);
}

std::string read_key_object(storage::Backend& storage, const std::string& name, std::string_view reference, const std::string& artifact_uid) {
    auto got = storage.get_range(name, 0, k_max_key_object);
    if (!got) {
        if (got.error().kind == storage::FailureKind::not_found)
            throw Error(ErrorKind::integrity,
                        "the key object " + name + " of artifact " + artifact_uid + " is missing from " + storage.describe(),
                        "without it the artifact cannot be decrypted: it was purged, or removed outside cairn");
        throw Error(ErrorKind::storage,
                    "cannot read key object " + name + " from " + storage.describe() + ": " + got.error().message,
                    "check the storage and try again");
    }
    const std::string expected = key_reference(*got);
    if (got->size() >= k_max_key_object ||
        !crypto::constant_time_equal(bytes_of(expected), bytes_of(reference)))
        throw Error(ErrorKind::integrity,
                    "the key object " + name + " of artifact " + artifact_uid +
                        " is not the one the catalog recorded: it was replaced or edited in storage",
                    "nothing was decrypted; run 'cairn audit verify' and restore the object from a backup");
    return std::move(*got);
}

std::string wrapped_data_key(Instance& inst, const catalog::ArtifactRow& row) {
    if (!is_key_reference(row.wrapped_key)) return row.wrapped_key;
    return read_key_object(inst.storage(), key_object_name(row.object_name, row.key_id),
                           row.wrapped_key, row.uid);
}

crypto::SecretKey unwrap_data_key(Instance& inst, const catalog::ArtifactRow& row) {
    return inst.keyring().unwrap(wrapped_data_key(inst, row));
}

int64_t move_keys_to_objects(Instance& inst, std::vector<std::string>& written) {
    catalog::Catalog& catalog = inst.catalog();
    sql::Statement update(catalog.sql(), "UPDATE artifact SET wrapped_key = ? WHERE id = ?");
    int64_t moved = 0;
    catalog::for_each_sealed_artifact(catalog, [&](catalog::ArtifactRow& row) {
        if (is_key_reference(row.wrapped_key)) return;
        require_wrap_mac(catalog, row, "nothing was moved; run 'cairn audit verify' and restore .cairn/ from a backup");
        const std::string name = key_object_name(row.object_name, row.key_id);
        written.push_back(name);
        row.wrapped_key = store_key_object(inst.storage(), inst.cache().new_temp(), name, row.wrapped_key);
        update.bind(1, row.wrapped_key.data(), static_cast<int>(row.wrapped_key.size()));
        update.bind(2, row.id);
        update.exec();
        update.reset();
        stamp_wrap_mac(catalog, row);
        ++moved;
    });
    return moved;
}

} // namespace cairn::artifact
