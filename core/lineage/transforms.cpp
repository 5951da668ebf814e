#include "core/lineage/transforms.hpp"

#include "core/crypto/sha256.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/random.hpp"
#include "core/util/time.hpp"

#include <algorithm>
#include <array>

namespace cairn::lineage {

namespace stdfs = std::filesystem;

namespace {

std::string hash_file(const stdfs::path& path) {
    crypto::Sha256 hasher;
    fs::Fd fd = fs::open_read(path);
    std::vector<std::byte> buf(1 << 16);
    while (size_t n = fs::read_some(fd.get(), buf, path)) hasher.update(std::span(buf.data(), n));
    return hasher.finish_hex();
}

bool is_regular_file(const std::string& path) {
    std::error_code ec;
    return !path.empty() && stdfs::is_regular_file(path, ec);
}

void check_kind(const std::string& kind) {
    if (std::find(k_transform_kinds.begin(), k_transform_kinds.end(), kind) == k_transform_kinds.end())
        throw Error(ErrorKind::usage, "unknown transform kind '" + kind + "'",
                    "use one of: script, notebook, pipeline, command");
}

std::string key_for_file(const stdfs::path& file, const stdfs::path& project_dir) {
    const stdfs::path abs = stdfs::weakly_canonical(stdfs::absolute(file));
    if (!project_dir.empty()) {
        const stdfs::path base = stdfs::weakly_canonical(stdfs::absolute(project_dir));
        const stdfs::path rel = abs.lexically_relative(base);
        if (!rel.empty() && *rel.begin() != "..") return rel.generic_string();
    }
    return abs.generic_string();
}

TransformRow read_row(sql::Statement& q) {
    TransformRow t;
    t.id = q.getColumn(0).getInt64();
    t.uid = q.getColumn(1).getString();
    t.key = q.getColumn(2).getString();
    t.kind = q.getColumn(3).getString();
    if (!q.getColumn(4).isNull()) t.source_hash = q.getColumn(4).getString();
    t.source_path = q.getColumn(5).isNull() ? "" : q.getColumn(5).getString();
    t.created_at = q.getColumn(6).getInt64();
    return t;
}

constexpr const char* k_columns = "SELECT id, uid, key, kind, source_hash, source_path, created_at FROM transform ";

} // namespace

TransformSpec describe_transform(const std::string& path_or_name, const std::string& kind,
                                 const stdfs::path& project_dir) {
    if (path_or_name.empty())
        throw Error(ErrorKind::usage, "empty transform name", "pass a script path or a name with --transform");
    if (path_or_name.find('\0') != std::string::npos || path_or_name.size() > 4096)
        throw Error(ErrorKind::usage, "invalid transform name");
    if (!kind.empty()) check_kind(kind);
    TransformSpec spec;
    if (is_regular_file(path_or_name)) {
        spec.key = key_for_file(path_or_name, project_dir);
        spec.source_hash = hash_file(path_or_name);
        spec.source_path = stdfs::weakly_canonical(stdfs::absolute(path_or_name)).string();
        spec.kind = !kind.empty() ? kind : stdfs::path(path_or_name).extension() == ".ipynb" ? "notebook" : "script";
    } else {
        spec.key = path_or_name;
        spec.kind = kind.empty() ? "command" : kind;
    }
    return spec;
}

TransformSpec describe_command(const std::vector<std::string>& argv, const stdfs::path& project_dir) {
    if (argv.empty()) throw Error(ErrorKind::usage, "no command given", "write the command after --");
    static const std::array<std::string_view, 12> k_interpreters = {
        "python", "python3", "bash", "sh", "zsh", "Rscript", "node", "perl", "ruby", "julia", "jupyter", "papermill"};
    const std::string name = stdfs::path(argv[0]).filename().string();
    const bool interpreter = std::find(k_interpreters.begin(), k_interpreters.end(), name) != k_interpreters.end();
    if (interpreter) {
        // The first argument that is an existing file is the script
        // (python3 -u train.py, jupyter nbconvert --execute nb.ipynb).
        for (size_t i = 1; i < argv.size(); ++i)
            if (argv[i].rfind("-", 0) != 0 && is_regular_file(argv[i])) return describe_transform(argv[i], "", project_dir);
    }
    if (argv[0].find('/') != std::string::npos && is_regular_file(argv[0]))
        return describe_transform(argv[0], "", project_dir);
    return describe_transform(name, "command", project_dir);
}

TransformRow ensure_transform(catalog::Catalog& c, const TransformSpec& spec) {
    // IS NOT DISTINCT FROM: equality where NULL equals NULL, in both
    // dialects (SQLite since 3.39).
    sql::Statement q(c.sql(), std::string(k_columns) +
                                    "WHERE key = ? AND kind = ? AND source_hash IS NOT DISTINCT FROM ?"
                                    " ORDER BY id LIMIT 1");
    q.bind(1, spec.key);
    q.bind(2, spec.kind);
    if (spec.source_hash) q.bind(3, *spec.source_hash);
    if (q.executeStep()) return read_row(q);
    TransformRow t;
    t.uid = new_uid();
    t.key = spec.key;
    t.kind = spec.kind;
    t.source_hash = spec.source_hash;
    t.source_path = spec.source_path;
    t.created_at = now_ms();
    sql::Statement ins(c.sql(), "INSERT INTO transform (uid, key, kind, source_hash, source_path, created_at)"
                                  " VALUES (?,?,?,?,?,?) RETURNING id");
    ins.bind(1, t.uid);
    ins.bind(2, t.key);
    ins.bind(3, t.kind);
    if (t.source_hash) ins.bind(4, *t.source_hash);
    if (!t.source_path.empty()) ins.bind(5, t.source_path);
    ins.bind(6, t.created_at);
    t.id = ins.insertReturningId();
    return t;
}

std::optional<TransformRow> find_transform(catalog::Catalog& c, int64_t id) {
    sql::Statement q(c.sql(), std::string(k_columns) + "WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    return read_row(q);
}

} // namespace cairn::lineage
