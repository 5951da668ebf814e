#include "core/util/error.hpp"

namespace cairn {

int exit_code(ErrorKind kind) { return static_cast<int>(kind); }

const char* kind_name(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::internal: return "internal";
    case ErrorKind::usage: return "usage";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::integrity: return "integrity";
    case ErrorKind::storage: return "storage";
    case ErrorKind::permission: return "permission";
    case ErrorKind::config: return "config";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::incomplete: return "incomplete";
    }
    return "internal";
}

} // namespace cairn
