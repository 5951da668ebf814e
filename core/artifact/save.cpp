#include "core/artifact/save.hpp"

#include "core/artifact/seal.hpp"

#include "core/artifact/folder.hpp"
#include "core/artifact/key_objects.hpp"
#include "core/access/identity.hpp"
#include "core/artifact/ref.hpp"
#include "core/audit/audit.hpp"
#include "core/catalog/pending_uploads.hpp"
#include "core/crypto/parallel_tree_hasher.hpp"
#include "core/crypto/stream.hpp"
#include "core/util/error.hpp"
#include "core/util/random.hpp"
#include "core/util/time.hpp"

#include <algorithm>
#include <array>
#include <csignal>
#include <unistd.h>
#include <sys/stat.h>

namespace cairn::artifact {

namespace stdfs = std::filesystem;

namespace {

// Random object names: they reveal neither key nor content hash.
std::string new_object_name() {
    std::string id = random_hex(16);
    return "objects/" + id.substr(0, 2) + "/" + id;
}

struct Prepared {
    std::string kind;
    uint64_t size = 0;
    uint64_t n_files = 1;
    crypto::TreeHashResult hash;
    std::vector<std::string> skipped;
};

// After the content, the object's plaintext carries the leaf digests
// (docs/FORMAT.md section 4), so a range read can verify its leaves against
// the root without reading the rest of the content.
void write_leaf_table(const crypto::DigestTable& leaves, crypto::StreamEncryptor& enc) {
    leaves.for_each([&](std::span<const crypto::Digest> run) { enc.write(std::as_bytes(run)); });
}

// Test hook (tests/cli/test_tree_hash.sh): CAIRN_TEST_SAVE_PLAIN_SHA256=1
// saves as cairn did before issue 17 (plain SHA-256 identity, no leaf
// table), so the upgrade path is tested against real pre-tree artifacts.
bool writes_plain_sha256_artifacts() {
    const char* v = std::getenv("CAIRN_TEST_SAVE_PLAIN_SHA256");
    return v && std::string_view(v) == "1";
}

// One pass over the source: every byte read is hashed and encrypted. This
// thread only reads; the leaves are hashed on a pool of threads, and
// encrypted and written in order on one more (issue 17).
Prepared hash_and_encrypt(const SaveOptions& o, const std::vector<stdfs::path>& excluded,
                          crypto::StreamEncryptor& enc, crypto::PlainSha256 plain, const stdfs::path& spill_dir) {
    Prepared p;
    uint64_t done = 0; // touched by the hasher's ordered thread only, until finish()
    const uint64_t total = stdfs::is_directory(o.path) ? 0 : stdfs::file_size(o.path);
    crypto::ParallelTreeHasher hasher(plain, [&](std::span<const std::byte> data) {
        enc.write(data);
        done += data.size();
        if (o.progress) o.progress(done, total);
    }, 0, spill_dir);
    uint64_t read = 0;
    if (stdfs::is_directory(o.path)) {
        FolderStats stats = pack_folder(
            o.path, [&](std::span<const std::byte> data) { hasher.update(data); }, excluded);
        p.skipped = std::move(stats.skipped);
        p.kind = "folder";
        p.n_files = stats.n_files;
    } else {
        fs::Fd fd = fs::open_read(o.path);
        const fs::FileIdentity before = fs::identity_of(fd.get(), o.path);
        // Read straight into the hasher's leaf buffers: no copy.
        for (;;) {
            const std::span<std::byte> room = hasher.room();
            const size_t n = fs::read_some(fd.get(), room, o.path);
            if (n == 0) break;
            read += n;
            hasher.filled(n);
        }
        // A file written while it was read would be saved torn.
        fs::require_unchanged(fd.get(), before, read, o.path);
        p.kind = "file";
    }
    p.hash = hasher.finish(); // the ordered thread has written everything
    p.size = p.hash.size;
    if (writes_plain_sha256_artifacts()) {
        p.hash.tree_hash = *p.hash.sha256;
    } else {
        write_leaf_table(*p.hash.leaves, enc);
    }
    enc.finish();
    return p;
}

// Artifacts saved before issue 17 are identified by a plain SHA-256: a
// save under a key that still has one computes it too, so the same content
// is found again (dedup across both kinds).
bool key_has_plain_hash(catalog::Catalog& c, const std::string& key) {
    for (const auto& a : catalog::list_artifacts(c, key, true))
        if (a.key == key && !crypto::is_tree_hash(a.hash)) return true;
    return false;
}

// Same content, under either kind of hash.
std::optional<catalog::ArtifactRow> find_same(catalog::Catalog& c, const std::string& key,
                                              const crypto::TreeHashResult& h) {
    if (auto a = catalog::find_same_content(c, key, h.tree_hash)) return a;
    if (h.sha256) return catalog::find_same_content(c, key, *h.sha256);
    return std::nullopt;
}

// The directory of a local store ("/abs/dir" or "file:///abs/dir").
std::optional<stdfs::path> local_storage_dir(const std::string& url) {
    if (url.starts_with("file://")) return stdfs::path(url.substr(7));
    if (url.starts_with("/")) return stdfs::path(url);
    return std::nullopt;
}

// Where cairn keeps its own state: the instance (catalog, audit keys, a
// local store), the caches (ciphertext of other artifacts, plaintext working
// copies) and key files. None of it may end up inside an artifact: loading
// that artifact would bring back purged data and the keys to read it.
std::vector<stdfs::path> cairn_private_paths(Instance& inst) {
    std::vector<stdfs::path> paths{inst.dir(), inst.cache().root().parent_path(), inst.key_path()};
    try {
        paths.push_back(keys::default_key_path(inst.config().instance_id).parent_path().parent_path());
    } catch (const Error&) {
        // Neither XDG_CONFIG_HOME nor HOME: there is no default key folder.
    }
    if (auto dir = local_storage_dir(inst.config().storage.url)) paths.push_back(*dir);
    if (auto identity = access::identity_from_env()) paths.push_back(*identity);
    if (const char* pass = std::getenv("CAIRN_PASSPHRASE_FILE"); pass && *pass) paths.push_back(pass);
    return paths;
}

// Refuses a source that is one of cairn's private paths or lies inside one
// (compared by device and inode, so links and bind mounts count too).
void refuse_private_source(const stdfs::path& source, const std::vector<stdfs::path>& private_paths) {
    // Each private path is looked up once, then compared with the source and
    // each folder above it.
    std::vector<std::pair<struct stat, const stdfs::path*>> privates;
    for (const auto& priv : private_paths)
        if (struct stat pst {}; ::stat(priv.c_str(), &pst) == 0) privates.emplace_back(pst, &priv);
    std::error_code ec;
    stdfs::path p = stdfs::weakly_canonical(stdfs::absolute(source), ec);
    for (;;) {
        struct stat st {};
        if (::stat(p.c_str(), &st) == 0)
            for (const auto& [pst, priv] : privates)
                if (pst.st_dev == st.st_dev && pst.st_ino == st.st_ino)
                    throw Error(ErrorKind::usage,
                                "refusing to save " + source.string() + ": it is or lies inside cairn's own " +
                                    priv->string(),
                                "cairn never stores its instance, caches or key files as data");
        if (p == p.parent_path()) return;
        p = p.parent_path();
    }
}

void check_source(const stdfs::path& path) {
    std::error_code ec;
    auto st = stdfs::status(path, ec);
    if (ec || !stdfs::exists(st)) {
        // A link that leads nowhere is named as the link, with its target.
        std::error_code lec;
        if (stdfs::is_symlink(stdfs::symlink_status(path, lec))) {
            const stdfs::path target = stdfs::read_symlink(path, lec);
            throw Error(ErrorKind::not_found,
                        path.string() + " is a symbolic link to " + target.string() +
                            (ec == std::errc::too_many_symbolic_link_levels ? ", which loops back on itself"
                                                                             : ", which does not exist"),
                        "save the file or folder it should point to, or fix the link");
        }
        throw Error(ErrorKind::not_found, "no such file or folder: " + path.string(), "check the path");
    }
    if (!stdfs::is_regular_file(st) && !stdfs::is_directory(st))
        throw Error(ErrorKind::usage, path.string() + " is not a regular file or folder");
    if (::access(path.c_str(), R_OK) != 0)
        throw Error(ErrorKind::permission, "cannot read " + path.string(), "check its permissions");
}

// The plaintext bytes a save of `source` reads: a file's size, or the sum
// over a folder's regular files (the save's own walk may skip some).
uint64_t source_bytes(const stdfs::path& source, uint64_t& files) {
    std::error_code ec;
    files = 1;
    if (!stdfs::is_directory(source, ec)) return stdfs::file_size(source, ec);
    uint64_t total = 0;
    files = 0;
    for (auto it = stdfs::recursive_directory_iterator(source, stdfs::directory_options::skip_permission_denied, ec);
         !ec && it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        total += it->file_size(ec);
        ++files;
    }
    return total;
}

// A save that cannot fit is refused before it writes (issue 15: a sparse
// 10 GiB file wrote 10 GiB of ciphertext first). Its ciphertext goes to a
// temp file in the cache, and is copied to a local store on another
// filesystem; a remote store only needs the cache's room.
void require_room(Instance& inst, const stdfs::path& source, const catalog::ArtifactRow& row) {
    uint64_t files = 0;
    const uint64_t bytes = source_bytes(source, files);
    // Folder streams add a header and a name per file: 4 KiB is ample.
    // Plus the leaf table: 32 bytes per MiB.
    const uint64_t plain = bytes + files * 4096;
    const uint64_t need = crypto::ciphertext_size_for(plain + 32 * crypto::tree_leaf_count(plain), {row.uid, row.key_id,
                                                                              crypto::k_default_segment_size});
    std::vector<stdfs::path> dirs = {inst.cache().root() / "objects"};
    if (auto dest = inst.storage().local_path(row.object_name)) {
        const auto store = local_storage_dir(inst.config().storage.url);
        if (!store || !fs::same_filesystem(dirs[0], *store)) dirs.push_back(*dest);
    }
    for (const auto& dir : dirs) {
        const std::optional<uint64_t> free = fs::free_bytes(dir);
        if (free && *free < need)
            throw Error(ErrorKind::storage,
                        "not enough space to save " + source.string() + ": it needs " + fs::format_bytes(need) +
                            " (encrypted) in " + dir.string() + ", which has " + fs::format_bytes(*free) +
                            " free; nothing was written",
                        "free space there, or move the cache (XDG_CACHE_HOME) or the storage elsewhere");
    }
}

std::string default_key(const stdfs::path& path) {
    stdfs::path p = stdfs::absolute(path).lexically_normal();
    if (p.filename().empty()) p = p.parent_path();
    return p.filename().string();
}

// Records the objects a save is about to put, in one transaction.
void register_pending(Instance& inst, const std::vector<std::string>& names) {
    inst.catalog().write_transaction([&] {
        for (const auto& name : names)
            catalog::add_pending_upload_in_transaction(inst.catalog(), name, inst.storage_id(),
                                                       static_cast<int64_t>(now_ms()), inst.actor().host,
                                                       static_cast<int64_t>(inst.actor().pid));
    });
}

// Removes what a save that will not commit uploaded, as far as its
// credential may (a writer that may not delete leaves no pending row).
void discard_uploads(Instance& inst, const std::vector<std::string>& names) {
    for (const auto& name : names) {
        (void)inst.storage().remove(name);
        catalog::forget_pending_upload(inst.catalog(), name);
    }
}

// On a catalog that keeps keys in objects: stores the wrapped key as the
// artifact's key object (registered as pending with the data object) and
// puts its reference in the row. A failure removes the data object too, so
// nothing of the save is left.
void store_key_of(Instance& inst, catalog::ArtifactRow& row) {
    const std::string name = key_object_name(row.object_name, row.key_id);
    try {
        row.wrapped_key = store_key_object(inst.storage(), inst.cache().new_temp(), name, row.wrapped_key);
    } catch (...) {
        discard_uploads(inst, {row.object_name, name});
        throw;
    }
}

// The objects a save puts into storage: the data object and, on a catalog
// that keeps keys in objects, its key object.
std::vector<std::string> uploads_of(Instance& inst, const catalog::ArtifactRow& row) {
    std::vector<std::string> names{row.object_name};
    if (keys_in_objects(inst.catalog())) names.push_back(key_object_name(row.object_name, row.key_id));
    return names;
}

// A save's audit targets: the saved artifact and its --from inputs, so
// erasing an input also redacts the command lines that named it.
std::vector<std::string> save_targets(const std::string& uid, const lineage::OutputLink& link) {
    std::vector<std::string> targets{uid};
    for (const auto& input : link.inputs)
        if (input != uid) targets.push_back(input);
    return targets;
}

// Same content again: the existing artifact, with this save's lineage.
SaveResult keep_existing(Instance& inst, catalog::ArtifactRow existing, const lineage::OutputPlan& plan,
                         const std::optional<std::string>& sha256) {
    SaveResult r{std::move(existing), true, {}, {}, sha256};
    inst.catalog().write_transaction([&] {
        r.lineage = lineage::record_output(inst.catalog(), inst.actor(), plan, r.artifact);
        audit::Event event{"save", save_targets(r.artifact.uid, r.lineage), "ok", std::nullopt,
                           {{"version", r.artifact.version}, {"existing", true}, {"lineage", r.lineage.to_json()}}};
        if (sha256) event.details["sha256"] = *sha256;
        audit::append(inst.catalog(), inst.actor(), event);
    });
    return r;
}

} // namespace

SaveResult save(Instance& inst, const SaveOptions& o) {
    keys::require(inst.principal(), keys::Action::save);
    check_source(o.path);
    const std::vector<stdfs::path> private_paths = cairn_private_paths(inst);
    refuse_private_source(o.path, private_paths);
    const std::string key = o.key.empty() ? default_key(o.path) : o.key;
    validate_key(key);
    const lineage::OutputPlan plan = lineage::plan_output(inst.catalog(), o.from);

    catalog::ArtifactRow row;
    row.uid = new_uid();
    row.key = key;
    row.description = o.description;
    row.object_name = new_object_name();
    row.storage_id = inst.storage_id();
    row.storage_url = inst.config().storage.url;
    row.suffix = stdfs::is_directory(o.path) ? "" : o.path.extension().string();
    row.created_by = inst.actor().identity;

    keys::KeyRing& keyring = inst.keyring();
    auto data_key = crypto::SecretKey::random();
    row.key_id = keyring.key_id();
    row.wrapped_key = keyring.wrap(data_key);

    require_room(inst, o.path, row);
    fs::TempFile temp = inst.cache().new_temp();
    fs::WriteBehind write_behind(temp.fd()); // storing it fsyncs: start early
    crypto::StreamEncryptor enc(data_key, {row.uid, row.key_id, crypto::k_default_segment_size},
                                [&](std::span<const std::byte> c) {
                                    fs::write_all(temp.fd(), c, temp.path());
                                    write_behind.wrote(c.size());
                                });
    const bool plain = o.sha256 || writes_plain_sha256_artifacts() || key_has_plain_hash(inst.catalog(), key);
    Prepared p = hash_and_encrypt(o, private_paths, enc, plain ? crypto::PlainSha256::yes : crypto::PlainSha256::no,
                                  temp.path().parent_path());
    data_key.clear();
    row.kind = p.kind;
    row.size = p.size;
    row.n_files = static_cast<int64_t>(p.n_files);
    row.hash = p.hash.tree_hash;
    row.stored_size = enc.ciphertext_bytes();
    const std::optional<std::string> sha256 = o.sha256 ? p.hash.sha256 : std::nullopt;

    if (auto existing = find_same(inst.catalog(), key, p.hash)) {
        SaveResult r = keep_existing(inst, *existing, plan, sha256);
        r.skipped = std::move(p.skipped);
        return r;
    }

    const std::vector<std::string> uploads = uploads_of(inst, row);
    register_pending(inst, uploads);
    if (auto st = inst.storage().put_temp(row.object_name, temp); !st) {
        // A failed put may still have stored the object (the store took it
        // but its answer timed out) or an unfinished multipart upload. Only
        // once they are removed is the pending row dropped; if the store is
        // unreachable, cleanup_leftovers() removes them later. A store that
        // refused the write (403, 400...) holds nothing to remove, and a
        // credential that may not delete must not leave the row behind.
        if (st.error().nothing_stored || inst.storage().remove(row.object_name))
            for (const auto& name : uploads) catalog::forget_pending_upload(inst.catalog(), name);
        throw Error(ErrorKind::storage, "cannot upload to " + inst.storage().describe() + ": " + st.error().message,
                    "check the storage and try again; nothing was saved");
    }
    if (keys_in_objects(inst.catalog())) store_key_of(inst, row);

    std::optional<catalog::ArtifactRow> raced;
    bool rotated = false;
    lineage::OutputLink link;
    inst.catalog().write_transaction([&] {
        // A rotation that committed since the key ring was opened has
        // rewrapped every data key but this one, and its old key is gone.
        if (access::current_key_id(inst.catalog()).value_or(row.key_id) != row.key_id) {
            rotated = true;
            return;
        }
        // Another process may have saved the same content meanwhile.
        raced = find_same(inst.catalog(), key, p.hash);
        if (raced) return;
        row.created_at = now_ms();
        catalog::insert_artifact(inst.catalog(), row);
        stamp_wrap_mac(inst.catalog(), row);
        link = lineage::record_output(inst.catalog(), inst.actor(), plan, row);
        catalog::forget_pending_uploads_in_transaction(inst.catalog(), uploads);
        audit::Event event{"save", save_targets(row.uid, link), "ok", std::nullopt,
                           {{"version", row.version}, {"size", row.size}, {"lineage", link.to_json()}}};
        if (sha256) event.details["sha256"] = *sha256;
        event.seal = row_seal(row); // the row as inserted, version included
        audit::append(inst.catalog(), inst.actor(), event);
    });
    if (rotated) {
        discard_uploads(inst, uploads);
        throw Error(ErrorKind::conflict, "the instance key was rotated while saving; nothing was saved",
                    "run the command again");
    }
    if (raced) {
        discard_uploads(inst, uploads);
        SaveResult r = keep_existing(inst, *raced, plan, sha256);
        r.skipped = std::move(p.skipped);
        return r;
    }
    // A local-directory store is read in place (the temp file became the
    // object); only copies of remote objects are worth caching.
    if (!inst.storage().local_path(row.object_name)) {
        inst.cache().insert(temp, row.object_name);
        inst.cache().evict();
    }
    return {row, false, link, std::move(p.skipped), sha256};
}

int cleanup_leftovers(Instance& inst, int64_t age_ms) {
    const auto leftovers = catalog::pending_uploads_before(inst.catalog(), inst.storage_id(),
                                                           static_cast<int64_t>(now_ms()) - age_ms);
    int removed = 0;
    for (const auto& l : leftovers) {
        // A save still running on this host keeps its upload.
        if (l.host == inst.actor().host && ::kill(static_cast<pid_t>(l.pid), 0) == 0) continue;
        if (!inst.storage().remove(l.object_name)) continue;
        catalog::forget_pending_upload(inst.catalog(), l.object_name);
        ++removed;
    }
    inst.cache().remove_dead_temps();
    return removed;
}

} // namespace cairn::artifact
