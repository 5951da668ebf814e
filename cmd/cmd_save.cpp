#include "cmd/commands.hpp"
namespace cairn::cmd {
void register_save(CLI::App& app, GlobalOptions&) { app.add_subcommand("save", "todo"); }
}
