#include "core/audit/names.hpp"

#include "core/catalog/artifacts.hpp"
#include "core/instance/actor.hpp"
#include "core/util/error.hpp"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

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

// A raw prepared statement: the scan reads every event once per purge run,
// and SQLiteCpp's Column objects cost a shared_ptr copy per column.
class Raw {
public:
    Raw(catalog::Catalog& c, const char* sql) : m_db(c.db().getHandle()) {
        if (sqlite3_prepare_v2(m_db, sql, -1, &m_stmt, nullptr) != SQLITE_OK)
            throw Error(ErrorKind::internal, std::string("cannot read the audit trail: ") + sqlite3_errmsg(m_db));
    }
    ~Raw() { sqlite3_finalize(m_stmt); }
    Raw(const Raw&) = delete;
    Raw& operator=(const Raw&) = delete;
    bool step() {
        const int rc = sqlite3_step(m_stmt);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw Error(ErrorKind::internal, std::string("cannot read the audit trail: ") + sqlite3_errmsg(m_db));
    }
    sqlite3_stmt* get() const { return m_stmt; }
    std::string_view text(int i) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, i));
        return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(m_stmt, i))) : std::string_view();
    }

private:
    sqlite3* m_db;
    sqlite3_stmt* m_stmt = nullptr;
};

// Visits the string values of a JSON document (details) without building it.
struct StringVisitor : nlohmann::json::json_sax_t {
    std::function<void(const std::string& key, const std::string& value)> on_string;
    std::string last_key;
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t& val) override {
        on_string(last_key, val);
        return true;
    }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t& val) override {
        last_key = val;
        return true;
    }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
};

} // namespace

std::vector<std::string> argv_words(std::string_view line) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false, quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '\'') quoted = false;
            else word += c;
        } else if (c == ' ') {
            if (in_word) words.push_back(std::move(word));
            word.clear();
            in_word = false;
        } else if (c == '\'') {
            quoted = in_word = true;
        } else if (c == '\\' && i + 1 < line.size()) {
            word += line[++i];
            in_word = true;
        } else {
            word += c;
            in_word = true;
        }
    }
    if (in_word) words.push_back(std::move(word));
    return words;
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
    Raw q(catalog,
          "SELECT seq, action, command_line, details FROM audit_event WHERE seq > ? AND redacted_at IS NULL ORDER BY seq");
    sqlite3_bind_int64(q.get(), 1, m_after);
    std::set<std::string> spelled; // per event
    StringVisitor visitor;
    std::string prefix;
    visitor.on_string = [&](const std::string& key, const std::string& value) {
        for (auto& h : m_names.find(value)) spelled.insert(std::move(h.name));
        if (key == "prefix") prefix = value;
    };
    while (q.step()) {
        const int64_t seq = sqlite3_column_int64(q.get(), 0);
        m_after = seq;
        ++m_read;
        spelled.clear();
        prefix.clear();
        for (const auto& word : argv_words(q.text(2)))
            for (auto& h : m_names.find(word)) spelled.insert(std::move(h.name));
        const std::string_view details = q.text(3);
        if (!details.empty()) nlohmann::json::sax_parse(details.begin(), details.end(), &visitor);
        for (const auto& name : spelled) m_spelled.emplace_back(seq, name);
        if (q.text(1) == "ls" && m_names.starts_a_name(prefix)) m_prefixes.emplace_back(seq, prefix);
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
    SQLite::Statement redact(catalog.db(), "UPDATE audit_event SET command_line = NULL, details = NULL, redacted_at = ?"
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
