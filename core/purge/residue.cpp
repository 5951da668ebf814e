#include "core/purge/residue.hpp"

#include "core/util/error.hpp"

#include <bitset>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <unistd.h>
#include <unordered_map>

namespace cairn::purge {

namespace {

constexpr size_t k_chunk = 1 << 20;

uint16_t first_two(const char* p) {
    return static_cast<uint16_t>(static_cast<unsigned char>(p[0]) << 8 | static_cast<unsigned char>(p[1]));
}

class Matcher {
public:
    explicit Matcher(const std::vector<std::string>& needles) : m_length(needles.empty() ? 0 : needles[0].size()) {
        for (size_t i = 0; i < needles.size(); ++i) {
            if (needles[i].size() != m_length || m_length < 2)
                throw std::invalid_argument("find_residue: needles must share one length of 2 or more bytes");
            m_index.emplace(needles[i], i);
            m_starts.set(first_two(needles[i].data()));
        }
    }
    size_t length() const { return m_length; }
    // The needle starting at p (length() bytes readable), if any.
    const size_t* at(const char* p) const {
        // Most offsets fail the two-byte filter, so the hash lookup is rare.
        if (!m_starts.test(first_two(p))) return nullptr;
        auto it = m_index.find(std::string_view(p, m_length));
        return it == m_index.end() ? nullptr : &it->second;
    }

private:
    size_t m_length;
    std::unordered_map<std::string_view, size_t> m_index; // views into the caller's needles
    std::bitset<65536> m_starts;
};

void scan_file(const std::filesystem::path& file, const Matcher& m, std::vector<Residue>& out) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return;
        throw Error(ErrorKind::storage, "cannot read " + file.string() + ": " + std::strerror(errno));
    }
    std::unique_ptr<int, void (*)(int*)> closer(new int(fd), [](int* f) { ::close(*f); delete f; });
    // Each read keeps the last length()-1 bytes of the previous one in front,
    // so a needle that straddles two reads is still seen.
    const size_t keep = m.length() - 1;
    std::vector<char> buf(keep + k_chunk);
    size_t have = 0;
    uint64_t base = 0; // file offset of buf[0]
    for (;;) {
        const ssize_t n = ::read(fd, buf.data() + have, k_chunk);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error(ErrorKind::storage, "cannot read " + file.string() + ": " + std::strerror(errno));
        }
        if (n == 0) break;
        have += static_cast<size_t>(n);
        for (size_t i = 0; i + m.length() <= have; ++i)
            if (const size_t* hit = m.at(buf.data() + i)) out.push_back({file, base + i, *hit});
        if (have > keep) {
            std::memmove(buf.data(), buf.data() + have - keep, keep);
            base += have - keep;
            have = keep;
        }
    }
}

} // namespace

std::vector<Residue> find_residue(const std::vector<std::filesystem::path>& files,
                                  const std::vector<std::string>& needles) {
    std::vector<Residue> out;
    if (needles.empty()) return out;
    const Matcher matcher(needles);
    for (const auto& f : files) scan_file(f, matcher, out);
    return out;
}

std::string inverted(std::string bytes) {
    for (char& c : bytes) c = static_cast<char>(~static_cast<unsigned char>(c));
    return bytes;
}

} // namespace cairn::purge
