// Replaced by the S3/GCS backend (issue 6). Until then, remote locations are
// refused with a clear configuration error rather than silently misbehaving.
#include "core/storage/backend.hpp"
#include "core/util/error.hpp"

namespace cairn::storage {

std::unique_ptr<Backend> open_s3_backend(const Location& location) {
    throw Error(ErrorKind::config, "remote storage '" + location.url + "' is not supported by this build");
}

} // namespace cairn::storage
