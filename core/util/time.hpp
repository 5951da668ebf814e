#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace cairn {

using Clock = std::chrono::system_clock;

// Milliseconds since the Unix epoch, UTC.
int64_t now_ms();
// "2026-11-24T16:39:32.123Z"
std::string format_utc_ms(int64_t ms);
// Accepts "2026-11-24", "2026-11-24T16:39:32Z" (with optional .mmm) or a
// relative age like "7d", "12h", "30m" meaning that long before now.
// Throws usage error otherwise.
int64_t parse_time_ms(std::string_view text);
// "7d", "12h", "30m", "45s" -> milliseconds. Throws usage error.
int64_t parse_duration_ms(std::string_view text);

constexpr int64_t k_ms_per_day = 86'400'000;
// The longest duration accepted anywhere (grace, max_age, --since ages).
constexpr int64_t k_max_duration_ms = 36'500 * k_ms_per_day;

} // namespace cairn
