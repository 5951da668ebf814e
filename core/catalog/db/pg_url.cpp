#include "core/catalog/db/pg_url.hpp"

#include "core/storage/s3/s3_config.hpp"
#include "core/util/error.hpp"

#include <cstdlib>
#include <string_view>

namespace cairn::catalog::db {

namespace {

const char* const k_form = "postgresql://[USER@]HOST[:PORT]/DATABASE[?PARAM=VALUE&...]";

[[noreturn]] void bad(const std::string& why, const std::string& hint) {
    throw Error(ErrorKind::config, "catalog URL: " + why, hint);
}

// The value of `key` among the URL's query parameters, or "".
std::string param(std::string_view query, std::string_view key) {
    while (!query.empty()) {
        const size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const size_t eq = pair.find('=');
        if (pair.substr(0, eq) == key) return std::string(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return {};
}

bool has_param(std::string_view query, std::string_view key) {
    for (size_t at = 0; (at = query.find(key, at)) != std::string_view::npos; at += key.size())
        if ((at == 0 || query[at - 1] == '&') && at + key.size() < query.size() && query[at + key.size()] == '=')
            return true;
    return false;
}

} // namespace

bool is_pg_url(const std::string& url) { return url.starts_with("postgresql://") || url.starts_with("postgres://"); }

PgTarget pg_target(const std::string& url, bool allow_plain) {
    if (!is_pg_url(url)) bad("'" + url + "' is not a PostgreSQL URL", std::string("write it as ") + k_form);
    std::string_view rest(url);
    rest.remove_prefix(rest.find("://") + 3);
    const size_t q = rest.find('?');
    const std::string_view query = q == std::string_view::npos ? std::string_view() : rest.substr(q + 1);
    const std::string_view before_query = rest.substr(0, q);
    const std::string_view authority = before_query.substr(0, before_query.find('/'));
    const size_t at = authority.rfind('@');
    const std::string_view user = at == std::string_view::npos ? std::string_view() : authority.substr(0, at);
    std::string_view host = at == std::string_view::npos ? authority : authority.substr(at + 1);
    if (user.find(':') != std::string_view::npos || has_param(query, "password"))
        bad("it holds a password, which would be stored in config.yaml and shown in messages",
            "remove it from the URL and give it to libpq in ~/.pgpass (or PGPASSFILE), or use a client certificate");
    if (host.find(',') != std::string_view::npos)
        bad("several hosts are not supported", std::string("name one server: ") + k_form);
    if (host.starts_with('[')) host = host.substr(1, host.find(']') - 1); // [::1]:5432
    else host = host.substr(0, host.find(':'));
    std::string socket_dir = param(query, "host");
    const bool unix_socket = (host.empty() && (socket_dir.empty() || socket_dir.starts_with('/'))) ||
                             (!socket_dir.empty() && socket_dir.starts_with('/'));
    const bool local = unix_socket || storage::s3::is_loopback_host(host);

    std::string sslmode = param(query, "sslmode");
    const char* env = std::getenv("PGSSLMODE");
    if (sslmode.empty() && env && *env) sslmode = env;
    PgTarget t;
    t.conninfo = url;
    const auto add = [&t](const char* setting) {
        t.conninfo += (t.conninfo.find('?') == std::string::npos ? "?" : "&") + std::string(setting);
    };
    if (sslmode.empty()) {
        sslmode = "verify-full";
        add("sslmode=verify-full");
    }
    // The channel is TLS (above). libpq would first probe for a Kerberos
    // ticket to encrypt with GSSAPI instead, which costs every command about
    // 7 ms of CPU; a URL or PGGSSENCMODE that asks for it still gets it.
    const char* gss_env = std::getenv("PGGSSENCMODE");
    if (!has_param(query, "gssencmode") && !(gss_env && *gss_env)) add("gssencmode=disable");
    if (sslmode != "verify-full") {
        if (!allow_plain)
            bad("sslmode=" + sslmode + " does not verify the server, so the catalog could be read or changed on the way",
                "use sslmode=verify-full (the default), or for a server on this machine set catalog.allow_plain "
                "(init --allow-plain-catalog)");
        if (!local)
            bad("sslmode=" + sslmode + " to " + std::string(host) + ", which is not on this machine",
                "allow_plain covers only a loopback or Unix-socket server; use sslmode=verify-full");
    }
    return t;
}

} // namespace cairn::catalog::db
