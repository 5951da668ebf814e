#include "core/audit/seal_events.hpp"

#include "core/audit/anchor.hpp"
#include "core/audit/audit.hpp"
#include "core/audit/chain.hpp"
#include "core/catalog/seals.hpp"
#include "core/crypto/secret.hpp"
#include "core/util/error.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string_view>

namespace cairn::audit {

namespace {

Seal seal_from(const sql::Column& c) {
    Seal s{};
    if (const auto b = c.isBlob() ? c.blob() : std::span<const std::byte>(); b.size() == s.size()) {
        std::copy(b.begin(), b.end(), s.begin());
    } else {
        s.fill(std::byte{0xff}); // never a SHA-256 by chance: the row check fails
    }
    return s;
}

std::string first_target(const std::string& targets) {
    const auto j = nlohmann::json::parse(targets, nullptr, false);
    if (!j.is_array() || j.empty() || !j[0].is_string()) return {};
    return j[0].get<std::string>();
}

// The stored chain value the MAC of event `seq` builds on.
std::optional<ChainValue> previous_chain(catalog::Catalog& catalog, int64_t seq) {
    sql::Statement q(catalog.sql(), "SELECT chain FROM audit_event WHERE seq = ?");
    q.bind(1, seq - 1);
    if (q.executeStep()) return chain_from_column(q.getColumn(0));
    if (auto anchor = latest_anchor(catalog); anchor && anchor->seq == seq - 1) return anchor->chain;
    if (seq == 1) return k_genesis;
    return std::nullopt;
}

} // namespace

bool event_authentic(catalog::Catalog& catalog, int64_t seq) {
    const auto prev = previous_chain(catalog, seq);
    sql::Statement row(catalog.sql(), "SELECT " + std::string(k_event_columns) + " FROM audit_event WHERE seq = ?");
    row.bind(1, seq);
    if (!prev || !row.executeStep()) return false;
    ChainMac& mac = chain_mac_for(audit_dir(catalog));
    const DigestMode mode{keyed_digests_from(catalog), &mac};
    CanonicalWriter w(k_event_domain);
    canonical_from_row(row, w, mode);
    const ChainValue computed = mac.compute(w.bytes(), *prev);
    const ChainValue stored = chain_from_column(row.getColumn(k_chain_column));
    return crypto::constant_time_equal(computed, stored);
}

std::vector<SealedEvent> sealed_events_of(catalog::Catalog& catalog, const std::string& uid) {
    sql::Statement q(catalog.sql(),
                        "SELECT e.seq, e.action, e.targets, e.seal FROM audit_target t JOIN audit_event e ON e.seq = t.seq"
                        " WHERE t.uid = ? AND e.seal IS NOT NULL ORDER BY e.seq");
    q.bind(1, uid);
    std::vector<SealedEvent> out;
    while (q.executeStep()) {
        if (first_target(q.getColumn(2).getString()) != uid) continue; // a save naming uid as its input
        out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(), seal_from(q.getColumn(3))});
    }
    for (const auto& e : out)
        if (!event_authentic(catalog, e.seq))
            throw Error(ErrorKind::integrity,
                        "audit event " + std::to_string(e.seq) + ", which sealed artifact " + uid +
                            ", fails its chain MAC: the audit trail was edited",
                        "run 'cairn audit verify'; restore .cairn/ from a backup");
    return out;
}

std::map<std::string, std::vector<SealedEvent>> all_sealed_events(catalog::Catalog& catalog) {
    sql::Statement q(catalog.sql(),
                        "SELECT seq, action, targets, seal FROM audit_event WHERE seal IS NOT NULL ORDER BY seq",
                        sql::Rows::paged);
    std::map<std::string, std::vector<SealedEvent>> out;
    while (q.executeStep())
        out[first_target(q.getColumn(2).getString())].push_back(
            {q.getColumn(0).getInt64(), q.getColumn(1).getString(), seal_from(q.getColumn(3))});
    return out;
}

std::vector<std::pair<std::string, Seal>> seals_to_carry(catalog::Catalog& catalog, int64_t last_pruned) {
    const auto events = all_sealed_events(catalog);
    std::vector<std::pair<std::string, Seal>> out;
    catalog::for_each_sealed_artifact(catalog, [&](const catalog::ArtifactRow& row) {
        const auto it = events.find(row.uid);
        if (it == events.end() || it->second.back().seq > last_pruned) return;
        out.emplace_back(it->first, it->second.back().seal);
    });
    return out;
}

} // namespace cairn::audit
