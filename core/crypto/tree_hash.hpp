#pragma once
// The tree hash, the content identity of artifacts saved since issue 17
// (docs/FORMAT.md section 4): SHA-256 over 1 MiB leaves combined in an
// RFC 6962 shaped binary Merkle tree, bound to the content size. Leaves are
// independent, so they hash on every core, and one leaf can be checked
// against the root without reading the others.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::crypto {

using Digest = std::array<std::byte, 32>;

// Leaf size L: fixed, part of the format (bound into the tree id).
constexpr uint64_t k_tree_leaf_size = 1u << 20;
// Hash texts of tree-hash artifacts start with this; a plain SHA-256 is 64
// hex characters with no prefix (artifacts saved before issue 17).
constexpr std::string_view k_tree_hash_prefix = "tree1:";

// H(00 || leaf bytes).
Digest tree_leaf_hash(std::span<const std::byte> leaf);
// H(01 || left || right).
Digest tree_node_hash(const Digest& left, const Digest& right);
// Leaves of a content of `size` bytes: ceil(size / L), and 1 (an empty
// leaf) for empty content, so every content has a root.
uint64_t tree_leaf_count(uint64_t size);
// Bytes of leaf `index` of a content of `size` bytes.
uint64_t tree_leaf_length(uint64_t size, uint64_t index);
// The hash text: "tree1:" || hex(H(02 || be64(size) || be32(L) || root)).
std::string tree_hash_text(const Digest& root, uint64_t size);

// True for a "tree1:" hash text, false for a plain SHA-256.
bool is_tree_hash(std::string_view hash_text);
// Compares two hash texts in time independent of where they differ.
bool same_hash(std::string_view a, std::string_view b);

// Folds leaf digests, given in order, into the RFC 6962 root
// MTH(D[0:n]) = H(01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of
// two below n, keeping only O(log n) digests.
class TreeFolder {
public:
    void add(const Digest& leaf);
    uint64_t count() const { return m_count; }
    // The root of the leaves added so far; at least one is required.
    Digest root() const;

private:
    // Roots of perfect subtrees, largest first, and their leaf counts.
    std::vector<std::pair<Digest, uint64_t>> m_stack;
    uint64_t m_count = 0;
};

} // namespace cairn::crypto
