#pragma once
// Printing helpers shared by commands: JSON on stdout, messages on stderr.
#include "cmd/commands.hpp"
#include "core/util/error.hpp"

#include <nlohmann/json.hpp>
#include <string>

namespace cairn::cmd {

// "cairn: error: <message>" and "hint: <hint>" on stderr; with --json also a
// JSON object {"error": {...}} on stdout so scripts can parse failures.
void print_error(const GlobalOptions& g, const Error& e);
// Informational line on stderr unless --quiet or --json.
void info(const GlobalOptions& g, const std::string& line);
void print_json(const nlohmann::json& j);

} // namespace cairn::cmd

#include "core/catalog/artifacts.hpp"
namespace cairn::cmd {
nlohmann::json artifact_json(const catalog::ArtifactRow& a);
std::string human_size(uint64_t bytes);
} // namespace cairn::cmd
