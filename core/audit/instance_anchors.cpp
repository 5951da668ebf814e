#include "core/audit/instance_anchors.hpp"

namespace cairn::audit {

InstanceLocations::InstanceLocations(Instance& instance) {
    sql::Statement q(instance.catalog().sql(),
                        "SELECT url, COALESCE(probe, '') FROM storage ORDER BY id");
    bool has_configured = false;
    while (q.executeStep()) {
        AnchorLocation loc;
        loc.url = q.getColumn(0).getString();
        loc.object_lock = q.getColumn(1).getString().find("object-lock") != std::string::npos;
        if (loc.url == instance.config().storage.url) {
            loc.backend = &instance.storage();
            has_configured = true;
        } else {
            storage::Location where = instance.config().storage;
            where.url = loc.url;
            m_owned.push_back(storage::with_retry(storage::open_backend(where)));
            loc.backend = m_owned.back().get();
        }
        m_locations.push_back(std::move(loc));
    }
    if (!has_configured)
        m_locations.push_back({instance.config().storage.url, &instance.storage(), false});
}

AnchorReport check_anchors(Instance& instance, VerifyReport& r, bool read_storage) {
    AnchorReport a;
    if (!r.ok()) return a;
    a.head = check_host_head(instance.catalog(), instance.dir());
    if (!a.head.ok()) {
        r.problem = a.head.problem;
        r.bad_seq =
            a.head.problem == Problem::truncated ? a.head.found_seq + 1 : a.head.recorded->seq;
        r.message = "this host's recorded head: " + a.head.message + " (recorded seq " +
                    std::to_string(a.head.recorded->seq) + ", found seq " +
                    std::to_string(a.head.found_seq) + "; head file " + a.head.file->string() + ")";
        return a;
    }
    if (!read_storage) return a;
    const InstanceLocations locations(instance);
    a.published = check_published(instance.catalog(), locations.get(), r);
    a.storage_checked = true;
    return a;
}

nlohmann::json to_json(const AnchorReport& a) {
    nlohmann::json head = {
        {"file", a.head.file ? nlohmann::json(a.head.file->string()) : nlohmann::json()},
        {"recorded", a.head.recorded ? to_json(*a.head.recorded) : nlohmann::json()},
        {"ok", a.head.ok()},
        {"foreign_state", a.head.foreign_state}};
    if (!a.head.ok()) head["problem"] = problem_name(a.head.problem);
    return {{"host_head", head},
            {"published",
             {{"checked", a.storage_checked},
              {"checkpoints", a.published.checked},
              {"newest_count", a.published.newest_count},
              {"locations", a.published.locations}}}};
}

std::string describe(const AnchorReport& a) {
    std::string out;
    if (a.head.foreign_state)
        out += "host head: not checked (" + a.head.file->parent_path().string() +
               " belongs to another account)\n";
    else if (a.head.recorded)
        out += "host head: seq " + std::to_string(a.head.recorded->seq) +
               " recorded here matches (" + a.head.file->string() + ")\n";
    else
        out += "host head: none recorded on this host\n";
    if (a.storage_checked)
        out +=
            "published checkpoints: " + std::to_string(a.published.checked) + " in " +
            std::to_string(a.published.locations.size()) + " location(s) match" +
            (a.published.checked ? ", newest covers seq " + std::to_string(a.published.newest_count)
                                 : std::string()) +
            "\n";
    else
        out += "published checkpoints: not read (--no-storage)\n";
    return out;
}

} // namespace cairn::audit
