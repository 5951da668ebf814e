// cairn run: track runs of scripts, notebooks and pipelines (lineage).
#include "cmd/commands.hpp"
#include "cmd/context.hpp"
#include "cmd/output.hpp"
#include "core/audit/audit.hpp"
#include "core/lineage/exec.hpp"
#include "core/lineage/link.hpp"
#include "core/lineage/render.hpp"
#include "core/util/time.hpp"

#include <cstdio>
#include <iostream>

namespace cairn::cmd {

namespace {

struct RunOpts {
    std::string transform, kind, run, prefix;
    std::vector<std::string> params, command;
    bool shell = false;
    int64_t pid = 0;
    int status = 0, limit = 50;
};

std::filesystem::path project_dir(Instance& inst) { return inst.dir().parent_path(); }

void run_start(const RunOpts& o, GlobalOptions& g) {
    Instance& inst = instance(g);
    lineage::StartOptions start;
    start.transform = lineage::describe_transform(o.transform, o.kind, project_dir(inst));
    start.params = o.params;
    // The run belongs to the script that called us, not to this short process.
    start.pid = o.pid != 0 ? o.pid : lineage::owner_pid();
    start.command_line = lineage::process_command_line(start.pid);
    const lineage::RunRow r = lineage::start_run(inst.catalog(), inst.actor(), start);
    if (g.json) return print_json(lineage::run_json(r));
    info(g, "started run " + r.uid + " of " + r.transform.key + " [" + r.transform.kind + "]");
    std::cout << (o.shell ? "export " + std::string(lineage::k_run_env) + "=" + r.uid : r.uid) << "\n";
}

void run_finish(const RunOpts& o, GlobalOptions& g) {
    const std::string uid = o.run.empty() ? lineage::active_run_uid() : o.run;
    if (uid.empty())
        throw Error(ErrorKind::usage, "no run given and CAIRN_RUN is not set", "pass the run uid: cairn run finish RUN");
    Instance& inst = instance(g);
    const lineage::RunRow r = lineage::finish_run(inst.catalog(), inst.actor(), uid, o.status);
    if (g.json) return print_json(lineage::run_json(r));
    info(g, "finished run " + r.uid + " with status " + std::to_string(o.status));
}

void run_exec(const RunOpts& o, GlobalOptions& g) {
    Instance& inst = instance(g);
    lineage::ExecOptions e;
    e.argv = o.command;
    e.start.transform = o.transform.empty() ? lineage::describe_command(o.command, project_dir(inst))
                                            : lineage::describe_transform(o.transform, o.kind, project_dir(inst));
    e.start.params = o.params;
    e.instance_dir = inst.dir();
    e.started = [&](const lineage::RunRow& r) { info(g, "cairn: run " + r.uid + " of " + r.transform.key + " started"); };
    const lineage::ExecResult r = lineage::exec_run(inst.catalog(), inst.actor(), e);
    if (!r.error.empty()) std::cerr << "cairn: error: " << r.error << "\n";
    info(g, "cairn: run " + r.run.uid + " finished with status " + std::to_string(r.exit_status));
    g.exit_status = r.exit_status;
}

void print_artifacts(const char* title, const std::vector<lineage::RunArtifact>& list) {
    std::printf("%s:%s\n", title, list.empty() ? " none" : "");
    for (const auto& a : list) {
        if (a.key.empty()) std::printf("  † %s  (%s)\n", a.uid.c_str(), a.state.c_str());
        else std::printf("  %s@v%d  %s\n", a.key.c_str(), a.version, a.uid.c_str());
    }
}

nlohmann::json artifacts_json(const std::vector<lineage::RunArtifact>& list) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& a : list) {
        nlohmann::json j = {{"uid", a.uid}, {"state", a.state}};
        if (!a.key.empty()) {
            j["key"] = a.key;
            j["version"] = a.version;
        }
        arr.push_back(std::move(j));
    }
    return arr;
}

void run_show(const RunOpts& o, GlobalOptions& g) {
    Instance& inst = instance(g);
    const lineage::RunRow r = lineage::require_run(inst.catalog(), o.run);
    const auto inputs = lineage::run_inputs(inst.catalog(), r.id);
    const auto outputs = lineage::run_outputs(inst.catalog(), r.id);
    audit::record(inst.catalog(), inst.actor(), {"run.show", {}, "ok", std::nullopt, {{"run", r.uid}}});
    if (g.json) {
        auto j = lineage::run_json(r);
        j["inputs"] = artifacts_json(inputs);
        j["outputs"] = artifacts_json(outputs);
        return print_json(j);
    }
    std::printf("run        %s\n", r.uid.c_str());
    std::printf("transform  %s [%s]%s%s\n", r.transform.key.c_str(), r.transform.kind.c_str(),
                r.transform.source_hash ? "  sha256:" : "",
                r.transform.source_hash ? r.transform.source_hash->substr(0, 16).c_str() : "");
    std::printf("status     %s", lineage::status_name(r.status));
    if (r.exit_status) std::printf(" (exit %d)", *r.exit_status);
    std::printf("\nstarted    %s\n", format_utc_ms(r.started_at).c_str());
    if (r.finished_at) std::printf("finished   %s\n", format_utc_ms(*r.finished_at).c_str());
    std::printf("by         %s@%s pid %lld\n", r.user.c_str(), r.host.c_str(), static_cast<long long>(r.pid));
    if (!r.command_line.empty()) std::printf("command    %s\n", r.command_line.c_str());
    for (const auto& [k, v] : r.params) std::printf("param      %s=%s\n", k.c_str(), v.c_str());
    print_artifacts("inputs", inputs);
    print_artifacts("outputs", outputs);
}

void run_ls(const RunOpts& o, GlobalOptions& g) {
    Instance& inst = instance(g);
    const auto runs = lineage::list_runs(inst.catalog(), {o.prefix, o.limit});
    audit::record(inst.catalog(), inst.actor(), {"run.ls", {}, "ok", std::nullopt, {{"count", runs.size()}}});
    if (g.json) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& r : runs) arr.push_back(lineage::run_json(r));
        return print_json(arr);
    }
    if (runs.empty()) return info(g, "no runs");
    std::printf("%-16s  %-10s  %-4s  %-16s  %-10s  %s\n", "RUN", "STATUS", "EXIT", "STARTED", "KIND", "TRANSFORM");
    for (const auto& r : runs)
        std::printf("%-16s  %-10s  %-4s  %-16s  %-10s  %s\n", r.uid.c_str(), lineage::status_name(r.status),
                    r.exit_status ? std::to_string(*r.exit_status).c_str() : "-",
                    format_utc_ms(r.started_at).substr(0, 16).c_str(), r.transform.kind.c_str(),
                    r.transform.key.c_str());
}

void add_transform_flags(CLI::App* sub, RunOpts& o) {
    sub->add_option("--kind", o.kind, "Transform kind (default: script or notebook for files, else command)")
        ->check(CLI::IsMember({"script", "notebook", "pipeline", "command"}));
    sub->add_option("-p,--param", o.params, "Run parameter NAME=VALUE (repeatable; secret-looking names are redacted)")
        ->type_name("NAME=VALUE")
        ->allow_extra_args(false);
}

} // namespace

void register_run(CLI::App& app, GlobalOptions& g) {
    auto o = std::make_shared<RunOpts>();
    auto* run = app.add_subcommand("run", "Track runs of scripts and pipelines (lineage)");
    run->require_subcommand(1);
    run->footer("Example:\n  cairn run exec -- python3 train.py\n  cairn run ls --limit 5\n\n"
                "While CAIRN_RUN names a run, every load records an input and every save an output of it.");

    auto* start = run->add_subcommand("start", "Start a run and print its uid");
    start->footer("Example:\n  eval \"$(cairn run start --transform clean.py --param rows=1000 --export)\"\n  ...\n  cairn run finish --status $?\n\n"
                  "A file is hashed (SHA-256) so an edited script is a new transform. The run belongs to the calling\n"
                  "process (the script), so a run whose script died shows as unfinished.\n"
                  "EXIT STATUS: 0 ok, 2 bad flags or parameters, 7 no instance.");
    start->add_option("-t,--transform", o->transform, "Script/notebook path, or a pipeline or command name")->required();
    add_transform_flags(start, *o);
    start->add_flag("--export,--shell", o->shell, "Print 'export CAIRN_RUN=<uid>' for eval");
    // 1..2^22 (Linux's largest pid_max): 0 and -1 mean process groups and
    // "every process" to kill(2), which tells whether the owner is alive.
    start->add_option("--pid", o->pid, "Process that owns the run (default: the caller)")
        ->check(CLI::Range(int64_t{1}, int64_t{1} << 22));
    start->callback([o, &g] { run_start(*o, g); });

    auto* finish = run->add_subcommand("finish", "Finish a run with an exit status");
    finish->footer("Example:\n  cairn run finish --status $?\n\nEXIT STATUS: 0 ok, 2 no run given, 3 no such run, 8 the run already finished.");
    finish->add_option("run", o->run, "Run uid (default: $CAIRN_RUN)");
    finish->add_option("-s,--status", o->status, "Exit status to record (default 0)")->check(CLI::Range(0, 255));
    finish->callback([o, &g] { run_finish(*o, g); });

    auto* exec = run->add_subcommand("exec", "Run a command as a tracked run");
    exec->footer("Example:\n  cairn run exec --param epochs=3 -- python3 train.py\n\n"
                 "Runs CMD with CAIRN_RUN set, passes stdin/stdout/stderr through, forwards SIGINT/SIGTERM and\n"
                 "finishes the run with CMD's status. Without --transform, the script CMD runs (or CMD) is the transform.\n"
                 "EXIT STATUS: CMD's status (128+N if killed by signal N; 126/127 if it could not be started).");
    exec->add_option("-t,--transform", o->transform, "Script/notebook path, or a pipeline or command name");
    add_transform_flags(exec, *o);
    exec->add_option("command", o->command, "Command and arguments (after --)")->required();
    exec->callback([o, &g] { run_exec(*o, g); });

    auto* show = run->add_subcommand("show", "Show a run with its inputs and outputs");
    show->footer("Example:\n  cairn run show \"$CAIRN_RUN\" --json\n\nEXIT STATUS: 0 ok, 3 no such run.");
    show->add_option("run", o->run, "Run uid")->required();
    show->callback([o, &g] { run_show(*o, g); });

    auto* ls = run->add_subcommand("ls", "List runs, most recent first");
    ls->add_option("--transform", o->prefix, "Only transforms whose key starts with PREFIX");
    ls->add_option("-n,--limit", o->limit, "At most N runs (0 = all)")->check(CLI::Range(0, 1'000'000'000));
    ls->footer("Example:\n  cairn run ls --transform train.py --limit 10\n\nEXIT STATUS: 0 ok, 7 no instance.");
    ls->callback([o, &g] { run_ls(*o, g); });
}

} // namespace cairn::cmd
