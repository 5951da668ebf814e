// cairn purge: request, cancel, status, run. All logic is in core/purge.
#include "cmd/commands.hpp"
#include "cmd/context.hpp"
#include "cmd/output.hpp"
#include "core/access/authorize.hpp"
#include "core/purge/execute.hpp"
#include "core/purge/instance_context.hpp"
#include "core/purge/lock.hpp"
#include "core/purge/status.hpp"
#include "core/util/time.hpp"

#include <cstdio>
#include <iostream>

namespace cairn::cmd {

namespace {

struct PurgeOpts {
    purge::RequestOptions request;
    std::string grace;
    std::string request_uid;
    bool probe = false;
    bool dry_run = false;
};

nlohmann::json request_json(const purge::Created& c) {
    nlohmann::json targets = nlohmann::json::array();
    for (const auto& t : c.targets) targets.push_back({{"uid", t.uid}, {"version", t.version}, {"via", t.via}});
    return {{"request", c.request.uid}, {"due_at", format_utc_ms(c.request.times.due_at)},
            {"deadline_at", format_utc_ms(c.request.times.deadline_at)}, {"targets", targets}};
}

void run_request(PurgeOpts& o, GlobalOptions& g) {
    if (!o.grace.empty()) o.request.grace_ms = parse_duration_ms(o.grace);
    access::authorize(instance(g), keys::Action::purge);
    purge::InstanceContext ctx(instance(g));
    purge::Created c = purge::create_request(ctx.get(), o.request, now_ms());
    if (g.json) return print_json(request_json(c));
    std::printf("%s\n", c.request.uid.c_str());
    info(g, "requested deletion of " + std::to_string(c.targets.size()) + " artifact(s); hidden now, due " +
                format_utc_ms(c.request.times.due_at) + ", deadline " + format_utc_ms(c.request.times.deadline_at));
}

void run_cancel(const PurgeOpts& o, GlobalOptions& g) {
    access::authorize(instance(g), keys::Action::purge);
    purge::InstanceContext ctx(instance(g));
    purge::Request r = purge::cancel_request(ctx.get(), o.request_uid, now_ms());
    if (g.json) return print_json({{"request", r.uid}, {"state", r.state}});
    info(g, "cancelled deletion request " + r.uid + "; its artifacts are active again");
}

void run_status(const PurgeOpts& o, GlobalOptions& g) {
    purge::InstanceContext ctx(instance(g));
    purge::Status s = purge::status(ctx.get(), now_ms(), o.probe);
    if (g.json) return print_json(purge::status_json(s));
    std::cout << purge::format_status(s);
}

void run_run(const PurgeOpts& o, GlobalOptions& g) {
    access::authorize(instance(g), keys::Action::purge);
    purge::InstanceContext ctx(instance(g));
    purge::RunLock lock = purge::RunLock::acquire(ctx.lock_file(), instance(g).catalog());
    purge::Plan plan = purge::make_plan(ctx.get(), now_ms());
    if (o.dry_run) {
        if (g.json) return print_json(purge::plan_json(plan));
        std::cout << (plan.has_work() ? purge::format_plan(plan, true) : "nothing to purge\n");
        return;
    }
    if (plan.has_work() && !g.quiet && !g.json) std::cerr << purge::format_plan(plan, false);
    purge::apply_retention(ctx.get(), plan);
    request_publish(); // also when the run fails part-way: finish_command() publishes
    purge::RunReport report = purge::execute(ctx.get(), plan, [] { return now_ms(); });
    if (g.json)
        print_json({{"requests_done", report.requests_done}, {"artifacts_deleted", report.artifacts_verified},
                    {"completed", report.completed}, {"overdue", report.overdue}, {"late", report.late},
                    {"failures", report.failures.size()}});
    info(g, report.summary());
    if (report.ok()) return;
    if (!g.quiet)
        for (const auto& f : report.failures)
            std::cerr << "  request " << f.request_uid << ", artifact " << f.artifact_uid << ": " << f.step << ": "
                      << f.message << "\n";
    throw Error(ErrorKind::incomplete, report.summary(),
                "fix the storage and run 'cairn purge run' again; see 'cairn purge status'");
}

} // namespace

void register_purge(CLI::App& app, GlobalOptions& g) {
    auto o = std::make_shared<PurgeOpts>();
    auto* purge = app.add_subcommand("purge", "Delete artifacts for good: requests, retention, status, run");
    purge->require_subcommand(1);
    purge->footer("Example:\n  cairn purge request exp/data.csv --reason 'subject request #42'\n  cairn purge run   # daily, from cron\n\n"
                  "request, cancel and run need the instance key file, an admin member or a purger member.\n"
                  "EXIT STATUS: 0 ok, 3 no such artifact or request, 4 forged key file, 6 credential may not purge,\n"
                  "7 no instance, 8 cannot cancel a due request / another purge run is in progress,\n"
                  "9 purge run incomplete (failures or a missed deadline).");

    auto* req = purge->add_subcommand("request", "Hide artifacts now and schedule their deletion");
    req->add_option("refs", o->request.refs, "key (all versions), key@vN or uid")->required();
    req->add_option("--reason", o->request.reason, "Why (kept in the request and its certificate)");
    req->add_flag("--with-descendants", o->request.with_descendants, "Also delete artifacts derived from them");
    req->add_option("--grace", o->grace, "Undo window before deletion (default: purge.grace)")->type_name("DURATION");
    req->footer("Example:\n  cairn purge request exp/data.csv --reason 'subject request #42' --grace 1d\n\n"
                "EXIT STATUS: 0 ok, 2 bad arguments, 3 no such artifact, 6 credential may not purge, 7 no instance.");
    req->callback([o, &g] { run_request(*o, g); });

    auto* cancel = purge->add_subcommand("cancel", "Cancel a request during its grace period");
    cancel->add_option("request", o->request_uid, "Request id (from 'purge request' or 'purge status')")->required();
    cancel->footer("Example:\n  cairn purge cancel 3f9a0c1d2e4b5a67\n\n"
                   "EXIT STATUS: 0 ok, 3 no such request, 6 credential may not purge, 8 the request is already due or done.");
    cancel->callback([o, &g] { run_cancel(*o, g); });

    auto* status = purge->add_subcommand("status", "Pending and overdue requests, unsafe storage, derived data");
    status->add_flag("--probe", o->probe, "Probe storage now instead of using what init recorded");
    status->footer("Example:\n  cairn purge status --probe --json\n\nEXIT STATUS: 0 ok, 5 probe failed, 7 no instance.");
    status->callback([o, &g] { run_status(*o, g); });

    auto* run = purge->add_subcommand("run", "Execute due requests and retention policies (for cron)");
    run->add_flag("-n,--dry-run", o->dry_run, "Print the plan and change nothing");
    run->footer("Example:\n  cairn purge run --dry-run\n"
                "  15 3 * * * CAIRN_IDENTITY=/etc/cairn/cron.pem cairn --instance /data/.cairn purge run   # crontab\n\n"
                "Quiet on success: one summary line (none with --quiet). Exit 9 if anything failed or a\n"
                "deadline was missed; failed steps are retried by the next run.\n"
                "EXIT STATUS: 0 ok, 6 credential may not purge, 8 another purge run holds the lock,\n"
                "9 incomplete (failures or a missed deadline).");
    run->callback([o, &g] { run_run(*o, g); });
}

} // namespace cairn::cmd
