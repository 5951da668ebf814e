#include "core/util/time.hpp"

#include "core/util/error.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace cairn {

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
        .count();
}

namespace {

// 10000-01-01T00:00:00Z: below it (and from 1970) the fast path applies.
constexpr int64_t k_year_10000_ms = 253'402'300'800'000;

std::string format_with_libc(int64_t ms) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
    return buf;
}

// Writes `value` as exactly `width` decimal digits, zero-padded.
void put_digits(char* at, int64_t value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10)
        at[i] = static_cast<char>('0' + value % 10);
}

} // namespace

// Digits by hand: with snprintf, times were a third of the work of rendering
// a lineage graph as JSON (a time per node).
std::string format_utc_ms(int64_t ms) {
    if (ms < 0 || ms >= k_year_10000_ms) return format_with_libc(ms);
    using namespace std::chrono;
    const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(ms)));
    const year_month_day date(day);
    const int64_t in_day = ms - duration_cast<milliseconds>(day.time_since_epoch()).count();
    std::string s = "0000-00-00T00:00:00.000Z";
    put_digits(&s[0], static_cast<int>(date.year()), 4);
    put_digits(&s[5], static_cast<unsigned>(date.month()), 2);
    put_digits(&s[8], static_cast<unsigned>(date.day()), 2);
    put_digits(&s[11], in_day / 3'600'000, 2);
    put_digits(&s[14], in_day / 60'000 % 60, 2);
    put_digits(&s[17], in_day / 1000 % 60, 2);
    put_digits(&s[20], in_day % 1000, 3);
    return s;
}

int64_t parse_duration_ms(std::string_view text) {
    if (text == "0") return 0; // "no grace" needs no unit
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    std::string_view unit(ptr, static_cast<size_t>(text.data() + text.size() - ptr));
    if (ec == std::errc::result_out_of_range) n = k_max_duration_ms; // fails the range check below
    else if (ec != std::errc() || n < 0 || unit.size() != 1)
        throw Error(ErrorKind::usage, "invalid duration '" + std::string(text) + "'",
                    "use a number followed by d, h, m or s, e.g. 7d");
    int64_t unit_ms = 0;
    switch (unit.empty() ? '?' : unit[0]) {
    case 'd': unit_ms = k_ms_per_day; break;
    case 'h': unit_ms = 3'600'000; break;
    case 'm': unit_ms = 60'000; break;
    case 's': unit_ms = 1000; break;
    default:
        throw Error(ErrorKind::usage, "invalid duration unit in '" + std::string(text) + "'",
                    "use d, h, m or s");
    }
    // A product that wraps would turn a century into hours (or zero).
    int64_t ms = 0;
    if (__builtin_mul_overflow(n, unit_ms, &ms) || ms > k_max_duration_ms)
        throw Error(ErrorKind::usage, "duration '" + std::string(text) + "' is out of range",
                    "use at most 36500d (100 years)");
    return ms;
}

int64_t parse_time_ms(std::string_view text) {
    if (!text.empty() && (text.back() == 'd' || text.back() == 'h' || text.back() == 'm' ||
                          text.back() == 's') &&
        text.find('-') == std::string_view::npos)
        return now_ms() - parse_duration_ms(text);
    std::tm tm{};
    int ms = 0;
    std::string s(text);
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    int n = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &y, &mo, &d, &h, &mi, &sec, &ms);
    if (!(n == 3 || n >= 6) || mo < 1 || mo > 12 || d < 1 || d > 31)
        throw Error(ErrorKind::usage, "invalid time '" + s + "'",
                    "use YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or an age such as 7d");
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

} // namespace cairn
