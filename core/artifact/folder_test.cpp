#include "core/artifact/folder.hpp"
#include "core/crypto/sha256.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/random.hpp"
#include "tests/unit/support.hpp"

#include <doctest/doctest.h>

using namespace cairn;
namespace stdfs = std::filesystem;

namespace {
struct TempDir : test_support::TempDir {
    TempDir() : test_support::TempDir("folder") {}
};

std::vector<std::byte> pack(const stdfs::path& dir) {
    std::vector<std::byte> out;
    artifact::pack_folder(dir, [&](std::span<const std::byte> d) { out.insert(out.end(), d.begin(), d.end()); });
    return out;
}

void write(const stdfs::path& p, const std::string& s) {
    stdfs::create_directories(p.parent_path());
    fs::write_file_atomic(p, s, stdfs::perms::owner_read | stdfs::perms::owner_write);
}
} // namespace

TEST_SUITE("core::artifact::folder") {
    TEST_CASE("pack: the test vector of docs/FORMAT.md (tests/vectors/make_folder_v1.py)") {
        TempDir src;
        write(src.path / "a.txt", "alpha\n");
        write(src.path / "sub/b.bin", std::string("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", 10));
        write(src.path / "sub/empty", "");
        stdfs::create_directories(src.path / "void"); // an empty folder is not recorded
        stdfs::permissions(src.path / "a.txt", static_cast<stdfs::perms>(0644));
        stdfs::permissions(src.path / "sub/b.bin", static_cast<stdfs::perms>(0755));
        stdfs::permissions(src.path / "sub/empty", static_cast<stdfs::perms>(0600));
        const auto stream = pack(src.path);
        const std::string expected = fs::read_file(stdfs::path(CAIRN_SOURCE_DIR) / "tests/vectors/folder_v1.bin");
        CHECK(std::string(reinterpret_cast<const char*>(stream.data()), stream.size()) == expected);
        crypto::Sha256 h;
        h.update(stream);
        CHECK(h.finish_hex() == "4a5087470439eac352cb491c32105c4110a3a08fc0b08b5bd5736d6813983f4b");
    }

    TEST_CASE("pack/unpack: round trip, deterministic, fed byte by byte") {
        TempDir src, dst;
        write(src.path / "b.txt", "bee");
        write(src.path / "a/deep/c.bin", std::string(100000, 'c'));
        write(src.path / "empty", "");
        auto stream = pack(src.path);
        CHECK(pack(src.path) == stream);
        artifact::FolderUnpacker unpacker(dst.path);
        for (size_t i = 0; i < stream.size(); i += 7)
            unpacker.feed(std::span(stream).subspan(i, std::min<size_t>(7, stream.size() - i)));
        auto stats = unpacker.finish();
        CHECK(stats.n_files == 3);
        CHECK(fs::read_file(dst.path / "a/deep/c.bin") == std::string(100000, 'c'));
        CHECK(fs::read_file(dst.path / "b.txt") == "bee");
        CHECK(stdfs::file_size(dst.path / "empty") == 0);
    }

    TEST_CASE("unpack: truncated or extended streams fail") {
        TempDir src, dst1, dst2;
        write(src.path / "f", "content");
        auto stream = pack(src.path);
        artifact::FolderUnpacker short_one(dst1.path);
        short_one.feed(std::span(stream).first(stream.size() - 1));
        CHECK_THROWS_AS(short_one.finish(), Error);
        artifact::FolderUnpacker long_one(dst2.path);
        stream.push_back(std::byte{0});
        CHECK_THROWS_AS(long_one.feed(stream), Error);
    }

    TEST_CASE("unpack: hostile member paths are refused") {
        for (std::string bad : {"../evil", "/etc/passwd", "a/../../b", "a//b", "./x"}) {
            TempDir dst;
            std::vector<std::byte> s;
            for (char c : std::string("CAIRNDIR")) s.push_back(std::byte(c));
            auto be = [&](uint64_t v, int n) { for (int i = n - 1; i >= 0; --i) s.push_back(std::byte((v >> (8 * i)) & 0xff)); };
            be(1, 4); be(1, 8); be(bad.size(), 2);
            for (char c : bad) s.push_back(std::byte(c));
            be(0600, 4); be(1, 8); s.push_back(std::byte{'x'});
            artifact::FolderUnpacker unpacker(dst.path);
            CHECK_THROWS_AS(unpacker.feed(s), Error);
            CHECK_FALSE(stdfs::exists(dst.path.parent_path() / "evil"));
        }
    }

    TEST_CASE("pack: symlinks are refused") {
        TempDir src;
        write(src.path / "real", "x");
        stdfs::create_symlink("/etc/passwd", src.path / "link");
        CHECK_THROWS_AS(pack(src.path), Error);
    }

    TEST_CASE("pack: excluded folders and files are left out and listed, by inode whatever the spelling") {
        TempDir src, dst;
        write(src.path / "keep.txt", "keep");
        write(src.path / ".cairn/catalog.db", "catalog");
        write(src.path / "keys/k.key", "secret");
        write(src.path / "keys/other.txt", "other");
        std::vector<std::byte> out;
        auto stats = artifact::pack_folder(
            src.path, [&](std::span<const std::byte> d) { out.insert(out.end(), d.begin(), d.end()); },
            {src.path / "keys/../.cairn", src.path / "keys" / "k.key", src.path / "does-not-exist"});
        CHECK(stats.n_files == 2);
        CHECK(stats.skipped == std::vector<std::string>{".cairn", "keys/k.key"});
        artifact::FolderUnpacker unpacker(dst.path);
        unpacker.feed(out);
        unpacker.finish();
        CHECK(stdfs::exists(dst.path / "keep.txt"));
        CHECK(stdfs::exists(dst.path / "keys/other.txt"));
        CHECK_FALSE(stdfs::exists(dst.path / ".cairn"));
        CHECK_FALSE(stdfs::exists(dst.path / "keys/k.key"));
    }

    TEST_CASE("fs::require_unchanged: any change of size, content time or inode is refused") {
        TempDir dir;
        const stdfs::path f = dir.path / "f";
        write(f, "0123456789");
        fs::Fd fd = fs::open_read(f);
        const auto before = fs::identity_of(fd.get(), f);
        CHECK_NOTHROW(fs::require_unchanged(fd.get(), before, 10, f));
        CHECK(test_support::kind_of([&] { fs::require_unchanged(fd.get(), before, 9, f); }) == ErrorKind::conflict);
        auto changed = before;
        changed.mtime_ns += 1;
        CHECK(test_support::kind_of([&] { fs::require_unchanged(fd.get(), changed, 10, f); }) == ErrorKind::conflict);
        stdfs::resize_file(f, 4);
        CHECK(test_support::kind_of([&] { fs::require_unchanged(fd.get(), before, 10, f); }) == ErrorKind::conflict);
    }
}
