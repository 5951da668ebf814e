// cairn save: store a file or folder as a new artifact version.
#include "cmd/commands.hpp"
#include "cmd/context.hpp"
#include "cmd/output.hpp"
#include "core/artifact/save.hpp"

#include <iostream>

namespace cairn::cmd {

namespace {

struct SaveOpts {
    std::string path, key, description;
};

void run(const SaveOpts& o, GlobalOptions& g) {
    Instance& inst = instance(g);
    artifact::cleanup_leftovers(inst, 3'600'000);
    artifact::SaveResult r = artifact::save(inst, {o.path, o.key, o.description, {}});
    const auto& a = r.artifact;
    if (g.json) {
        auto j = artifact_json(a);
        j["existed"] = r.existed;
        print_json(j);
        return;
    }
    if (r.existed)
        info(g, "unchanged: " + a.key + " v" + std::to_string(a.version) + " already has this content");
    else
        info(g, "saved " + a.key + " v" + std::to_string(a.version) + " (" + human_size(a.size) + ")");
    std::cout << a.uid << "\n";
}

} // namespace

void register_save(CLI::App& app, GlobalOptions& g) {
    auto o = std::make_shared<SaveOpts>();
    auto* sub = app.add_subcommand("save", "Hash, encrypt and store a file or folder as an artifact");
    sub->footer("Example:\n  cairn save results.csv --key exp/results.csv\n\nPrints the artifact uid. Saving content that the key already has returns the existing artifact.\nEXIT STATUS: 0 ok, 2 bad key, 3 no such path, 5 storage failure, 6 unreadable file or key.");
    sub->add_option("path", o->path, "File or folder to save")->required();
    sub->add_option("-k,--key", o->key, "Artifact key (default: the file or folder name)");
    sub->add_option("-d,--description", o->description, "Free-text description");
    sub->callback([o, &g] { run(*o, g); });
}

} // namespace cairn::cmd
