#include "core/audit/anchor.hpp"

namespace cairn::audit {

std::optional<Anchor> latest_anchor(catalog::Catalog& catalog) {
    sql::Statement q(catalog.sql(),
                        "SELECT seq, chain, time_ms, pruned, signature FROM audit_anchor ORDER BY seq DESC LIMIT 1");
    if (!q.executeStep()) return std::nullopt;
    Anchor a;
    a.seq = q.getColumn(0).getInt64();
    a.chain = chain_from_column(q.getColumn(1));
    a.time_ms = q.getColumn(2).getInt64();
    a.pruned = q.getColumn(3).getInt64();
    const auto sig = q.getColumn(4);
    const auto* p = static_cast<const std::byte*>(sig.getBlob());
    a.signature.assign(p, p + sig.getBytes());
    return a;
}

std::vector<std::byte> anchor_message(const Anchor& a) {
    CanonicalWriter w("cairn.audit.anchor.v1");
    w.integer(a.seq);
    w.blob(a.chain);
    w.integer(a.time_ms);
    w.integer(a.pruned);
    auto b = w.bytes();
    return {b.begin(), b.end()};
}

bool anchor_signature_ok(const Anchor& a, const PublicKey& key) {
    return verify_signature(key, anchor_message(a), a.signature);
}

} // namespace cairn::audit
