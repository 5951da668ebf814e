#include "core/crypto/tree_hash.hpp"
#include "core/crypto/parallel_tree_hasher.hpp"
#include "core/crypto/sha256.hpp"
#include "core/util/hex.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <cstring>
#include <string>
#include <utility>

using namespace cairn::crypto;

namespace {

std::string tree_pattern(size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((31 * i + 7) % 256);
    return s;
}

std::string to_hex_digest(const Digest& d) { return cairn::to_hex(d); }

std::span<const std::byte> bytes_of(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

// docs/FORMAT.md section 5, from tests/vectors/make_tree_v1.py (hashlib,
// written from the document, not from this code).
const std::pair<size_t, const char*> k_tree_vectors[] = {
    {0, "tree1:0c393514e5d6b2583655375034dc04a99ee3e895994781b35a30fdf291da385f"},
    {1, "tree1:42d549c7abda14f2bbc9ffd05ae6f5bef9881b42eb627ce08a0512fe8ba59ff9"},
    {1048575, "tree1:9371176b2462566d91de25e60793c10b14ae8e8c791954d1c2509ca4bbe24bcf"},
    {1048576, "tree1:c11accbaf1987fe7eba081ff05b92a1157c0ac242ed1cc8b2f661ca3f6980d15"},
    {1048577, "tree1:5dbfb69a2aa9b19ee664a648599e781b368a0dfce585e5ba9c5c53248708af96"},
    {2097152, "tree1:d86aa1856443db042289b171b532b258066c62534d6a8a8d2da52bbed3564e58"},
    {3145733, "tree1:f01981814ce883886b517a4c4c74265d256b6b634a6c21ec9e11a91f333266b4"},
    {5242880, "tree1:28f0d5105f7e2ba4b27d344d11fc9af19ec043a22b03831e90bb74953f283a1a"},
};

// The tree hash the slow, obvious way: every leaf, then RFC 6962's
// recursive split, straight from the document.
Digest reference_root(const std::vector<Digest>& d, size_t from, size_t to) {
    if (to - from == 1) return d[from];
    size_t k = 1;
    while (k * 2 < to - from) k *= 2;
    return tree_node_hash(reference_root(d, from, from + k), reference_root(d, from + k, to));
}

std::string sequential_tree_hash(const std::string& content) {
    std::vector<Digest> leaves;
    for (uint64_t i = 0; i < tree_leaf_count(content.size()); ++i)
        leaves.push_back(tree_leaf_hash(bytes_of(content).subspan(i * k_tree_leaf_size, tree_leaf_length(content.size(), i))));
    return tree_hash_text(reference_root(leaves, 0, leaves.size()), content.size());
}

} // namespace

TEST_SUITE("core::crypto::tree_hash") {
    TEST_CASE("DigestTable: past the in-memory part digests go to a temp file and come back in order") {
        const auto dir = std::filesystem::temp_directory_path();
        DigestTable t(dir);
        const uint64_t n = DigestTable::k_in_memory + 40000;
        auto digest_of = [](uint64_t i) {
            Digest d{};
            for (size_t b = 0; b < 8; ++b) d[b] = static_cast<std::byte>(i >> (8 * b));
            return d;
        };
        // Out of order, as the workers finish.
        for (uint64_t i = 0; i < n; i += 2) t.set(i + 1 < n ? i + 1 : i, digest_of(i + 1 < n ? i + 1 : i));
        for (uint64_t i = 0; i < n; i += 2) t.set(i, digest_of(i));
        CHECK(t.size() == n);
        uint64_t next = 0;
        bool in_order = true;
        t.for_each([&](std::span<const Digest> run) {
            for (const Digest& d : run) in_order = in_order && d == digest_of(next++);
        });
        CHECK(next == n);
        CHECK(in_order);
    }

    TEST_CASE("tree_hash_text: the documented vectors, sequential and on a pool of threads") {
        const std::string big = tree_pattern(5 << 20);
        for (const auto& [n, expected] : k_tree_vectors) {
            CAPTURE(n);
            const std::string content = big.substr(0, n);
            CHECK(sequential_tree_hash(content) == expected);
            for (unsigned workers : {1u, 2u, 3u}) {
                ParallelTreeHasher h(PlainSha256::yes, {}, workers);
                // Odd pieces, so leaves fill across update() calls.
                for (size_t at = 0; at < content.size(); at += 300007)
                    h.update(bytes_of(content).subspan(at, std::min<size_t>(300007, content.size() - at)));
                const TreeHashResult r = h.finish();
                CHECK(r.tree_hash == expected);
                CHECK(r.size == n);
                CHECK(r.sha256 == sha256_hex(content));
                CHECK(r.leaves->size() == tree_leaf_count(n));
            }
        }
    }

    TEST_CASE("tree_leaf_hash and tree_node_hash: domain-separated SHA-256") {
        CHECK(to_hex_digest(tree_leaf_hash({})) == sha256_hex(std::string(1, '\0')));
        const Digest a = tree_leaf_hash(bytes_of("a")), b = tree_leaf_hash(bytes_of("b"));
        std::string joined = std::string(1, '\x01');
        joined.append(reinterpret_cast<const char*>(a.data()), 32);
        joined.append(reinterpret_cast<const char*>(b.data()), 32);
        CHECK(to_hex_digest(tree_node_hash(a, b)) == sha256_hex(joined));
        // A node is never a leaf of the same bytes.
        CHECK(tree_node_hash(a, b) != tree_leaf_hash(bytes_of(joined.substr(1))));
    }

    TEST_CASE("tree_hash_text: the size is bound: a content and the same plus zeros differ") {
        const std::string s = tree_pattern(100);
        CHECK(sequential_tree_hash(s) != sequential_tree_hash(s + std::string(1, '\0')));
        CHECK(sequential_tree_hash("") != sequential_tree_hash(std::string(1, '\0')));
    }

    TEST_CASE("TreeFolder: the streaming fold equals the recursive definition for 1..40 leaves") {
        std::vector<Digest> leaves;
        for (int n = 1; n <= 40; ++n) {
            leaves.push_back(tree_leaf_hash(bytes_of(std::to_string(n))));
            TreeFolder f;
            for (const auto& d : leaves) f.add(d);
            CAPTURE(n);
            CHECK(f.root() == reference_root(leaves, 0, leaves.size()));
        }
    }

    TEST_CASE("same_hash and is_tree_hash: kinds never compare equal") {
        CHECK(is_tree_hash(k_tree_vectors[0].second));
        CHECK_FALSE(is_tree_hash(sha256_hex("")));
        CHECK(same_hash("tree1:ab", "tree1:ab"));
        CHECK_FALSE(same_hash("tree1:ab", "tree1:ac"));
        CHECK_FALSE(same_hash("ab", "tree1:ab"));
    }

    TEST_CASE("ParallelTreeHasher: zero-copy room/filled gives the same hash as update") {
        const std::string content = tree_pattern((3 << 20) + 17);
        ParallelTreeHasher h(PlainSha256::no, {}, 2);
        size_t at = 0;
        while (at < content.size()) {
            auto room = h.room();
            const size_t n = std::min({room.size(), content.size() - at, size_t{77777}});
            std::memcpy(room.data(), content.data() + at, n);
            h.filled(n);
            at += n;
        }
        const TreeHashResult r = h.finish();
        CHECK(r.tree_hash == sequential_tree_hash(content));
        CHECK_FALSE(r.sha256);
    }
}
