#include "core/audit/audit.hpp"

#include "core/util/time.hpp"

namespace cairn::audit {

void append(catalog::Catalog& catalog, const Actor& actor, const Event& event) {
    nlohmann::json targets = event.targets;
    SQLite::Statement insert(catalog.db(),
        "INSERT INTO audit_event (time_ms, actor, os_user, os_uid, host, pid, command_line, action,"
        " targets, result, error_code, details) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    insert.bind(1, static_cast<int64_t>(now_ms()));
    insert.bind(2, actor.identity);
    insert.bind(3, actor.os_user);
    insert.bind(4, static_cast<int64_t>(actor.os_uid));
    insert.bind(5, actor.host);
    insert.bind(6, static_cast<int64_t>(actor.pid));
    insert.bind(7, actor.command_line);
    insert.bind(8, event.action);
    insert.bind(9, targets.dump());
    insert.bind(10, event.result);
    if (event.error_code) insert.bind(11, *event.error_code);
    insert.bind(12, event.details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    insert.exec();
}

void record(catalog::Catalog& catalog, const Actor& actor, const Event& event) {
    catalog.write_transaction([&] { append(catalog, actor, event); });
}

} // namespace cairn::audit
