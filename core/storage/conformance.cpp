#include "core/storage/conformance.hpp"

#include "core/crypto/sha256.hpp"
#include "core/util/fs.hpp"
#include "core/util/random.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <set>
#include <utility>
#include <vector>

namespace cairn::storage {

namespace {

namespace stdfs = std::filesystem;

class Scratch {
  public:
    Scratch() : m_dir(stdfs::temp_directory_path() / ("cairn-conformance-" + random_hex(6))) {
        fs::ensure_dir(m_dir);
    }
    ~Scratch() {
        std::error_code ec;
        stdfs::remove_all(m_dir, ec);
    }
    stdfs::path write(const std::string& name, const std::string& content) {
        stdfs::path p = m_dir / name;
        fs::write_file_atomic(p, content, stdfs::perms::owner_read | stdfs::perms::owner_write);
        return p;
    }
    stdfs::path path(const std::string& name) const { return m_dir / name; }

  private:
    stdfs::path m_dir;
};

std::string read(const stdfs::path& p) {
    return fs::read_file(p, uint64_t{1} << 30); // test objects, a few MiB
}

std::string file_sha256(const stdfs::path& p) {
    fs::Fd fd = fs::open_read(p);
    crypto::Sha256 hash;
    std::vector<std::byte> buf(1 << 20);
    while (size_t n = fs::read_some(fd.get(), buf, p))
        hash.update(std::span<const std::byte>(buf.data(), n));
    return hash.finish_hex();
}

// A file of `size` bytes written in 1 MiB chunks (constant memory); each
// chunk differs so misplaced parts are caught.
stdfs::path make_large(Scratch& scratch, uint64_t size) {
    stdfs::path p = scratch.path("large");
    fs::Fd fd = fs::create_exclusive(p, stdfs::perms::owner_read | stdfs::perms::owner_write);
    std::vector<std::byte> chunk(1 << 20);
    random_bytes(chunk);
    for (uint64_t done = 0, i = 0; done < size; ++i) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), size - done));
        chunk[0] = static_cast<std::byte>(i);
        chunk[1] = static_cast<std::byte>(i >> 8);
        fs::write_all(fd.get(), std::span<const std::byte>(chunk.data(), n), p);
        done += n;
    }
    return p;
}

bool has_name(const std::vector<ObjectVersion>& versions, const std::string& name) {
    return std::any_of(versions.begin(), versions.end(),
                       [&](const ObjectVersion& v) { return v.name == name; });
}

using VersionSet = std::multiset<std::pair<std::string, std::string>>; // (name, version id)

// The versions (and delete markers) of `names` among `versions`.
VersionSet versions_named(const std::vector<ObjectVersion>& versions,
                          const std::set<std::string>& names) {
    VersionSet out;
    for (const auto& v : versions)
        if (names.count(v.name)) out.emplace(v.name, v.version_id);
    return out;
}

// remove_many and versions_of on many objects in one directory: exactly the
// named objects go, with all their versions, and their neighbours (even
// those whose names extend a removed name, like obj1 and obj10) keep theirs.
void check_subset_removal(Backend& backend, Scratch& scratch, const std::string& p,
                          bool versioned) {
    const std::string dir = p + "many/3f/", other = p + "many/40/";
    std::set<std::string> all, removed;
    for (int i = 0; i < 12; ++i)
        all.insert(dir + "obj" + std::to_string(i));
    all.insert(dir + "a b+c");
    all.insert(other + "obj1");
    all.insert(other + "obj2");
    for (const auto& name : all)
        REQUIRE(backend.put(name, scratch.write("many", "content of " + name)));
    // Several versions of one object, more than a small listing page holds.
    for (int i = 0; i < 4; ++i)
        REQUIRE(backend.put(dir + "obj3", scratch.write("many", "version " + std::to_string(i))));
    removed = {dir + "obj1", dir + "obj3",  dir + "obj5",
               dir + "obj9", dir + "a b+c", other + "obj2"};
    std::set<std::string> kept;
    std::set_difference(all.begin(), all.end(), removed.begin(), removed.end(),
                        std::inserter(kept, kept.end()));

    auto asked = backend.versions_of({removed.begin(), removed.end()});
    REQUIRE(asked);
    std::set<std::string> asked_names;
    for (const auto& v : *asked)
        asked_names.insert(v.name);
    CHECK(asked_names == removed); // never a neighbour sharing the prefix
    CHECK(std::count_if(asked->begin(), asked->end(), [&](const ObjectVersion& v) {
              return v.name == dir + "obj3";
          }) == (versioned ? 5 : 1));

    auto before = backend.list_versions(p + "many/");
    REQUIRE(before);
    CHECK(backend.remove_many({removed.begin(), removed.end()}).empty());
    auto after = backend.list_versions(p + "many/");
    REQUIRE(after);
    CHECK(versions_named(*after, removed).empty());
    CHECK(versions_named(*after, kept) == versions_named(*before, kept));
    auto none = backend.versions_of({removed.begin(), removed.end()});
    REQUIRE(none);
    CHECK(none->empty());
    for (const auto& name : kept) {
        CAPTURE(name);
        REQUIRE(backend.get(name, scratch.path("kept")));
        CHECK(read(scratch.path("kept")) == "content of " + name);
    }
    CHECK(backend.remove_many({kept.begin(), kept.end()}).empty());
    auto left = backend.list_versions(p + "many/");
    REQUIRE(left);
    CHECK(left->empty());
}

} // namespace

void run_conformance(Backend& backend, const ConformanceOptions& options) {
    Scratch scratch;
    const std::string& p = options.prefix;
    INFO("backend: " << backend.describe());

    // put/get round trip, including an empty object and awkward names that
    // exercise URI encoding (space, +, =, ~, %, UTF-8).
    for (const std::string& name :
         {p + "objects/ab/plain", p + "objects/a b+c=d~e%f", p + "objects/\xc3\xa9t\xc3\xa9"}) {
        CAPTURE(name);
        REQUIRE(backend.put(name, scratch.write("src", "content of " + name)));
        CHECK(backend.get(name, scratch.path("dst")));
        CHECK(read(scratch.path("dst")) == "content of " + name);
        auto info = backend.stat(name);
        REQUIRE(info);
        CHECK(info->size == ("content of " + name).size());
    }
    auto listed_names = backend.list(p + "objects/");
    REQUIRE(listed_names);
    CHECK(listed_names->size() == 3);
    CHECK(std::any_of(listed_names->begin(), listed_names->end(),
                      [&](const ObjectInfo& o) { return o.name == p + "objects/a b+c=d~e%f"; }));

    // put_temp stores a finished temp file; a store that renames it into
    // place (a local directory) consumes it, any other leaves it intact.
    {
        const std::string name = p + "objects/cd/from-temp";
        fs::TempFile temp(scratch.path(""), ".conformance");
        const std::string content = "written once";
        fs::write_all(temp.fd(), std::as_bytes(std::span(content)), temp.path());
        REQUIRE(backend.put_temp(name, temp));
        CHECK(temp.committed() == !stdfs::exists(temp.path()));
        if (!temp.committed()) CHECK(read(temp.path()) == content);
        CHECK(backend.get(name, scratch.path("from-temp")));
        CHECK(read(scratch.path("from-temp")) == content);
        if (auto in_place = backend.local_path(name)) CHECK(read(*in_place) == content);
        CHECK(backend.remove(name));
    }

    // put_if_absent creates once; a second one of the same name leaves the
    // first content where the store honours write-once, and the probe
    // reports whichever the store does.
    {
        const std::string name = p + "audit/checkpoints/once";
        auto first = backend.put_if_absent(name, scratch.write("once-1", "first"), {});
        REQUIRE(first);
        CHECK(*first == Created::yes);
        auto second = backend.put_if_absent(name, scratch.write("once-2", "second"), {});
        REQUIRE(second);
        CHECK(backend.get(name, scratch.path("once-back")));
        const bool kept = read(scratch.path("once-back")) == "first";
        CHECK(kept == (*second == Created::no));
        const ProbeReport report = backend.probe();
        REQUIRE(report.write_once.has_value());
        CHECK(*report.write_once == kept);
        CHECK(backend.remove(name));
        CHECK_FALSE(backend.stat(name));
    }

    const std::string empty = p + "empty";
    REQUIRE(backend.put(empty, scratch.write("zero", "")));
    CHECK(backend.get(empty, scratch.path("zero-back")));
    CHECK(read(scratch.path("zero-back")).empty());
    auto zero = backend.stat(empty);
    REQUIRE(zero);
    CHECK(zero->size == 0);

    // get_range: inside, across the end (short), past the end (empty).
    const std::string digits = p + "digits";
    REQUIRE(backend.put(digits, scratch.write("digits", "0123456789")));
    auto mid = backend.get_range(digits, 2, 3);
    REQUIRE(mid);
    CHECK(*mid == "234");
    auto tail = backend.get_range(digits, 8, 10);
    REQUIRE(tail);
    CHECK(*tail == "89");
    auto past = backend.get_range(digits, 20, 5);
    REQUIRE(past);
    CHECK(past->empty());

    // Missing objects are not_found, for every read.
    const std::string missing = p + "missing";
    auto st = backend.stat(missing);
    REQUIRE_FALSE(st);
    CHECK(st.error().kind == FailureKind::not_found);
    auto got = backend.get(missing, scratch.path("missing"));
    REQUIRE_FALSE(got);
    CHECK(got.error().kind == FailureKind::not_found);
    auto range = backend.get_range(missing, 0, 4);
    REQUIRE_FALSE(range);
    CHECK(range.error().kind == FailureKind::not_found);

    // list is by prefix and reports sizes.
    REQUIRE(backend.put(p + "dir/a/1", scratch.write("l1", "1")));
    REQUIRE(backend.put(p + "dir/a/2", scratch.write("l2", "22")));
    REQUIRE(backend.put(p + "dir/b/1", scratch.write("l3", "333")));
    auto in_a = backend.list(p + "dir/a/");
    REQUIRE(in_a);
    std::sort(in_a->begin(), in_a->end(), [](auto& x, auto& y) { return x.name < y.name; });
    REQUIRE(in_a->size() == 2);
    CHECK(in_a->at(0).name == p + "dir/a/1");
    CHECK(in_a->at(1).size == 2);

    // Overwrite replaces the content.
    REQUIRE(backend.put(digits, scratch.write("digits2", "abc")));
    CHECK(backend.get(digits, scratch.path("digits-back")));
    CHECK(read(scratch.path("digits-back")) == "abc");

    // remove destroys every version, and is idempotent.
    CHECK(backend.remove(digits));
    CHECK(backend.remove(digits));
    auto gone = backend.stat(digits);
    REQUIRE_FALSE(gone);
    CHECK(gone.error().kind == FailureKind::not_found);
    if (options.check_versions) {
        auto versions = backend.list_versions(digits);
        REQUIRE(versions);
        CHECK_FALSE(has_name(*versions, digits));
    }

    check_subset_removal(backend, scratch, p, options.versioned);

    // remove_many: present and absent names alike.
    auto failed =
        backend.remove_many({p + "dir/a/1", p + "dir/a/2", p + "dir/b/1", p + "dir/none"});
    CHECK(failed.empty());
    auto dir_left = backend.list(p + "dir/");
    REQUIRE(dir_left);
    CHECK(dir_left->empty());

    if (options.large_size > 0) {
        const std::string large = p + "large";
        stdfs::path src = make_large(scratch, options.large_size);
        REQUIRE(backend.put(large, src));
        auto info = backend.stat(large);
        REQUIRE(info);
        CHECK(info->size == options.large_size);
        REQUIRE(backend.get(large, scratch.path("large-back")));
        CHECK(file_sha256(scratch.path("large-back")) == file_sha256(src));
        auto piece = backend.get_range(large, options.large_size - 5, 10);
        REQUIRE(piece);
        CHECK(piece->size() == 5);
        CHECK(backend.remove(large));
    }

    // Clean up everything; afterwards nothing of this run is left, not even
    // old versions or delete markers.
    std::vector<std::string> rest{empty};
    for (auto& o : *listed_names)
        rest.push_back(o.name);
    CHECK(backend.remove_many(rest).empty());
    auto all = backend.list_versions(p);
    REQUIRE(all);
    CHECK(all->empty());
}

} // namespace cairn::storage
