#include "core/crypto/tree_hash.hpp"

#include "core/crypto/sha256.hpp"
#include "core/util/error.hpp"
#include "core/util/hex.hpp"

#include <openssl/crypto.h>

namespace cairn::crypto {

namespace {

// Domain separation: a leaf, an inner node and the final id can never be
// mistaken for one another, so no two different contents share a root.
constexpr std::byte k_leaf_tag{0x00}, k_node_tag{0x01}, k_id_tag{0x02};

template <size_t N> void put_be(std::byte* out, uint64_t v) {
    for (size_t i = 0; i < N; ++i) out[i] = static_cast<std::byte>(v >> (8 * (N - 1 - i)));
}

} // namespace

Digest tree_leaf_hash(std::span<const std::byte> leaf) {
    Sha256 h;
    h.update(std::span(&k_leaf_tag, 1));
    h.update(leaf);
    return h.finish();
}

Digest tree_node_hash(const Digest& left, const Digest& right) {
    Sha256 h;
    h.update(std::span(&k_node_tag, 1));
    h.update(left);
    h.update(right);
    return h.finish();
}

uint64_t tree_leaf_count(uint64_t size) {
    return size == 0 ? 1 : (size + k_tree_leaf_size - 1) / k_tree_leaf_size;
}

uint64_t tree_leaf_length(uint64_t size, uint64_t index) {
    const uint64_t start = index * k_tree_leaf_size;
    return start >= size ? 0 : std::min(k_tree_leaf_size, size - start);
}

std::string tree_hash_text(const Digest& root, uint64_t size) {
    std::array<std::byte, 1 + 8 + 4> head{};
    head[0] = k_id_tag;
    put_be<8>(head.data() + 1, size);
    put_be<4>(head.data() + 9, k_tree_leaf_size);
    Sha256 h;
    h.update(head);
    h.update(root);
    return std::string(k_tree_hash_prefix) + h.finish_hex();
}

bool is_tree_hash(std::string_view hash_text) { return hash_text.starts_with(k_tree_hash_prefix); }

bool same_hash(std::string_view a, std::string_view b) {
    // Lengths are public (the kind and hex length); only contents are compared in constant time.
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void TreeFolder::add(const Digest& leaf) {
    m_stack.emplace_back(leaf, 1);
    ++m_count;
    // Two perfect subtrees of equal size become one twice as large.
    while (m_stack.size() >= 2 && m_stack[m_stack.size() - 2].second == m_stack.back().second) {
        auto right = m_stack.back();
        m_stack.pop_back();
        auto& left = m_stack.back();
        left.first = tree_node_hash(left.first, right.first);
        left.second *= 2;
    }
}

Digest TreeFolder::root() const {
    if (m_stack.empty()) throw Error(ErrorKind::internal, "tree hash of no leaves");
    // The perfect subtrees, largest first, are RFC 6962's left-hand splits:
    // joining them from the right gives MTH.
    Digest acc = m_stack.back().first;
    for (size_t i = m_stack.size() - 1; i-- > 0;) acc = tree_node_hash(m_stack[i].first, acc);
    return acc;
}

} // namespace cairn::crypto
