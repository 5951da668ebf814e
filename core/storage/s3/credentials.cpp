#include "core/storage/s3/credentials.hpp"

#include "core/util/error.hpp"
#include "core/util/fs.hpp"

#include <openssl/crypto.h>

#include <cstdlib>

namespace cairn::storage::s3 {

namespace {

std::string trim(std::string_view s) {
    size_t b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) return {};
    size_t e = s.find_last_not_of(" \t\r");
    return std::string(s.substr(b, e - b + 1));
}

std::string env_or(const Getenv& env, const std::string& name, std::string fallback = {}) {
    auto v = env(name);
    return v && !v->empty() ? *v : fallback;
}

// A missing or unreadable file contributes nothing: the chain moves on.
IniFile read_ini(const std::string& path) {
    if (path.empty()) return {};
    try {
        return parse_ini(fs::read_file(path));
    } catch (const Error&) {
        return {};
    }
}

const std::map<std::string, std::string>* section(const IniFile& ini, const std::string& name) {
    auto it = ini.find(name);
    return it == ini.end() ? nullptr : &it->second;
}

std::string value_of(const std::map<std::string, std::string>* sec, const std::string& key) {
    if (!sec) return {};
    auto it = sec->find(key);
    return it == sec->end() ? std::string{} : it->second;
}

bool take_keys(const std::map<std::string, std::string>* sec, Credentials& out) {
    if (!sec || value_of(sec, "aws_access_key_id").empty() ||
        value_of(sec, "aws_secret_access_key").empty())
        return false;
    out.access_key = value_of(sec, "aws_access_key_id");
    out.secret_key = value_of(sec, "aws_secret_access_key");
    out.session_token = value_of(sec, "aws_session_token");
    return true;
}

} // namespace

Credentials::~Credentials() {
    OPENSSL_cleanse(secret_key.data(), secret_key.size());
    OPENSSL_cleanse(session_token.data(), session_token.size());
}

Getenv process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (!v) return std::nullopt;
        return std::string(v);
    };
}

IniFile parse_ini(std::string_view text) {
    IniFile ini;
    std::string current, parent;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view raw = text.substr(pos, end - pos);
        pos = end + 1;
        std::string line = trim(raw);
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        if (line.front() == '[' && line.back() == ']') {
            current = trim(std::string_view(line).substr(1, line.size() - 2));
            ini[current];
            parent.clear();
            continue;
        }
        size_t eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string key = trim(std::string_view(line).substr(0, eq));
        std::string value = trim(std::string_view(line).substr(eq + 1));
        bool indented = !raw.empty() && (raw[0] == ' ' || raw[0] == '\t');
        if (indented && !parent.empty()) {
            ini[current][parent + "." + key] = value;
            continue;
        }
        parent = value.empty() ? key : std::string{};
        ini[current][key] = value;
    }
    return ini;
}

AwsSettings resolve_aws_settings(const Getenv& env) {
    std::string home = env_or(env, "HOME");
    std::string cred_path =
        env_or(env, "AWS_SHARED_CREDENTIALS_FILE", home.empty() ? "" : home + "/.aws/credentials");
    std::string conf_path =
        env_or(env, "AWS_CONFIG_FILE", home.empty() ? "" : home + "/.aws/config");
    auto named_profile = env(std::string("AWS_PROFILE"));
    std::string profile = named_profile && !named_profile->empty() ? *named_profile : "default";

    IniFile cred_file = read_ini(cred_path), conf_file = read_ini(conf_path);
    const auto* cred_sec = section(cred_file, profile);
    const auto* conf_sec =
        section(conf_file, profile == "default" ? "default" : "profile " + profile);
    if (!conf_sec && profile == "default") conf_sec = section(conf_file, "profile default");
    if (named_profile && !named_profile->empty() && !cred_sec && !conf_sec)
        throw Error(ErrorKind::config, "AWS profile '" + profile + "' not found",
                    "define it in " + cred_path + " or " + conf_path + ", or unset AWS_PROFILE");

    AwsSettings out;
    if (!env_or(env, "AWS_ACCESS_KEY_ID").empty() &&
        !env_or(env, "AWS_SECRET_ACCESS_KEY").empty()) {
        out.credentials.access_key = env_or(env, "AWS_ACCESS_KEY_ID");
        out.credentials.secret_key = env_or(env, "AWS_SECRET_ACCESS_KEY");
        out.credentials.session_token = env_or(env, "AWS_SESSION_TOKEN");
        out.source = "environment";
    } else if (take_keys(cred_sec, out.credentials)) {
        out.source = "profile " + profile + " in " + cred_path;
    } else if (take_keys(conf_sec, out.credentials)) {
        out.source = "profile " + profile + " in " + conf_path;
    }

    out.region =
        env_or(env, "AWS_REGION", env_or(env, "AWS_DEFAULT_REGION", value_of(conf_sec, "region")));
    out.endpoint = env_or(env, "AWS_ENDPOINT_URL_S3",
                          env_or(env, "AWS_ENDPOINT_URL", value_of(conf_sec, "endpoint_url")));
    out.addressing_style = value_of(conf_sec, "s3.addressing_style");
    return out;
}

} // namespace cairn::storage::s3
