#include "core/artifact/seal.hpp"

#include "core/audit/audit.hpp"
#include "core/audit/chain.hpp"
#include "core/catalog/seals.hpp"
#include "core/crypto/secret.hpp"
#include "core/crypto/sha256.hpp"
#include "core/util/error.hpp"

namespace cairn::artifact {

namespace {

std::span<const std::byte> bytes_of(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

std::string describe(const catalog::ArtifactRow& row) {
    return (row.key.empty() ? std::string("(no key)") : row.key) + " v" + std::to_string(row.version) + " (" + row.uid + ")";
}

constexpr const char* k_hint = "run 'cairn audit verify'; restore .cairn/ from a backup and find who wrote catalog.db";

// Why `row` fails its seals, or "" when it holds.
std::string seal_problem(const catalog::ArtifactRow& row, const std::vector<audit::SealedEvent>& events) {
    if (events.empty())
        return "artifact " + describe(row) +
               " was sealed by no audit event: its row was added to catalog.db outside cairn, or its event removed";
    const audit::Seal expected = row_seal(row);
    for (const auto& e : events)
        if (!crypto::constant_time_equal(e.seal, expected))
            return "the catalog row of " + describe(row) + " differs from what audit event " + std::to_string(e.seq) +
                   " (" + e.action + ") sealed: its key, version, content hash, size or object was changed";
    return {};
}

std::string wrap_problem(catalog::Catalog& catalog, const catalog::ArtifactRow& row) {
    const auto expected = wrap_mac(catalog, row);
    const auto stored = catalog::wrap_mac(catalog, row.id);
    if (!crypto::constant_time_equal(expected, stored))
        return "the wrapped data key of " + describe(row) + " does not match its MAC: it was replaced in the catalog";
    return {};
}

} // namespace

audit::Seal row_seal(const catalog::ArtifactRow& row) {
    audit::CanonicalWriter w(k_seal_domain);
    w.text(row.uid);
    w.text(row.key);
    w.integer(row.version);
    w.text(row.kind);
    w.text(row.hash);
    w.integer(static_cast<int64_t>(row.size));
    w.integer(row.n_files);
    w.text(row.object_name);
    w.integer(static_cast<int64_t>(row.stored_size));
    w.integer(row.created_at);
    crypto::Sha256 h;
    h.update(w.bytes());
    return h.finish();
}

std::array<std::byte, 32> wrap_mac(catalog::Catalog& catalog, const catalog::ArtifactRow& row) {
    audit::CanonicalWriter w(k_wrap_mac_domain);
    w.text(row.uid);
    w.text(row.key_id);
    w.blob(bytes_of(row.wrapped_key));
    return audit::chain_mac_for(audit::audit_dir(catalog)).text_digest(k_wrap_mac_domain, w.view());
}

void stamp_wrap_mac(catalog::Catalog& catalog, const catalog::ArtifactRow& row) {
    catalog::set_wrap_mac(catalog, row.id, wrap_mac(catalog, row));
}

void require_wrap_mac(catalog::Catalog& catalog, const catalog::ArtifactRow& row, const std::string& hint) {
    if (const std::string problem = wrap_problem(catalog, row); !problem.empty())
        throw Error(ErrorKind::integrity, problem, hint);
}

void require_sealed(catalog::Catalog& catalog, const catalog::ArtifactRow& row) {
    std::string problem = wrap_problem(catalog, row);
    if (problem.empty()) problem = seal_problem(row, audit::sealed_events_of(catalog, row.uid));
    if (!problem.empty()) throw Error(ErrorKind::integrity, problem, k_hint);
}

int64_t seal_pending_artifacts(catalog::Catalog& catalog, const Actor& actor) {
    if (!catalog::seals_pending(catalog)) return 0;
    int64_t sealed = 0;
    catalog.write_transaction([&] {
        if (!catalog::seals_pending(catalog)) return; // another process did it meanwhile
        const auto events = audit::all_sealed_events(catalog);
        catalog::for_each_sealed_artifact(catalog, [&](const catalog::ArtifactRow& row) {
            // A row some event sealed was saved by this version, with its
            // wrap MAC: a missing one is tampering, never stamped here.
            if (events.contains(row.uid)) return;
            if (catalog::wrap_mac(catalog, row.id).empty()) stamp_wrap_mac(catalog, row);
            audit::Event e{"artifact.seal", {row.uid}, "ok", std::nullopt, {{"reason", "saved before seals"}}};
            e.seal = row_seal(row);
            audit::append(catalog, actor, e);
            ++sealed;
        });
        catalog::clear_seals_pending(catalog);
    });
    return sealed;
}

SealReport check_all_seals(catalog::Catalog& catalog) {
    SealReport r;
    const auto events = audit::all_sealed_events(catalog);
    const bool pending = catalog::seals_pending(catalog);
    static const std::vector<audit::SealedEvent> k_none;
    catalog::for_each_sealed_artifact(catalog, [&](const catalog::ArtifactRow& row) {
        if (!r.problem.empty()) return; // the first problem is the report
        ++r.artifacts;
        const auto it = events.find(row.uid);
        // Saved before seals, and no command has opened the instance for
        // writing since the upgrade (verify itself never writes).
        if (pending && it == events.end() && catalog::wrap_mac(catalog, row.id).empty()) {
            ++r.unsealed;
            return;
        }
        r.problem = wrap_problem(catalog, row);
        if (r.problem.empty()) r.problem = seal_problem(row, it == events.end() ? k_none : it->second);
    });
    return r;
}

void verify_rows(catalog::Catalog& catalog, audit::VerifyReport& report) {
    if (!report.ok()) return;
    if (!report.target_index_problem.empty()) {
        report.problem = audit::Problem::target_index_mismatch;
        report.message = report.target_index_problem;
        return;
    }
    const SealReport seals = check_all_seals(catalog);
    report.artifacts_checked = seals.artifacts;
    report.artifacts_unsealed = seals.unsealed;
    if (!seals.problem.empty()) {
        report.problem = audit::Problem::artifact_mismatch;
        report.message = seals.problem;
    }
}

} // namespace cairn::artifact
