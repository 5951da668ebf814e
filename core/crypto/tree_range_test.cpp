#include "core/crypto/tree_range.hpp"
#include "core/crypto/parallel_tree_hasher.hpp"
#include "core/util/error.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace cairn;
using namespace cairn::crypto;

namespace {

const std::string k_range_uid = "0123456789abcdef";
constexpr uint64_t L = k_tree_leaf_size;

std::string range_pattern(size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 4093) % 251);
    return s;
}

// An object as save writes it: content then leaf table, 1 MiB segments.
struct TreeObjectFixture {
    SecretKey key = SecretKey::random();
    std::string content, cipher;
    TreeObject object;
    int reads = 0;
    uint64_t bytes_read = 0;

    // `stored` is what the object holds; the table and hash are of `content`
    // (they differ only for a forgery by someone holding the data key).
    explicit TreeObjectFixture(size_t n, const std::string* stored = nullptr) : content(range_pattern(n)) {
        ParallelTreeHasher h(PlainSha256::no, {}, 2);
        h.update(std::as_bytes(std::span(content.data(), content.size())));
        const TreeHashResult r = h.finish();
        if (stored) content = *stored;
        StreamEncryptor enc(key, {k_range_uid, "kid", static_cast<uint32_t>(L)},
                            [&](std::span<const std::byte> b) { cipher.append(reinterpret_cast<const char*>(b.data()), b.size()); });
        enc.write(std::as_bytes(std::span(content.data(), content.size())));
        r.leaves->for_each([&](std::span<const Digest> run) { enc.write(std::as_bytes(run)); });
        enc.finish();
        object = {k_range_uid, cipher.size(), content.size(), r.tree_hash};
    }

    ReadCiphertext reader() {
        return [this](uint64_t off, uint64_t len) {
            ++reads;
            bytes_read += len;
            return cipher.substr(off, len);
        };
    }

    std::string range(uint64_t first, uint64_t last) {
        std::string out;
        read_tree_range(key, object, reader(), first, last,
                        [&](std::span<const std::byte> b) { out.append(reinterpret_cast<const char*>(b.data()), b.size()); });
        return out;
    }

    // Flips a byte of the ciphertext at plaintext offset `at` (segment size L).
    void flip_plain(uint64_t at) {
        const uint64_t header = cipher.size() - (content.size() + 32 * tree_leaf_count(content.size())) -
                                16 * ((content.size() + 32 * tree_leaf_count(content.size())) / L + 1);
        cipher[header + (at / L) * (L + 16) + at % L] ^= 1;
    }
};

} // namespace

TEST_SUITE("core::crypto::tree_range") {
    TEST_CASE("read_tree_range: any range equals the content's bytes, across leaf boundaries") {
        TreeObjectFixture f(3 * L + 100);
        for (auto [a, b] : std::initializer_list<std::pair<uint64_t, uint64_t>>{
                 {0, 0}, {0, L - 1}, {L - 1, L}, {L - 5, 2 * L + 5}, {3 * L, 3 * L + 99}, {0, 3 * L + 99}, {17, 17}}) {
            CAPTURE(a);
            CAPTURE(b);
            CHECK(f.range(a, b) == f.content.substr(a, b - a + 1));
        }
    }

    TEST_CASE("read_tree_range: reads only the header, the table and the leaves of the range") {
        TreeObjectFixture f(40 * L);
        f.range(20 * L + 3, 20 * L + 9);
        // One leaf plus the table's last segment plus the header: far less than 40 MiB.
        CHECK(f.bytes_read < 3 * (L + 16));
    }

    TEST_CASE("read_tree_range: a flipped byte inside the range fails; outside it does not matter") {
        TreeObjectFixture f(3 * L);
        f.flip_plain(L + 10);
        CHECK(f.range(2 * L, 2 * L + 10) == f.content.substr(2 * L, 11));
        std::string got;
        CHECK_THROWS_AS(f.range(L, L + 20), Error);
        try {
            f.range(L + 5, L + 20);
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::integrity);
        }
    }

    TEST_CASE("read_tree_range: a table or hash that does not fold to the row's tree hash is refused") {
        TreeObjectFixture f(2 * L + 1);
        f.object.tree_hash[10] = f.object.tree_hash[10] == 'a' ? 'b' : 'a';
        try {
            f.range(0, 0);
            FAIL("accepted a wrong tree hash");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::integrity);
            CHECK(std::string(e.what()).find("leaf table") != std::string::npos);
        }
    }

    TEST_CASE("read_tree_range: content re-encrypted with the data key but not matching the table is refused") {
        std::string other = range_pattern(2 * L);
        other[L + 7] ^= 1;
        TreeObjectFixture f(2 * L, &other);
        CHECK(f.range(0, 10) == other.substr(0, 11)); // leaf 0 is unchanged
        try {
            f.range(L, L + 10);
            FAIL("served a leaf that does not match its table entry");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::integrity);
            CHECK(std::string(e.what()).find("leaf 1 does not match") != std::string::npos);
        }
    }

    TEST_CASE("read_tree_range: a range past the end is a usage error, nothing read") {
        TreeObjectFixture f(100);
        try {
            f.range(50, 100);
            FAIL("accepted a range past the end");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::usage);
        }
        CHECK(f.reads == 0);
        CHECK(f.range(99, 99) == f.content.substr(99));
    }

    TEST_CASE("read_tree_range: one leaf exactly, and a leaf plus one byte") {
        TreeObjectFixture one(L);
        CHECK(one.range(0, L - 1) == one.content);
        TreeObjectFixture plus(L + 1);
        CHECK(plus.range(L, L) == plus.content.substr(L));
        CHECK(plus.range(L - 1, L) == plus.content.substr(L - 1));
    }
}
