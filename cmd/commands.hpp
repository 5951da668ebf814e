#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace cairn::cmd {

// Flags every command accepts.
struct GlobalOptions {
    std::string instance;     // --instance DIR
    bool json = false;        // --json: machine-readable stdout, nothing else
    bool quiet = false;       // --quiet: no informational stderr
    bool no_progress = false; // --no-progress
    std::vector<std::string> argv; // the command line, for the audit trail
    int exit_status = 0;           // set by commands that forward a child's status (run exec)
};

int run_main(int argc, char** argv);

// One register function per command file (cmd/cmd_*.cpp).
void register_init(CLI::App& app, GlobalOptions& g);
void register_save(CLI::App& app, GlobalOptions& g);
void register_load(CLI::App& app, GlobalOptions& g);
void register_ls(CLI::App& app, GlobalOptions& g);
void register_key(CLI::App& app, GlobalOptions& g);
void register_access(CLI::App& app, GlobalOptions& g);
void register_audit(CLI::App& app, GlobalOptions& g);
void register_run(CLI::App& app, GlobalOptions& g);
void register_lineage(CLI::App& app, GlobalOptions& g);
void register_purge(CLI::App& app, GlobalOptions& g);
void register_catalog(CLI::App& app, GlobalOptions& g);
void register_connect(CLI::App& app, GlobalOptions& g);
// Hidden helper for shell completion: `cairn __complete-keys [PREFIX]`.
void register_complete(CLI::App& app, GlobalOptions& g);

} // namespace cairn::cmd
