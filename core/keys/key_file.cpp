#include "core/keys/key_file.hpp"

#include "core/crypto/aead.hpp"
#include "core/crypto/sha256.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/hex.hpp"
#include "core/util/random.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <map>

namespace cairn::keys::detail {

namespace {

namespace stdfs = std::filesystem;

constexpr std::string_view k_version_line = "cairn-key-file: 1";
constexpr std::string_view k_seal_aad = "cairn-key-file-v1 scrypt ";
constexpr auto k_private_mode = stdfs::perms::owner_read | stdfs::perms::owner_write;

// Wipes a string's or vector's bytes when the scope ends, on every path
// (exceptions included). The container must not grow meanwhile: a
// reallocation would leave the old buffer unwiped.
template <class Container> class WipeOnExit {
public:
    explicit WipeOnExit(Container& c) : m_c(c) {}
    ~WipeOnExit() { OPENSSL_cleanse(m_c.data(), m_c.size()); }
    WipeOnExit(const WipeOnExit&) = delete;
    WipeOnExit& operator=(const WipeOnExit&) = delete;

private:
    Container& m_c;
};

// A key file's "name: value" fields. Values may be the instance key in hex:
// they are wiped when parsing ends, however it ends.
struct Fields {
    std::map<std::string, std::string> values;
    Fields() = default;
    Fields(const Fields&) = delete;
    Fields& operator=(const Fields&) = delete;
    ~Fields() {
        for (auto& [name, value] : values) OPENSSL_cleanse(value.data(), value.size());
    }
};

Error malformed(const stdfs::path& where, const std::string& why) {
    return Error(ErrorKind::integrity, "key file " + where.string() + " is malformed: " + why);
}

std::string seal_aad(const std::string& key_id) {
    return std::string(k_seal_aad) + key_id;
}

std::vector<std::byte> hex_field(const std::map<std::string, std::string>& f,
                                 const std::string& name, size_t size, const stdfs::path& where) {
    auto it = f.find(name);
    if (it == f.end()) throw malformed(where, "missing '" + name + "'");
    std::vector<std::byte> out;
    try {
        out = from_hex(it->second);
    } catch (const Error&) {
        throw malformed(where, "'" + name + "' is not hex");
    }
    if (size && out.size() != size) {
        OPENSSL_cleanse(out.data(), out.size());
        throw malformed(where, "'" + name + "' has the wrong length");
    }
    return out;
}

uint32_t int_field(const std::map<std::string, std::string>& f, const std::string& name,
                   const stdfs::path& where) {
    auto it = f.find(name);
    uint32_t v = 0;
    if (it == f.end()) throw malformed(where, "missing '" + name + "'");
    auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    if (ec != std::errc() || end != it->second.data() + it->second.size())
        throw malformed(where, "'" + name + "' is not a number");
    return v;
}

void check_key_id(const crypto::SecretKey& key, const std::string& key_id,
                  const stdfs::path& where) {
    if (key_id_of(key) != key_id)
        throw Error(ErrorKind::integrity, "key file " + where.string() +
                                              " is corrupted: the key does not match its key id");
}

} // namespace

std::string key_id_of(const crypto::SecretKey& instance_key) {
    crypto::Sha256 h;
    h.update(std::string_view("cairn-key-id-v1\0", 16));
    h.update(instance_key.bytes());
    return h.finish_hex().substr(0, 16);
}

crypto::SecretKey instance_x25519_private(const crypto::SecretKey& instance_key) {
    return crypto::hkdf_sha256(instance_key.bytes(), {}, "cairn-instance-x25519-v1");
}

KeyFile make_full(const crypto::SecretKey& key, const std::optional<std::string_view>& passphrase) {
    KeyFile f;
    f.key_id = key_id_of(key);
    if (!passphrase) {
        f.plain_key = crypto::SecretKey::from_bytes(key.bytes());
        return f;
    }
    if (passphrase->empty()) throw Error(ErrorKind::usage, "the passphrase must not be empty");
    ScryptParams params;
    random_bytes(params.salt);
    crypto::SecretKey kek = scrypt_key(*passphrase, params);
    std::array<std::byte, crypto::k_gcm_nonce_size> nonce{};
    random_bytes(nonce);
    f.sealed_key.assign(reinterpret_cast<const char*>(nonce.data()), nonce.size());
    f.sealed_key +=
        crypto::gcm_seal(kek, nonce, crypto::byte_view(seal_aad(f.key_id)), key.bytes());
    f.scrypt = params;
    return f;
}

KeyFile make_write_only(const crypto::SecretKey& key) {
    KeyFile f;
    f.kind = KeyFileKind::write_only;
    f.key_id = key_id_of(key);
    f.x25519_public = crypto::x25519_public_of(instance_x25519_private(key));
    return f;
}

std::string encode(const KeyFile& f) {
    // Room for every field up front: a reallocation would leave a copy of
    // the key in the freed buffer.
    std::string out;
    out.reserve(1024);
    out += "# cairn key file: keep it secret (chmod 600). Format: docs/FORMAT.md\n";
    out += std::string(k_version_line) + "\n";
    out += f.kind == KeyFileKind::full ? "kind: full\n" : "kind: write-only\n";
    out += "key-id: " + f.key_id + "\n";
    if (f.kind == KeyFileKind::write_only) {
        out += "x25519-public: " + to_hex(f.x25519_public) + "\n";
    } else if (f.plain_key) {
        out += "protection: none\n";
        std::string hex = to_hex(f.plain_key->bytes());
        const WipeOnExit wipe_hex(hex);
        out += "instance-key: ";
        out += hex;
        out += "\n";
    } else {
        out += "protection: scrypt\n";
        out += "scrypt-log2-n: " + std::to_string(f.scrypt->log_n) + "\n";
        out += "scrypt-r: " + std::to_string(f.scrypt->r) + "\n";
        out += "scrypt-p: " + std::to_string(f.scrypt->p) + "\n";
        out += "scrypt-salt: " + to_hex(f.scrypt->salt) + "\n";
        out += "sealed-instance-key: " + to_hex(f.sealed_key) + "\n";
    }
    return out;
}

KeyFile parse(std::string_view text, const stdfs::path& where) {
    Fields parsed;
    std::map<std::string, std::string>& fields = parsed.values;
    bool seen_version = false;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (line.empty() || line.starts_with('#')) continue;
        if (!seen_version) {
            if (!line.starts_with("cairn-key-file:"))
                throw Error(ErrorKind::integrity, where.string() + " is not a cairn key file");
            if (line != k_version_line)
                throw Error(ErrorKind::integrity,
                            "key file " + where.string() + " has an unsupported format (" +
                                std::string(line) + "); this cairn reads version 1");
            seen_version = true;
            continue;
        }
        size_t colon = line.find(": ");
        if (colon == std::string_view::npos) throw malformed(where, "line without 'name: value'");
        std::string name(line.substr(0, colon));
        // Checked first: a node emplace() builds and then discards would
        // take its value (perhaps a key) unwiped.
        if (fields.contains(name)) throw malformed(where, "'" + name + "' appears twice");
        fields.emplace(name, std::string(line.substr(colon + 2)));
    }
    if (!seen_version)
        throw Error(ErrorKind::integrity, where.string() + " is not a cairn key file");

    KeyFile f;
    auto value = [&fields](const std::string& name) {
        auto it = fields.find(name);
        return it == fields.end() ? std::string() : it->second;
    };
    const std::string kind = value("kind"), protection = value("protection");
    f.key_id = to_hex(hex_field(fields, "key-id", 8, where));
    std::vector<std::string> allowed = {"kind", "key-id"};
    if (kind == "write-only") {
        f.kind = KeyFileKind::write_only;
        auto pub = hex_field(fields, "x25519-public", crypto::k_x25519_key_size, where);
        std::copy(pub.begin(), pub.end(), f.x25519_public.begin());
        allowed.push_back("x25519-public");
    } else if (kind == "full" && protection == "none") {
        auto key = hex_field(fields, "instance-key", crypto::SecretKey::k_size, where);
        const WipeOnExit wipe_key(key);
        f.plain_key = crypto::SecretKey::from_bytes(key);
        check_key_id(*f.plain_key, f.key_id, where);
        allowed.insert(allowed.end(), {"protection", "instance-key"});
    } else if (kind == "full" && protection == "scrypt") {
        ScryptParams p;
        p.log_n = int_field(fields, "scrypt-log2-n", where);
        p.r = int_field(fields, "scrypt-r", where);
        p.p = int_field(fields, "scrypt-p", where);
        auto salt = hex_field(fields, "scrypt-salt", p.salt.size(), where);
        std::copy(salt.begin(), salt.end(), p.salt.begin());
        check_scrypt_params(p, where);
        f.scrypt = p;
        auto sealed = hex_field(
            fields, "sealed-instance-key",
            crypto::k_gcm_nonce_size + crypto::SecretKey::k_size + crypto::k_gcm_tag_size, where);
        f.sealed_key.assign(reinterpret_cast<const char*>(sealed.data()), sealed.size());
        allowed.insert(allowed.end(), {"protection", "scrypt-log2-n", "scrypt-r", "scrypt-p",
                                       "scrypt-salt", "sealed-instance-key"});
    } else {
        throw malformed(where, "unknown kind or protection");
    }
    for (const auto& field : fields)
        if (std::find(allowed.begin(), allowed.end(), field.first) == allowed.end())
            throw malformed(where, "unexpected field '" + field.first + "'");
    return f;
}

crypto::SecretKey unseal(const KeyFile& f, std::string_view passphrase, const stdfs::path& where) {
    crypto::SecretKey kek = scrypt_key(passphrase, *f.scrypt);
    auto sealed = crypto::byte_view(f.sealed_key);
    std::array<std::byte, crypto::k_gcm_nonce_size> nonce{};
    std::copy_n(sealed.begin(), nonce.size(), nonce.begin());
    crypto::SecretKey key;
    if (!crypto::gcm_open(kek, nonce, crypto::byte_view(seal_aad(f.key_id)),
                          sealed.subspan(nonce.size()), key.mutable_bytes()))
        throw Error(ErrorKind::permission, "wrong passphrase for key file " + where.string());
    check_key_id(key, f.key_id, where);
    return key;
}

crypto::SecretKey instance_key(const KeyFile& f, const stdfs::path& where) {
    if (f.kind == KeyFileKind::write_only)
        throw Error(ErrorKind::permission,
                    "this key file can only save (write-only); loading needs the instance key",
                    "use the full key file, not " + where.string());
    if (f.plain_key) return crypto::SecretKey::from_bytes(f.plain_key->bytes());
    SecretString passphrase = passphrase_for(where);
    return unseal(f, passphrase.view(), where);
}

KeyFile load(const stdfs::path& path) {
    fs::require_private_file(path, "key file");
    std::string text = fs::read_file(path);
    const WipeOnExit wipe_text(text);
    return parse(text, path);
}

void store(const stdfs::path& path, const KeyFile& f) {
    std::string text = encode(f);
    const WipeOnExit wipe_text(text);
    fs::Fd fd;
    try {
        fd = fs::create_exclusive(path, k_private_mode);
    } catch (const Error& e) {
        if (stdfs::exists(path))
            throw Error(ErrorKind::conflict,
                        "key file " + path.string() + " already exists; not overwriting it");
        const stdfs::path dir = path.parent_path();
        if (!dir.empty() && !stdfs::is_directory(dir))
            throw Error(ErrorKind::not_found,
                        "cannot write key file " + path.string() + ": directory " + dir.string() +
                            " does not exist",
                        "create it first (mkdir -m 700 " + dir.string() + ") or choose another path");
        throw;
    }
    fs::write_all(fd.get(), crypto::byte_view(text), path);
    fs::fsync_fd(fd.get(), path);
}

} // namespace cairn::keys::detail
