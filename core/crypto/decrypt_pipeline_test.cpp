#include "core/crypto/decrypt_pipeline.hpp"
#include "core/crypto/parallel_tree_hasher.hpp"
#include "core/crypto/sha256.hpp"
#include "core/crypto/stream.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "tests/unit/support.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace cairn;
using namespace cairn::crypto;
namespace stdfs = std::filesystem;

namespace {

constexpr uint32_t k_small_seg = 64u << 10;
const std::string k_pipe_uid = "0123456789abcdef";

std::string pipeline_pattern(size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>((i * 131 + i / 65536) % 251);
    return s;
}

// An encrypted object of `plain` in a private temp dir.
struct EncryptedFile {
    test_support::TempDir dir{"pipeline"};
    stdfs::path path = dir.path / "obj";
    SecretKey key = SecretKey::random();
    std::string cipher;

    EncryptedFile(const std::string& plain, uint32_t seg = k_small_seg) {
        StreamEncryptor enc(key, {k_pipe_uid, "kid", seg}, [&](std::span<const std::byte> b) {
            cipher.append(reinterpret_cast<const char*>(b.data()), b.size());
        });
        enc.write(std::as_bytes(std::span(plain.data(), plain.size())));
        enc.finish();
        rewrite();
    }
    void rewrite() {
        std::error_code ec;
        stdfs::remove(path, ec);
        fs::write_file_atomic(path, cipher, stdfs::perms::owner_read | stdfs::perms::owner_write);
    }
};

struct Sunk {
    std::string bytes;
    int calls = 0;
    ByteSink sink() {
        return [this](std::span<const std::byte> b) {
            ++calls;
            bytes.append(reinterpret_cast<const char*>(b.data()), b.size());
        };
    }
};

} // namespace

TEST_SUITE("core::crypto::decrypt_pipeline") {
    TEST_CASE(
        "decrypt_file_hashed: plaintext and SHA-256 as decrypt_file, across block boundaries") {
        // Blocks are 4 MiB: 17 MiB + 5 crosses several, and the queue of four.
        for (size_t n : {size_t{0}, size_t{1}, size_t{k_small_seg}, size_t{4u << 20},
                         size_t{(17u << 20) + 5}}) {
            CAPTURE(n);
            const std::string plain = pipeline_pattern(n);
            EncryptedFile f(plain);
            Sunk sunk;
            CHECK(decrypt_file_hashed(f.key, k_pipe_uid, f.path, sunk.sink()) == sha256_hex(plain));
            CHECK(sunk.bytes == plain);
        }
    }

    TEST_CASE("decrypt_file_hashed: 1 MiB segments") {
        const std::string plain = pipeline_pattern((9u << 20) + 3);
        EncryptedFile f(plain, 1u << 20);
        Sunk sunk;
        CHECK(decrypt_file_hashed(f.key, k_pipe_uid, f.path, sunk.sink()) == sha256_hex(plain));
        CHECK(sunk.bytes == plain);
    }

    TEST_CASE("decrypt_file_hashed: a tampered segment in the middle stops everything with an "
              "integrity error") {
        const std::string plain = pipeline_pattern(20u << 20);
        EncryptedFile f(plain);
        f.cipher[f.cipher.size() / 2] ^= 1;
        f.rewrite();
        Sunk sunk;
        CHECK(test_support::kind_of([&] {
                  decrypt_file_hashed(f.key, k_pipe_uid, f.path, sunk.sink());
              }) == ErrorKind::integrity);
        // Only authenticated bytes before the damaged segment reached the sink.
        CHECK(sunk.bytes.size() < plain.size() / 2);
        CHECK(sunk.bytes == plain.substr(0, sunk.bytes.size()));
    }

    TEST_CASE("decrypt_file_hashed: truncation, a wrong key and a wrong uid are integrity errors") {
        const std::string plain = pipeline_pattern(10u << 20);
        EncryptedFile f(plain);
        Sunk sunk;
        SUBCASE("truncated by one segment") {
            f.cipher.resize(f.cipher.size() - (k_small_seg + 16));
            f.rewrite();
            CHECK(test_support::kind_of([&] {
                      decrypt_file_hashed(f.key, k_pipe_uid, f.path, sunk.sink());
                  }) == ErrorKind::integrity);
        }
        SUBCASE("wrong key") {
            const SecretKey other = SecretKey::random();
            CHECK(test_support::kind_of([&] {
                      decrypt_file_hashed(other, k_pipe_uid, f.path, sunk.sink());
                  }) == ErrorKind::integrity);
            CHECK(sunk.calls == 0);
        }
        SUBCASE("wrong uid") {
            CHECK(test_support::kind_of([&] {
                      decrypt_file_hashed(f.key, "another", f.path, sunk.sink());
                  }) == ErrorKind::integrity);
            CHECK(sunk.calls == 0);
        }
    }

    TEST_CASE("decrypt_file_hashed: a failing sink stops the other stages and its error comes back "
              "unchanged") {
        const std::string plain = pipeline_pattern(40u << 20);
        EncryptedFile f(plain);
        int calls = 0;
        auto full_disk = [&](std::span<const std::byte>) {
            if (++calls == 2) throw Error(ErrorKind::storage, "no space left on device");
        };
        try {
            decrypt_file_hashed(f.key, k_pipe_uid, f.path, full_disk);
            FAIL("a failing sink was ignored");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::storage);
            CHECK(std::string(e.what()).find("no space") != std::string::npos);
        }
        // No further block was handed over after the failure.
        CHECK(calls == 2);
    }

    TEST_CASE("decrypt_file_hashed: a missing file is not found, before any thread starts") {
        test_support::TempDir dir("pipeline");
        const SecretKey key = SecretKey::random();
        CHECK(test_support::kind_of([&] {
                  decrypt_file_hashed(key, k_pipe_uid, dir.path / "missing",
                                      [](std::span<const std::byte>) {});
              }) == ErrorKind::not_found);
    }

    TEST_CASE("decrypt_file_tree_hashed: content only to the sink, the tree hash of it, across leaves") {
        for (size_t n : {size_t{0}, size_t{1}, size_t{(1u << 20) - 1}, size_t{1u << 20}, size_t{(5u << 20) + 3}}) {
            for (uint32_t seg : {k_small_seg, uint32_t{1u << 20}}) {
                CAPTURE(n);
                CAPTURE(seg);
                const std::string content = pipeline_pattern(n);
                ParallelTreeHasher h(PlainSha256::no, {}, 2);
                h.update(std::as_bytes(std::span(content.data(), content.size())));
                const TreeHashResult r = h.finish();
                std::string table;
                r.leaves->for_each([&](std::span<const Digest> run) {
                    table.append(reinterpret_cast<const char*>(run.data()), run.size_bytes());
                });
                EncryptedFile f(content + table, seg);
                Sunk sunk;
                CHECK(decrypt_file_tree_hashed(f.key, k_pipe_uid, f.path, n, sunk.sink()) == r.tree_hash);
                CHECK(sunk.bytes == content);
                // The row's size must match the object: one byte off is an integrity error.
                CHECK(test_support::kind_of([&] { decrypt_file_tree_hashed(f.key, k_pipe_uid, f.path, n + 1, Sunk().sink()); }) ==
                      ErrorKind::integrity);
            }
        }
    }

    TEST_CASE("decrypt_file_tree_hashed: an object without its leaf table is an integrity error") {
        const std::string content = pipeline_pattern(3000);
        EncryptedFile f(content);
        CHECK(test_support::kind_of([&] { decrypt_file_tree_hashed(f.key, k_pipe_uid, f.path, 3000, Sunk().sink()); }) ==
              ErrorKind::integrity);
    }
}
