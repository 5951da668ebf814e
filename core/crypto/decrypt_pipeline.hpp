#pragma once
// Decryption, the caller's writing and hashing of one encrypted object run
// at the same time: one thread decrypts, the caller writes, and the hash
// runs on one thread (plain SHA-256, sequential by nature) or on a pool
// (the tree hash, leaf by leaf), so a load costs about as long as its
// slowest stage instead of the sum of all three.
#include "core/crypto/secret.hpp"
#include "core/crypto/stream.hpp"

#include <filesystem>
#include <string>

namespace cairn::crypto {

// Decrypts and authenticates `ciphertext` (an object of `expected_uid`) and
// returns the SHA-256 (hex) of its plaintext. `sink` runs on the calling
// thread and receives the plaintext in order, only bytes already
// authenticated, in blocks of about 1 MiB.
//
// Memory is bounded (a few blocks, reused). If any stage fails (a segment
// that fails authentication, a read error, or `sink` throwing, e.g. a full
// disk), every stage stops, both threads are joined, the plaintext buffers
// are wiped, and the first error is rethrown unchanged. Errors in the header
// are thrown before any thread starts.
std::string decrypt_file_hashed(const SecretKey& data_key, const std::string& expected_uid,
                                const std::filesystem::path& ciphertext, const ByteSink& sink);

// The same for an object of a tree-hash artifact (docs/FORMAT.md section
// 4): its plaintext is `content_size` bytes of content then the leaf table.
// `sink` receives the content only; returns the tree hash text of the
// content ("tree1:..."). The plaintext must be exactly content plus table
// and the segment size must divide the leaf size (else integrity error).
// The table itself is authenticated (AES-GCM) but checked against the root
// only by range reads, which rely on it.
std::string decrypt_file_tree_hashed(const SecretKey& data_key, const std::string& expected_uid,
                                     const std::filesystem::path& ciphertext, uint64_t content_size,
                                     const ByteSink& sink);

} // namespace cairn::crypto
