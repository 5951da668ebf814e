#include "core/lineage/run_names.hpp"

#include <nlohmann/json.hpp>

namespace cairn::lineage {

namespace {

using Json = nlohmann::json;

bool spells(const audit::NameSet& names, const std::string& command_line, const std::string& params) {
    for (const auto& word : audit::argv_words(command_line))
        if (!names.find(word).empty()) return true;
    const Json j = Json::parse(params, nullptr, false);
    if (!j.is_object()) return false;
    for (const auto& [k, v] : j.items())
        if (v.is_string() && !names.find(v.get<std::string>()).empty()) return true;
    return false;
}

std::string column(sql::Statement& q, int i) { return q.getColumn(i).isNull() ? "" : q.getColumn(i).getString(); }

} // namespace

void ErasedNames::add(const std::string& name, int version, const std::string& uid) {
    names.insert(name);
    uids[name][version] = uid;
}

std::string ErasedNames::label(const audit::NameHit& hit) const {
    const auto it = uids.find(hit.name);
    if (it == uids.end() || it->second.empty()) return "[purged]";
    auto v = hit.version ? it->second.find(*hit.version) : it->second.end();
    if (v == it->second.end()) v = std::prev(it->second.end());
    return "[purged " + v->second + "]";
}

std::string ErasedNames::replace(const std::string& text) const {
    std::string out = text;
    const auto hits = names.find(text);
    // Hits never overlap: replace from the back so offsets stay valid.
    for (auto h = hits.rbegin(); h != hits.rend(); ++h) out.replace(h->begin, h->size, label(*h));
    return out;
}

void RunNameIndex::scan(catalog::Catalog& c) {
    if (m_names.empty()) return;
    sql::Statement q(c.sql(), "SELECT id, command_line, params FROM run WHERE id > ? ORDER BY id");
    q.bind(1, m_after);
    while (q.executeStep()) {
        m_after = q.getColumn(0).getInt64();
        if (spells(m_names, column(q, 1), column(q, 2))) m_runs.insert(m_after);
    }
}

int64_t RunNameIndex::scrub(catalog::Catalog& c, const ErasedNames& erased) {
    sql::Statement read(c.sql(), "SELECT command_line, params FROM run WHERE id = ?");
    sql::Statement write(c.sql(), "UPDATE run SET command_line = ?, params = ? WHERE id = ?");
    int64_t changed = 0;
    for (int64_t id : m_runs) {
        read.bind(1, id);
        if (!read.executeStep()) {
            read.reset();
            continue;
        }
        const bool had_line = !read.getColumn(0).isNull(), had_params = !read.getColumn(1).isNull();
        const std::string line = column(read, 0), params = column(read, 1);
        read.reset();
        // Only what changed is rewritten; the rest stays byte for byte.
        bool line_changed = false, params_changed = false;
        auto words = audit::argv_words(line);
        for (auto& w : words) {
            std::string r = erased.replace(w);
            if (r != w) line_changed = true, w = std::move(r);
        }
        const std::string new_line = line_changed ? audit::join_words(words) : line;
        std::string new_params = params;
        if (Json j = Json::parse(params, nullptr, false); j.is_object()) {
            for (auto& [k, v] : j.items()) {
                if (!v.is_string()) continue;
                std::string r = erased.replace(v.get<std::string>());
                if (r != v.get<std::string>()) params_changed = true, v = std::move(r);
            }
            if (params_changed) new_params = j.dump(-1, ' ', false, Json::error_handler_t::replace);
        }
        if (!line_changed && !params_changed) continue;
        if (had_line) write.bind(1, new_line);
        if (had_params) write.bind(2, new_params);
        write.bind(3, id);
        write.exec();
        write.reset();
        write.clearBindings();
        ++changed;
    }
    return changed;
}

} // namespace cairn::lineage
