#pragma once
// Artifact keys spelled out in free text (audit command lines and details,
// run command lines and parameters), so that purge can take a name out of
// every place it was typed (docs/AUDIT.md, "Names").
//
// Text is split into words once and each word is looked up in a hash set
// of names, so scanning E events for N names costs O(size of the text),
// not O(N * E). A word spells a name when the word itself, what follows its
// first '=' (--key=K, input=K), or a piece of it between separators
// (whitespace , ; | & ( ) < > quotes: lists and `sh -c` scripts) equals the
// name, optionally followed by a version suffix "@v<digits>".
#include "core/catalog/catalog.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace cairn::audit {

// The argv words of a command line as redact_command_line() joins them
// (space-separated; single quotes, and '\'' inside them, as it writes them).
std::vector<std::string> argv_words(std::string_view command_line);

// The same words, one call each, without copying the ones that needed no
// quoting (the views are valid during the call).
void for_each_word(std::string_view command_line, const std::function<void(std::string_view)>& f);

// Calls f(key, value) for each string value of a JSON document, with the
// object key read last before it ("" at first). Reads string literals only
// and decodes the ones with escapes; a malformed document ends the walk.
void for_each_json_string(std::string_view json,
                          const std::function<void(std::string_view key, std::string_view value)>& f);

// Joins words the way redact_command_line() quotes them, without redacting:
// join_words(argv_words(line)) == line for every line it wrote.
std::string join_words(const std::vector<std::string>& words);

// A place in a word that spells a name: [begin, begin + size) covers the
// name and its "@vN" suffix, if any.
struct NameHit {
    size_t begin = 0, size = 0;
    std::string name;
    std::optional<int> version;
};

class NameSet {
public:
    NameSet() = default;
    NameSet(std::initializer_list<std::string> names);
    void insert(const std::string& name);
    bool empty() const { return m_sorted.empty(); }
    size_t size() const { return m_sorted.size(); }
    bool contains(std::string_view name) const;
    // Where `word` spells a name (see the top of this file). Hits never
    // overlap; the whole word, then the part after '=', wins over pieces.
    std::vector<NameHit> find(std::string_view word) const;
    // True when non-empty `prefix` starts at least one name.
    bool starts_a_name(std::string_view prefix) const;

private:
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    bool hit(std::string_view word, size_t begin, size_t end, std::vector<NameHit>& out) const;
    std::unordered_set<std::string, Hash, std::equal_to<>> m_names;
    std::set<std::string, std::less<>> m_sorted;
};

// The not-yet-redacted events that spell one of a purge run's names. Each
// event is read and split into words once per run: scan() reads only what
// was appended since its last call, so a run calls it once up front and
// again, cheaply, inside each batch's transaction.
class EventNameIndex {
public:
    explicit EventNameIndex(const NameSet& names) : m_names(names) {}
    // Reads the unredacted events after the last one read: their command
    // line words and the strings in their details; for `ls` events, also
    // the prefix when it starts one of the names.
    void scan(catalog::Catalog& catalog);
    // Redacts, like redact_events_naming(), every remembered event that
    // spells a name in `gone`, and every `ls` event whose prefix starts a
    // name in `gone` and no key the catalog still holds (a prefix that a
    // remaining key explains names nothing that left). Call inside the write
    // transaction that erased the names. Returns how many events it redacted.
    int64_t redact(catalog::Catalog& catalog, const NameSet& gone, int64_t now);
    int64_t events_read() const { return m_read; }

private:
    const NameSet& m_names;
    int64_t m_after = 0; // last seq read
    int64_t m_read = 0;
    std::vector<std::pair<int64_t, std::string>> m_spelled;  // (seq, name), seq ascending
    std::vector<std::pair<int64_t, std::string>> m_prefixes; // `ls` events: (seq, prefix)
};

} // namespace cairn::audit
