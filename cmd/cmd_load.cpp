// cairn load: fetch, verify and decrypt an artifact.
#include "cmd/commands.hpp"
#include "cmd/context.hpp"
#include "cmd/output.hpp"
#include "cmd/progress.hpp"
#include "core/artifact/load.hpp"

#include <iostream>

namespace cairn::cmd {

namespace {

struct LoadOpts {
    std::string ref, output, range;
    bool force = false;
};

void run(const LoadOpts& o, GlobalOptions& g) {
    artifact::LoadResult r = [&] {
        ProgressLine progress(g, "loading " + o.ref);
        artifact::LoadOptions lo{o.ref, o.output, o.force, progress.callback(), std::nullopt};
        if (!o.range.empty()) lo.range = artifact::parse_range(o.range);
        return artifact::load(instance(g), lo);
    }();
    if (o.output == "-") return;
    if (g.json) {
        auto j = artifact_json(r.artifact);
        j["path"] = r.path.string();
        j["from_cache"] = r.from_cache;
        print_json(j);
        return;
    }
    std::cout << r.path.string() << "\n";
}

} // namespace

void register_load(CLI::App& app, GlobalOptions& g) {
    auto o = std::make_shared<LoadOpts>();
    auto* sub = app.add_subcommand("load", "Fetch, verify and decrypt an artifact");
    sub->footer("Example:\n  cairn load exp/results.csv -o here.csv\n  python train.py \"$(cairn load data/train.parquet)\"\n\nREF is a key, key@vN or a uid. Without -o, prints the path of a private working copy.\n--range A-B writes bytes A to B of a file, both inclusive, counted from 0 (0-1023 = the first KiB),\nreading and verifying only the leaves that hold them; it needs -o PATH or -o -.\nEXIT STATUS: 0 ok, 2 bad --range (malformed, past the end, a folder, or an artifact saved before tree hashes),\n3 no such artifact, 4 integrity failure, 5 storage failure, 6 key missing or wrong, 8 output exists.");
    sub->add_option("ref", o->ref, "Artifact: key, key@vN or uid")->required();
    sub->add_option("-o,--output", o->output, "Write to PATH (a directory for folders), or - for stdout");
    sub->add_flag("-f,--force", o->force, "Overwrite an existing output file");
    sub->add_option("--range", o->range, "Only bytes A..B (inclusive, from 0), verified")->type_name("A-B");
    sub->callback([o, &g] { run(*o, g); });
}

} // namespace cairn::cmd
