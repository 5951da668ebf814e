#include "core/audit/chain.hpp"

#include "core/audit/keys.hpp"
#include "core/catalog/catalog.hpp"
#include "core/util/error.hpp"

#include <bit>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace cairn::audit {

void CanonicalWriter::reset(std::string_view domain) {
    m_buf.clear();
    text(domain);
}

void CanonicalWriter::length(uint64_t n) {
    // Big-endian: verify writes some 20 million of these over a large log.
    if constexpr (std::endian::native == std::endian::little) n = __builtin_bswap64(n);
    char be[8];
    std::memcpy(be, &n, sizeof be);
    m_buf.append(be, sizeof be);
}

void CanonicalWriter::null() { m_buf.push_back('n'); }

void CanonicalWriter::integer(int64_t v) {
    m_buf.push_back('i');
    length(static_cast<uint64_t>(v));
}

void CanonicalWriter::text(std::string_view s) {
    m_buf.push_back('t');
    length(s.size());
    m_buf.append(s);
}

void CanonicalWriter::blob(std::span<const std::byte> b) {
    m_buf.push_back('b');
    length(b.size());
    m_buf.append(reinterpret_cast<const char*>(b.data()), b.size());
}

void CanonicalWriter::column(const sql::Column& c) {
    const sql::Value v = c.value();
    switch (v.kind) {
    case sql::Kind::integer: integer(v.integer); break;
    case sql::Kind::text: text(v.bytes); break;
    case sql::Kind::blob: blob(std::as_bytes(std::span(v.bytes.data(), v.bytes.size()))); break;
    case sql::Kind::null: null(); break;
    case sql::Kind::real: // never in audit_event; tagged so it cannot pass for anything else
        raw("r");
        text(v.bytes);
    }
}

ChainMac::ChainMac(const crypto::SecretKey& key) {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac) m_ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
    if (!m_ctx || EVP_MAC_init(m_ctx, key.data(), key.k_size, params) != 1) {
        EVP_MAC_CTX_free(m_ctx);
        throw Error(ErrorKind::internal, "OpenSSL: cannot set up HMAC-SHA-256");
    }
}

ChainMac::ChainMac(const ChainMac& other) : m_ctx(EVP_MAC_CTX_dup(other.m_ctx)) {
    if (!m_ctx) throw Error(ErrorKind::internal, "OpenSSL: cannot copy the HMAC-SHA-256 context");
}

ChainMac::~ChainMac() { EVP_MAC_CTX_free(m_ctx); }

ChainValue ChainMac::compute(std::span<const std::byte> canonical, const ChainValue& prev) {
    static constexpr unsigned char k_prev_tag[9] = {'b', 0, 0, 0, 0, 0, 0, 0, 32};
    ChainValue out{};
    size_t len = 0;
    // A NULL key re-initialises HMAC with the key set in the constructor.
    const bool ok = EVP_MAC_init(m_ctx, nullptr, 0, nullptr) == 1 &&
                    EVP_MAC_update(m_ctx, reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size()) == 1 &&
                    EVP_MAC_update(m_ctx, k_prev_tag, sizeof k_prev_tag) == 1 &&
                    EVP_MAC_update(m_ctx, reinterpret_cast<const unsigned char*>(prev.data()), prev.size()) == 1 &&
                    EVP_MAC_final(m_ctx, reinterpret_cast<unsigned char*>(out.data()), &len, out.size()) == 1;
    if (!ok || len != out.size()) throw Error(ErrorKind::internal, "OpenSSL: HMAC-SHA-256 failed");
    return out;
}

TextDigest ChainMac::text_digest(std::string_view domain, std::string_view text) {
    // The domains are short constants: the head fits on the stack (verify
    // computes two of these per event).
    char head[18 + 64];
    if (domain.size() > 64) throw Error(ErrorKind::internal, "audit digest domain too long");
    size_t n = 0;
    auto tagged = [&](uint64_t v) {
        head[n++] = 't';
        for (int i = 7; i >= 0; --i) head[n++] = static_cast<char>((v >> (8 * i)) & 0xff);
    };
    tagged(domain.size());
    std::memcpy(head + n, domain.data(), domain.size());
    n += domain.size();
    tagged(text.size());
    TextDigest out{};
    size_t len = 0;
    const bool ok = EVP_MAC_init(m_ctx, nullptr, 0, nullptr) == 1 &&
                    EVP_MAC_update(m_ctx, reinterpret_cast<const unsigned char*>(head), n) == 1 &&
                    EVP_MAC_update(m_ctx, reinterpret_cast<const unsigned char*>(text.data()), text.size()) == 1 &&
                    EVP_MAC_final(m_ctx, reinterpret_cast<unsigned char*>(out.data()), &len, out.size()) == 1;
    if (!ok || len != out.size()) throw Error(ErrorKind::internal, "OpenSSL: HMAC-SHA-256 failed");
    return out;
}

namespace {

std::mutex& mac_cache_mutex() {
    static std::mutex k_mutex;
    return k_mutex;
}

std::unique_ptr<ChainMac>& mac_slot(const std::filesystem::path& dir) {
    static std::map<std::string, std::unique_ptr<ChainMac>> k_cache;
    return k_cache[std::filesystem::absolute(dir).lexically_normal().string()];
}

} // namespace

ChainMac& chain_mac_for(const std::filesystem::path& dir) {
    std::lock_guard lock(mac_cache_mutex());
    auto& slot = mac_slot(dir);
    if (!slot) {
        crypto::SecretKey key = load_mac_key(dir);
        slot = std::make_unique<ChainMac>(key);
    }
    return *slot;
}

void install_mac_key(const std::filesystem::path& dir, const crypto::SecretKey& key) {
    std::lock_guard lock(mac_cache_mutex());
    mac_slot(dir) = std::make_unique<ChainMac>(key);
}

namespace {

// SHA-256 with the digest fetched once and the context reused: verify
// hashes two columns of every event.
class Digester {
public:
    Digester() : m_md(EVP_MD_fetch(nullptr, "SHA256", nullptr)), m_ctx(EVP_MD_CTX_new()) {
        if (!m_md || !m_ctx) {
            EVP_MD_free(m_md);
            EVP_MD_CTX_free(m_ctx);
            throw Error(ErrorKind::internal, "OpenSSL: cannot set up SHA-256");
        }
    }
    ~Digester() {
        EVP_MD_CTX_free(m_ctx);
        EVP_MD_free(m_md);
    }
    Digester(const Digester&) = delete;
    Digester& operator=(const Digester&) = delete;

    TextDigest digest(std::string_view prefix, std::string_view text) {
        TextDigest out{};
        unsigned int len = 0;
        const bool ok = EVP_DigestInit_ex2(m_ctx, m_md, nullptr) == 1 &&
                        EVP_DigestUpdate(m_ctx, prefix.data(), prefix.size()) == 1 &&
                        EVP_DigestUpdate(m_ctx, text.data(), text.size()) == 1 &&
                        EVP_DigestFinal_ex(m_ctx, reinterpret_cast<unsigned char*>(out.data()), &len) == 1;
        if (!ok || len != out.size()) throw Error(ErrorKind::internal, "OpenSSL: SHA-256 failed");
        return out;
    }

private:
    EVP_MD* m_md = nullptr;
    EVP_MD_CTX* m_ctx = nullptr;
};

// Column `text_col` of `row` as covered by the chain: its stored digest,
// if the text (when present) matches it, or the row is marked redacted
// (when absent). Anything else serialises as a bare 'x' tag, which no
// appended event ever contains, so the MAC fails at this seq. With
// `deferred`, a text whose match remains to be checked goes there.
void redactable_column(const sql::Statement& row, int text_col, int digest_col, std::string_view domain,
                       CanonicalWriter& out, const DigestMode& mode, std::vector<TextCheck>* deferred) {
    const sql::Column digest = row.getColumn(digest_col);
    const sql::Value text = row.getColumn(text_col).value();
    const sql::Value stored_value = digest.value();
    const auto stored = stored_value.kind == sql::Kind::blob
                            ? std::as_bytes(std::span(stored_value.bytes.data(), stored_value.bytes.size()))
                            : std::span<const std::byte>();
    const sql::Kind type = text.kind;
    bool consistent = false;
    if (type == sql::Kind::text && stored.size() == TextDigest{}.size()) {
        TextCheck check{domain, text.bytes, {}, mode.keyed(row.getColumn(0).getInt64())};
        std::copy(stored.begin(), stored.end(), check.stored.begin());
        if (deferred) {
            deferred->push_back(check);
            consistent = true;
        } else {
            if (check.keyed && !mode.mac) throw Error(ErrorKind::internal, "keyed digest check without the audit key");
            consistent = check.ok(*mode.mac);
        }
    } else if (type == sql::Kind::null) {
        consistent = !row.getColumn(k_redacted_at_column).isNull();
    }
    if (!consistent) {
        out.raw("x");
        return;
    }
    // append() always stores a 32-byte BLOB; any other stored type or length
    // serialises differently and fails the MAC, as for any other column.
    out.column(digest);
}

} // namespace

TextDigest text_digest(std::string_view domain, std::string_view text) {
    thread_local Digester digester;
    thread_local std::string head; // reused: no allocation per event in verify
    auto tagged = [](std::string& out, uint64_t n) {
        out.push_back('t');
        char be[8];
        for (int i = 7; i >= 0; --i, n >>= 8) be[i] = static_cast<char>(n & 0xff);
        out.append(be, sizeof be);
    };
    head.clear();
    tagged(head, domain.size());
    head.append(domain);
    tagged(head, text.size()); // the text's bytes follow in a second update
    return digester.digest(head, text);
}

bool TextCheck::ok(ChainMac& mac) const {
    const TextDigest d = keyed ? mac.text_digest(domain, text) : audit::text_digest(domain, text);
    return crypto::constant_time_equal(std::span<const std::byte>(d), std::span<const std::byte>(stored));
}

void canonical_from_row(const sql::Statement& row, CanonicalWriter& out, const DigestMode& mode,
                        std::vector<TextCheck>* deferred) {
    out.reset(k_event_domain);
    for (int i = 0; i < k_event_field_count; ++i) {
        if (i == k_command_line_column)
            redactable_column(row, i, k_command_line_digest_column, k_command_line_domain, out, mode, deferred);
        else if (i == k_details_column)
            redactable_column(row, i, k_details_digest_column, k_details_domain, out, mode, deferred);
        else
            out.column(row.getColumn(i));
    }
    if (mode.keyed(row.getColumn(0).getInt64())) out.column(row.getColumn(k_credential_column));
    if (!row.getColumn(k_seal_column).isNull()) out.column(row.getColumn(k_seal_column));
}

int64_t keyed_digests_from(catalog::Catalog& catalog, catalog::Read read) {
    const auto value = catalog.write_once_info(std::string(k_keyed_from_setting), read);
    if (!value) return std::numeric_limits<int64_t>::max();
    try {
        return std::stoll(*value);
    } catch (const std::exception&) {
        // Not a number: no seq is keyed, so verify fails at the first keyed event.
        return std::numeric_limits<int64_t>::max();
    }
}

ChainValue chain_from_column(const catalog::db::Column& c) {
    ChainValue v;
    const sql::Value value = c.value();
    if (value.kind != sql::Kind::blob || value.bytes.size() != v.size()) {
        v.fill(std::byte{0xff});
        return v;
    }
    std::memcpy(v.data(), value.bytes.data(), v.size());
    return v;
}

} // namespace cairn::audit
