// config.yaml: parse, and what parse accepts must survive save and reload
// unchanged (config::save writes to_yaml()).
#include "core/config/config.hpp"
#include "core/util/error.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace cairn;
    const std::string text(fuzz::text_of(data, size));
    config::Config c;
    try {
        c = config::parse(text, "config.yaml");
    } catch (const Error&) {
        return 0;
    }
    // A config save writes and cannot read back would lock the user out of
    // the instance; one it reads back differently would change a setting.
    const std::string yaml = config::to_yaml(c);
    try {
        const config::Config again = config::parse(yaml, "config.yaml");
        if (!(again == c)) std::fprintf(stderr, "fuzz: saved as\n%s\n", yaml.c_str());
        fuzz::require(again == c, "parse(to_yaml(c)) == c");
    } catch (const Error& e) {
        std::fprintf(stderr, "fuzz: saved config does not load: %s\n%s\n", e.what(), yaml.c_str());
        fuzz::require(false, "parse(to_yaml(c)) succeeds");
    }
    return 0;
}
