// The folder unpacker (docs/FORMAT.md, "Folders"): streams into one scratch
// directory (on /dev/shm when there is one), emptied after each input. The
// first input byte splits the rest into feed() calls of varying size, so
// every field boundary is also crossed between calls.
#include "core/artifact/folder.hpp"
#include "core/util/error.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <unistd.h>

#include <filesystem>
#include <span>
#include <string>

namespace {

namespace stdfs = std::filesystem;

const stdfs::path& scratch() {
    static const stdfs::path dir = [] {
        const stdfs::path base =
            stdfs::is_directory("/dev/shm") ? "/dev/shm" : stdfs::temp_directory_path();
        stdfs::path d = base / ("cairn-fuzz-folder-" + std::to_string(::getpid()));
        stdfs::remove_all(d);
        stdfs::create_directory(d);
        std::atexit([] { stdfs::remove_all(scratch()); });
        return d;
    }();
    return dir;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace cairn;
    if (size == 0) return 0;
    const size_t chunk = data[0] == 0 ? size : data[0];
    auto stream = std::as_bytes(std::span(data + 1, size - 1));
    const stdfs::path dest = scratch() / "out";
    stdfs::create_directory(dest);
    try {
        artifact::FolderUnpacker unpacker(dest);
        while (!stream.empty()) {
            const size_t n = std::min(chunk, stream.size());
            unpacker.feed(stream.first(n));
            stream = stream.subspan(n);
        }
        const artifact::FolderStats stats = unpacker.finish();
        fuzz::require(stats.total_bytes <= size, "no more content than input");
    } catch (const Error&) {
    }
    // Nothing may be written outside dest.
    for (const auto& entry : stdfs::directory_iterator(scratch()))
        fuzz::require(entry.path() == dest, "only dest/ is written");
    stdfs::remove_all(dest);
    return 0;
}
