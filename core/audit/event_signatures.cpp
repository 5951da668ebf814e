#include "core/audit/event_signatures.hpp"

#include "core/audit/audit.hpp"
#include "core/audit/checkpoint.hpp"
#include "core/util/error.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <system_error>
#include <thread>
#include <vector>

namespace cairn::audit {

namespace stdfs = std::filesystem;

std::optional<int64_t> signed_from(catalog::Catalog& catalog, catalog::Read read) {
    const auto value = catalog.write_once_info(std::string(k_signed_from_setting), read);
    if (!value) return std::nullopt;
    try {
        return std::stoll(*value);
    } catch (const std::exception&) {
        // Not a number: every event must then be signed, so verify reports
        // the first unsigned one instead of skipping the check.
        return 1;
    }
}

void set_signed_from(catalog::Catalog& catalog, int64_t seq) {
    sql::Statement q(catalog.sql(), "INSERT INTO instance_info (name, value) VALUES (?, ?)");
    q.bind(1, std::string(k_signed_from_setting));
    q.bind(2, std::to_string(seq));
    q.exec();
}

void record_public_key(catalog::Catalog& catalog, const PublicKey& key) {
    sql::Statement q(catalog.sql(), "INSERT INTO instance_info (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING");
    q.bind(1, std::string(k_public_key_setting));
    q.bind(2, public_key_hex(key));
    q.exec();
}

std::string signature_message(std::string_view instance_id, int64_t seq, const ChainValue& chain) {
    CanonicalWriter w(k_event_signature_domain);
    w.text(instance_id);
    w.integer(seq);
    w.blob(chain);
    return std::string(w.view());
}

const Signer* instance_signer(const stdfs::path& dir) {
    static std::mutex k_mutex;
    static std::map<std::string, std::unique_ptr<Signer>> k_cache;
    std::lock_guard lock(k_mutex);
    const std::string at = stdfs::absolute(dir).lexically_normal().string();
    auto found = k_cache.find(at);
    if (found != k_cache.end()) return found->second.get();
    std::unique_ptr<Signer> signer;
    if (stdfs::exists(key_paths(dir).signing_key)) signer = std::make_unique<Signer>(dir);
    return k_cache.emplace(at, std::move(signer)).first->second.get();
}

Error no_signer_error() {
    return Error(ErrorKind::permission,
                 "this machine holds no key to sign audit events with: the instance's events are signed, and "
                 "neither CAIRN_SIGNING_KEY nor the instance's audit-sign.key is here",
                 "set CAIRN_SIGNING_KEY to your Ed25519 private key, registered with 'cairn access grant "
                 "--signing-key'");
}

EventSignature sign_event(catalog::Catalog& catalog, const Actor& actor, int64_t seq, const ChainValue& chain) {
    const Signer* signer = actor.signer ? actor.signer.get() : instance_signer(audit_dir(catalog));
    if (!signer) throw no_signer_error();
    const std::string message = signature_message(catalog_instance_id(catalog), seq, chain);
    return {fingerprint(signer->public_key()), signer->sign(std::as_bytes(std::span(message.data(), message.size())))};
}

nlohmann::json registered_signing_keys(catalog::Catalog& catalog) {
    sql::Statement q(catalog.sql(), "SELECT name, role, signing_key FROM member"
                                    " WHERE signing_key IS NOT NULL AND revoked_at IS NULL ORDER BY name");
    nlohmann::json out = nlohmann::json::array();
    while (q.executeStep())
        out.push_back({{"member", q.getColumn(0).getString()}, {"role", q.getColumn(1).getString()},
                       {"signing_key", q.getColumn(2).getString()}});
    return out;
}

namespace {

// A key that may sign events, as the trail registered it.
struct KeyHolder {
    KeyHolder(const PublicKey& k, std::string m, std::string r)
        : key(k), verifier(std::make_shared<Verifier>(k)), member(std::move(m)), role(std::move(r)) {}
    PublicKey key{};
    std::shared_ptr<const Verifier> verifier; // shared: jobs queued under it outlive a re-grant
    std::string member;                 // "" for the instance's own key
    std::string role;                   // the member's role at its grant
    std::optional<int64_t> revoked_seq; // the access.revoke event that ended it
};

bool may_administer(const KeyHolder& h) { return h.member.empty() || h.role == "admin"; }

class Registry {
public:
    explicit Registry(const PublicKey& instance_key) { m_keys.insert_or_assign(fingerprint(instance_key), KeyHolder(instance_key, "", "")); }

    const KeyHolder* find(const std::string& fp) const {
        auto it = m_keys.find(fp);
        return it == m_keys.end() ? nullptr : &it->second;
    }

    // Applies a successful access.grant, access.revoke or audit.prune event.
    void apply(int64_t seq, std::string_view action, const nlohmann::json& details) {
        if (action == "audit.prune") {
            // The keys of members whose grants the prune removed, carried forward.
            if (!details.is_object() || !details.contains("signing_keys") || !details["signing_keys"].is_array()) return;
            for (const auto& k : details["signing_keys"]) {
                if (!k.is_object() || !k.contains("member") || !k["member"].is_string() || !k.contains("signing_key") ||
                    !k["signing_key"].is_string())
                    continue;
                const PublicKey key = public_key_from_hex(k["signing_key"].get<std::string>());
                m_keys.try_emplace(fingerprint(key), KeyHolder(key, k["member"].get<std::string>(),
                                                               k.value("role", std::string())));
            }
            return;
        }
        if (!details.is_object() || !details.contains("member") || !details["member"].is_string()) return;
        const std::string member = details["member"].get<std::string>();
        if (action == "access.revoke") {
            for (auto& [fp, holder] : m_keys)
                if (holder.member == member && !holder.revoked_seq) holder.revoked_seq = seq;
            return;
        }
        if (!details.contains("signing_key") || !details["signing_key"].is_string()) return;
        const PublicKey key = public_key_from_hex(details["signing_key"].get<std::string>());
        const std::string role = details.value("role", std::string());
        m_keys.insert_or_assign(fingerprint(key), KeyHolder(key, member, role));
    }

private:
    std::map<std::string, KeyHolder> m_keys;
};

std::optional<SignatureFailure> failure(Problem p, int64_t seq, std::string message) {
    return SignatureFailure{p, seq, std::move(message)};
}

// The member a credential label names: "member <name> (<role>, <fp>)".
bool credential_names(std::string_view credential, const std::string& member) {
    const std::string prefix = "member " + member + " (";
    return credential.substr(0, prefix.size()) == prefix;
}

} // namespace

namespace {

// One signature to check: the crypto is the costly part (about 10,000 per
// second per core here), so it runs in batches on every core while the log
// is read and the cheap rules are applied in order.
struct SignatureJob {
    int64_t seq = 0;
    std::shared_ptr<const Verifier> verifier;
    std::string message;
    std::array<std::byte, 64> signature{};
};

constexpr size_t k_jobs_per_batch = 8192;

// The seq of the first job in `jobs` whose signature does not verify.
std::optional<int64_t> first_bad_signature(const std::vector<SignatureJob>& jobs) {
    const unsigned cores = std::max(1U, std::min(std::thread::hardware_concurrency(), 4U));
    const size_t parts = std::min<size_t>(cores, std::max<size_t>(1, jobs.size() / 256));
    std::vector<std::optional<int64_t>> found(parts);
    auto check = [&](size_t part) {
        const size_t begin = jobs.size() * part / parts, end = jobs.size() * (part + 1) / parts;
        for (size_t i = begin; i < end; ++i) {
            const auto& j = jobs[i];
            if (!j.verifier->verify(std::as_bytes(std::span(j.message.data(), j.message.size())), j.signature)) {
                found[part] = j.seq;
                return;
            }
        }
    };
    std::vector<std::thread> threads;
    try {
        for (size_t p = 1; p < parts; ++p) threads.emplace_back(check, p);
    } catch (const std::system_error&) {
        // No thread to spare: the parts not started are checked below.
    }
    check(0);
    for (size_t p = threads.size() + 1; p < parts; ++p) check(p);
    for (auto& t : threads) t.join();
    for (const auto& f : found)
        if (f) return f; // parts are in seq order: the first found is the earliest
    return std::nullopt;
}

// What the signer of the event at `seq` may not have signed: an event in
// another's name, one after their revocation, a change of keys unless admin.
std::optional<SignatureFailure> rule_failure(const KeyHolder& holder, int64_t seq, std::string_view credential,
                                             const std::string& action, bool changes_keys) {
    const std::string at = "event at seq " + std::to_string(seq);
    if (!holder.member.empty()) {
        const std::string who = "member '" + holder.member + "'";
        if (!credential_names(credential, holder.member))
            return failure(Problem::wrong_signer, seq,
                           at + " is signed by " + who + " but names another credential: a member wrote it in someone else's name");
        if (holder.revoked_seq && *holder.revoked_seq < seq)
            return failure(Problem::wrong_signer, seq,
                           at + " is signed by " + who + ", revoked at seq " + std::to_string(*holder.revoked_seq));
    }
    if (changes_keys && !may_administer(holder))
        return failure(Problem::wrong_signer, seq,
                       at + " (" + action + ") is signed by member '" + holder.member + "', who is not an admin");
    return std::nullopt;
}

std::optional<SignatureFailure> bad_signature_at(int64_t seq) {
    return failure(Problem::bad_signature, seq,
                   "event at seq " + std::to_string(seq) + " has an invalid signature (forged or altered)");
}

} // namespace

std::optional<SignatureFailure> check_event_signatures(catalog::Catalog& catalog, const PublicKey& public_key) {
    const auto from = signed_from(catalog, catalog::Read::now);
    if (!from) return std::nullopt;
    const std::string instance_id = catalog_instance_id(catalog, catalog::Read::now);
    Registry registry(public_key);
    std::vector<SignatureJob> jobs;
    // The first failure the rules find; a bad signature before it wins.
    auto finish = [&](std::optional<SignatureFailure> rule_failure) -> std::optional<SignatureFailure> {
        if (const auto bad = first_bad_signature(jobs)) return bad_signature_at(*bad);
        jobs.clear();
        return rule_failure;
    };
    // Grants before `from` register keys too (an SQLite instance migrated to
    // PostgreSQL): the chain, already verified, vouches for them.
    sql::Statement q(catalog.sql(),
                     "SELECT seq, credential, action, result, details, chain, signer, signature FROM audit_event ORDER BY seq",
                     sql::Rows::paged);
    while (q.executeStep()) {
        const int64_t seq = q.getColumn(0).getInt64();
        const std::string action = q.getColumn(2).getString();
        const bool ok = q.getColumn(3).getString() == "ok";
        const bool changes_keys = ok && (action == "access.grant" || action == "access.revoke" || action == "audit.prune");
        if (seq >= *from) {
            const sql::Value signer = q.getColumn(6).value();
            const sql::Value signature = q.getColumn(7).value();
            if (signer.kind != sql::Kind::text || signature.kind != sql::Kind::blob || signature.bytes.size() != 64)
                return finish(failure(Problem::unsigned_event, seq, "event at seq " + std::to_string(seq) + " is not signed"));
            const std::string fp(signer.bytes);
            const KeyHolder* holder = registry.find(fp);
            if (!holder)
                return finish(failure(Problem::bad_signature, seq,
                                      "event at seq " + std::to_string(seq) + " is signed by key " + fp +
                                          ", which is neither the instance's nor one a grant registered"));
            SignatureJob& job = jobs.emplace_back();
            job.seq = seq;
            job.verifier = holder->verifier;
            job.message = signature_message(instance_id, seq, chain_from_column(q.getColumn(5)));
            std::memcpy(job.signature.data(), signature.bytes.data(), job.signature.size());
            if (auto bad = rule_failure(*holder, seq, q.getColumn(1).isNull() ? "" : q.getColumn(1).getString(),
                                        action, changes_keys))
                return finish(std::move(bad));
            if (jobs.size() >= k_jobs_per_batch)
                if (auto bad = finish(std::nullopt)) return bad;
        }
        if (changes_keys && !q.getColumn(4).isNull()) {
            try {
                registry.apply(seq, action, nlohmann::json::parse(q.getColumn(4).getString()));
            } catch (const Error& e) {
                return finish(failure(Problem::bad_signature, seq, "event at seq " + std::to_string(seq) + ": " + e.what()));
            } catch (const nlohmann::json::exception&) {
                // Not JSON: registers nothing (the chain covers it as it is).
            }
        }
    }
    return finish(std::nullopt);
}

} // namespace cairn::audit
