#include "core/keys/wrapped.hpp"

#include "core/util/error.hpp"
#include "core/util/hex.hpp"

namespace cairn::keys::detail {

Wrapped parse_wrapped(std::string_view blob) {
    if (blob.size() <= k_wrap_prefix) throw Error(ErrorKind::integrity, "wrapped key is truncated");
    auto type = static_cast<uint8_t>(blob[0]);
    if (type < 1 || type > 4)
        throw Error(ErrorKind::integrity, "wrapped key has unknown type " + std::to_string(type));
    auto bytes = std::as_bytes(std::span(blob.data(), blob.size()));
    return Wrapped{static_cast<WrapType>(type), to_hex(bytes.subspan(1, k_key_id_bytes)),
                   std::string(blob.substr(0, k_wrap_prefix)), bytes.subspan(k_wrap_prefix)};
}

std::string wrap_prefix(WrapType type, const std::string& key_id) {
    auto id = from_hex(key_id);
    if (id.size() != k_key_id_bytes)
        throw Error(ErrorKind::internal, "key id must be 16 hex characters");
    std::string out(1, static_cast<char>(type));
    out.append(reinterpret_cast<const char*>(id.data()), id.size());
    return out;
}

std::string wrap_aad(std::string_view prefix) {
    return "cairn-wrap-v1" + std::string(prefix);
}

void require_key_id(const Wrapped& w, const std::string& key_id) {
    if (w.key_id != key_id)
        throw Error(ErrorKind::integrity,
                    "this key was wrapped by key " + w.key_id + ", but the key file holds key " +
                        key_id,
                    "use the key file of key " + w.key_id);
}

} // namespace cairn::keys::detail
