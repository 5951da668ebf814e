#pragma once
// Helpers shared by the unit tests: a private temporary directory that is
// removed afterwards, and the kind of error a call throws.
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/random.hpp"

#include <filesystem>
#include <functional>
#include <string>

namespace cairn::test_support {

struct TempDir {
    std::filesystem::path path;
    explicit TempDir(const std::string& tag)
        : path(std::filesystem::temp_directory_path() / ("cairn-" + tag + "-" + random_hex(6))) {
        fs::ensure_dir(path);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

// The kind of cairn::Error `f` throws; ErrorKind::internal if it throws none,
// so a CHECK against any expected kind fails.
inline ErrorKind kind_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.kind();
    }
    return ErrorKind::internal;
}

} // namespace cairn::test_support
