#include "core/keys/keyring.hpp"

#include "core/crypto/aead.hpp"
#include "core/crypto/x25519.hpp"
#include "core/keys/key_file.hpp"
#include "core/keys/wrapped.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/random.hpp"

#include <cstdlib>

namespace cairn::keys {

namespace {

using detail::WrapType;
constexpr std::string_view k_x25519_info = "cairn-wrap-v1 x25519";

std::string seal_to_instance(const crypto::X25519Public& pub, const std::string& key_id,
                             const crypto::SecretKey& data_key) {
    std::string prefix = detail::wrap_prefix(WrapType::instance_x25519, key_id);
    return prefix + crypto::x25519_seal(pub, k_x25519_info,
                                        crypto::byte_view(detail::wrap_aad(prefix)),
                                        data_key.bytes());
}

class FullKeyRing final : public KeyRing {
public:
    explicit FullKeyRing(const crypto::SecretKey& key)
        : m_key(crypto::SecretKey::from_bytes(key.bytes())), m_key_id(detail::key_id_of(key)),
          m_x25519(detail::instance_x25519_private(key)) {}

    std::string key_id() const override { return m_key_id; }
    bool can_unwrap() const override { return true; }

    std::string wrap(const crypto::SecretKey& data_key) const override {
        std::string prefix = detail::wrap_prefix(WrapType::instance_gcm, m_key_id);
        std::array<std::byte, crypto::k_gcm_nonce_size> nonce{};
        random_bytes(nonce);
        std::string out = prefix;
        out.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());
        out += crypto::gcm_seal(m_key, nonce, crypto::byte_view(detail::wrap_aad(prefix)),
                                data_key.bytes());
        return out;
    }

    crypto::SecretKey unwrap(std::string_view wrapped) const override {
        detail::Wrapped w = detail::parse_wrapped(wrapped);
        detail::require_key_id(w, m_key_id);
        const std::string aad_text = detail::wrap_aad(w.prefix);
        auto aad = crypto::byte_view(aad_text);
        crypto::SecretKey key;
        bool ok = false;
        if (w.type == WrapType::instance_gcm && w.body.size() == crypto::k_gcm_nonce_size + 48) {
            ok = crypto::gcm_open(m_key, w.body.first<crypto::k_gcm_nonce_size>(), aad,
                                  w.body.subspan(crypto::k_gcm_nonce_size), key.mutable_bytes());
        } else if (w.type == WrapType::instance_x25519 &&
                   w.body.size() == crypto::k_x25519_key_size + 48) {
            ok = crypto::x25519_open(m_x25519, k_x25519_info, aad, w.body, key.mutable_bytes());
        } else if (w.type == WrapType::member_rsa || w.type == WrapType::member_x25519) {
            throw Error(ErrorKind::integrity, "this is a member grant, not a wrapped data key");
        }
        if (!ok)
            throw Error(ErrorKind::integrity,
                        "wrapped data key failed authentication (corrupted or tampered)");
        return key;
    }

private:
    crypto::SecretKey m_key;
    std::string m_key_id;
    crypto::SecretKey m_x25519;
};

class WriteOnlyKeyRing final : public KeyRing {
public:
    WriteOnlyKeyRing(std::string key_id, const crypto::X25519Public& pub)
        : m_key_id(std::move(key_id)), m_public(pub) {}

    std::string key_id() const override { return m_key_id; }
    bool can_unwrap() const override { return false; }
    std::string wrap(const crypto::SecretKey& data_key) const override {
        return seal_to_instance(m_public, m_key_id, data_key);
    }
    crypto::SecretKey unwrap(std::string_view) const override {
        throw Error(ErrorKind::permission,
                    "this key file can only save (write-only); loading needs the instance key",
                    "use the full key file (or a member key granted access)");
    }

private:
    std::string m_key_id;
    crypto::X25519Public m_public;
};

} // namespace

std::unique_ptr<KeyRing> create_key_file(const std::filesystem::path& path,
                                         std::optional<std::string_view> passphrase) {
    crypto::SecretKey key = crypto::SecretKey::random();
    write_key_file(path, key, passphrase);
    return keyring_from_instance_key(key);
}

std::unique_ptr<KeyRing> open_key_file(const std::filesystem::path& path) {
    detail::KeyFile f = detail::load(path);
    if (f.kind == detail::KeyFileKind::write_only)
        return std::make_unique<WriteOnlyKeyRing>(f.key_id, f.x25519_public);
    return keyring_from_instance_key(detail::instance_key(f, path));
}

std::filesystem::path default_key_path(const std::string& instance_id) {
    std::filesystem::path base;
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
        base = xdg;
    else if (const char* home = std::getenv("HOME"); home && *home)
        base = std::filesystem::path(home) / ".config";
    else
        throw Error(ErrorKind::config,
                    "cannot find the key file location: neither XDG_CONFIG_HOME nor HOME is set",
                    "set CAIRN_KEY_FILE");
    return base / "cairn" / "keys" / (instance_id + ".key");
}

std::string key_id_of(const crypto::SecretKey& instance_key) {
    return detail::key_id_of(instance_key);
}

std::unique_ptr<KeyRing> keyring_from_instance_key(const crypto::SecretKey& instance_key) {
    return std::make_unique<FullKeyRing>(instance_key);
}

crypto::SecretKey read_instance_key(const std::filesystem::path& path) {
    return detail::instance_key(detail::load(path), path);
}

void write_key_file(const std::filesystem::path& path, const crypto::SecretKey& instance_key,
                    std::optional<std::string_view> passphrase) {
    detail::store(path, detail::make_full(instance_key, passphrase));
}

void export_write_only_key_file(const std::filesystem::path& full_key_file,
                                const std::filesystem::path& out) {
    detail::store(out, detail::make_write_only(read_instance_key(full_key_file)));
}

KeyFileInfo inspect_key_file(const std::filesystem::path& path) {
    detail::KeyFile f = detail::load(path);
    if (f.kind == detail::KeyFileKind::write_only) return {f.key_id, "write-only", false};
    return {f.key_id, f.plain_key ? "full" : "passphrase-protected", true};
}

OpenedKeyFile open_full_key_file(const std::filesystem::path& path) {
    detail::KeyFile f = detail::load(path);
    if (f.kind == detail::KeyFileKind::write_only || f.plain_key)
        return {detail::instance_key(f, path), std::nullopt};
    SecretString passphrase = passphrase_for(path);
    crypto::SecretKey key = detail::unseal(f, passphrase.view(), path);
    return {std::move(key), std::move(passphrase)};
}

void write_replacement_key_file(const std::filesystem::path& path,
                                const crypto::SecretKey& instance_key, const OpenedKeyFile& like) {
    std::optional<std::string_view> pass;
    if (like.passphrase) pass = like.passphrase->view();
    detail::store(path, detail::make_full(instance_key, pass));
    fs::sync_dir(path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path());
}

void write_write_only_key_file(const std::filesystem::path& out,
                               const crypto::SecretKey& instance_key) {
    detail::store(out, detail::make_write_only(instance_key));
}

std::string rewrap(std::string_view wrapped, const KeyRing& from, const KeyRing& to) {
    return to.wrap(from.unwrap(wrapped));
}

std::string wrapped_key_id(std::string_view wrapped) {
    return detail::parse_wrapped(wrapped).key_id;
}

std::string wrapped_key_needle(std::string_view wrapped) {
    if (wrapped.size() < detail::k_wrap_prefix + k_needle_bytes) return "";
    const auto type = static_cast<detail::WrapType>(wrapped[0]);
    if (type != detail::WrapType::instance_gcm && type != detail::WrapType::instance_x25519) return "";
    return std::string(wrapped.substr(detail::k_wrap_prefix, k_needle_bytes));
}

} // namespace cairn::keys
