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

// The passphrase in `file` (CAIRN_PASSPHRASE_FILE): a 0600 regular file of at
// most 4096 bytes; one trailing '\n' is removed, then one trailing '\r'.
// Opening a key file and sealing a new one read it the same way.
SecretString passphrase_from_file(const std::filesystem::path& file);

// scrypt parameters (N = 2^log_n). Defaults are the ones new files use:
// N = 2^17, r = 8, p = 1 (128 MiB; OWASP's minimum, age uses 2^18).
struct ScryptParams {
    uint32_t log_n = 17;
    uint32_t r = 8;
    uint32_t p = 1;
    std::array<std::byte, 16> salt{};
};

// The bounds a key file's parameters must keep: a hostile file must not make
// cairn allocate gigabytes or spend minutes before it is refused. Memory is
// 128*r*N bytes; the time taken grows with r*N*p (2^23 is 8 times the
// default's work: about 5 s on a 2-core server of the 2020s, against 0.7 s).
constexpr uint64_t k_max_scrypt_memory = uint64_t{1} << 30;
constexpr uint64_t k_max_scrypt_work = uint64_t{1} << 23;
uint64_t scrypt_memory_bytes(const ScryptParams& params);
uint64_t scrypt_work(const ScryptParams& params);

// Checks parameters read from a file against those bounds. Throws integrity
// errors.
void check_scrypt_params(const ScryptParams& params, const std::filesystem::path& where);

// Derives a 256-bit key-encryption key from a passphrase with scrypt.
crypto::SecretKey scrypt_key(std::string_view passphrase, const ScryptParams& params);

} // namespace cairn::keys
