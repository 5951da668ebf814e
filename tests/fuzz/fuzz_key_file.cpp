// Key files (docs/FORMAT.md, "Key files"): parse, and encode(parse(x))
// must parse to the same key file. Passphrase-protected files are parsed
// but not unsealed: scrypt at the smallest allowed cost is too slow to run
// per input, and its parameters are checked by parse.
#include "core/keys/key_file.hpp"
#include "core/util/error.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace cairn;
    keys::detail::KeyFile f;
    try {
        f = keys::detail::parse(fuzz::text_of(data, size), "fuzz.key");
    } catch (const Error&) {
        return 0;
    }
    const std::string encoded = keys::detail::encode(f);
    try {
        const keys::detail::KeyFile again = keys::detail::parse(encoded, "fuzz.key");
        fuzz::require(keys::detail::encode(again) == encoded,
                      "encode(parse(encode(f))) == encode(f)");
    } catch (const Error& e) {
        std::fprintf(stderr, "fuzz: encoded key file does not parse: %s\n", e.what());
        fuzz::require(false, "parse(encode(f)) succeeds");
    }
    return 0;
}
