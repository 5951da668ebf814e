#include "core/artifact/load.hpp"

#include "core/artifact/seal.hpp"
#include "core/artifact/key_objects.hpp"

#include "core/artifact/folder.hpp"
#include "core/artifact/ref.hpp"
#include "core/audit/audit.hpp"
#include "core/catalog/copies.hpp"
#include "core/crypto/decrypt_pipeline.hpp"
#include "core/crypto/tree_hash.hpp"
#include "core/crypto/tree_range.hpp"
#include "core/lineage/link.hpp"
#include "core/util/error.hpp"
#include "core/util/temp_dir.hpp"
#include "core/util/time.hpp"

#include <functional>
#include <sys/stat.h>
#include <unistd.h>

namespace cairn::artifact {

namespace stdfs = std::filesystem;

namespace {

using LoadProgress = std::function<void(uint64_t, uint64_t)>;

constexpr auto k_private = stdfs::perms::owner_read | stdfs::perms::owner_write;

[[noreturn]] void cannot_read(Instance& inst, const catalog::ArtifactRow& a, bool missing, const std::string& why) {
    throw Error(missing ? ErrorKind::integrity : ErrorKind::storage,
                "cannot read artifact " + a.uid + " from " + inst.storage().describe() + ": " + why,
                missing ? "the stored object is missing; the artifact cannot be restored" : "check the storage and try again");
}

// The object's size is checked before anything is decrypted (every byte
// is authenticated on read as well).
void check_stored_size(const catalog::ArtifactRow& a, uint64_t size) {
    if (size != a.stored_size)
        throw Error(ErrorKind::integrity, "stored object of artifact " + a.uid + " has the wrong size",
                    "the object in storage is damaged");
}

// Returns the ciphertext: in place for a local directory (nothing to
// download or cache), else the cached copy, downloading it on a miss.
stdfs::path fetch(Instance& inst, const catalog::ArtifactRow& a, bool& from_cache) {
    from_cache = false;
    if (auto object = inst.storage().local_path(a.object_name)) {
        std::error_code ec;
        const auto size = stdfs::file_size(*object, ec);
        if (ec) cannot_read(inst, a, ec == std::errc::no_such_file_or_directory, ec.message());
        check_stored_size(a, size);
        return *object;
    }
    if (auto hit = inst.cache().lookup(a.object_name, a.stored_size)) {
        from_cache = true;
        return *hit;
    }
    fs::TempFile temp = inst.cache().new_temp();
    temp.close();
    if (auto st = inst.storage().get(a.object_name, temp.path()); !st)
        cannot_read(inst, a, st.error().kind == storage::FailureKind::not_found, st.error().message);
    check_stored_size(a, stdfs::file_size(temp.path()));
    stdfs::path cached = inst.cache().insert(temp, a.object_name);
    inst.cache().evict();
    return cached;
}

// Decrypts `ciphertext` into `sink`, then checks the plaintext hash.
// Reports decrypted bytes to `progress` when one is given. Decryption and
// hashing run on two more threads while `sink` writes (issue 17).
void decrypt_verified(const crypto::SecretKey& key, const catalog::ArtifactRow& a, const stdfs::path& ciphertext,
                      const artifact::Sink& sink, const LoadProgress& progress = {}) {
    uint64_t done = 0;
    auto counted = [&](std::span<const std::byte> plain) {
        sink(plain);
        done += plain.size();
        if (progress) progress(done, static_cast<uint64_t>(a.size));
    };
    // The row says which hash it carries (docs/FORMAT.md section 4): a
    // tree hash is verified on every core, a plain SHA-256 on one.
    const std::string hash = crypto::is_tree_hash(a.hash)
                                 ? crypto::decrypt_file_tree_hashed(key, a.uid, ciphertext, a.size, counted)
                                 : crypto::decrypt_file_hashed(key, a.uid, ciphertext, counted);
    if (!crypto::same_hash(hash, a.hash))
        throw Error(ErrorKind::integrity, "content of artifact " + a.uid + " does not match its hash",
                    "the catalog and the stored object disagree");
}

// Writes the plaintext into a temp name beside `dest` and renames it into
// place only after everything verified and `record` (the audit event)
// succeeded: a catalog that cannot record the load gets no output.
void write_output(const crypto::SecretKey& key, const catalog::ArtifactRow& a, const stdfs::path& ciphertext,
                  const stdfs::path& dest, const LoadProgress& progress, const std::function<void()>& record) {
    const stdfs::path dir = dest.parent_path().empty() ? stdfs::path(".") : dest.parent_path();
    fs::remove_dead_temps(dir, ".cairn-load"); // a killed load's
    fs::remove_dead_temp_dirs(dir, ".cairn-load");
    if (a.kind == "folder") {
        fs::TempDir temp_dir(dir, ".cairn-load");
        FolderUnpacker unpacker(temp_dir.path());
        decrypt_verified(key, a, ciphertext, [&](std::span<const std::byte> d) { unpacker.feed(d); }, progress);
        unpacker.finish();
        record();
        temp_dir.commit(dest);
        return;
    }
    fs::TempFile temp(dir, ".cairn-load", k_private);
    decrypt_verified(key, a, ciphertext, [&](std::span<const std::byte> d) { fs::write_all(temp.fd(), d, temp.path()); },
                     progress);
    record();
    temp.commit(dest, fs::Sync::no);
}

void write_stdout(const crypto::SecretKey& key, const catalog::ArtifactRow& a, const stdfs::path& ciphertext,
                  const LoadProgress& progress, const std::function<void()>& record) {
    if (a.kind == "folder")
        throw Error(ErrorKind::usage, "artifact " + a.key + " is a folder and cannot go to stdout", "use -o DIR");
    // Authenticate everything first so a damaged object prints nothing, and
    // record the load before the first byte is printed.
    decrypt_verified(key, a, ciphertext, [](std::span<const std::byte>) {});
    record();
    decrypt_verified(key, a, ciphertext, [](std::span<const std::byte> d) { fs::write_all(STDOUT_FILENO, d, "stdout"); },
                     progress);
}

stdfs::path working_copy_path(Instance& inst, const catalog::ArtifactRow& a) {
    stdfs::path name = stdfs::path(a.key).filename();
    if (name.empty()) name = a.uid;
    return inst.cache().work_dir() / a.uid / name;
}

// `load -o /dev/null` verifies an artifact without keeping it: the
// plaintext is decrypted and hashed, and nothing is written anywhere.
bool is_dev_null(const stdfs::path& p) {
    struct stat a{}, b{};
    return ::stat(p.c_str(), &a) == 0 && ::stat("/dev/null", &b) == 0 && S_ISCHR(a.st_mode) && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

void check_output(const LoadOptions& o, const stdfs::path& dest) {
    if (o.output.empty() || o.output == "-" || is_dev_null(dest)) return;
    std::error_code ec;
    // Renaming over a device or FIFO would replace it (e.g. /dev/null) with a file.
    const auto st = stdfs::status(dest, ec);
    if (stdfs::exists(st) && !stdfs::is_regular_file(st) && !stdfs::is_directory(st))
        throw Error(ErrorKind::usage, "output " + dest.string() + " is not a regular file",
                    "use -o - and redirect, e.g. cairn load REF -o - > " + dest.string());
    if (stdfs::exists(stdfs::symlink_status(dest, ec)) && !o.force)
        throw Error(ErrorKind::conflict, "output " + dest.string() + " already exists", "remove it or pass --force");
    if (stdfs::is_directory(dest) && o.force)
        throw Error(ErrorKind::conflict, "output " + dest.string() + " is a directory", "choose another path");
}

// Records, before they exist, where this load puts a working copy and a
// cache entry, so a purge finds and destroys them on this host and account
// even if the load is killed half way (core/catalog/copies.hpp).
void record_copies_in_custody(Instance& inst, const catalog::ArtifactRow& a, const LoadOptions& o) {
    const bool working_copy = o.output.empty();
    const bool cached = !inst.storage().local_path(a.object_name);
    if (!working_copy && !cached) return;
    auto absolute = [](const stdfs::path& p) { return stdfs::absolute(p).lexically_normal().string(); };
    inst.catalog().write_transaction([&] {
        const int64_t now = now_ms();
        if (working_copy)
            catalog::record_copy(inst.catalog(), inst.actor(), a.id, "working_copy",
                                 absolute(inst.cache().work_dir() / a.uid), now);
        if (cached)
            catalog::record_copy(inst.catalog(), inst.actor(), a.id, "cache_entry",
                                 absolute(inst.cache().root() / a.object_name), now);
    });
}

// Reads ciphertext bytes of the object without fetching all of it: in
// place from a local store or a cache hit, else by ranged GETs.
crypto::ReadCiphertext range_reader(Instance& inst, const catalog::ArtifactRow& a) {
    std::optional<stdfs::path> file = inst.storage().local_path(a.object_name);
    if (file) {
        std::error_code ec;
        const auto size = stdfs::file_size(*file, ec);
        if (ec) cannot_read(inst, a, ec == std::errc::no_such_file_or_directory, ec.message());
        check_stored_size(a, size);
    } else {
        file = inst.cache().lookup(a.object_name, a.stored_size);
    }
    if (file) {
        auto fd = std::make_shared<fs::Fd>(fs::open_read(*file));
        return [fd, path = *file](uint64_t off, uint64_t len) {
            std::string s(len, '\0');
            fs::pread_exact(fd->get(), std::as_writable_bytes(std::span(s.data(), s.size())), off, path);
            return s;
        };
    }
    return [&inst, a](uint64_t off, uint64_t len) {
        auto r = inst.storage().get_range(a.object_name, off, len);
        if (!r) cannot_read(inst, a, r.error().kind == storage::FailureKind::not_found, r.error().message);
        return std::move(*r);
    };
}

// A verified range (--range): to stdout or /dev/null only after every
// leaf of it verified, else into a temp file renamed into place.
void deliver_range(Instance& inst, const crypto::SecretKey& key, const catalog::ArtifactRow& a, const LoadOptions& o,
                   const stdfs::path& dest, bool discard, const std::function<void()>& record) {
    const crypto::TreeObject object{a.uid, a.stored_size, a.size, a.hash};
    const crypto::ReadCiphertext read = range_reader(inst, a);
    auto read_into = [&](const crypto::ByteSink& sink) {
        crypto::read_tree_range(key, object, read, o.range->first, o.range->last, sink);
    };
    if (o.output == "-" || discard) {
        read_into([](std::span<const std::byte>) {});
        record();
        if (!discard) read_into([](std::span<const std::byte> d) { fs::write_all(STDOUT_FILENO, d, "stdout"); });
        return;
    }
    const stdfs::path dir = dest.parent_path().empty() ? stdfs::path(".") : dest.parent_path();
    fs::remove_dead_temps(dir, ".cairn-load");
    fs::TempFile temp(dir, ".cairn-load", k_private);
    read_into([&](std::span<const std::byte> d) { fs::write_all(temp.fd(), d, temp.path()); });
    record();
    temp.commit(dest, fs::Sync::no);
}

} // namespace

LoadResult load(Instance& inst, const LoadOptions& o) {
    keys::require(inst.principal(), keys::Action::load);
    LoadResult result;
    // An unknown or finished CAIRN_RUN fails before anything is written.
    const auto run = lineage::open_run(inst.catalog(), lineage::active_run_uid());
    result.artifact = resolve(inst.catalog(), o.ref);
    const catalog::ArtifactRow& a = result.artifact;
    if (o.range) {
        check_range(a, *o.range);
        if (o.output.empty())
            throw Error(ErrorKind::usage, "--range needs an output: -o PATH or -o - (stdout)",
                        "e.g. cairn load " + o.ref + " --range 0-1023 -o -");
    }
    if (o.output != "-") result.path = o.output.empty() ? working_copy_path(inst, a) : stdfs::path(o.output);
    check_output(o, result.path);

    // Before any key is unwrapped or byte written: the row must be the one
    // its save sealed (core/artifact/seal.hpp).
    require_sealed(inst.catalog(), a);
    crypto::SecretKey key = unwrap_data_key(inst, a);
    const bool discard = !o.output.empty() && o.output != "-" && is_dev_null(result.path);
    // The event is recorded once everything verified and before any output
    // appears (issue 15: a read-only or full catalog gave the plaintext and
    // then failed to record the load).
    bool recorded = false;
    auto record = [&] {
        if (recorded) return;
        inst.catalog().write_transaction([&] {
            if (!o.output.empty() && !discard)
                catalog::record_copy(inst.catalog(), inst.actor(), a.id, o.output == "-" ? "stdout" : "file", "", now_ms());
            const bool input = lineage::record_input(inst.catalog(), run, a);
            audit::Event event{"load", {a.uid}, "ok", std::nullopt,
                               {{"version", a.version}, {"size", a.size}, {"run", input ? run->uid : ""},
                                {"output", o.output.empty() ? "working-copy" : o.output == "-" ? "stdout" : discard ? "verify" : "file"}}};
            if (o.range) event.details["range"] = std::to_string(o.range->first) + "-" + std::to_string(o.range->last);
            audit::append(inst.catalog(), inst.actor(), event);
        });
        recorded = true;
    };
    if (o.range) {
        deliver_range(inst, key, a, o, result.path, discard, record);
        return result;
    }
    record_copies_in_custody(inst, a, o);
    stdfs::path ciphertext = fetch(inst, a, result.from_cache);

    auto deliver = [&](const stdfs::path& c) {
        if (o.output == "-") return write_stdout(key, a, c, o.progress, record);
        if (discard) {
            decrypt_verified(key, a, c, [](std::span<const std::byte>) {}, o.progress);
            return record();
        }
        if (o.output.empty()) {
            std::error_code ec;
            if (stdfs::exists(result.path, ec)) stdfs::remove_all(result.path, ec);
            fs::ensure_dir(result.path.parent_path(), stdfs::perms::owner_all);
        }
        write_output(key, a, c, result.path, o.progress, record);
    };
    try {
        deliver(ciphertext);
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::integrity || !result.from_cache) throw;
        // A damaged cache entry is never served: drop it and fetch again.
        inst.cache().remove(a.object_name);
        ciphertext = fetch(inst, a, result.from_cache);
        deliver(ciphertext);
    }
    return result;
}

} // namespace cairn::artifact
