#include "core/lineage/render.hpp"

#include "core/util/error.hpp"
#include "core/util/json_writer.hpp"
#include "core/util/time.hpp"

#include <set>
#include <sstream>

namespace cairn::lineage {

namespace {

constexpr size_t k_uid_prefix = 8;

std::string short_time(int64_t ms) {
    std::string t = format_utc_ms(ms).substr(0, 16);
    t[10] = ' ';
    return t;
}

std::string date(int64_t ms) { return format_utc_ms(ms).substr(0, 10); }

std::string artifact_name(const ArtifactNode& a) { return a.key + "@v" + std::to_string(a.version); }

std::string tombstone_label(const ArtifactNode& a) {
    std::string what = a.state == "deleted" ? "deleted" : "pending deletion";
    if (a.deleted_at) what += (a.state == "deleted" ? " " : " since ") + date(*a.deleted_at);
    return what;
}

std::string run_summary(const RunRow& r) {
    if (r.transform.kind == k_manual_kind) return "manual (save --from) " + short_time(r.started_at);
    std::string s = r.transform.key + " [" + r.transform.kind + "] " + status_name(r.status);
    if (r.exit_status && *r.exit_status != 0) s += " (exit " + std::to_string(*r.exit_status) + ")";
    return s + " " + short_time(r.started_at);
}

// ---- text -------------------------------------------------------------------

class TextTree {
public:
    TextTree(const Graph& g, std::ostream& out) : m_graph(g), m_out(out) {}

    void write() {
        const ArtifactNode* root = m_graph.artifact(m_graph.root);
        m_out << artifact_line(*root) << "\n";
        if (m_graph.direction == Direction::both) {
            line("", false, "derived from");
            up_children(*root, "│   ");
            m_seen.clear();
            line("", true, "used by");
            down_children(*root, "    ");
        } else if (m_graph.direction == Direction::up) {
            up_children(*root, "");
        } else {
            down_children(*root, "");
        }
    }

private:
    void line(const std::string& prefix, bool last, const std::string& text) {
        m_out << prefix << (last ? "└── " : "├── ") << text << "\n";
    }

    std::string artifact_line(const ArtifactNode& a) const {
        if (a.tombstone()) return "† " + a.uid + "  " + tombstone_label(a);
        std::string s = artifact_name(a) + "  " + a.uid.substr(0, k_uid_prefix);
        if (!a.is_latest) s += "  (newer version exists)";
        return s;
    }

    // Prints the artifact and, the first time it is seen, its subtree.
    void artifact(const ArtifactNode& a, const std::string& prefix, bool last, bool up) {
        const bool again = !m_seen.insert("a" + std::to_string(a.id)).second;
        line(prefix, last, artifact_line(a) + (again ? "  (shown above)" : ""));
        if (again) return;
        const std::string child = prefix + (last ? "    " : "│   ");
        up ? up_children(a, child) : down_children(a, child);
    }

    void run(const RunRow& r, const std::vector<Edge>& next, const std::string& prefix, bool last, bool up) {
        const bool again = !m_seen.insert("r" + std::to_string(r.id)).second;
        line(prefix, last, std::string(up ? "◀ " : "▶ ") + "run " + r.uid.substr(0, k_uid_prefix) + "  " +
                               run_summary(r) + (again ? "  (shown above)" : ""));
        if (again) return;
        const std::string child = prefix + (last ? "    " : "│   ");
        for (size_t i = 0; i < next.size(); ++i)
            if (const ArtifactNode* a = m_graph.artifact(next[i].artifact_id))
                artifact(*a, child, i + 1 == next.size(), up);
    }

    void up_children(const ArtifactNode& a, const std::string& prefix) {
        if (!a.run_id) return;
        const RunRow* r = m_graph.run(*a.run_id);
        if (!r) {
            if (a.depth >= m_graph.depth) line(prefix, true, "… (depth limit)");
            return;
        }
        run(*r, m_graph.inputs_of_run(r->id), prefix, true, true);
    }

    void down_children(const ArtifactNode& a, const std::string& prefix) {
        const auto readers = m_graph.runs_reading(a.id);
        for (size_t i = 0; i < readers.size(); ++i)
            if (const RunRow* r = m_graph.run(readers[i].run_id))
                run(*r, m_graph.outputs_of_run(r->id), prefix, i + 1 == readers.size(), false);
    }

    const Graph& m_graph;
    std::ostream& m_out;
    std::set<std::string> m_seen;
};

// ---- dot / mermaid ------------------------------------------------------------

std::string dot_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

std::string mermaid_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '#': out += "#35;"; break;
        case '"': out += "#quot;"; break;
        case '<': out += "#lt;"; break;
        case '>': out += "#gt;"; break;
        case '&': out += "#amp;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string node_id(const char* prefix, const std::string& uid) { return prefix + uid; }

std::string edge_from(const Graph& g, const Edge& e) {
    if (e.kind == EdgeKind::input) return node_id("a_", g.artifact(e.artifact_id)->uid);
    return node_id("r_", g.run(e.run_id)->uid);
}

std::string edge_to(const Graph& g, const Edge& e) {
    if (e.kind == EdgeKind::input) return node_id("r_", g.run(e.run_id)->uid);
    return node_id("a_", g.artifact(e.artifact_id)->uid);
}

// Edges whose both ends are in the graph (always true for query_graph output;
// checked so hand-built graphs render too).
std::vector<Edge> drawable_edges(const Graph& g) {
    std::vector<Edge> out;
    for (const auto& e : g.edges)
        if (g.artifact(e.artifact_id) && g.run(e.run_id)) out.push_back(e);
    return out;
}

std::string run_label(const RunRow& r) {
    if (r.transform.kind == k_manual_kind) return "manual\n" + short_time(r.started_at);
    std::string s = r.transform.key + "\n" + r.transform.kind + " · " + status_name(r.status);
    if (r.exit_status && *r.exit_status != 0) s += " (" + std::to_string(*r.exit_status) + ")";
    return s;
}

std::string artifact_label(const ArtifactNode& a) {
    if (a.tombstone()) return a.uid + "\n" + tombstone_label(a);
    return artifact_name(a) + "\n" + a.uid.substr(0, k_uid_prefix);
}

std::string replace_newlines(std::string s, const std::string& with) {
    std::string out;
    for (char c : s) out += c == '\n' ? with : std::string(1, c);
    return out;
}

} // namespace

Format parse_format(std::string_view name) {
    if (name == "text") return Format::text;
    if (name == "dot") return Format::dot;
    if (name == "mermaid") return Format::mermaid;
    if (name == "json") return Format::json;
    throw Error(ErrorKind::usage, "unknown format '" + std::string(name) + "'", "use text, dot, mermaid or json");
}

const char* direction_name(Direction d) {
    switch (d) {
    case Direction::up: return "up";
    case Direction::down: return "down";
    case Direction::both: return "both";
    }
    return "up";
}

std::string render_text(const Graph& g) {
    std::ostringstream out;
    TextTree(g, out).write();
    return out.str();
}

std::string render_dot(const Graph& g) {
    std::ostringstream out;
    out << "digraph lineage {\n"
        << "  rankdir=LR;\n"
        << "  node [fontname=\"Helvetica\", fontsize=10];\n"
        << "  edge [color=\"#555555\"];\n";
    for (const auto& a : g.artifacts) {
        out << "  \"" << node_id("a_", a.uid) << "\" [shape=box, label=\""
            << dot_escape(replace_newlines(artifact_label(a), "\\n")) << "\"";
        if (a.tombstone()) out << ", style=\"dashed\", color=\"#999999\", fontcolor=\"#777777\"";
        else out << ", style=\"rounded,filled\", fillcolor=\"#e8f0fe\"";
        if (a.id == g.root) out << ", penwidth=2.5";
        out << "];\n";
    }
    for (const auto& r : g.runs) {
        out << "  \"" << node_id("r_", r.uid) << "\" [shape=ellipse, label=\""
            << dot_escape(replace_newlines(run_label(r), "\\n")) << "\"";
        if (r.status == RunStatus::unfinished || r.status == RunStatus::failed)
            out << ", style=\"dashed\", color=\"#cc3333\"";
        out << "];\n";
    }
    for (const auto& e : drawable_edges(g)) out << "  \"" << edge_from(g, e) << "\" -> \"" << edge_to(g, e) << "\";\n";
    out << "}\n";
    return out.str();
}

std::string render_mermaid(const Graph& g) {
    std::ostringstream out;
    out << "flowchart LR\n";
    for (const auto& a : g.artifacts)
        out << "  " << node_id("a_", a.uid) << "[\"" << mermaid_escape(replace_newlines(artifact_label(a), "\x01"))
            << "\"]\n";
    for (const auto& r : g.runs)
        out << "  " << node_id("r_", r.uid) << "([\"" << mermaid_escape(replace_newlines(run_label(r), "\x01")) << "\"])\n";
    for (const auto& e : drawable_edges(g)) out << "  " << edge_from(g, e) << " --> " << edge_to(g, e) << "\n";
    out << "  classDef root stroke-width:3px\n"
        << "  classDef tombstone stroke-dasharray:5 5,color:#777777\n"
        << "  classDef unfinished stroke:#cc3333,stroke-dasharray:5 5\n";
    for (const auto& a : g.artifacts) {
        if (a.id == g.root) out << "  class " << node_id("a_", a.uid) << " root\n";
        if (a.tombstone()) out << "  class " << node_id("a_", a.uid) << " tombstone\n";
    }
    for (const auto& r : g.runs)
        if (r.status == RunStatus::unfinished) out << "  class " << node_id("r_", r.uid) << " unfinished\n";
    // Line breaks are marked with \x01 before escaping so "<br/>" stays markup.
    std::string text;
    for (char c : out.str()) text += c == '\x01' ? std::string("<br/>") : std::string(1, c);
    return text;
}

namespace {

// Keys are written in ascending order: JsonWriter prints what nlohmann would.

void time_or_null(JsonWriter& w, const std::optional<int64_t>& ms) {
    if (ms)
        w.string(format_utc_ms(*ms));
    else
        w.null();
}

// `as_node` adds the id and type of a node of the lineage graph.
void write_run(JsonWriter& w, const RunRow& r, bool as_node) {
    w.begin_object();
    w.key("command_line").string(r.command_line);
    w.key("exit_status").number_or_null(r.exit_status);
    w.key("finished_at");
    time_or_null(w, r.finished_at);
    w.key("host").string(r.host);
    if (as_node) w.key("id").string("run:" + r.uid);
    w.key("params").begin_object();
    for (const auto& [name, value] : r.params)
        w.key(name).string(value);
    w.end_object();
    w.key("pid").number(r.pid);
    w.key("started_at").string(format_utc_ms(r.started_at));
    w.key("status").string(status_name(r.status));
    w.key("transform").begin_object();
    w.key("key").string(r.transform.key);
    w.key("kind").string(r.transform.kind);
    w.key("source_hash").string_or_null(r.transform.source_hash);
    w.key("uid").string(r.transform.uid);
    w.end_object();
    if (as_node) w.key("type").string("run");
    w.key("uid").string(r.uid);
    w.key("user").string(r.user);
    w.end_object();
}

// Tombstones show no key, version or creation time.
void write_artifact(JsonWriter& w, const ArtifactNode& a) {
    const bool live = !a.tombstone();
    w.begin_object();
    if (live) w.key("created_at").string(format_utc_ms(a.created_at));
    if (!live) {
        w.key("deleted_at");
        time_or_null(w, a.deleted_at);
    }
    w.key("depth").number(a.depth);
    w.key("id").string("artifact:" + a.uid);
    if (live) w.key("is_latest").boolean(a.is_latest).key("key").string(a.key);
    w.key("state").string(a.state);
    w.key("tombstone").boolean(!live);
    w.key("type").string("artifact");
    w.key("uid").string(a.uid);
    if (live) w.key("version").number(a.version);
    w.end_object();
}

void write_edge(JsonWriter& w, const Graph& g, const Edge& e) {
    const std::string a = "artifact:" + g.artifact(e.artifact_id)->uid;
    const std::string r = "run:" + g.run(e.run_id)->uid;
    const bool input = e.kind == EdgeKind::input;
    w.begin_object();
    w.key("from").string(input ? a : r);
    w.key("kind").string(input ? "input" : "output");
    w.key("to").string(input ? r : a);
    w.end_object();
}

// Streams the graph in pieces of 64 KiB: a large graph's JSON runs to
// megabytes, and holding it whole doubled the command's page faults.
void write_graph_json(const Graph& g, std::ostream& out) {
    constexpr size_t k_piece = 64 * 1024;
    std::string buffer;
    JsonWriter w(buffer);
    auto flush = [&](size_t at_least) {
        if (buffer.size() < at_least) return;
        out << buffer;
        buffer.clear();
    };
    const ArtifactNode* root = g.artifact(g.root);
    w.begin_object();
    w.key("depth").number(g.depth);
    w.key("direction").string(direction_name(g.direction));
    w.key("edges").begin_array();
    for (const auto& e : drawable_edges(g)) {
        write_edge(w, g, e);
        flush(k_piece);
    }
    w.end_array();
    w.key("nodes").begin_array();
    for (const auto& a : g.artifacts) {
        write_artifact(w, a);
        flush(k_piece);
    }
    for (const auto& r : g.runs) {
        write_run(w, r, true);
        flush(k_piece);
    }
    w.end_array();
    w.key("root").string(root ? root->uid : "");
    w.end_object();
    buffer += '\n';
    flush(0);
}

} // namespace

nlohmann::json run_json(const RunRow& r) {
    std::string text;
    JsonWriter w(text);
    write_run(w, r, false);
    return nlohmann::json::parse(text);
}

nlohmann::json render_json(const Graph& g) {
    return nlohmann::json::parse(render(g, Format::json));
}

void render(const Graph& g, Format format, std::ostream& out) {
    switch (format) {
    case Format::text:
        TextTree(g, out).write();
        return;
    case Format::dot:
        out << render_dot(g);
        return;
    case Format::mermaid:
        out << render_mermaid(g);
        return;
    case Format::json:
        write_graph_json(g, out);
        return;
    }
}

std::string render(const Graph& g, Format format) {
    std::ostringstream out;
    render(g, format, out);
    return out.str();
}

} // namespace cairn::lineage
