#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <optional>

namespace cairn {

// The value as an int64_t when it is a JSON integer that fits one; nullopt
// for anything else. nlohmann's get<int64_t>() also accepts floats, and a
// float outside int64_t's range (1e300) makes that cast undefined behaviour;
// an unsigned above INT64_MAX would silently wrap negative.
inline std::optional<int64_t> json_int64(const nlohmann::json& v) {
    if (v.is_number_unsigned()) {
        const auto u = v.get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
        return static_cast<int64_t>(u);
    }
    if (v.is_number_integer()) return v.get<int64_t>();
    return std::nullopt;
}

} // namespace cairn
