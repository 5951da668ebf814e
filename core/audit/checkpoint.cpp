#include "core/audit/checkpoint.hpp"

#include "core/audit/anchor.hpp"
#include "core/audit/audit.hpp"
#include "core/util/error.hpp"
#include "core/util/hex.hpp"
#include "core/util/json_int.hpp"
#include "core/util/time.hpp"

namespace cairn::audit {

namespace {

template <size_t N>
std::array<std::byte, N> fixed_hex(const nlohmann::json& j, const char* field) {
    if (!j.contains(field) || !j[field].is_string())
        throw Error(ErrorKind::usage, std::string("checkpoint lacks '") + field + "'");
    const std::string& s = j[field].get_ref<const std::string&>();
    if (s.size() != 2 * N) throw Error(ErrorKind::usage, std::string("checkpoint field '") + field + "' has the wrong length");
    auto bytes = from_hex(s);
    std::array<std::byte, N> out{};
    std::copy(bytes.begin(), bytes.end(), out.begin());
    return out;
}

} // namespace

std::string catalog_instance_id(catalog::Catalog& catalog, catalog::Read read) {
    return catalog.write_once_info("instance_id", read).value_or("");
}

Checkpoint make_checkpoint(catalog::Catalog& catalog) {
    Checkpoint c;
    c.instance_id = catalog_instance_id(catalog);
    sql::Statement head(catalog.sql(), "SELECT seq, chain FROM audit_event ORDER BY seq DESC LIMIT 1");
    if (head.executeStep()) {
        c.count = head.getColumn(0).getInt64();
        c.head = chain_from_column(head.getColumn(1));
    } else if (auto anchor = latest_anchor(catalog)) {
        c.count = anchor->seq;
        c.head = anchor->chain;
    } else {
        throw Error(ErrorKind::not_found, "the audit log is empty");
    }
    c.time_ms = now_ms();
    Signer signer(audit_dir(catalog));
    c.public_key = signer.public_key();
    c.signature = signer.sign(checkpoint_message(c));
    return c;
}

std::vector<std::byte> checkpoint_message(const Checkpoint& c) {
    CanonicalWriter w(k_checkpoint_format);
    w.text(c.instance_id);
    w.integer(c.count);
    w.blob(c.head);
    w.integer(c.time_ms);
    w.blob(c.public_key);
    auto b = w.bytes();
    return {b.begin(), b.end()};
}

bool checkpoint_signature_ok(const Checkpoint& c) {
    return verify_signature(c.public_key, checkpoint_message(c), c.signature);
}

nlohmann::json to_json(const Checkpoint& c) {
    return {{"format", k_checkpoint_format},
            {"instance_id", c.instance_id},
            {"count", c.count},
            {"head", to_hex(c.head)},
            {"time_ms", c.time_ms},
            {"time", format_utc_ms(c.time_ms)},
            {"algorithm", "Ed25519"},
            {"public_key", to_hex(c.public_key)},
            {"key_fingerprint", fingerprint(c.public_key)},
            {"signature", to_hex(c.signature)}};
}

namespace {

int64_t checkpoint_int(const nlohmann::json& j, const char* key) {
    if (const auto v = json_int64(j.at(key))) return *v;
    throw Error(ErrorKind::usage, std::string("malformed checkpoint: ") + key + " must be a whole number");
}

} // namespace

Checkpoint checkpoint_from_json(const nlohmann::json& j) {
    if (!j.is_object() || j.value("format", "") != k_checkpoint_format)
        throw Error(ErrorKind::usage, "not a cairn audit checkpoint (format must be " + std::string(k_checkpoint_format) + ")");
    Checkpoint c;
    try {
        c.instance_id = j.at("instance_id").get<std::string>();
        c.count = checkpoint_int(j, "count");
        c.time_ms = checkpoint_int(j, "time_ms");
    } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorKind::usage, std::string("malformed checkpoint: ") + e.what());
    }
    c.head = fixed_hex<32>(j, "head");
    c.public_key = fixed_hex<32>(j, "public_key");
    c.signature = fixed_hex<64>(j, "signature");
    return c;
}

} // namespace cairn::audit
