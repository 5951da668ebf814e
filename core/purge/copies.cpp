#include "core/purge/copies.hpp"

#include "core/audit/audit.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace cairn::purge {

namespace stdfs = std::filesystem;

namespace {

bool is_hex(const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// Removes one copy; returns "removed" or "absent", or throws with why.
std::string destroy(const catalog::LocalCopy& copy) {
    struct stat st {};
    if (::lstat(copy.path.c_str(), &st) != 0) {
        if (errno == ENOENT) return "absent";
        throw std::runtime_error(std::string("cannot inspect: ") + std::strerror(errno));
    }
    if (st.st_uid != ::geteuid())
        throw std::runtime_error("owned by uid " + std::to_string(st.st_uid) + ", not by this account");
    std::error_code ec;
    stdfs::remove_all(copy.path, ec);
    if (ec) throw std::runtime_error(ec.message());
    if (::lstat(copy.path.c_str(), &st) == 0) throw std::runtime_error("still present after removal");
    return "removed";
}

} // namespace

std::string refuse_reason(const catalog::LocalCopy& copy) {
    const stdfs::path p(copy.path);
    if (!p.is_absolute() || p.lexically_normal() != p || copy.path.find("/../") != std::string::npos)
        return "not an absolute, normal path";
    if (copy.kind == "working_copy") {
        if (p.filename() != copy.artifact_uid || p.parent_path().filename() != "work")
            return "not a working copy directory (…/work/<artifact uid>)";
        return "";
    }
    if (copy.kind == "cache_entry") {
        const stdfs::path shard = p.parent_path();
        if (!is_hex(p.filename().string()) || shard.filename().string().size() != 2 ||
            shard.parent_path().filename() != "objects")
            return "not a cache entry (…/objects/xx/<hex>)";
        return "";
    }
    return "not a copy in cairn's custody";
}

SweepResult destroy_own_copies(catalog::Catalog& catalog, const Actor& actor, int64_t now) {
    SweepResult result;
    const auto doomed = catalog::doomed_copies(catalog, actor.host, actor.os_uid);
    if (doomed.empty()) return result;
    struct Done {
        int64_t id;
        std::string uid, kind, how;
    };
    std::vector<Done> done;
    for (const auto& copy : doomed) {
        if (const std::string why = refuse_reason(copy); !why.empty()) {
            result.failures.push_back(copy.path + ": " + why + "; not removed");
            continue;
        }
        try {
            done.push_back({copy.id, copy.artifact_uid, copy.kind, destroy(copy)});
        } catch (const std::exception& e) {
            result.failures.push_back(copy.path + ": " + e.what());
        }
    }
    if (done.empty()) return result;
    catalog.write_transaction([&] {
        std::vector<std::string> uids;
        nlohmann::json copies = nlohmann::json::array();
        for (const auto& d : done) {
            catalog::mark_destroyed(catalog, d.id, actor.identity, d.how, now);
            uids.push_back(d.uid);
            copies.push_back({{"artifact", d.uid}, {"kind", d.kind}, {"how", d.how}});
        }
        audit::append(catalog, actor, {"purge.copies", uids, "ok", std::nullopt, {{"destroyed", copies}}});
    });
    result.destroyed = static_cast<int>(done.size());
    return result;
}

} // namespace cairn::purge
