#pragma once
// `cairn run exec`: run a command as a tracked run.
#include "core/catalog/catalog.hpp"
#include "core/instance/actor.hpp"
#include "core/lineage/runs.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace cairn::lineage {

struct ExecOptions {
    std::vector<std::string> argv;              // the command; argv[0] is looked up in PATH
    StartOptions start;                         // transform and params of the run
    std::filesystem::path instance_dir;         // exported as CAIRN_INSTANCE to the child
    std::function<void(const RunRow&)> started; // called once the run exists (to print it)
};

struct ExecResult {
    RunRow run;           // finished
    int exit_status = 0;  // the child's status; 128+N when killed by signal N
    std::string error;    // set when the command could not be started (status 126/127)
};

// Starts a run, runs the command with CAIRN_RUN (and CAIRN_INSTANCE) set and
// stdin/stdout/stderr inherited, forwards SIGINT/SIGTERM/SIGHUP/SIGQUIT sent
// to this process (not those the terminal already delivered to the whole
// process group), waits, and finishes the run with the child's status.
ExecResult exec_run(catalog::Catalog& catalog, const Actor& actor, const ExecOptions& options);

} // namespace cairn::lineage
