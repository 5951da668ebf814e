#include "core/keys/passphrase.hpp"

#include "core/util/error.hpp"
#include "core/util/fs.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

namespace cairn::keys {

namespace {

constexpr size_t k_min_capacity = 256; // beyond any small-string buffer
constexpr size_t k_max_passphrase = 4096;

void wipe(std::string& s) {
    OPENSSL_cleanse(s.data(), s.capacity());
}

} // namespace

SecretString passphrase_from_file(const std::filesystem::path& file) {
    fs::require_private_file(file, "passphrase file (CAIRN_PASSPHRASE_FILE)");
    // Read directly into wiped storage: fs::read_file would leave copies.
    // Bounded: /dev/zero or a FIFO must not be read for ever.
    fs::Fd fd = fs::open_regular(file, k_max_passphrase);
    SecretString out;
    std::array<char, 256> buf{};
    while (size_t n = fs::read_some(fd.get(), std::as_writable_bytes(std::span(buf)), file)) {
        for (size_t i = 0; i < n; ++i) {
            if (out.view().size() >= k_max_passphrase) {
                OPENSSL_cleanse(buf.data(), buf.size());
                throw Error(ErrorKind::usage, "passphrase file " + file.string() + " is too long");
            }
            out.push_back(buf[i]);
        }
    }
    OPENSSL_cleanse(buf.data(), buf.size());
    if (out.view().ends_with('\n')) out.pop_back();
    if (out.view().ends_with('\r')) out.pop_back();
    return out;
}

namespace {

// Restores the terminal mode even when reading throws.
struct EchoOff {
    int fd;
    termios saved{};
    bool changed = false;
    explicit EchoOff(int f) : fd(f) {
        if (::tcgetattr(fd, &saved) == 0) {
            termios quiet = saved;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            changed = ::tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
        }
    }
    ~EchoOff() {
        if (changed) ::tcsetattr(fd, TCSAFLUSH, &saved);
    }
};

SecretString from_tty(const std::filesystem::path& key_file) {
    fs::Fd tty(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY));
    if (!tty) throw Error(ErrorKind::permission, "cannot open /dev/tty to ask for the passphrase");
    std::string prompt = "Passphrase for key file " + key_file.string() + ": ";
    fs::write_all(tty.get(), std::as_bytes(std::span(prompt.data(), prompt.size())), "/dev/tty");
    SecretString out;
    {
        EchoOff quiet(tty.get());
        char c = 0;
        while (::read(tty.get(), &c, 1) == 1 && c != '\n') {
            if (out.view().size() >= k_max_passphrase)
                throw Error(ErrorKind::usage, "passphrase too long");
            out.push_back(c);
        }
        if (out.view().ends_with('\r')) out.pop_back();
        OPENSSL_cleanse(&c, sizeof c);
    }
    fs::write_all(tty.get(), std::as_bytes(std::span("\n", 1)), "/dev/tty");
    return out;
}

} // namespace

SecretString::SecretString() {
    m_s.reserve(k_min_capacity);
}
SecretString::SecretString(SecretString&& o) noexcept {
    m_s.swap(o.m_s);
}
SecretString::~SecretString() {
    wipe(m_s);
}

SecretString SecretString::from(std::string_view s) {
    SecretString out;
    for (char c : s)
        out.push_back(c);
    return out;
}

void SecretString::push_back(char c) {
    // Grow by hand so the old buffer is wiped before it is freed.
    if (m_s.size() == m_s.capacity()) {
        std::string bigger;
        bigger.reserve(m_s.capacity() * 2);
        bigger.assign(m_s);
        wipe(m_s);
        m_s.swap(bigger);
    }
    m_s.push_back(c);
}

void SecretString::pop_back() {
    m_s.back() = '\0';
    m_s.pop_back();
}

SecretString passphrase_for(const std::filesystem::path& key_file) {
    if (const char* env = std::getenv("CAIRN_PASSPHRASE_FILE"); env && *env)
        return passphrase_from_file(env);
    if (::isatty(STDIN_FILENO)) return from_tty(key_file);
    throw Error(
        ErrorKind::permission,
        "key file " + key_file.string() +
            " needs a passphrase: set CAIRN_PASSPHRASE_FILE (stdin is not a terminal to ask on)",
        "export CAIRN_PASSPHRASE_FILE=FILE, where FILE is a 0600 file holding the passphrase");
}

void check_scrypt_params(const ScryptParams& params, const std::filesystem::path& where) {
    const bool in_range = params.log_n >= 15 && params.log_n <= 20 && params.r >= 8 &&
                          params.r <= 32 && params.p >= 1 && params.p <= 16;
    // Checked only once in range, so the products cannot overflow.
    if (!in_range || scrypt_memory_bytes(params) > k_max_scrypt_memory ||
        scrypt_work(params) > k_max_scrypt_work)
        throw Error(ErrorKind::integrity,
                    "key file " + where.string() +
                        " has unsupported scrypt parameters (allowed: log2 N 15..20, r 8..32, p "
                        "1..16, with 128*r*N at most 1 GiB of memory and r*N*p at most 2^23)",
                    "a key file cairn wrote never has these: was it edited or replaced?");
}

uint64_t scrypt_memory_bytes(const ScryptParams& params) {
    return 128 * uint64_t{params.r} * (uint64_t{1} << params.log_n);
}

uint64_t scrypt_work(const ScryptParams& params) {
    return uint64_t{params.r} * (uint64_t{1} << params.log_n) * params.p;
}

crypto::SecretKey scrypt_key(std::string_view passphrase, const ScryptParams& params) {
    const uint64_t n = uint64_t{1} << params.log_n;
    // scrypt needs 128*r*N bytes for V plus 128*r*p for B; leave headroom.
    const uint64_t maxmem = scrypt_memory_bytes(params) + 128 * uint64_t{params.r} * params.p +
                            (uint64_t{1} << 20);
    crypto::SecretKey key;
    if (EVP_PBE_scrypt(passphrase.data(), passphrase.size(),
                       reinterpret_cast<const unsigned char*>(params.salt.data()),
                       params.salt.size(), n, params.r, params.p, maxmem,
                       reinterpret_cast<unsigned char*>(key.mutable_bytes().data()),
                       crypto::SecretKey::k_size) != 1)
        throw Error(ErrorKind::internal, "scrypt key derivation failed");
    return key;
}

} // namespace cairn::keys
