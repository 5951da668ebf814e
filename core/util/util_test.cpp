#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/hex.hpp"
#include "core/util/json_int.hpp"
#include "core/util/random.hpp"
#include "core/util/text_width.hpp"
#include "core/util/time.hpp"
#include "core/util/utf8.hpp"

#include "tests/unit/support.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <sys/stat.h>
#include <ctime>

using namespace cairn;

TEST_SUITE("core::util") {
    TEST_CASE("hex: round trip and rejects bad digits") {
        std::string s = "\x01\xab\xff";
        CHECK(to_hex(s) == "01abff");
        auto back = from_hex("01abff");
        CHECK(back.size() == 3);
        CHECK(back[1] == std::byte{0xab});
        CHECK_THROWS_AS(from_hex("0g"), Error);
        CHECK_THROWS_AS(from_hex("abc"), Error);
    }

    TEST_CASE("utf8_prefix_end: the strings in [prefix, end) are those that start with prefix") {
        CHECK(utf8_prefix_end("p7/") == "p70");
        CHECK(utf8_prefix_end("a\xC3\xBF") == "a\xC4\x80");               // U+00FF -> U+0100
        CHECK(utf8_prefix_end("\xED\x9F\xBF") == "\xEE\x80\x80");          // U+D7FF -> U+E000, past the surrogates
        CHECK(utf8_prefix_end("a\xF4\x8F\xBF\xBF") == "b");                 // U+10FFFF dropped, 'a' raised
        CHECK(utf8_prefix_end("\xF4\x8F\xBF\xBF").empty());
        CHECK(utf8_prefix_end("").empty());
        CHECK(utf8_prefix_end("\xFF").empty());
        // Against every key of a sample: starts_with(prefix) <=> prefix <= key < end.
        const std::vector<std::string> keys = {"p7", "p7/", "p7/a", "p70", "p7\x7F", "p8", "p6/z", "p7/\xF4\x8F\xBF\xBF",
                                               "a\xC3\xBF", "a\xC3\xBFz", "a\xC4\x80", "a\xC3\xBE\xF4\x8F\xBF\xBF"};
        for (const std::string prefix : {"p7/", "p7", "a\xC3\xBF", "a\xC3", "p"}) {
            if (!is_valid_utf8(prefix)) continue;
            const std::string end = utf8_prefix_end(prefix);
            CHECK(is_valid_utf8(end));
            for (const auto& k : keys) {
                CAPTURE(prefix);
                CAPTURE(k);
                CHECK(k.starts_with(prefix) == (k >= prefix && (end.empty() || k < end)));
            }
        }
    }

    TEST_CASE("json_int64: whole numbers that fit, nothing else") {
        CHECK(json_int64(nlohmann::json(-5)) == -5);
        CHECK(json_int64(nlohmann::json(INT64_MAX)) == INT64_MAX);
        CHECK(json_int64(nlohmann::json(INT64_MIN)) == INT64_MIN);
        CHECK(json_int64(nlohmann::json(uint64_t{1} << 63)) == std::nullopt);
        CHECK(json_int64(nlohmann::json(1e300)) == std::nullopt);
        CHECK(json_int64(nlohmann::json(3.0)) == std::nullopt);
        CHECK(json_int64(nlohmann::json("3")) == std::nullopt);
        CHECK(json_int64(nlohmann::json()) == std::nullopt);
    }

    TEST_CASE("new_uid: 16 base-32 characters, distinct") {
        auto a = new_uid(), b = new_uid();
        CHECK(a.size() == 16);
        CHECK(a != b);
        CHECK(a.find_first_not_of("0123456789abcdefghijklmnopqrstuv") == std::string::npos);
    }

    TEST_CASE("time: format_utc_ms matches gmtime across days, leap years and its range") {
        auto reference = [](int64_t ms) {
            const std::time_t secs = static_cast<std::time_t>(ms / 1000);
            std::tm tm{};
            gmtime_r(&secs, &tm);
            char buf[96];
            std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                          tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                          static_cast<int>(ms % 1000));
            return std::string(buf);
        };
        // A step that is no whole number of days or seconds visits every
        // month, leap days and all times of day over 1970-2381.
        int64_t first_mismatch = -1;
        for (int64_t ms = 0; ms < 13'000'000'000'000 && first_mismatch < 0;
             ms += 3 * k_ms_per_day + 3'723'457)
            if (format_utc_ms(ms) != reference(ms)) first_mismatch = ms;
        CHECK(first_mismatch == -1);
        CHECK(format_utc_ms(951'782'400'000) == "2000-02-29T00:00:00.000Z");
        CHECK(format_utc_ms(4'107'542'399'999) == "2100-02-28T23:59:59.999Z");
        CHECK(format_utc_ms(253'402'300'799'999) == "9999-12-31T23:59:59.999Z");
        for (int64_t ms : {int64_t{-1}, int64_t{-86'400'001}, int64_t{253'402'300'800'000}})
            CHECK(format_utc_ms(ms) == reference(ms));
    }

    TEST_CASE("time: format and parse agree; durations") {
        CHECK(format_utc_ms(0) == "1970-01-01T00:00:00.000Z");
        CHECK(parse_time_ms("2026-11-24T16:39:32.123Z") == 1795538372123);
        CHECK(format_utc_ms(1795538372123) == "2026-11-24T16:39:32.123Z");
        CHECK(parse_time_ms("2026-11-24") == 1795478400000);
        CHECK(parse_duration_ms("7d") == 7 * k_ms_per_day);
        CHECK(parse_duration_ms("30m") == 30 * 60'000);
        CHECK(parse_duration_ms("0") == 0);
        CHECK_THROWS_AS(parse_duration_ms("7w"), Error);
        CHECK_THROWS_AS(parse_duration_ms("d"), Error);
        CHECK_THROWS_AS(parse_time_ms("yesterday"), Error);
    }

    TEST_CASE("time: durations that would wrap are refused, not shortened") {
        CHECK(parse_duration_ms("36500d") == k_max_duration_ms);
        for (const char* text : {"36501d", "213503982335d", "18446744073709552s", "99999999999999999999999h", "876001h"}) {
            CAPTURE(text);
            CHECK(test_support::kind_of([&] { parse_duration_ms(text); }) == ErrorKind::usage);
        }
        CHECK(test_support::kind_of([&] { parse_time_ms("213503982335d"); }) == ErrorKind::usage);
    }

    TEST_CASE("fs: atomic write leaves exactly the new content and mode") {
        auto dir = std::filesystem::temp_directory_path() / ("cairn-util-" + random_hex(4));
        fs::ensure_dir(dir);
        auto file = dir / "f";
        fs::write_file_atomic(file, "one", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        fs::write_file_atomic(file, "two", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        CHECK(fs::read_file(file) == "two");
        CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::others_read) == std::filesystem::perms::none);
        CHECK(std::distance(std::filesystem::directory_iterator(dir), {}) == 1);
        CHECK_THROWS_AS(fs::read_file(dir / "missing"), Error);
        std::filesystem::remove_all(dir);
    }

    TEST_CASE("display_width: columns, not bytes") {
        CHECK(display_width("plain") == 5);
        CHECK(display_width("caf\xc3\xa9") == 4);           // é: 2 bytes, 1 column
        CHECK(display_width("\xe6\x95\xb0\xe6\x8d\xae") == 4); // 数据: wide
        CHECK(display_width("e\xcc\x81") == 1);             // e + combining acute
        CHECK(display_width("a\xff" "b") == 3);              // an invalid byte: 1 column
        CHECK(pad_to("caf\xc3\xa9", 6) == "caf\xc3\xa9  ");
        CHECK(pad_to("toolong", 3) == "toolong");
    }

    TEST_CASE("fs: read_file refuses FIFOs, devices, directories and files over its limit before reading") {
        test_support::TempDir dir("read-file");
        const auto fifo = dir.path / "fifo";
        REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
        // With no writer, a blocking open would wait for ever.
        CHECK(test_support::kind_of([&] { fs::read_file(fifo); }) == ErrorKind::usage);
        CHECK(test_support::kind_of([&] { fs::read_file("/dev/zero"); }) == ErrorKind::usage);
        CHECK(test_support::kind_of([&] { fs::read_file(dir.path); }) == ErrorKind::usage);
        try {
            fs::read_file("/dev/zero");
        } catch (const Error& e) {
            CHECK(std::string(e.what()).find("/dev/zero: it is a device") != std::string::npos);
        }
        const auto big = dir.path / "big";
        fs::write_file_atomic(big, std::string(fs::k_max_small_file + 1, 'x'), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        CHECK(test_support::kind_of([&] { fs::read_file(big); }) == ErrorKind::usage);
        CHECK(fs::read_file(big, fs::k_max_small_file + 1).size() == fs::k_max_small_file + 1);
        const auto empty = dir.path / "empty";
        fs::write_file_atomic(empty, "", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        CHECK(fs::read_file(empty).empty());
    }

    TEST_CASE("fs: a temp file written behind and committed holds every byte; a closed one is still synced") {
        auto dir = std::filesystem::temp_directory_path() / ("cairn-util-" + random_hex(4));
        fs::ensure_dir(dir);
        fs::TempFile temp(dir, ".wb");
        fs::WriteBehind behind(temp.fd(), 4096); // a writeback every few chunks
        std::string expected;
        for (int i = 0; i < 100; ++i) {
            const std::string chunk(1000 + i, static_cast<char>('a' + i % 26));
            fs::write_all(temp.fd(), std::as_bytes(std::span(chunk)), temp.path());
            behind.wrote(chunk.size());
            expected += chunk;
        }
        temp.close();
        CHECK_FALSE(temp.committed());
        temp.commit(dir / "done");
        CHECK(temp.committed());
        CHECK(fs::read_file(dir / "done") == expected);
        CHECK_FALSE(std::filesystem::exists(temp.path()));
        CHECK(fs::same_filesystem(dir, dir / "done"));
        std::filesystem::remove_all(dir);
    }
}

#include "core/crypto/background_hasher.hpp"
#include "core/crypto/sha256.hpp"

TEST_CASE("BackgroundHasher: same digest as Sha256 over many chunks") {
    std::string data(3'000'000, '\0');
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 % 251);
    cairn::crypto::BackgroundHasher bg;
    auto bytes = std::as_bytes(std::span(data.data(), data.size()));
    for (size_t off = 0; off < bytes.size(); off += 65537) {
        bg.submit(bytes.subspan(off, std::min<size_t>(65537, bytes.size() - off)));
        bg.wait();
    }
    CHECK(bg.finish_hex() == cairn::crypto::sha256_hex(data));
}
