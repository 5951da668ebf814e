#include "core/audit/names.hpp"

#include "core/catalog/artifacts.hpp"
#include "core/instance/actor.hpp"
#include "core/util/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace cairn::audit {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Characters that end a piece of a word: blanks, list and shell syntax, quotes.
bool is_separator(char c) {
    switch (c) {
    case ',': case ';': case '|': case '&': case '(': case ')': case '<': case '>':
    case '"': case '\'': case '`':
        return true;
    default:
        return is_blank(c);
    }
}

// Where a trailing "@v<digits>" starts in s, or npos.
size_t version_suffix_at(std::string_view s) {
    size_t digits = s.size();
    while (digits > 0 && s[digits - 1] >= '0' && s[digits - 1] <= '9') --digits;
    if (digits == s.size() || digits < 2 || s[digits - 2] != '@' || s[digits - 1] != 'v' || s.size() - digits > 9)
        return std::string_view::npos;
    return digits - 2;
}

} // namespace

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

} // namespace

void for_each_word(std::string_view line, const std::function<void(std::string_view)>& f) {
    std::string decoded; // only for words with quotes or backslashes
    size_t i = 0;
    while (i < line.size()) {
        if (line[i] == ' ') {
            ++i;
            continue;
        }
        // Find the end of the word: the first space outside single quotes.
        const size_t start = i;
        bool quoted = false, plain = true;
        for (; i < line.size() && (quoted || line[i] != ' '); ++i) {
            if (line[i] == '\'' ) quoted = !quoted, plain = false;
            else if (line[i] == '\\' && !quoted) plain = false, i += (i + 1 < line.size()) ? 1 : 0;
        }
        if (plain) {
            f(line.substr(start, i - start));
            continue;
        }
        decoded.clear();
        quoted = false;
        bool ansi = false; // inside $'...', where quote_arg writes bytes as \xNN
        for (size_t k = start; k < i; ++k) {
            const char c = line[k];
            if (c == '$' && !quoted && k + 1 < i && line[k + 1] == '\'') ansi = true;
            else if (c == '\'') quoted = !quoted, ansi = ansi && quoted;
            else if (c == '\\' && ansi && k + 3 < i && line[k + 1] == 'x' && hex_digit(line[k + 2]) >= 0 &&
                     hex_digit(line[k + 3]) >= 0) {
                decoded += static_cast<char>(hex_digit(line[k + 2]) * 16 + hex_digit(line[k + 3]));
                k += 3;
            } else if (c == '\\' && !quoted && k + 1 < i) decoded += line[++k];
            else decoded += c;
        }
        f(decoded);
    }
}

std::vector<std::string> argv_words(std::string_view line) {
    std::vector<std::string> words;
    for_each_word(line, [&](std::string_view w) { words.emplace_back(w); });
    return words;
}

void for_each_json_string(std::string_view json, const std::function<void(std::string_view key, std::string_view value)>& f) {
    std::string key, decoded;
    size_t i = 0;
    while ((i = json.find('"', i)) != std::string_view::npos) {
        size_t end = i + 1;
        bool escaped = false;
        while (end < json.size() && json[end] != '"') {
            if (json[end] == '\\') escaped = true, ++end;
            ++end;
        }
        if (end >= json.size()) return; // not JSON: nothing more to read
        std::string_view text = json.substr(i + 1, end - i - 1);
        if (escaped) {
            const auto j = nlohmann::json::parse(json.substr(i, end - i + 1), nullptr, false);
            decoded = j.is_string() ? j.get<std::string>() : std::string(text);
            text = decoded;
        }
        size_t next = end + 1;
        while (next < json.size() && is_blank(json[next])) ++next;
        if (next < json.size() && json[next] == ':') key.assign(text);
        else f(key, text);
        i = end + 1;
    }
}

std::string join_words(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) {
        if (!out.empty()) out += ' ';
        out += quote_arg(w);
    }
    return out;
}

NameSet::NameSet(std::initializer_list<std::string> names) {
    for (const auto& n : names) insert(n);
}

void NameSet::insert(const std::string& name) {
    if (name.empty()) return;
    m_names.insert(name);
    m_sorted.insert(name);
}

bool NameSet::contains(std::string_view name) const { return m_names.find(name) != m_names.end(); }

bool NameSet::starts_a_name(std::string_view prefix) const {
    if (prefix.empty()) return false;
    auto it = m_sorted.lower_bound(prefix);
    return it != m_sorted.end() && std::string_view(*it).substr(0, prefix.size()) == prefix;
}

bool NameSet::hit(std::string_view word, size_t begin, size_t end, std::vector<NameHit>& out) const {
    if (begin >= end) return false;
    const std::string_view part = word.substr(begin, end - begin);
    if (contains(part)) {
        out.push_back({begin, part.size(), std::string(part), std::nullopt});
        return true;
    }
    const size_t at = version_suffix_at(part);
    if (at == std::string_view::npos || at == 0 || !contains(part.substr(0, at))) return false;
    out.push_back({begin, part.size(), std::string(part.substr(0, at)), std::stoi(std::string(part.substr(at + 2)))});
    return true;
}

std::vector<NameHit> NameSet::find(std::string_view word) const {
    std::vector<NameHit> out;
    if (m_names.empty() || hit(word, 0, word.size(), out)) return out;
    if (size_t eq = word.find('='); eq != std::string_view::npos && hit(word, eq + 1, word.size(), out)) return out;
    size_t begin = 0;
    while (begin < word.size()) {
        while (begin < word.size() && is_separator(word[begin])) ++begin;
        size_t end = begin;
        while (end < word.size() && !is_separator(word[end])) ++end;
        if (end == word.size() && begin == 0) break; // the whole word, tried above
        if (!hit(word, begin, end, out)) {
            const size_t eq = word.substr(begin, end - begin).find('=');
            if (eq != std::string_view::npos) hit(word, begin + eq + 1, end, out);
        }
        begin = end;
    }
    return out;
}

void EventNameIndex::scan(catalog::Catalog& catalog) {
    if (m_names.empty()) return;
    // Grants, revocations and prunes name members and their signing keys,
    // which verify reads back (core/audit/event_signatures.hpp), never an
    // artifact's key: a member named like a purged key keeps them.
    sql::Statement q(catalog.sql(), "SELECT seq, action, command_line, details FROM audit_event"
                                    " WHERE seq > ? AND redacted_at IS NULL"
                                    " AND action NOT IN ('access.grant', 'access.revoke', 'audit.prune') ORDER BY seq");
    q.bind(1, m_after);
    std::vector<std::string> spelled; // by the current event; rarely more than one
    std::string prefix;
    auto look = [&](std::string_view word) {
        if (word.empty()) return;
        for (auto& h : m_names.find(word))
            if (std::find(spelled.begin(), spelled.end(), h.name) == spelled.end()) spelled.push_back(std::move(h.name));
    };
    while (q.executeStep()) {
        const int64_t seq = q.getColumn(0).getInt64();
        m_after = seq;
        ++m_read;
        spelled.clear();
        prefix.clear();
        const bool ls = q.getColumn(1).text() == "ls";
        for_each_word(q.getColumn(2).text(), look);
        for_each_json_string(q.getColumn(3).text(), [&](std::string_view key, std::string_view value) {
            look(value);
            if (ls && key == "prefix") prefix.assign(value);
        });
        for (auto& name : spelled) m_spelled.emplace_back(seq, std::move(name));
        if (ls && m_names.starts_a_name(prefix)) m_prefixes.emplace_back(seq, prefix);
    }
}

int64_t EventNameIndex::redact(catalog::Catalog& catalog, const NameSet& gone, int64_t now) {
    std::set<int64_t> seqs;
    for (const auto& [seq, name] : m_spelled)
        if (gone.contains(name)) seqs.insert(seq);
    for (const auto& [seq, prefix] : m_prefixes)
        if (!seqs.count(seq) && gone.starts_a_name(prefix) && !catalog::any_key_with_prefix(catalog, prefix))
            seqs.insert(seq);
    if (seqs.empty()) return 0;
    sql::Statement redact(catalog.sql(), "UPDATE audit_event SET command_line = NULL, details = NULL, redacted_at = ?"
                                           " WHERE seq = ? AND redacted_at IS NULL");
    int64_t n = 0;
    for (int64_t seq : seqs) {
        redact.bind(1, now);
        redact.bind(2, seq);
        n += redact.exec();
        redact.reset();
    }
    // Redacted events need no second look.
    auto done = [&](const auto& e) { return seqs.count(e.first) > 0; };
    std::erase_if(m_spelled, done);
    std::erase_if(m_prefixes, done);
    return n;
}

} // namespace cairn::audit
