#include "core/storage/s3/sigv4.hpp"

#include "core/crypto/sha256.hpp"
#include "core/util/error.hpp"
#include "core/util/hex.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

namespace cairn::storage::s3 {

namespace {

using Mac = std::array<unsigned char, 32>;

Mac hmac(std::string_view key, std::string_view data) {
    Mac out{};
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len) ||
        len != out.size())
        throw Error(ErrorKind::internal, "HMAC-SHA256 failed");
    return out;
}

std::string_view view(const Mac& mac) {
    return {reinterpret_cast<const char*>(mac.data()), mac.size()};
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Trims and collapses runs of spaces, as the canonical header form requires.
std::string trim_value(std::string_view v) {
    std::string out;
    bool space = false;
    for (char c : v) {
        if (c == ' ' || c == '\t') {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

// Lower-cased, sorted headers; repeated names are joined with ','.
Params canonical_headers(const Params& headers) {
    Params sorted;
    for (const auto& [name, value] : headers)
        sorted.emplace_back(lower(name), trim_value(value));
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    Params merged;
    for (auto& [name, value] : sorted) {
        if (!merged.empty() && merged.back().first == name)
            merged.back().second += "," + value;
        else
            merged.emplace_back(name, value);
    }
    return merged;
}

std::string signed_header_list(const Params& canonical) {
    std::string out;
    for (const auto& [name, value] : canonical)
        out += (out.empty() ? "" : ";") + name;
    return out;
}

std::string scope(const SigningInput& in) {
    return in.amz_date.substr(0, 8) + "/" + in.region + "/" + in.service + "/aws4_request";
}

} // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
            (keep_slash && c == '/')) {
            out += ch;
        } else {
            out += '%';
            out += k_hex[c >> 4];
            out += k_hex[c & 15];
        }
    }
    return out;
}

std::string canonical_query(const Params& query) {
    Params encoded;
    for (const auto& [name, value] : query)
        encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded)
        out += (out.empty() ? "" : "&") + name + "=" + value;
    return out;
}

std::string canonical_request(const SigningInput& in) {
    Params headers = canonical_headers(in.headers);
    std::string out = in.method + "\n" + in.canonical_uri + "\n" + canonical_query(in.query) + "\n";
    for (const auto& [name, value] : headers)
        out += name + ":" + value + "\n";
    out += "\n" + signed_header_list(headers) + "\n" + in.payload_hash;
    return out;
}

std::string string_to_sign(const SigningInput& in) {
    return "AWS4-HMAC-SHA256\n" + in.amz_date + "\n" + scope(in) + "\n" +
           crypto::sha256_hex(canonical_request(in));
}

std::string signature(const SigningInput& in, std::string_view secret_key) {
    std::string first_key = "AWS4" + std::string(secret_key);
    Mac key = hmac(first_key, in.amz_date.substr(0, 8));
    OPENSSL_cleanse(first_key.data(), first_key.size());
    key = hmac(view(key), in.region);
    key = hmac(view(key), in.service);
    key = hmac(view(key), "aws4_request");
    Mac sig = hmac(view(key), string_to_sign(in));
    return to_hex(std::as_bytes(std::span(sig)));
}

std::string authorization(const SigningInput& in, std::string_view access_key,
                          std::string_view secret_key) {
    return "AWS4-HMAC-SHA256 Credential=" + std::string(access_key) + "/" + scope(in) +
           ", SignedHeaders=" + signed_header_list(canonical_headers(in.headers)) +
           ", Signature=" + signature(in, secret_key);
}

std::string amz_date(long long unix_seconds) {
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

} // namespace cairn::storage::s3
