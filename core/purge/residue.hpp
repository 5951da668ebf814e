#pragma once
// Searches the bytes of files for needles (the public fingerprints of
// shredded wrapped keys, keys::wrapped_key_needle), so a certificate states
// that catalog.db and its WAL were read and hold no copy of the key, rather
// than that SQLite was asked to forget it.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace cairn::purge {

struct Residue {
    std::filesystem::path file;
    uint64_t offset = 0;
    size_t needle = 0; // index into the needles given
};

// Every needle must have the same, non-zero length. Missing files are
// skipped; unreadable ones throw cairn::Error(storage).
std::vector<Residue> find_residue(const std::vector<std::filesystem::path>& files,
                                  const std::vector<std::string>& needles);

// Needles are stored bitwise inverted in the catalog (so the column does not
// match its own scan); this turns one form into the other.
std::string inverted(std::string bytes);

} // namespace cairn::purge
