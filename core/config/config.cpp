#include "core/config/config.hpp"

#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/time.hpp"
#include "core/util/utf8.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>

namespace cairn::config {

namespace {

std::string where(const std::string& file, const YAML::Node& node) {
    return file + ":" + std::to_string(node.Mark().line + 1);
}

[[noreturn]] void fail(const std::string& file, const YAML::Node& node, const std::string& msg) {
    throw Error(ErrorKind::config, where(file, node) + ": " + msg, "fix the file and run the command again");
}

std::string as_string(const std::string& file, const YAML::Node& n, const std::string& key) {
    if (!n.IsScalar()) fail(file, n, "'" + key + "' must be a string");
    // Every value is a name, path, URL or number. yaml-cpp reads invalid
    // UTF-8 and control bytes, but save() could not write them back
    // readably (found by tests/fuzz/fuzz_config.cpp).
    const std::string& v = n.Scalar();
    if (!is_valid_utf8(v)) fail(file, n, "'" + key + "' is not valid UTF-8");
    for (unsigned char ch : v)
        if (ch < 0x20 || ch == 0x7f) fail(file, n, "'" + key + "' contains a control character");
    return v;
}

bool as_bool(const std::string& file, const YAML::Node& n, const std::string& key) {
    const std::string v = as_string(file, n, key);
    if (v == "true" || v == "yes") return true;
    if (v == "false" || v == "no") return false;
    fail(file, n, "'" + key + "' must be true or false");
}

int64_t as_duration(const std::string& file, const YAML::Node& n, const std::string& key) {
    try {
        return parse_duration_ms(as_string(file, n, key));
    } catch (const Error& e) {
        fail(file, n, "'" + key + "': " + e.what());
    }
}

using Setter = std::function<void(Config&, const YAML::Node&, const std::string& file)>;

// The one table of keys. Nested keys are written with dots.
const std::map<std::string, Setter>& key_table() {
    static const std::map<std::string, Setter> k_table = {
        {"version", [](Config& c, const YAML::Node& n, const std::string& f) {
             if (as_string(f, n, "version") != "1") fail(f, n, "unsupported config version");
             c.version = 1;
         }},
        {"instance_id", [](Config& c, const YAML::Node& n, const std::string& f) { c.instance_id = as_string(f, n, "instance_id"); }},
        {"name", [](Config& c, const YAML::Node& n, const std::string& f) { c.name = as_string(f, n, "name"); }},
        {"storage.url", [](Config& c, const YAML::Node& n, const std::string& f) { c.storage.url = as_string(f, n, "storage.url"); }},
        {"storage.endpoint", [](Config& c, const YAML::Node& n, const std::string& f) { c.storage.endpoint = as_string(f, n, "storage.endpoint"); }},
        {"storage.region", [](Config& c, const YAML::Node& n, const std::string& f) { c.storage.region = as_string(f, n, "storage.region"); }},
        {"storage.allow_http", [](Config& c, const YAML::Node& n, const std::string& f) { c.storage.allow_http = as_bool(f, n, "storage.allow_http"); }},
        {"storage.addressing", [](Config& c, const YAML::Node& n, const std::string& f) {
             c.storage.addressing = as_string(f, n, "storage.addressing");
             if (c.storage.addressing != "path" && c.storage.addressing != "virtual")
                 fail(f, n, "'storage.addressing' must be path or virtual");
         }},
        {"catalog.url", [](Config& c, const YAML::Node& n, const std::string& f) { c.catalog_url = as_string(f, n, "catalog.url"); }},
        {"catalog.allow_plain", [](Config& c, const YAML::Node& n, const std::string& f) { c.catalog_allow_plain = as_bool(f, n, "catalog.allow_plain"); }},
        {"key_file", [](Config& c, const YAML::Node& n, const std::string& f) { c.key_file = as_string(f, n, "key_file"); }},
        {"identity", [](Config& c, const YAML::Node& n, const std::string& f) { c.identity = as_string(f, n, "identity"); }},
        {"cache.max_size", [](Config& c, const YAML::Node& n, const std::string& f) {
             try { c.cache_max_bytes = parse_size(as_string(f, n, "cache.max_size")); }
             catch (const Error& e) { fail(f, n, e.what()); }
         }},
        {"purge.grace", [](Config& c, const YAML::Node& n, const std::string& f) { c.purge_grace_ms = as_duration(f, n, "purge.grace"); }},
        {"purge.deadline", [](Config& c, const YAML::Node& n, const std::string& f) {
             c.purge_deadline_ms = as_duration(f, n, "purge.deadline");
             if (c.purge_deadline_ms > k_max_deadline_ms || c.purge_deadline_ms <= 0)
                 fail(f, n, "'purge.deadline' must be between 1s and 30d (deletion is promised within 30 days)");
         }},
        {"purge.allow_unsafe_storage", [](Config& c, const YAML::Node& n, const std::string& f) { c.allow_unsafe_storage = as_bool(f, n, "purge.allow_unsafe_storage"); }},
    };
    return k_table;
}

// Every key config.yaml may hold, for the error that names an unknown one
// (there is no other place a user could look them up from the command line).
std::string known_keys() {
    std::string out;
    for (const auto& [key, setter] : key_table()) out += key + ", ";
    return out + "retention";
}

RetentionRule parse_rule(const YAML::Node& n, const std::string& file) {
    if (!n.IsMap()) fail(file, n, "each retention rule must be a mapping");
    RetentionRule rule;
    for (const auto& kv : n) {
        const std::string key = kv.first.Scalar();
        if (key == "match") rule.match = as_string(file, kv.second, key);
        else if (key == "max_age") rule.max_age_ms = as_duration(file, kv.second, key);
        else if (key == "keep_versions") {
            int v = 0;
            const std::string s = as_string(file, kv.second, key);
            auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
            if (ec != std::errc() || p != s.data() + s.size() || v < 1)
                fail(file, kv.second, "'keep_versions' must be a positive integer");
            rule.keep_versions = v;
        } else
            fail(file, kv.first, "unknown retention key '" + key + "' (expected match, max_age, keep_versions)");
    }
    if (rule.match.empty()) fail(file, n, "retention rule without 'match'");
    if (!rule.max_age_ms && !rule.keep_versions)
        fail(file, n, "retention rule needs 'max_age' or 'keep_versions'");
    return rule;
}

void walk(Config& c, const YAML::Node& node, const std::string& prefix, const std::string& file) {
    for (const auto& kv : node) {
        const std::string key = prefix + kv.first.Scalar();
        if (key == "retention") {
            if (!kv.second.IsSequence()) fail(file, kv.second, "'retention' must be a list of rules");
            for (const auto& rule : kv.second) c.retention.push_back(parse_rule(rule, file));
            continue;
        }
        if (kv.second.IsMap()) {
            walk(c, kv.second, key + ".", file);
            continue;
        }
        auto it = key_table().find(key);
        if (it == key_table().end()) fail(file, kv.first, "unknown key '" + key + "' (known keys: " + known_keys() + ")");
        it->second(c, kv.second, file);
    }
}

bool is_instance_id(const std::string& id) {
    return id.size() == 16 && std::all_of(id.begin(), id.end(), [](char ch) {
               return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'v');
           });
}

} // namespace

// The largest size accepted (cache.max_size): 1 PiB.
constexpr uint64_t k_max_size = 1ull << 50;

uint64_t parse_size(const std::string& text) {
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    const std::string unit(p, text.data() + text.size());
    static const std::map<std::string, uint64_t> k_units = {
        {"", 1}, {"B", 1}, {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30},
        {"TiB", 1ull << 40}, {"KB", 1000}, {"MB", 1000'000}, {"GB", 1000'000'000}};
    auto it = k_units.find(unit);
    const bool too_many_digits = ec == std::errc::result_out_of_range;
    if ((ec != std::errc() && !too_many_digits) || p == text.data() || it == k_units.end())
        throw Error(ErrorKind::usage, "invalid size '" + text + "'", "use e.g. 512MiB or 10GiB");
    // A product that wraps would turn a huge limit into a tiny one.
    uint64_t bytes = 0;
    if (too_many_digits || __builtin_mul_overflow(n, it->second, &bytes) || bytes > k_max_size)
        throw Error(ErrorKind::usage, "size '" + text + "' is out of range", "use at most 1024TiB");
    return bytes;
}

Config parse(const std::string& yaml_text, const std::string& file_name) {
    YAML::Node root;
    try {
        root = YAML::Load(yaml_text);
    } catch (const YAML::Exception& e) {
        throw Error(ErrorKind::config, file_name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg,
                    "fix the YAML syntax");
    }
    if (!root.IsMap()) throw Error(ErrorKind::config, file_name + ": not a YAML mapping", "fix the file");
    Config c;
    walk(c, root, "", file_name);
    if (c.instance_id.empty()) throw Error(ErrorKind::config, file_name + ": missing 'instance_id'");
    // The id names the default key file and the cache directory: anything
    // but what init writes ('../..', '/') would lead them out of their
    // directories.
    if (!is_instance_id(c.instance_id))
        throw Error(ErrorKind::config,
                    file_name + ": 'instance_id' must be the 16 characters (0-9, a-v) 'cairn init' wrote",
                    "restore the instance's config.yaml from a backup");
    if (c.storage.url.empty()) throw Error(ErrorKind::config, file_name + ": missing 'storage.url'");
    return c;
}

Config load(const std::filesystem::path& path) {
    std::string text;
    try {
        text = fs::read_file(path);
    } catch (const Error& e) {
        throw Error(ErrorKind::config, e.what(), "is this a cairn instance? run 'cairn init'");
    }
    return parse(text, path.string());
}

std::string to_yaml(const Config& c) {
    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Key << "version" << YAML::Value << c.version;
    out << YAML::Key << "instance_id" << YAML::Value << c.instance_id;
    out << YAML::Key << "name" << YAML::Value << c.name;
    out << YAML::Key << "storage" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "url" << YAML::Value << c.storage.url;
    if (!c.storage.endpoint.empty()) out << YAML::Key << "endpoint" << YAML::Value << c.storage.endpoint;
    if (!c.storage.region.empty()) out << YAML::Key << "region" << YAML::Value << c.storage.region;
    if (c.storage.allow_http) out << YAML::Key << "allow_http" << YAML::Value << true;
    if (!c.storage.addressing.empty()) out << YAML::Key << "addressing" << YAML::Value << c.storage.addressing;
    out << YAML::EndMap;
    if (!c.catalog_url.empty()) {
        out << YAML::Key << "catalog" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "url" << YAML::Value << c.catalog_url;
        if (c.catalog_allow_plain) out << YAML::Key << "allow_plain" << YAML::Value << true;
        out << YAML::EndMap;
    }
    if (!c.key_file.empty()) out << YAML::Key << "key_file" << YAML::Value << c.key_file;
    if (!c.identity.empty()) out << YAML::Key << "identity" << YAML::Value << c.identity;
    // In MiB when that is exact: a size of 1000000 bytes was once written as "0MiB".
    const uint64_t mib = c.cache_max_bytes >> 20;
    const std::string cache_size = (mib << 20) == c.cache_max_bytes ? std::to_string(mib) + "MiB"
                                                                    : std::to_string(c.cache_max_bytes);
    out << YAML::Key << "cache" << YAML::Value << YAML::BeginMap << YAML::Key << "max_size"
        << YAML::Value << cache_size << YAML::EndMap;
    out << YAML::Key << "purge" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "grace" << YAML::Value << (std::to_string(c.purge_grace_ms / 1000) + "s");
    out << YAML::Key << "deadline" << YAML::Value << (std::to_string(c.purge_deadline_ms / 1000) + "s");
    if (c.allow_unsafe_storage) out << YAML::Key << "allow_unsafe_storage" << YAML::Value << true;
    out << YAML::EndMap;
    out << YAML::EndMap;
    std::string text = out.c_str();
    text += "\n# Retention policies (purge run turns them into deletion requests), e.g.:\n"
            "# retention:\n#   - match: \"tmp/**\"\n#     max_age: 7d\n#   - match: \"models/**\"\n#     keep_versions: 5\n";
    if (!c.retention.empty()) {
        // Through the emitter, which quotes and escapes: a pattern with a '"'
        // or a '\' in it, pasted between quotes, made a file that no longer loaded.
        YAML::Emitter rules;
        rules << YAML::BeginMap << YAML::Key << "retention" << YAML::Value << YAML::BeginSeq;
        for (const auto& r : c.retention) {
            rules << YAML::BeginMap << YAML::Key << "match" << YAML::Value << YAML::DoubleQuoted << r.match;
            if (r.max_age_ms)
                rules << YAML::Key << "max_age" << YAML::Value << (std::to_string(*r.max_age_ms / 1000) + "s");
            if (r.keep_versions) rules << YAML::Key << "keep_versions" << YAML::Value << *r.keep_versions;
            rules << YAML::EndMap;
        }
        rules << YAML::EndSeq << YAML::EndMap;
        text += rules.c_str();
        text += "\n";
    }
    return text;
}

void save(const std::filesystem::path& path, const Config& c) {
    fs::write_file_atomic(path, to_yaml(c),
                          std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

} // namespace cairn::config
