#pragma once
// Streaming SHA-256 over OpenSSL EVP.
#include <array>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

struct evp_md_ctx_st;

namespace cairn::crypto {

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(std::span<const std::byte> data);
    void update(std::string_view s) { update(std::as_bytes(std::span(s.data(), s.size()))); }
    std::array<std::byte, 32> finish();
    std::string finish_hex();

private:
    evp_md_ctx_st* m_ctx;
};

std::string sha256_hex(std::string_view data);

} // namespace cairn::crypto
