#pragma once
// Passphrases: where they come from and how they are held. A passphrase is
// read from the file named by CAIRN_PASSPHRASE_FILE (which must be private),
// else typed on /dev/tty without echo when stdin is a terminal; it is wiped
// from memory when no longer needed.
#include "core/crypto/secret.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace cairn::keys {

// A string whose bytes are wiped (OPENSSL_cleanse) on destruction. It keeps
// its buffer on the heap so moves never leave copies behind.
class SecretString {
public:
    SecretString();
    SecretString(SecretString&& o) noexcept;
    SecretString& operator=(SecretString&&) = delete;
    SecretString(const SecretString&) = delete;
    SecretString& operator=(const SecretString&) = delete;
    ~SecretString();
    static SecretString from(std::string_view s);
    void push_back(char c);
    void pop_back();
    std::string_view view() const { return m_s; }
    bool empty() const { return m_s.empty(); }

private:
    std::string m_s;
};

// The passphrase to open `key_file` (named in the prompt and in errors).
// Throws permission errors: CAIRN_PASSPHRASE_FILE unsafe or unreadable, or
// no passphrase source ("set CAIRN_PASSPHRASE_FILE").
SecretString passphrase_for(const std::filesystem::path& key_file);

// scrypt parameters (N = 2^log_n). Defaults are the ones new files use.
struct ScryptParams {
    uint32_t log_n = 15;
    uint32_t r = 8;
    uint32_t p = 1;
    std::array<std::byte, 16> salt{};
};

// Checks parameters read from a file against sane bounds (a hostile file
// must not make us allocate gigabytes). Throws integrity errors.
void check_scrypt_params(const ScryptParams& params, const std::filesystem::path& where);

// Derives a 256-bit key-encryption key from a passphrase with scrypt.
crypto::SecretKey scrypt_key(std::string_view passphrase, const ScryptParams& params);

} // namespace cairn::keys
