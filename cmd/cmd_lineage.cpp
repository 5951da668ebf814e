// cairn lineage: ancestors and descendants of an artifact.
#include "cmd/commands.hpp"
#include "cmd/context.hpp"
#include "cmd/output.hpp"
#include "core/audit/audit.hpp"
#include "core/lineage/render.hpp"

#include <iostream>

namespace cairn::cmd {

namespace {

struct LineageOpts {
    std::string ref, format = "text";
    bool up = false, down = false, both = false;
    int depth = 0;
};

void run(const LineageOpts& o, GlobalOptions& g) {
    const lineage::Format format = g.json ? lineage::Format::json : lineage::parse_format(o.format);
    const lineage::Direction direction = (o.both || (o.up && o.down)) ? lineage::Direction::both
                                         : o.down                     ? lineage::Direction::down
                                                                      : lineage::Direction::up;
    if (o.depth < 0) throw Error(ErrorKind::usage, "--depth must be 0 (unlimited) or more");
    Instance& inst = instance(g);
    const lineage::ArtifactNode root = lineage::resolve_node(inst.catalog(), o.ref);
    const lineage::Graph graph = lineage::query_graph(inst.catalog(), root.id, direction, o.depth);
    audit::record(inst.catalog(), inst.actor(),
                  {"lineage", {root.uid}, "ok", std::nullopt,
                   {{"direction", lineage::direction_name(direction)}, {"depth", graph.depth},
                    {"nodes", graph.artifacts.size() + graph.runs.size()}}});
    lineage::render(graph, format, std::cout);
}

} // namespace

void register_lineage(CLI::App& app, GlobalOptions& g) {
    auto o = std::make_shared<LineageOpts>();
    auto* sub = app.add_subcommand("lineage", "Show where an artifact came from and what was derived from it");
    sub->footer("Example:\n  cairn lineage data/clean.csv --both\n  cairn lineage data/clean.csv --format dot | dot -Tsvg > lineage.svg\n\n"
                "One level is one hop artifact -> run -> artifact. Deleted artifacts show as tombstones (uid and\n"
                "deletion date); runs whose process died show as unfinished.\n"
                "EXIT STATUS: 0 ok, 2 bad flags, 3 no such artifact.");
    sub->add_option("ref", o->ref, "Artifact: key, key@vN or uid (a uid also finds deleted artifacts)")->required();
    sub->add_flag("--up", o->up, "Ancestors: what it was derived from (default)");
    sub->add_flag("--down", o->down, "Descendants: what was derived from it");
    sub->add_flag("--both", o->both, "Ancestors and descendants");
    sub->add_option("-d,--depth", o->depth, "At most N levels (default 0: unlimited)")
        ->check(CLI::Range(0, 1'000'000'000));
    sub->add_option("-f,--format", o->format, "text, dot, mermaid or json (--json = --format json)")
        ->check(CLI::IsMember({"text", "dot", "mermaid", "json"}));
    sub->callback([o, &g] { run(*o, g); });
}

} // namespace cairn::cmd
