#pragma once
// A fixed set of equal buffers that hold plaintext while a pipeline streams
// it (a save's leaves, a load's decrypted blocks). They are not zeroed at
// allocation and, when wiped, only the bytes that may have held plaintext
// are: a small file then costs no megabytes of page faults, and nothing it
// held outlives the pipeline, however the pipeline ends.
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace cairn::crypto {

class PlaintextBuffers {
  public:
    PlaintextBuffers(size_t count, size_t bytes_each);
    ~PlaintextBuffers(); // wipe()
    PlaintextBuffers(const PlaintextBuffers&) = delete;
    PlaintextBuffers& operator=(const PlaintextBuffers&) = delete;

    size_t count() const { return m_buffers.size(); }
    size_t bytes_each() const { return m_bytes_each; }

    // Bytes [from, end) of buffer `i`, to write into. Call used() for the
    // bytes written (or about to be: a write that fails halfway still
    // leaves bytes to wipe).
    std::span<std::byte> room(size_t i, size_t from = 0);
    // The first `size` bytes of buffer `i`, to read.
    std::span<const std::byte> filled(size_t i, size_t size) const;
    // Bytes [0, end) of buffer `i` may hold plaintext.
    void used(size_t i, size_t end);

    // Wipes the bytes used() marked in every buffer, and only those.
    void wipe();

  private:
    size_t m_bytes_each;
    std::vector<std::unique_ptr<std::byte[]>> m_buffers;
    std::vector<size_t> m_used; // per buffer: the high-water mark of used()
};

} // namespace cairn::crypto
