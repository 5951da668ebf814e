#pragma once
// Instance configuration (.cairn/config.yaml), validated against one table
// of keys (config.cpp): unknown keys are rejected, errors read
// "config.yaml:LINE: message".
#include "core/storage/backend.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cairn::config {

struct RetentionRule {
    std::string match;                // glob over artifact keys, "**" crosses '/'
    std::optional<int64_t> max_age_ms; // delete versions older than this
    std::optional<int> keep_versions;  // keep only the newest N versions of a key
    bool operator==(const RetentionRule&) const = default;
};

struct Config {
    int version = 1;
    std::string instance_id;
    std::string name;
    storage::Location storage;
    std::string catalog_url;          // "" = .cairn/catalog.db (SQLite); else postgresql://...
    bool catalog_allow_plain = false; // accept a weaker sslmode to a loopback server
    std::string key_file;       // empty: default path for the instance id
    std::string identity;       // configured actor name; empty: OS user
    uint64_t cache_max_bytes = 10ull << 30;
    int64_t purge_grace_ms = 0;                 // undo window before a request is due
    int64_t purge_deadline_ms = 30 * 86'400'000LL; // never longer than 30 days
    bool allow_unsafe_storage = false;          // accept storage that can't meet the deadline
    std::vector<RetentionRule> retention;
    bool operator==(const Config&) const = default;
};

// Parses and validates; throws cairn::Error(config) naming file and line.
Config parse(const std::string& yaml_text, const std::string& file_name);
Config load(const std::filesystem::path& path);
// What save() writes: parse(to_yaml(c)) == c for every c that parse returned.
std::string to_yaml(const Config& c);
void save(const std::filesystem::path& path, const Config& c);

// "10GiB", "512MiB", "1000000" -> bytes. Throws usage error.
uint64_t parse_size(const std::string& text);

constexpr int64_t k_max_deadline_ms = 30 * 86'400'000LL;

} // namespace cairn::config
