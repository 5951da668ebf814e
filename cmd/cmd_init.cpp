#include "cmd/commands.hpp"
namespace cairn::cmd {
void register_init(CLI::App& app, GlobalOptions&) { app.add_subcommand("init", "todo"); }
}
