#pragma once
// Verified range reads of tree-hash objects (docs/FORMAT.md section 4,
// docs/SECURITY.md "Range reads"): only the segments holding the leaf table
// and the leaves that cover the range are read and decrypted.
#include "core/crypto/secret.hpp"
#include "core/crypto/stream.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace cairn::crypto {

// Fetches raw ciphertext bytes [offset, offset + length) of one object.
using ReadCiphertext = std::function<std::string(uint64_t offset, uint64_t length)>;

struct TreeObject {
    std::string uid;          // the artifact the object must belong to
    uint64_t stored_size = 0; // the object's size, from the sealed row
    uint64_t content_size = 0;
    std::string tree_hash;    // "tree1:...", from the sealed row
};

// Sends content bytes [first, last] (inclusive; last < content_size) to
// `sink`, in order, leaf by leaf. Before any byte goes out, the whole leaf
// table is folded into the root and compared with `tree_hash`; each leaf
// is then compared with its table entry before its bytes go out. Integrity
// error on any mismatch or failed authentication: bytes of leaves already
// sent stay sent, so a caller writing to a final destination verifies
// first (sink that discards) and reads again.
void read_tree_range(const SecretKey& data_key, const TreeObject& object, const ReadCiphertext& read,
                     uint64_t first, uint64_t last, const ByteSink& sink);

} // namespace cairn::crypto
