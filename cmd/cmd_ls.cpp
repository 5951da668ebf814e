// cairn ls: list artifacts.
#include "cmd/commands.hpp"
#include "cmd/context.hpp"
#include "cmd/output.hpp"
#include "core/audit/audit.hpp"
#include "core/util/text_width.hpp"
#include "core/util/time.hpp"

#include <cstdio>
#include <iostream>

namespace cairn::cmd {

namespace {

struct LsOpts {
    std::string prefix;
    bool all_versions = false;
};

// The start of a content hash: its kind ("tree1:", none for a plain
// SHA-256) and 12 hex digits, so the digits shown are always the digest's.
std::string short_hash(const std::string& hash) {
    const size_t colon = hash.find(':');
    const size_t digits = colon == std::string::npos ? 0 : colon + 1;
    return hash.substr(0, digits + 12);
}

void run(const LsOpts& o, GlobalOptions& g) {
    Instance& inst = instance(g);
    auto rows = catalog::list_artifacts(inst.catalog(), o.prefix, o.all_versions);
    audit::record(inst.catalog(), inst.actor(), {"ls", {}, "ok", std::nullopt, {{"prefix", o.prefix}, {"count", rows.size()}}});
    if (g.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& a : rows) arr.push_back(artifact_json(a));
        print_json(arr);
        return;
    }
    if (rows.empty()) {
        info(g, "no artifacts" + (o.prefix.empty() ? std::string() : " under '" + o.prefix + "'"));
        return;
    }
    std::printf("%-40s %4s %10s  %-18s  %-20s  %s\n", "KEY", "VER", "SIZE", "HASH", "CREATED", "UID");
    for (const auto& a : rows)
        std::printf("%s %4d %10s  %-18s  %-20s  %s\n", pad_to(a.key, 40).c_str(), a.version, human_size(a.size).c_str(),
                    short_hash(a.hash).c_str(), format_utc_ms(a.created_at).substr(0, 19).c_str(), a.uid.c_str());
}

} // namespace

void register_ls(CLI::App& app, GlobalOptions& g) {
    auto o = std::make_shared<LsOpts>();
    auto* sub = app.add_subcommand("ls", "List artifacts (latest versions)");
    sub->footer("Example:\n  cairn ls exp/ --all-versions\n\nEXIT STATUS: 0 ok, 7 no instance.");
    sub->add_option("prefix", o->prefix, "Only keys starting with PREFIX");
    sub->add_flag("-a,--all-versions", o->all_versions, "Show every version, not just the latest");
    sub->callback([o, &g] { run(*o, g); });
}

} // namespace cairn::cmd
