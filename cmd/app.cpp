// Builds the command tree, runs the chosen command and turns errors into
// one line on stderr plus the documented exit code.
#include "cmd/commands.hpp"
#include "cmd/context.hpp"
#include "cmd/output.hpp"
#include "core/catalog/errors.hpp"
#include "core/util/error.hpp"
#include "core/util/suggest.hpp"

#include <cstdio>
#include <iostream>
#include <optional>
#include <vector>

namespace cairn::cmd {

namespace {

void add_global_flags(CLI::App& app, GlobalOptions& g) {
    app.add_option("--instance", g.instance, "Instance directory (default: $CAIRN_INSTANCE, else the nearest .cairn/ above the working directory)")
        ->type_name("DIR");
    app.add_flag("--json", g.json, "Print machine-readable JSON on stdout");
    app.add_flag("-q,--quiet", g.quiet, "Print nothing on stderr except errors");
    app.add_flag("--no-progress", g.no_progress, "Never show progress");
}

// "purge run" for the audit trail: the chain of chosen subcommands.
std::string action_name(const CLI::App& app) {
    std::string name;
    for (const CLI::App* cur = &app; !cur->get_subcommands().empty();) {
        cur = cur->get_subcommands().front();
        name += (name.empty() ? "" : ".") + cur->get_name();
    }
    return name.empty() ? "unknown" : name;
}

bool takes_value(const CLI::App& app, const std::string& token) {
    if (token.find('=') != std::string::npos) return false;
    // Options of parents count too: the root falls through to them.
    for (const CLI::App* cur = &app; cur != nullptr; cur = cur->get_parent())
        if (const CLI::Option* opt = cur->get_option_no_throw(token)) return opt->get_items_expected_max() > 0;
    return false;
}

std::vector<std::string> visible_subcommands(const CLI::App& app) {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty() && !s->get_name().empty(); }))
        names.push_back(sub->get_name());
    return names;
}

// Walks argv the way CLI11 will and returns a usage error for the first word
// that should name a subcommand but names none ("did you mean" included).
// Only commands without positional arguments expect a subcommand name there.
std::optional<Error> unknown_subcommand(const CLI::App& root, int argc, char** argv) {
    const CLI::App* cur = &root;
    for (int i = 1; i < argc; ++i) {
        const std::string token = argv[i];
        if (token == "--") break;
        if (token.size() > 1 && token[0] == '-') {
            if (takes_value(*cur, token)) ++i;
            continue;
        }
        if (cur->get_subcommands({}).empty()) break;
        const auto found = cur->get_subcommands([&](const CLI::App* s) { return s->check_name(token); });
        if (!found.empty()) {
            cur = found.front();
            continue;
        }
        if (!cur->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty()) break;
        const bool top = cur == &root;
        std::string message = std::string(top ? "unknown command '" : "unknown subcommand '") + token + "'" +
                              (top ? "" : " of '" + cur->get_name() + "'");
        if (auto near = closest_match(token, visible_subcommands(*cur))) message += "; did you mean '" + *near + "'?";
        return Error(ErrorKind::usage, message, "see 'cairn " + (top ? "" : cur->get_name() + " ") + "--help'");
    }
    return std::nullopt;
}

} // namespace

int run_main(int argc, char** argv) {
    GlobalOptions g;
    g.argv.assign(argv, argv + argc);
    CLI::App app{"cairn: a data catalog with encryption, lineage, audit and provable deletion", "cairn"};
    app.set_version_flag("--version", std::string("cairn ") + CAIRN_VERSION);
    app.require_subcommand(1);
    app.fallthrough();
    add_global_flags(app, g);
    register_init(app, g);
    register_save(app, g);
    register_load(app, g);
    register_ls(app, g);
    register_key(app, g);
    register_access(app, g);
    register_audit(app, g);
    register_run(app, g);
    register_lineage(app, g);
    register_purge(app, g);
    register_catalog(app, g);
    register_connect(app, g);
    register_complete(app, g);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        print_error(g, unknown_subcommand(app, argc, argv).value_or(Error(ErrorKind::usage, e.what(), "see 'cairn --help'")));
        return exit_code(ErrorKind::usage);
    } catch (const Error& e) {
        print_error(g, e);
        audit_failure(action_name(app), e);
        finish_command();
        return exit_code(e.kind());
    } catch (const SQLite::Exception& e) {
        const Error translated = catalog::catalog_error(e, opened_catalog_path());
        print_error(g, translated);
        audit_failure(action_name(app), translated);
        finish_command();
        return exit_code(translated.kind());
    } catch (const std::exception& e) {
        const Error internal(ErrorKind::internal, e.what());
        print_error(g, internal);
        audit_failure(action_name(app), internal);
        finish_command();
        return exit_code(ErrorKind::internal);
    }
    finish_command();
    return g.exit_status;
}

} // namespace cairn::cmd
