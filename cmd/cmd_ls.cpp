#include "cmd/commands.hpp"
namespace cairn::cmd {
void register_ls(CLI::App& app, GlobalOptions&) { app.add_subcommand("ls", "todo"); }
}
