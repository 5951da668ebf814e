#pragma once
// Shared by the fuzz targets (tests/fuzz/fuzz_*.cpp). Each target feeds its
// input to one parser and returns normally when the parser accepted it or
// refused it with cairn::Error. Anything else (another exception, a sanitizer
// report, a broken invariant checked with require()) ends the run: libFuzzer
// saves the input, which then belongs in tests/fuzz/regressions/<target>/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace cairn::fuzz {

inline std::string_view text_of(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// An invariant of the code under test; a violation is a finding.
inline void require(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "fuzz: invariant broken: %s\n", what);
    std::abort();
}

} // namespace cairn::fuzz
