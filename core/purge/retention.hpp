#pragma once
// Retention policies from config (retention: [{match, max_age, keep_versions}])
// turned into the artifacts they would delete.
#include "core/catalog/catalog.hpp"
#include "core/config/config.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::purge {

// Glob over artifact keys: "**" matches any run of characters including
// '/', so "tmp/**" matches everything under tmp/ and "a/**/b" also matches
// "a/b"; "*" matches a run without '/'; "?" one character other than '/';
// everything else matches itself.
bool glob_match(std::string_view pattern, std::string_view key);

struct RetentionCandidate {
    int64_t artifact_id = 0;
    std::string uid;
    std::string key;
    int version = 0;
    int64_t created_at = 0;
    std::string why; // "older than 7d", "beyond the newest 3 versions"
};

struct RetentionHit {
    std::string policy; // the rule's match pattern, recorded on the request
    std::vector<RetentionCandidate> artifacts;
};

// Active artifacts each rule would delete at `now`. A rule deletes a version
// when it is older than max_age OR beyond the newest keep_versions active
// versions of its key (each field is a condition for deletion; a rule with
// both applies both). An artifact matched by several rules is listed once,
// under the first. Rules that select nothing are omitted.
std::vector<RetentionHit> plan_retention(catalog::Catalog& catalog, const std::vector<config::RetentionRule>& rules,
                                         int64_t now);

} // namespace cairn::purge
