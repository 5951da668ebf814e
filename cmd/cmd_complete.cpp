// cairn __complete-keys: artifact keys for shell completion (hidden).
//
// Completion runs on every TAB, so this reads only config.yaml and the
// catalog: no key file, no storage, no network, and no audit event (an event
// per keystroke would bury the trail). It prints key names, which anyone who
// can read catalog.db can already list; see docs/SECURITY.md.
#include "cmd/commands.hpp"
#include "cmd/context.hpp"
#include "core/catalog/artifacts.hpp"

#include <iostream>
#include <set>

namespace cairn::cmd {

void register_complete(CLI::App& app, GlobalOptions& g) {
    auto prefix = std::make_shared<std::string>();
    auto* sub = app.add_subcommand("__complete-keys", "Print artifact keys starting with PREFIX (for completion)");
    sub->group(""); // hidden from --help
    sub->add_option("prefix", *prefix, "Key prefix");
    sub->callback([prefix, &g] {
        std::set<std::string> keys;
        for (const auto& a : catalog::list_artifacts(instance_read_only(g).catalog(), *prefix, false)) keys.insert(a.key);
        for (const auto& k : keys) std::cout << k << "\n";
    });
}

} // namespace cairn::cmd
