#pragma once
// Test-only seam: fixes the nonce prefix of StreamEncryptors created on this
// thread while the guard lives, so tests can check known-answer vectors.
// Production code must never use it (a repeated prefix under one data key
// would reuse GCM nonces).
#include <array>
#include <cstddef>

namespace cairn::crypto::testing {

constexpr size_t k_nonce_prefix_size = 7;

class ScopedNoncePrefix {
public:
    explicit ScopedNoncePrefix(const std::array<std::byte, k_nonce_prefix_size>& prefix);
    ~ScopedNoncePrefix();
    ScopedNoncePrefix(const ScopedNoncePrefix&) = delete;
    ScopedNoncePrefix& operator=(const ScopedNoncePrefix&) = delete;
};

} // namespace cairn::crypto::testing
