#include "core/crypto/sha256.hpp"
#include "core/crypto/stream.hpp"
#include "core/crypto/stream_testing.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/hex.hpp"
#include "core/util/random.hpp"
#include "tests/unit/support.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace cairn;
using namespace cairn::crypto;
namespace stdfs = std::filesystem;

namespace {

constexpr uint32_t k_seg = 64u << 10;
const std::string k_uid = "0123456789abcdef";

std::string pattern(size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>((i * 31 + 7) & 0xff);
    return s;
}

StreamParams params(uint32_t seg = k_seg) {
    return StreamParams{k_uid, "fedcba9876543210", seg};
}

std::string encrypt(const SecretKey& key, std::string_view plain, const StreamParams& p = params(),
                    size_t chunk = 1000) {
    std::string out;
    StreamEncryptor enc(key, p, [&](std::span<const std::byte> b) {
        out.append(reinterpret_cast<const char*>(b.data()), b.size());
    });
    for (size_t pos = 0; pos < plain.size(); pos += chunk) {
        auto part = plain.substr(pos, chunk);
        enc.write(std::as_bytes(std::span(part.data(), part.size())));
    }
    enc.finish();
    CHECK(enc.ciphertext_bytes() == out.size());
    return out;
}

struct TempDir : test_support::TempDir {
    TempDir() : test_support::TempDir("stream") {}
};

// Decrypts `cipher` through a file; returns what reached the sink.
std::string decrypt(const SecretKey& key, const std::string& cipher, std::string& sunk,
                    const std::string& uid = k_uid) {
    TempDir dir;
    auto file = dir.path / "obj";
    fs::write_file_atomic(file, cipher, stdfs::perms::owner_read | stdfs::perms::owner_write);
    sunk.clear();
    decrypt_file(key, uid, file, [&](std::span<const std::byte> b) {
        sunk.append(reinterpret_cast<const char*>(b.data()), b.size());
    });
    return sunk;
}

std::string decrypt(const SecretKey& key, const std::string& cipher) {
    std::string sunk;
    return decrypt(key, cipher, sunk);
}

void check_integrity_error(const SecretKey& key, const std::string& cipher) {
    std::string sunk;
    try {
        decrypt(key, cipher, sunk);
        FAIL("decryption of tampered data succeeded");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::integrity);
    }
}

std::string range(const SecretKey& key, const std::string& cipher, uint64_t off, uint64_t len,
                  int* calls = nullptr) {
    return decrypt_range(
        key, k_uid, cipher.size(),
        [&](uint64_t o, uint64_t l) {
            if (calls) ++*calls;
            return cipher.substr(o, l);
        },
        off, len);
}

SecretKey fixed_key() {
    SecretKey k;
    for (size_t i = 0; i < SecretKey::k_size; ++i)
        k.mutable_bytes()[i] = std::byte(i);
    return k;
}

constexpr std::array<std::byte, 7> k_fixed_prefix = {
    std::byte{0xa0}, std::byte{0xa1}, std::byte{0xa2}, std::byte{0xa3},
    std::byte{0xa4}, std::byte{0xa5}, std::byte{0xa6}};
constexpr size_t k_vector_size = 150000; // two full 64 KiB segments and a partial one
const char* const k_vector_sha256 =
    "9053ba4083dc6268194533dfc7223664b265314fef1d75547c31984d5c91e22f";
const char* const k_empty_vector_hex = "434149524e454e430101000100001030313233343536373839616263646"
                                       "5661066656463626139383736353433323130"
                                       "a0a1a2a3a4a5a62f9d3d97403775b96fe5265d090bf585";

} // namespace

TEST_SUITE("core::crypto::stream") {
    TEST_CASE("round trip: sizes around segment boundaries, exact ciphertext size") {
        SecretKey key = SecretKey::random();
        for (size_t n : {size_t{0}, size_t{1}, size_t{k_seg - 1}, size_t{k_seg}, size_t{k_seg + 1},
                         size_t{k_seg * 7 / 2}, size_t{2 * k_seg}}) {
            CAPTURE(n);
            std::string plain = pattern(n);
            for (size_t chunk : {size_t{1000}, size_t{k_seg}, size_t{3 * k_seg}}) {
                if (n > 200000 && chunk == 1) continue;
                std::string c = encrypt(key, plain, params(), chunk);
                CHECK(c.size() == ciphertext_size_for(n, params()));
                CHECK(decrypt(key, c) == plain);
            }
        }
    }

    TEST_CASE("round trip: default 1 MiB segments") {
        SecretKey key = SecretKey::random();
        std::string plain = pattern((1u << 20) * 2 + 5);
        auto p = params(k_default_segment_size);
        std::string c = encrypt(key, plain, p, 300000);
        CHECK(c.size() == ciphertext_size_for(plain.size(), p));
        CHECK(decrypt(key, c) == plain);
    }

    TEST_CASE("encryptor: same input twice gives different ciphertext (random prefix)") {
        SecretKey key = SecretKey::random();
        CHECK(encrypt(key, "hello") != encrypt(key, "hello"));
    }

    TEST_CASE("encryptor: rejects bad parameters") {
        SecretKey key = SecretKey::random();
        auto sink = [](std::span<const std::byte>) {};
        CHECK_THROWS_AS(StreamEncryptor(key, params(1024), sink), Error);
        CHECK_THROWS_AS(StreamEncryptor(key, params((1u << 20) + 1), sink), Error);
        CHECK_THROWS_AS(StreamEncryptor(key, StreamParams{std::string(256, 'u'), "k", k_seg}, sink),
                        Error);
    }

    TEST_CASE("decrypt_file: wrong key and tampering throw integrity errors") {
        SecretKey key = SecretKey::random();
        const std::string plain = pattern(k_seg * 7 / 2);
        const std::string c = encrypt(key, plain);
        const size_t header = c.size() - ciphertext_size_for(plain.size(), params()) +
                              ciphertext_size_for(0, params()) - 16;
        const size_t unit = k_seg + 16;
        REQUIRE(decrypt(key, c) == plain);

        SUBCASE("wrong key") {
            check_integrity_error(SecretKey::random(), c);
        }
        SUBCASE("truncated at a segment boundary") {
            check_integrity_error(key, c.substr(0, header + 3 * unit));
        }
        SUBCASE("truncated inside a segment") {
            check_integrity_error(key, c.substr(0, header + unit + 100));
        }
        SUBCASE("truncated inside the header") {
            check_integrity_error(key, c.substr(0, 20));
        }
        SUBCASE("empty file") {
            check_integrity_error(key, "");
        }
        SUBCASE("segments reordered") {
            std::string t = c;
            t.replace(header, unit, c.substr(header + unit, unit));
            t.replace(header + unit, unit, c.substr(header, unit));
            check_integrity_error(key, t);
        }
        SUBCASE("segment duplicated") {
            std::string t = c;
            t.replace(header + unit, unit, c.substr(header, unit));
            check_integrity_error(key, t);
        }
        SUBCASE("segment dropped") {
            std::string t = c;
            t.erase(header + unit, unit);
            check_integrity_error(key, t);
        }
        SUBCASE("bit flipped in every region") {
            for (size_t pos :
                 {size_t{9}, header - 1, header + 5, header + unit - 1, c.size() - 1}) {
                CAPTURE(pos);
                std::string t = c;
                t[pos] = static_cast<char>(t[pos] ^ 0x01);
                check_integrity_error(key, t);
            }
        }
        SUBCASE("header swapped from another object of the same artifact") {
            std::string other = encrypt(key, "x");
            std::string t = other.substr(0, header) + c.substr(header);
            check_integrity_error(key, t);
        }
        SUBCASE("artifact uid mismatch") {
            std::string sunk;
            CHECK_THROWS_AS(decrypt(key, c, sunk, "another-uid"), Error);
        }
        SUBCASE("trailing garbage") {
            check_integrity_error(key, c + "x");
            check_integrity_error(key, c + std::string(16, '\0'));
            check_integrity_error(key, c + c.substr(header, unit));
        }
        SUBCASE("unsupported segment size in header") {
            std::string t = c;
            t[12] = 0; // segment size 64 KiB -> 0 (bytes 10..13 are be32)
            t[11] = 0;
            check_integrity_error(key, t);
            t = c;
            t[11] = 0x10; // 1 MiB + 64 KiB
            check_integrity_error(key, t);
        }
        SUBCASE("sink sees only authenticated segments") {
            std::string t = c;
            t[header + 2 * unit + 3] ^= 0x40;
            std::string sunk;
            CHECK_THROWS_AS(decrypt(key, t, sunk), Error);
            CHECK(sunk == plain.substr(0, 2 * k_seg));
        }
    }

    TEST_CASE("decrypt_file: empty final segment cannot be dropped") {
        SecretKey key = SecretKey::random();
        std::string c = encrypt(key, pattern(2 * k_seg));
        check_integrity_error(key, c.substr(0, c.size() - 16));
    }

    TEST_CASE("decrypt_range: reads only covering segments") {
        SecretKey key = SecretKey::random();
        const std::string plain = pattern(k_seg * 7 / 2);
        const std::string c = encrypt(key, plain);
        std::vector<std::pair<uint64_t, uint64_t>> reads;
        auto reader = [&](uint64_t o, uint64_t l) {
            reads.emplace_back(o, l);
            return c.substr(o, l);
        };
        CHECK(decrypt_range(key, k_uid, c.size(), reader, k_seg + 10, 100) ==
              plain.substr(k_seg + 10, 100));
        REQUIRE(reads.size() == 2);
        CHECK(reads[1].second == k_seg + 16); // exactly one segment fetched
        for (auto [off, len] : std::vector<std::pair<uint64_t, uint64_t>>{{0, 1},
                                                                          {0, plain.size()},
                                                                          {k_seg - 5, 10},
                                                                          {3 * k_seg, k_seg / 2},
                                                                          {plain.size() - 1, 100},
                                                                          {100, 3 * k_seg}}) {
            CAPTURE(off);
            CHECK(range(key, c, off, len) == plain.substr(off, len));
        }
        CHECK(range(key, c, plain.size(), 10).empty());
        CHECK(range(key, c, 5, 0).empty());
        CHECK_THROWS_AS(range(SecretKey::random(), c, 0, 10), Error);
        std::string t = c;
        t[t.size() - 20] ^= 1;
        CHECK(range(key, t, 0, 10) == plain.substr(0, 10)); // untouched segment still reads
        CHECK_THROWS_AS(range(key, t, plain.size() - 5, 5), Error);
        CHECK_THROWS_AS(range(key, c.substr(0, c.size() - 1), 0, plain.size()), Error);
        CHECK_THROWS_AS(decrypt_range(key, "other", c.size(), reader, 0, 1), Error);
    }

    TEST_CASE("test vector: fixed key and prefix give the documented ciphertext") {
        SecretKey key = fixed_key();
        testing::ScopedNoncePrefix fixed(k_fixed_prefix);
        std::string c = encrypt(key, pattern(k_vector_size), params(), 4096);
        CHECK(sha256_hex(c) == k_vector_sha256);
        CHECK(to_hex(encrypt(key, "", params())) == k_empty_vector_hex);
    }

    TEST_CASE("files written by format version 1 still load") {
        auto file = stdfs::path(CAIRN_SOURCE_DIR) / "tests/vectors/stream_v1_150000.bin";
        CHECK(sha256_hex(fs::read_file(file)) == k_vector_sha256);
        std::string plain;
        decrypt_file(fixed_key(), k_uid, file, [&](std::span<const std::byte> b) {
            plain.append(reinterpret_cast<const char*>(b.data()), b.size());
        });
        CHECK(plain == pattern(k_vector_size));
    }
}
