#include "cmd/output.hpp"

#include "cmd/progress.hpp"

#include <cstdio>
#include <iostream>

namespace cairn::cmd {

void print_error(const GlobalOptions& g, const Error& e) {
    // Red "error:" only on a terminal and only without NO_COLOR.
    const bool color = stderr_color();
    std::cerr << "cairn: " << (color ? "\033[31merror:\033[0m " : "error: ") << e.what() << "\n";
    if (!e.hint().empty()) std::cerr << "hint: " << e.hint() << "\n";
    if (g.json) {
        nlohmann::json j = {{"error", {{"kind", kind_name(e.kind())}, {"message", e.what()},
                                       {"hint", e.hint()}, {"exit_code", exit_code(e.kind())}}}};
        print_json(j);
    }
}

void info(const GlobalOptions& g, const std::string& line) {
    if (!g.quiet && !g.json) std::cerr << line << "\n";
}

void print_json(const nlohmann::json& j) {
    // Invalid UTF-8 (e.g. non-UTF-8 file names) is replaced rather than thrown on.
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

} // namespace cairn::cmd
