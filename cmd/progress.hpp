#pragma once
// A one-line progress display on stderr for long saves and loads.
#include "cmd/commands.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace cairn::cmd {

// True when stderr is a terminal and NO_COLOR is unset: colour is allowed.
bool stderr_color();

// Shown only when stderr is a TTY and none of --quiet, --no-progress, --json
// is given, and only for transfers of at least k_min_bytes. Redraws at most
// ten times a second; the destructor clears the line.
class ProgressLine {
public:
    static constexpr uint64_t k_min_bytes = 8ull << 20;

    ProgressLine(const GlobalOptions& g, std::string label);
    ~ProgressLine();
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

    // Suitable for SaveOptions::progress and LoadOptions::progress.
    std::function<void(uint64_t, uint64_t)> callback();
    void update(uint64_t done, uint64_t total);

private:
    bool m_enabled;
    bool m_drawn = false;
    std::string m_label;
    std::chrono::steady_clock::time_point m_start;
    std::chrono::steady_clock::time_point m_last_draw;
};

} // namespace cairn::cmd
