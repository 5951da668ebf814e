#include "core/instance/actor.hpp"

#include <pwd.h>
#include <regex>
#include <unistd.h>

namespace cairn {

namespace {

bool is_secret_flag(const std::string& arg) {
    static const std::regex k_secret(R"(^--?[A-Za-z0-9_-]*(secret|password|passphrase|token|credential)[A-Za-z0-9_-]*$)",
                                     std::regex::icase);
    return std::regex_match(arg, k_secret);
}

// A value on its own: key=secret parameters, secret-looking URL query
// parameters, and user:password@ in URLs.
std::string redact_value(const std::string& value) {
    // k=v parameters whose name looks secret (run --param token=...)
    static const std::regex k_param(R"(^([A-Za-z0-9_.-]*(secret|password|passphrase|token|key)[A-Za-z0-9_.-]*)=.*$)",
                                    std::regex::icase);
    std::smatch m;
    if (std::regex_match(value, m, k_param)) return m[1].str() + "=***";
    // ?X-Amz-Signature=...&token=... in URLs
    static const std::regex k_query(R"(([?&][^=&#]*(secret|password|passphrase|token|signature|credential|key)[^=&#]*=)[^&#]*)",
                                    std::regex::icase);
    std::string out = std::regex_replace(value, k_query, "$1***");
    // scheme://user:password@host
    static const std::regex k_userinfo(R"(^([a-z0-9+.-]+://)[^/@:]*:[^/@]*@)", std::regex::icase);
    return std::regex_replace(out, k_userinfo, "$1***@");
}

std::string redact_arg(const std::string& arg) {
    // --flag=value: the whole value when the flag looks secret, else the value
    // on its own terms (--param=token=abc). The flag name itself is never
    // taken for a k=v parameter, so --key=exp/data stays readable.
    if (auto eq = arg.find('='); eq != std::string::npos && arg.rfind("-", 0) == 0) {
        if (is_secret_flag(arg.substr(0, eq))) return arg.substr(0, eq + 1) + "***";
        return arg.substr(0, eq + 1) + redact_value(arg.substr(eq + 1));
    }
    return redact_value(arg);
}

std::string quote_if_needed(const std::string& arg) {
    if (!arg.empty() && arg.find_first_of(" \t\n'\"\\$`") == std::string::npos) return arg;
    std::string out = "'";
    for (char c : arg) out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

} // namespace

std::string redact_command_line(const std::vector<std::string>& argv) {
    std::string out;
    bool redact_next = false;
    for (const auto& arg : argv) {
        if (!out.empty()) out += ' ';
        if (redact_next) {
            out += "***";
            redact_next = false;
            continue;
        }
        if (is_secret_flag(arg)) redact_next = true;
        out += quote_if_needed(redact_arg(arg));
    }
    return out;
}

std::string redact_text(const std::string& text) {
    static const std::regex k_pair(R"(([A-Za-z0-9_.-]*(secret|password|passphrase|token|key|credential|signature)[A-Za-z0-9_.-]*=)[^\s'"&,;]*)",
                                   std::regex::icase);
    static const std::regex k_userinfo(R"(([a-z0-9+.-]+://)[^/@:\s]*:[^/@\s]*@)", std::regex::icase);
    // Most details hold no '=' or '@' at all: skip the regexes for them.
    if (text.find_first_of("=@") == std::string::npos) return text;
    return std::regex_replace(std::regex_replace(text, k_pair, "$1***"), k_userinfo, "$1***@");
}

Actor current_actor(const std::vector<std::string>& argv, const std::string& configured_identity) {
    Actor a;
    a.os_uid = static_cast<long>(::getuid());
    if (const passwd* pw = ::getpwuid(::getuid())) a.os_user = pw->pw_name;
    else a.os_user = std::to_string(a.os_uid);
    a.identity = configured_identity.empty() ? a.os_user : configured_identity;
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    a.host = host;
    a.pid = static_cast<long>(::getpid());
    a.command_line = redact_command_line(argv);
    return a;
}

} // namespace cairn
