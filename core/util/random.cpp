#include "core/util/random.hpp"

#include "core/util/error.hpp"
#include "core/util/hex.hpp"

#include <openssl/rand.h>
#include <vector>

namespace cairn {

void random_bytes(std::span<std::byte> buf) {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(buf.data()), static_cast<int>(buf.size())) != 1)
        throw Error(ErrorKind::internal, "the system random number generator failed");
}

std::string random_hex(size_t n_bytes) {
    std::vector<std::byte> buf(n_bytes);
    random_bytes(buf);
    return to_hex(buf);
}

std::string new_uid() {
    // 10 random bytes = 80 bits, written as 16 base-32 characters.
    static constexpr char k_alphabet[] = "0123456789abcdefghijklmnopqrstuv";
    std::byte buf[10];
    random_bytes(buf);
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (std::byte b : buf) {
        acc = (acc << 8) | static_cast<unsigned>(b);
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out.push_back(k_alphabet[(acc >> bits) & 31u]);
        }
    }
    return out;
}

} // namespace cairn
