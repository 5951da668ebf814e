#include "cmd/commands.hpp"
namespace cairn::cmd {
void register_load(CLI::App& app, GlobalOptions&) { app.add_subcommand("load", "todo"); }
}
