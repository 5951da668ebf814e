#include "core/audit/prune.hpp"

#include "core/audit/event_signatures.hpp"

#include "core/audit/anchor.hpp"
#include "core/audit/audit.hpp"
#include "core/audit/seal_events.hpp"
#include "core/util/error.hpp"
#include "core/util/time.hpp"

#include <optional>
#include <utility>

namespace cairn::audit {

namespace {

void check_retention(int64_t before_ms, int64_t now) {
    const int64_t limit = now - k_min_retention_days * k_ms_per_day;
    if (before_ms > limit)
        throw Error(ErrorKind::usage,
                    "refusing to prune audit events younger than 12 months (--before " + format_utc_ms(before_ms) +
                        " is after " + format_utc_ms(limit) + ")",
                    "audit events must be kept for at least 365 days; use --before " +
                        format_utc_ms(limit).substr(0, 10) + " or earlier");
}

// The last event to prune and its chain value. The prefix ends before the
// first event at or after `before`, so a clock that went backwards can never
// punch a hole in the chain.
std::optional<std::pair<int64_t, ChainValue>> prune_end(catalog::Catalog& catalog, int64_t before_ms) {
    sql::Statement stop(catalog.sql(), "SELECT MIN(seq) FROM audit_event WHERE time_ms >= ?");
    stop.bind(1, before_ms);
    stop.executeStep();
    sql::Statement last(catalog.sql(), "SELECT seq, chain FROM audit_event WHERE seq < ? ORDER BY seq DESC LIMIT 1");
    last.bind(1, stop.getColumn(0).isNull() ? INT64_MAX : stop.getColumn(0).getInt64());
    if (!last.executeStep()) return std::nullopt;
    return std::make_pair(last.getColumn(0).getInt64(), chain_from_column(last.getColumn(1)));
}

} // namespace

PruneResult plan_prune(catalog::Catalog& catalog, int64_t before_ms, int64_t now) {
    check_retention(before_ms, now);
    auto end = prune_end(catalog, before_ms);
    if (!end) return {};
    sql::Statement n(catalog.sql(), "SELECT COUNT(*) FROM audit_event WHERE seq <= ?");
    n.bind(1, end->first);
    n.executeStep();
    return {n.getColumn(0).getInt64(), end->first};
}

PruneResult prune(catalog::Catalog& catalog, const Actor& actor, int64_t before_ms, int64_t now) {
    check_retention(before_ms, now);
    const Signer signer(audit_dir(catalog));
    PruneResult result;
    catalog.write_transaction([&] {
        std::vector<std::pair<std::string, Seal>> carried;
        if (auto end = prune_end(catalog, before_ms)) {
            carried = seals_to_carry(catalog, end->first);
            Anchor a;
            a.seq = end->first;
            a.chain = end->second;
            a.time_ms = now;
            sql::Statement del(catalog.sql(), "DELETE FROM audit_event WHERE seq <= ?");
            del.bind(1, a.seq);
            a.pruned = del.exec();
            sql::Statement del_targets(catalog.sql(), "DELETE FROM audit_target WHERE seq <= ?");
            del_targets.bind(1, a.seq);
            del_targets.exec();
            const Signature sig = signer.sign(anchor_message(a));
            sql::Statement ins(catalog.sql(),
                                  "INSERT INTO audit_anchor (seq, chain, time_ms, pruned, signature) VALUES (?,?,?,?,?)");
            ins.bind(1, a.seq);
            ins.bind(2, a.chain.data(), static_cast<int>(a.chain.size()));
            ins.bind(3, a.time_ms);
            ins.bind(4, a.pruned);
            ins.bind(5, sig.data(), static_cast<int>(sig.size()));
            ins.exec();
            result = {a.pruned, a.seq};
        }
        // An artifact older than the pruned range keeps a sealing event.
        for (const auto& [uid, seal] : carried) {
            Event e{"artifact.seal", {uid}, "ok", std::nullopt, {{"reason", "carried past audit prune"}}};
            e.seal = seal;
            append(catalog, actor, e);
        }
        append(catalog, actor, {"audit.prune", {}, "ok", std::nullopt,
                                {{"before", format_utc_ms(before_ms)}, {"pruned", result.pruned},
                                 {"anchor_seq", result.anchor_seq},
                                 {"signing_keys", registered_signing_keys(catalog)}}});
    });
    return result;
}

} // namespace cairn::audit
