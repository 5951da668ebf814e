// REFs (key, key@vN, uid) and artifact keys: parse_ref never throws and
// splits only what it can put back together; validate_key refuses with
// cairn::Error, and a key it accepts is never read as a version or a uid.
#include "core/artifact/ref.hpp"
#include "core/util/error.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace cairn;
    const std::string_view ref = fuzz::text_of(data, size);
    const artifact::RefParts parts = artifact::parse_ref(ref);
    if (parts.version) {
        fuzz::require(*parts.version >= 0, "version >= 0");
        fuzz::require(!parts.key.empty() && ref.starts_with(parts.key) &&
                          ref.substr(parts.key.size(), 2) == "@v",
                      "key@vN splits at the last '@v'");
    } else {
        fuzz::require(parts.key == ref, "an unversioned REF is its own key");
    }
    try {
        artifact::validate_key(ref);
    } catch (const Error&) {
        return 0;
    }
    // A valid key must resolve as itself: never as a version of another key
    // or as a uid.
    fuzz::require(!parts.version && !parts.may_be_uid && parts.key == ref,
                  "a valid key is read as that key");
    fuzz::require(artifact::is_valid_utf8(ref), "a valid key is UTF-8");
    return 0;
}
