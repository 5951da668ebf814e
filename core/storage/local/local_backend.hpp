#pragma once
#include "core/storage/backend.hpp"

#include <filesystem>
#include <memory>

namespace cairn::storage {

// A directory on a local or network filesystem. Writes go to a temporary
// file and are renamed into place, so objects are never partial.
std::unique_ptr<Backend> open_local_backend(const std::filesystem::path& root);

} // namespace cairn::storage
