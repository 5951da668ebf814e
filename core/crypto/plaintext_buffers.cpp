#include "core/crypto/plaintext_buffers.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cassert>

namespace cairn::crypto {

PlaintextBuffers::PlaintextBuffers(size_t count, size_t bytes_each)
    : m_bytes_each(bytes_each), m_used(count, 0) {
    m_buffers.reserve(count);
    for (size_t i = 0; i < count; ++i)
        m_buffers.push_back(std::make_unique_for_overwrite<std::byte[]>(bytes_each));
}

PlaintextBuffers::~PlaintextBuffers() { wipe(); }

std::span<std::byte> PlaintextBuffers::room(size_t i, size_t from) {
    assert(from <= m_bytes_each);
    return {m_buffers[i].get() + from, m_bytes_each - from};
}

std::span<const std::byte> PlaintextBuffers::filled(size_t i, size_t size) const {
    assert(size <= m_bytes_each);
    return {m_buffers[i].get(), size};
}

void PlaintextBuffers::used(size_t i, size_t end) {
    m_used[i] = std::max(m_used[i], std::min(end, m_bytes_each));
}

void PlaintextBuffers::wipe() {
    for (size_t i = 0; i < m_buffers.size(); ++i) {
        OPENSSL_cleanse(m_buffers[i].get(), m_used[i]);
        m_used[i] = 0;
    }
}

} // namespace cairn::crypto
