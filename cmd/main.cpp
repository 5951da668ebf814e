// Entry point: lists every command in one place, parses, runs, and maps
// errors to the documented exit codes (man/cairn.1, EXIT STATUS).
#include "cmd/commands.hpp"

int main(int argc, char** argv) { return cairn::cmd::run_main(argc, argv); }
