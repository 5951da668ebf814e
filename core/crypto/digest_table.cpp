#include "core/crypto/digest_table.hpp"

#include "core/util/error.hpp"
#include "core/util/fs.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>

namespace cairn::crypto {

namespace {

void pwrite_all(int fd, std::span<const std::byte> data, uint64_t offset, const std::filesystem::path& what) {
    while (!data.empty()) {
        const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw Error(ErrorKind::storage, "cannot write " + what.string());
        data = data.subspan(static_cast<size_t>(n));
        offset += static_cast<uint64_t>(n);
    }
}

} // namespace

DigestTable::DigestTable(std::filesystem::path spill_dir) : m_spill_dir(std::move(spill_dir)) {}

DigestTable::~DigestTable() {
    if (m_fd >= 0) ::close(m_fd);
}

void DigestTable::set(uint64_t index, const Digest& d) {
    m_size = std::max(m_size, index + 1);
    if (index < k_in_memory || m_spill_dir.empty()) {
        if (m_memory.size() <= index) m_memory.resize(index + 1);
        m_memory[index] = d;
        return;
    }
    if (m_fd < 0) {
        std::string name = (m_spill_dir / ".leaves.XXXXXX").string();
        m_fd = ::mkstemp(name.data()); // 0600
        if (m_fd < 0) throw Error(ErrorKind::storage, "cannot create a temp file in " + m_spill_dir.string());
        ::unlink(name.c_str()); // nothing to clean up, whatever happens
    }
    pwrite_all(m_fd, d, 32 * (index - k_in_memory), m_spill_dir / ".leaves");
}

void DigestTable::for_each(const std::function<void(std::span<const Digest>)>& f) const {
    const uint64_t in_memory = std::min<uint64_t>(m_size, m_memory.size());
    for (uint64_t at = 0; at < in_memory; at += 32768)
        f(std::span(m_memory).subspan(at, std::min<uint64_t>(32768, in_memory - at)));
    if (m_fd < 0) return;
    std::vector<Digest> chunk(32768);
    for (uint64_t at = k_in_memory; at < m_size; at += chunk.size()) {
        const size_t n = std::min<uint64_t>(chunk.size(), m_size - at);
        fs::pread_exact(m_fd, std::as_writable_bytes(std::span(chunk.data(), n)), 32 * (at - k_in_memory),
                        m_spill_dir / ".leaves");
        f(std::span(chunk.data(), n));
    }
}

} // namespace cairn::crypto
