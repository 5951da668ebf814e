#include "core/instance/actor.hpp"

#include "core/util/utf8.hpp"

#include <pwd.h>
#include <initializer_list>
#include <string_view>
#include <unistd.h>

namespace cairn {

namespace {

// The redaction rules below were std::regex patterns (ECMAScript, icase);
// they are matched by hand now because compiling them cost every command
// about 9 million instructions (~3 ms), more than the rest of start-up.
// actor_test.cpp checks them against the original patterns.

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool is_flag_char(char c) { return is_alnum(c) || c == '_' || c == '-'; }              // [A-Za-z0-9_-]
bool is_name_char(char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; }  // [A-Za-z0-9_.-]
bool is_scheme_char(char c) { return is_alnum(c) || c == '+' || c == '.' || c == '-'; } // [a-z0-9+.-], icase
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; } // \s

template <class Pred> bool all_of(std::string_view s, Pred pred) {
    for (char c : s)
        if (!pred(c)) return false;
    return true;
}

// Whether `s` holds one of `words` (lower case), ignoring ASCII case.
bool has_word(std::string_view s, std::initializer_list<std::string_view> words) {
    for (std::string_view w : words) {
        if (w.size() > s.size()) continue;
        for (size_t i = 0; i + w.size() <= s.size(); ++i) {
            size_t k = 0;
            while (k < w.size() && lower(s[i + k]) == w[k]) ++k;
            if (k == w.size()) return true;
        }
    }
    return false;
}

// First position at or after `from` whose character satisfies `stop`, or s.size().
template <class Pred> size_t find_if(std::string_view s, size_t from, Pred stop) {
    while (from < s.size() && !stop(s[from])) ++from;
    return from;
}

// ^--?[A-Za-z0-9_-]*(secret|password|passphrase|token|credential)[A-Za-z0-9_-]*$
bool is_secret_flag(std::string_view arg) {
    if (arg.empty() || arg[0] != '-') return false;
    std::string_view rest = arg.substr(1);
    return all_of(rest, is_flag_char) &&
           has_word(rest, {"secret", "password", "passphrase", "token", "credential"});
}

// A value on its own: key=secret parameters, secret-looking URL query
// parameters, and user:password@ in URLs.
std::string redact_value(const std::string& value) {
    // k=v parameters whose name looks secret (run --param token=...):
    // ^([A-Za-z0-9_.-]*(secret|password|passphrase|token|key)[A-Za-z0-9_.-]*)=.*$
    if (size_t eq = value.find('='); eq != std::string::npos) {
        std::string_view name = std::string_view(value).substr(0, eq);
        if (all_of(name, is_name_char) &&
            has_word(name, {"secret", "password", "passphrase", "token", "key"}) &&
            value.find_first_of("\n\r", eq + 1) == std::string::npos) // '.' matches neither
            return std::string(name) + "=***";
    }
    // ?X-Amz-Signature=...&token=... in URLs:
    // ([?&][^=&#]*(secret|password|passphrase|token|signature|credential|key)[^=&#]*=)[^&#]*
    std::string out;
    out.reserve(value.size());
    for (size_t i = 0; i < value.size();) {
        if (value[i] == '?' || value[i] == '&') {
            size_t end = value.find_first_of("=&#", i + 1);
            if (end != std::string::npos && value[end] == '=' &&
                has_word(std::string_view(value).substr(i + 1, end - i - 1),
                         {"secret", "password", "passphrase", "token", "signature", "credential", "key"})) {
                out.append(value, i, end + 1 - i).append("***");
                i = std::min(value.find_first_of("&#", end + 1), value.size());
                continue;
            }
        }
        out += value[i++];
    }
    // scheme://user:password@host: ^([a-z0-9+.-]+://)[^/@:]*:[^/@]*@
    size_t scheme = find_if(out, 0, [](char c) { return !is_scheme_char(c); });
    if (scheme > 0 && out.compare(scheme, 3, "://") == 0) {
        size_t colon = out.find_first_of("/@:", scheme + 3);
        if (colon != std::string::npos && out[colon] == ':') {
            size_t at = out.find_first_of("/@", colon + 1);
            if (at != std::string::npos && out[at] == '@')
                return out.substr(0, scheme + 3) + "***@" + out.substr(at + 1);
        }
    }
    return out;
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

} // namespace

namespace {

// bash's $'...' form, for an argument that is not valid UTF-8 (a file name
// in another encoding): every byte outside valid printable sequences, and
// ' and \, as \xNN. The result is valid UTF-8, as PostgreSQL requires of
// text, and a shell reads it back as the same bytes.
std::string ansi_c_quote(std::string_view arg) {
    static const char* const k_hex = "0123456789abcdef";
    std::string out = "$'";
    for (size_t i = 0; i < arg.size();) {
        const size_t len = utf8_sequence_length(arg, i);
        const auto c = static_cast<unsigned char>(arg[i]);
        if (len > 1 || (len == 1 && c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')) {
            out.append(arg.substr(i, len));
            i += len;
            continue;
        }
        out += "\\x";
        out += k_hex[c >> 4];
        out += k_hex[c & 15];
        ++i;
    }
    return out + "'";
}

} // namespace

std::string quote_arg(const std::string& arg) {
    if (!is_valid_utf8(arg)) return ansi_c_quote(arg);
    if (!arg.empty() && arg.find_first_of(" \t\n'\"\\$`") == std::string::npos) return arg;
    std::string out = "'";
    for (char c : arg) out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

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
        out += quote_arg(redact_arg(arg));
    }
    return out;
}

std::string redact_text(const std::string& text) {
    // Most details hold no '=' or '@' at all.
    if (text.find_first_of("=@") == std::string::npos) return text;
    // ([A-Za-z0-9_.-]*(secret|password|passphrase|token|key|credential|signature)[A-Za-z0-9_.-]*=)[^\s'"&,;]*
    // A match always starts where a run of name characters starts: a later
    // start inside the run reaches the same '=' with fewer letters.
    std::string pairs;
    pairs.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        if (!is_name_char(text[i])) {
            pairs += text[i++];
            continue;
        }
        size_t end = find_if(text, i, [](char c) { return !is_name_char(c); });
        if (end < text.size() && text[end] == '=' &&
            has_word(std::string_view(text).substr(i, end - i),
                     {"secret", "password", "passphrase", "token", "key", "credential", "signature"})) {
            pairs.append(text, i, end + 1 - i).append("***");
            i = find_if(text, end + 1, [](char c) {
                return is_space(c) || c == '\'' || c == '"' || c == '&' || c == ',' || c == ';';
            });
        } else {
            pairs.append(text, i, end - i);
            i = end;
        }
    }
    // ([a-z0-9+.-]+://)[^/@:\s]*:[^/@\s]*@ anywhere, likewise from the start
    // of a run of scheme characters.
    std::string out;
    out.reserve(pairs.size());
    for (size_t i = 0; i < pairs.size();) {
        if (!is_scheme_char(pairs[i])) {
            out += pairs[i++];
            continue;
        }
        size_t end = find_if(pairs, i, [](char c) { return !is_scheme_char(c); });
        if (pairs.compare(end, 3, "://") == 0) {
            size_t colon = find_if(pairs, end + 3, [](char c) { return c == '/' || c == '@' || c == ':' || is_space(c); });
            if (colon < pairs.size() && pairs[colon] == ':') {
                size_t at = find_if(pairs, colon + 1, [](char c) { return c == '/' || c == '@' || is_space(c); });
                if (at < pairs.size() && pairs[at] == '@') {
                    out.append(pairs, i, end + 3 - i).append("***@");
                    i = at + 1;
                    continue;
                }
            }
        }
        out.append(pairs, i, end - i);
        i = end;
    }
    return out;
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
