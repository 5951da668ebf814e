#include "cmd/progress.hpp"

#include "cmd/output.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace cairn::cmd {

namespace {
constexpr auto k_min_interval = std::chrono::milliseconds(100);
}

bool stderr_color() { return isatty(STDERR_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr; }

ProgressLine::ProgressLine(const GlobalOptions& g, std::string label)
    : m_enabled(isatty(STDERR_FILENO) == 1 && !g.quiet && !g.no_progress && !g.json), m_label(std::move(label)),
      m_start(std::chrono::steady_clock::now()), m_last_draw(m_start) {}

ProgressLine::~ProgressLine() {
    if (m_drawn) std::fputs("\r\033[K", stderr);
}

std::function<void(uint64_t, uint64_t)> ProgressLine::callback() {
    if (!m_enabled) return {};
    return [this](uint64_t done, uint64_t total) { update(done, total); };
}

void ProgressLine::update(uint64_t done, uint64_t total) {
    if (!m_enabled || std::max(done, total) < k_min_bytes) return;
    const auto now = std::chrono::steady_clock::now();
    if (m_drawn && now - m_last_draw < k_min_interval && done != total) return;
    m_last_draw = now;
    m_drawn = true;
    const double seconds = std::chrono::duration<double>(now - m_start).count();
    const auto rate = static_cast<uint64_t>(seconds > 0 ? static_cast<double>(done) / seconds : 0);
    std::string line = "\r\033[K" + m_label + "  " + human_size(done);
    if (total > 0) {
        const int percent = static_cast<int>(done * 100 / total);
        line += " / " + human_size(total) + "  " + std::to_string(percent) + "%";
    }
    line += "  " + human_size(rate) + "/s";
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
}

} // namespace cairn::cmd
