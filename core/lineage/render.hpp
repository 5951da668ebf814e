#pragma once
// Renderers for a lineage graph: a tree for the terminal, Graphviz DOT,
// a Mermaid flowchart and JSON (nodes + edges) for tools. Tombstones
// (artifacts pending deletion or deleted) show their uid and deletion date,
// never their key. Node ids are "artifact:<uid>" / "run:<uid>" in JSON and
// "a_<uid>" / "r_<uid>" in DOT and Mermaid (uids are [0-9a-v]).
#include "core/lineage/graph.hpp"

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>

namespace cairn::lineage {

enum class Format { text, dot, mermaid, json };

// "text", "dot", "mermaid", "json"; throws usage error otherwise.
Format parse_format(std::string_view name);
const char* direction_name(Direction direction);

// Box-drawing tree like tree(1): the root, then (up) the run that produced
// each artifact and that run's inputs, or (down) the runs that read it and
// their outputs; with both directions, two branches "derived from" and
// "used by". A node reached twice is expanded once.
std::string render_text(const Graph& graph);
std::string render_dot(const Graph& graph);
std::string render_mermaid(const Graph& graph);
// The document render(graph, Format::json) prints, parsed (for tests and
// tools; the command streams the text without building it).
nlohmann::json render_json(const Graph& graph);

// Writes the rendering to `out` as it goes (a large graph's text can run to
// tens of megabytes); the string form is for tests and small graphs.
void render(const Graph& graph, Format format, std::ostream& out);
std::string render(const Graph& graph, Format format);

// One run as JSON (also the run nodes of render_json).
nlohmann::json run_json(const RunRow& run);

} // namespace cairn::lineage
