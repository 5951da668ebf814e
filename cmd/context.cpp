#include "cmd/context.hpp"

#include "core/audit/audit.hpp"

#include <memory>

namespace cairn::cmd {

namespace {
std::unique_ptr<Instance>& opened() {
    static std::unique_ptr<Instance> k_instance;
    return k_instance;
}
} // namespace

Instance& instance(GlobalOptions& g) {
    if (!opened()) opened() = open_instance(g.instance, g.argv);
    return *opened();
}

void audit_failure(const std::string& action, const Error& e) {
    if (!opened()) return;
    try {
        const bool denied = e.kind() == ErrorKind::permission;
        audit::record(opened()->catalog(), opened()->actor(),
                      {action, {}, denied ? "denied" : "error", exit_code(e.kind()),
                       {{"error", e.what()}, {"kind", kind_name(e.kind())}}});
    } catch (...) {
        // The command already failed; its error is what the user needs to see.
    }
}

} // namespace cairn::cmd
