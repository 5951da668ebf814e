#pragma once
// Key material that wipes itself: OPENSSL_cleanse on destruction and on
// move-from, never copied implicitly.
#include <array>
#include <cstddef>
#include <span>

namespace cairn::crypto {

class SecretKey {
public:
    static constexpr size_t k_size = 32; // 256-bit keys everywhere
    SecretKey() = default;
    SecretKey(const SecretKey&) = delete;
    SecretKey& operator=(const SecretKey&) = delete;
    SecretKey(SecretKey&& o) noexcept;
    SecretKey& operator=(SecretKey&& o) noexcept;
    ~SecretKey();

    static SecretKey random();
    static SecretKey from_bytes(std::span<const std::byte> bytes); // must be 32 bytes

    std::span<const std::byte, k_size> bytes() const { return m_bytes; }
    std::span<std::byte, k_size> mutable_bytes() { return m_bytes; }
    const unsigned char* data() const { return reinterpret_cast<const unsigned char*>(m_bytes.data()); }
    void clear();

private:
    std::array<std::byte, k_size> m_bytes{};
};

// Compares two byte strings in time that depends only on their lengths.
bool constant_time_equal(std::span<const std::byte> a, std::span<const std::byte> b);

} // namespace cairn::crypto
