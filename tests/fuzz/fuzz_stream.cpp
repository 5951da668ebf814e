// Encrypted objects (docs/FORMAT.md, "Encrypted objects"): the header parser
// and both decryptors, whole-file (decrypt_file) and ranged (decrypt_range),
// under the test-vector data key and uid (docs/FORMAT.md section 5), so the
// seed objects decrypt and mutations of them reach every check.
#include "core/crypto/stream.hpp"
#include "core/crypto/stream_header.hpp"
#include "core/util/error.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <string>

namespace {

using namespace cairn;

constexpr std::string_view k_uid = "0123456789abcdef";

const crypto::SecretKey& data_key() {
    static const crypto::SecretKey key = [] {
        std::array<std::byte, crypto::SecretKey::k_size> b{};
        for (size_t i = 0; i < b.size(); ++i)
            b[i] = static_cast<std::byte>(i);
        return crypto::SecretKey::from_bytes(b);
    }();
    return key;
}

// decrypt_file reads a path: one memory file, rewritten per input, named
// through /proc/self/fd (no disk, no file per input).
int memory_file() {
    static const int fd = memfd_create("cairn-fuzz-object", 0);
    if (fd < 0) std::abort();
    return fd;
}

void decrypt_whole(std::string_view object) {
    const int fd = memory_file();
    if (ftruncate(fd, 0) != 0 ||
        pwrite(fd, object.data(), object.size(), 0) != static_cast<ssize_t>(object.size()))
        std::abort();
    std::string plain;
    try {
        crypto::decrypt_file(data_key(), std::string(k_uid), "/proc/self/fd/" + std::to_string(fd),
                             [&](std::span<const std::byte> b) {
                                 plain.append(reinterpret_cast<const char*>(b.data()), b.size());
                             });
    } catch (const Error&) {
        return;
    }
    // An authentic object: ranges read from it must agree with the whole.
    auto read = [&](uint64_t off, uint64_t len) { return std::string(object.substr(off, len)); };
    const uint64_t n = plain.size();
    for (uint64_t off : {uint64_t{0}, n / 3, n > 0 ? n - 1 : 0}) {
        const std::string part =
            crypto::decrypt_range(data_key(), std::string(k_uid), object.size(), read, off, n);
        fuzz::require(part == plain.substr(off), "decrypt_range agrees with decrypt_file");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view object = fuzz::text_of(data, size);
    try {
        const auto h = crypto::detail::parse_header(std::as_bytes(std::span(data, size)), "fuzz");
        fuzz::require(h.bytes.size() <= size && h.bytes.size() <= crypto::detail::k_max_header,
                      "header within input");
    } catch (const Error&) {
    }
    // Ranges of an object that may not be authentic: each must be refused
    // with an integrity error or be the authentic plaintext (checked above).
    auto read = [&](uint64_t off, uint64_t len) {
        return off > object.size() ? std::string() : std::string(object.substr(off, len));
    };
    const uint64_t pick = size >= 2 ? (uint64_t{data[size - 1]} << 8 | data[size - 2]) : 0;
    for (auto [off, len] : {std::pair<uint64_t, uint64_t>{0, UINT64_MAX},
                            {pick * 7, pick + 1},
                            {UINT64_MAX - pick, UINT64_MAX}}) {
        try {
            crypto::decrypt_range(data_key(), std::string(k_uid), object.size(), read, off, len);
        } catch (const Error&) {
        }
    }
    decrypt_whole(object);
    return 0;
}
