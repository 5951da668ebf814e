#include "core/crypto/tree_range.hpp"

#include "core/crypto/tree_hash.hpp"
#include "core/util/error.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace cairn::crypto {

namespace {

// Table entries read per step (1 MiB of digests), and the most leaf
// digests of a range kept at once (2 MiB): memory stays bounded whatever
// the object's or the range's size.
constexpr uint64_t k_table_step = 32768;
constexpr uint64_t k_window = 65536;

[[noreturn]] void damaged(const TreeObject& o, const std::string& what) {
    throw Error(ErrorKind::integrity, "artifact " + o.uid + ": " + what, "the object in storage is damaged");
}

// The plaintext holds content then the leaf table; decrypt_range reads
// only the segments covering [offset, offset + length).
std::string plaintext(const SecretKey& key, const TreeObject& o, const ReadCiphertext& read, uint64_t offset,
                      uint64_t length) {
    std::string s = decrypt_range(key, o.uid, o.stored_size, read, offset, length);
    if (s.size() != length) {
        OPENSSL_cleanse(s.data(), s.size());
        damaged(o, "the encrypted object is shorter than its content and leaf table");
    }
    return s;
}

// Folds the whole table into the root, checks it against the row's tree
// hash, and returns the digests of leaves [w0, w1].
std::vector<Digest> verified_digests(const SecretKey& key, const TreeObject& o, const ReadCiphertext& read,
                                     uint64_t w0, uint64_t w1) {
    const uint64_t n = tree_leaf_count(o.content_size);
    std::vector<Digest> wanted;
    TreeFolder folder;
    for (uint64_t at = 0; at < n; at += k_table_step) {
        const uint64_t count = std::min(k_table_step, n - at);
        const std::string t = plaintext(key, o, read, o.content_size + 32 * at, 32 * count);
        for (uint64_t i = 0; i < count; ++i) {
            Digest d;
            std::memcpy(d.data(), t.data() + 32 * i, 32);
            folder.add(d);
            if (at + i >= w0 && at + i <= w1) wanted.push_back(d);
        }
    }
    if (!same_hash(tree_hash_text(folder.root(), o.content_size), o.tree_hash))
        damaged(o, "its leaf table does not match its tree hash");
    return wanted;
}

// Reads leaf `index`, checks it against `digest`, and sends the part of it
// inside [first, last].
void send_leaf(const SecretKey& key, const TreeObject& o, const ReadCiphertext& read, uint64_t index,
               const Digest& digest, uint64_t first, uint64_t last, const ByteSink& sink) {
    const uint64_t start = index * k_tree_leaf_size;
    std::string leaf = plaintext(key, o, read, start, tree_leaf_length(o.content_size, index));
    const auto bytes = std::as_bytes(std::span(leaf.data(), leaf.size()));
    const Digest got = tree_leaf_hash(bytes);
    if (CRYPTO_memcmp(got.data(), digest.data(), got.size()) != 0) {
        OPENSSL_cleanse(leaf.data(), leaf.size());
        damaged(o, "leaf " + std::to_string(index) + " does not match its tree hash");
    }
    const uint64_t from = std::max(first, start) - start;
    const uint64_t to = std::min(last + 1, start + leaf.size()) - start;
    try {
        sink(bytes.subspan(from, to - from));
    } catch (...) {
        OPENSSL_cleanse(leaf.data(), leaf.size());
        throw;
    }
    OPENSSL_cleanse(leaf.data(), leaf.size());
}

} // namespace

void read_tree_range(const SecretKey& key, const TreeObject& o, const ReadCiphertext& read, uint64_t first,
                     uint64_t last, const ByteSink& sink) {
    if (first > last || last >= o.content_size)
        throw Error(ErrorKind::usage, "range " + std::to_string(first) + "-" + std::to_string(last) +
                                          " is outside the content (" + std::to_string(o.content_size) + " bytes)");
    // decrypt_range reads the header before each piece: serve it from memory.
    std::string header;
    const ReadCiphertext cached = [&](uint64_t off, uint64_t len) {
        if (off != 0) return read(off, len);
        if (header.size() != len) header = read(off, len);
        return header;
    };
    const uint64_t i0 = first / k_tree_leaf_size, i1 = last / k_tree_leaf_size;
    for (uint64_t w0 = i0; w0 <= i1; w0 += k_window) {
        const uint64_t w1 = std::min(i1, w0 + k_window - 1);
        const std::vector<Digest> digests = verified_digests(key, o, cached, w0, w1);
        for (uint64_t i = w0; i <= w1; ++i) send_leaf(key, o, cached, i, digests[i - w0], first, last, sink);
    }
}

} // namespace cairn::crypto
