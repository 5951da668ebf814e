#include "core/crypto/plaintext_buffers.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using cairn::crypto::PlaintextBuffers;

namespace {

bool all_are(std::span<const std::byte> bytes, std::byte value) {
    return std::all_of(bytes.begin(), bytes.end(), [&](std::byte b) { return b == value; });
}

} // namespace

TEST_SUITE("core::crypto::plaintext_buffers") {

TEST_CASE("wipes exactly the bytes marked used") {
    PlaintextBuffers buffers(3, 64);
    REQUIRE(buffers.count() == 3);
    REQUIRE(buffers.room(1, 10).size() == 54);
    for (size_t i = 0; i < 3; ++i) std::ranges::fill(buffers.room(i), std::byte{0xAA});
    buffers.used(0, 40);
    buffers.used(0, 16); // a shorter block later: the high-water mark stays 40
    buffers.used(2, 1000); // past the end: clamped to the buffer
    buffers.wipe();
    CHECK(all_are(buffers.filled(0, 40), std::byte{0}));
    // Bytes never marked used are not touched: a small file costs no page
    // faults in buffers it never reached.
    CHECK(all_are(buffers.room(0, 40), std::byte{0xAA}));
    CHECK(all_are(buffers.filled(1, 64), std::byte{0xAA}));
    CHECK(all_are(buffers.filled(2, 64), std::byte{0}));
}

TEST_CASE("starts over after a wipe") {
    PlaintextBuffers buffers(1, 32);
    std::ranges::fill(buffers.room(0), std::byte{0x55});
    buffers.used(0, 32);
    buffers.wipe();
    std::ranges::fill(buffers.room(0), std::byte{0x55});
    buffers.used(0, 8);
    buffers.wipe();
    CHECK(all_are(buffers.filled(0, 8), std::byte{0}));
    CHECK(all_are(buffers.room(0, 8), std::byte{0x55}));
}

} // TEST_SUITE
