// What cairn reads back of the audit data it exports: checkpoint files
// (`audit checkpoint -o`, read by `audit verify --checkpoint` and from the
// storage's audit/checkpoints/) and the event fields of the JSON Lines
// export that purge scans for names (command lines and details). There is
// no import of `audit export` output; the input, and each of its lines, is
// read as each of these.
#include "core/audit/checkpoint.hpp"
#include "core/audit/names.hpp"
#include "core/util/error.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace {

using namespace cairn;

void read_document(std::string_view text) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    try {
        const audit::Checkpoint cp = audit::checkpoint_from_json(j);
        (void)audit::checkpoint_signature_ok(cp);
        // What verify reads, it must write the same way.
        const audit::Checkpoint again = audit::checkpoint_from_json(audit::to_json(cp));
        fuzz::require(audit::checkpoint_message(again) == audit::checkpoint_message(cp) &&
                          again.signature == cp.signature,
                      "checkpoint_from_json(to_json(cp)) == cp");
    } catch (const Error&) {
    }
    size_t strings = 0;
    audit::for_each_json_string(text, [&](std::string_view, std::string_view) { ++strings; });
    fuzz::require(strings <= text.size(), "at most one string per byte");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text = fuzz::text_of(data, size);
    read_document(text);
    std::string_view rest = text;
    while (!rest.empty()) {
        const size_t nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
        // (Only lines that are JSON objects: a refusal throws, and a
        // thousand throws per input slowed the target tenfold.)
        if (line.size() != text.size() && line.starts_with('{')) read_document(line);
        // A command line as the trail stores it: the words it reads back are
        // the words it would write.
        const std::vector<std::string> words = audit::argv_words(line);
        fuzz::require(audit::argv_words(audit::join_words(words)) == words,
                      "argv_words(join_words(w)) == w");
    }
    return 0;
}
