// cairn save: store a file or folder as a new artifact version.
#include "cmd/commands.hpp"
#include "cmd/context.hpp"
#include "cmd/output.hpp"
#include "cmd/progress.hpp"
#include "core/artifact/save.hpp"
#include "core/storage/warm_up.hpp"

#include <iostream>

namespace cairn::cmd {

namespace {

struct SaveOpts {
    std::string path, key, description;
    std::vector<std::string> from;
    bool sha256 = false;
};

void run(const SaveOpts& o, GlobalOptions& g) {
    Instance& inst = instance(g);
    // The upload needs libcurl for remote storage: load it while the file is
    // hashed and encrypted.
    std::jthread warm = storage::warm_up(inst.config().storage);
    artifact::cleanup_leftovers(inst, 3'600'000);
    artifact::SaveResult r = [&] {
        ProgressLine progress(g, "saving " + o.path);
        return artifact::save(inst, {o.path, o.key, o.description, o.from, progress.callback(), o.sha256});
    }();
    const auto& a = r.artifact;
    if (g.json) {
        auto j = artifact_json(a);
        j["existed"] = r.existed;
        j["lineage"] = r.lineage.to_json();
        j["skipped"] = r.skipped;
        if (r.sha256) j["sha256"] = *r.sha256;
        print_json(j);
        return;
    }
    for (const auto& s : r.skipped) info(g, "skipped " + s + " (cairn's own instance, cache or key files)");
    if (r.existed)
        info(g, "unchanged: " + a.key + " v" + std::to_string(a.version) + " already has this content");
    else
        info(g, "saved " + a.key + " v" + std::to_string(a.version) + " (" + human_size(a.size) + ")");
    if (r.lineage.kept_existing_run)
        info(g, "note: " + a.key + " v" + std::to_string(a.version) + " keeps the run that first produced it (" +
                    r.lineage.run_uid + ")");
    std::cout << a.uid << "\n";
    // As sha256sum prints it, so the two outputs compare directly.
    if (r.sha256) std::cout << *r.sha256 << "  " << o.path << "\n";
}

} // namespace

void register_save(CLI::App& app, GlobalOptions& g) {
    auto o = std::make_shared<SaveOpts>();
    auto* sub = app.add_subcommand("save", "Hash, encrypt and store a file or folder as an artifact");
    sub->footer("Example:\n  cairn save results.csv --key exp/results.csv\n\nPrints the artifact uid; with --sha256 also a second line \"HEX  PATH\" as sha256sum prints it\n(the artifact's own hash is a tree hash, docs/FORMAT.md). Saving content that the key already has returns the existing artifact.\nWhile CAIRN_RUN is set the artifact is recorded as an output of that run; --from adds inputs\n(without a run, an implicit run of the transform \"manual\" links them).\nEXIT STATUS: 0 ok, 2 bad key or a --from that would make a cycle, 3 no such path, artifact or run,\n5 storage failure, 6 unreadable file or key, 8 CAIRN_RUN is finished.");
    sub->add_option("path", o->path, "File or folder to save")->required();
    sub->add_option("-k,--key", o->key, "Artifact key (default: the file or folder name)");
    sub->add_option("-d,--description", o->description, "Free-text description");
    sub->add_option("--from", o->from, "Record REF as an input it was derived from (repeatable; lineage)")
        ->type_name("REF");
    sub->add_flag("--sha256", o->sha256, "Also compute the plain SHA-256 of the content: printed, and recorded in the audit event");
    sub->callback([o, &g] { run(*o, g); });
}

} // namespace cairn::cmd
