#pragma once
// Decryption, hashing and the caller's writing of one encrypted object run
// at the same time on three threads, so a load costs about as long as its
// slowest stage (SHA-256) instead of the sum of all three.
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

} // namespace cairn::crypto
