#include "core/keys/keyring.hpp"
#include "core/keys/passphrase.hpp"

#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/random.hpp"
#include "tests/unit/support.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <unistd.h>

using namespace cairn;
using namespace cairn::keys;
namespace stdfs = std::filesystem;

namespace {

constexpr auto k_0600 = stdfs::perms::owner_read | stdfs::perms::owner_write;

// Also forgets the passphrase file a test pointed CAIRN_PASSPHRASE_FILE at.
struct TempDir : test_support::TempDir {
    TempDir() : test_support::TempDir("keys") {}
    ~TempDir() { ::unsetenv("CAIRN_PASSPHRASE_FILE"); }
};

void use_passphrase(const TempDir& dir, const std::string& passphrase, stdfs::perms mode = k_0600) {
    auto file = dir.path / ("pass-" + random_hex(4));
    fs::write_file_atomic(file, passphrase + "\n", mode);
    ::setenv("CAIRN_PASSPHRASE_FILE", file.c_str(), 1);
}

template <typename F> Error error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e;
    }
    FAIL("expected a cairn::Error");
    return Error(ErrorKind::internal, "unreachable");
}

} // namespace

TEST_SUITE("core::keys::KeyRing") {
    TEST_CASE("create_key_file: 0600, reopens with the same key id, refuses to overwrite") {
        TempDir dir;
        auto file = dir.path / "i.key";
        auto ring = create_key_file(file, std::nullopt);
        CHECK((stdfs::status(file).permissions() & stdfs::perms::all) == k_0600);
        CHECK(ring->key_id().size() == 16);
        CHECK(ring->can_unwrap());
        auto again = open_key_file(file);
        CHECK(again->key_id() == ring->key_id());
        CHECK(error_of([&] { create_key_file(file, std::nullopt); }).kind() == ErrorKind::conflict);
    }

    TEST_CASE("wrap: round trip across a reopen; blobs carry the key id") {
        TempDir dir;
        auto ring = create_key_file(dir.path / "i.key", std::nullopt);
        crypto::SecretKey data_key = crypto::SecretKey::random();
        std::string blob = ring->wrap(data_key);
        CHECK(wrapped_key_id(blob) == ring->key_id());
        CHECK(ring->wrap(data_key) != blob); // fresh nonce every time
        auto back = open_key_file(dir.path / "i.key")->unwrap(blob);
        CHECK(crypto::constant_time_equal(back.bytes(), data_key.bytes()));
    }

    TEST_CASE("unwrap: wrong key and tampered blobs are integrity errors") {
        TempDir dir;
        auto a = create_key_file(dir.path / "a.key", std::nullopt);
        auto b = create_key_file(dir.path / "b.key", std::nullopt);
        std::string blob = a->wrap(crypto::SecretKey::random());
        CHECK(error_of([&] { b->unwrap(blob); }).kind() == ErrorKind::integrity);
        for (size_t i = 0; i < blob.size(); ++i) {
            std::string t = blob;
            t[i] = static_cast<char>(t[i] ^ 0x20);
            CAPTURE(i);
            CHECK(error_of([&] { a->unwrap(t); }).kind() == ErrorKind::integrity);
        }
        CHECK(error_of([&] { a->unwrap(blob.substr(0, 20)); }).kind() == ErrorKind::integrity);
        CHECK(error_of([&] { a->unwrap(blob + "x"); }).kind() == ErrorKind::integrity);
    }

    TEST_CASE("open_key_file: refuses a key file readable by others") {
        TempDir dir;
        auto file = dir.path / "i.key";
        create_key_file(file, std::nullopt);
        stdfs::permissions(file, stdfs::perms::group_read, stdfs::perm_options::add);
        Error e = error_of([&] { open_key_file(file); });
        CHECK(e.kind() == ErrorKind::permission);
        CHECK(e.hint().find("chmod 600 " + file.string()) != std::string::npos);
    }

    TEST_CASE("passphrase: right one opens, wrong one is a permission error") {
        TempDir dir;
        auto file = dir.path / "i.key";
        auto ring = create_key_file(file, std::string("correct horse battery staple"));
        CHECK(fs::read_file(file).find("protection: scrypt") != std::string::npos);
        use_passphrase(dir, "correct horse battery staple");
        CHECK(open_key_file(file)->key_id() == ring->key_id());
        use_passphrase(dir, "wrong horse");
        Error e = error_of([&] { open_key_file(file); });
        CHECK(e.kind() == ErrorKind::permission);
        CHECK(std::string(e.what()) == "wrong passphrase for key file " + file.string());
    }

    TEST_CASE("passphrase: unsafe passphrase file or no source is refused") {
        TempDir dir;
        auto file = dir.path / "i.key";
        create_key_file(file, std::string("pw"));
        use_passphrase(dir, "pw", k_0600 | stdfs::perms::others_read);
        CHECK(error_of([&] { open_key_file(file); }).kind() == ErrorKind::permission);
        ::unsetenv("CAIRN_PASSPHRASE_FILE");
        if (!::isatty(STDIN_FILENO)) {
            Error e = error_of([&] { open_key_file(file); });
            CHECK(e.kind() == ErrorKind::permission);
            CHECK(std::string(e.what()).find("CAIRN_PASSPHRASE_FILE") != std::string::npos);
        }
        CHECK(error_of([&] { create_key_file(dir.path / "empty.key", std::string()); }).kind() ==
              ErrorKind::usage);
    }

    TEST_CASE("write-only key file: wraps for the full key, refuses to unwrap") {
        TempDir dir;
        auto full_file = dir.path / "i.key", wo_file = dir.path / "i.write-only.key";
        auto full = create_key_file(full_file, std::nullopt);
        export_write_only_key_file(full_file, wo_file);
        CHECK((stdfs::status(wo_file).permissions() & stdfs::perms::all) == k_0600);
        CHECK(fs::read_file(wo_file).find("instance-key") == std::string::npos);
        auto wo = open_key_file(wo_file);
        CHECK_FALSE(wo->can_unwrap());
        CHECK(wo->key_id() == full->key_id());
        crypto::SecretKey data_key = crypto::SecretKey::random();
        std::string blob = wo->wrap(data_key);
        CHECK(crypto::constant_time_equal(full->unwrap(blob).bytes(), data_key.bytes()));
        Error e = error_of([&] { wo->unwrap(blob); });
        CHECK(e.kind() == ErrorKind::permission);
        CHECK(std::string(e.what()) ==
              "this key file can only save (write-only); loading needs the instance key");
        CHECK(error_of([&] { read_instance_key(wo_file); }).kind() == ErrorKind::permission);
        std::string t = blob;
        t[20] ^= 1;
        CHECK(error_of([&] { full->unwrap(t); }).kind() == ErrorKind::integrity);
        auto other = create_key_file(dir.path / "other.key", std::nullopt);
        CHECK(error_of([&] { other->unwrap(blob); }).kind() == ErrorKind::integrity);
    }

    TEST_CASE("rotation: rewrap moves a data key from the old key to the new one") {
        TempDir dir;
        auto old_ring = create_key_file(dir.path / "old.key", std::nullopt);
        auto new_ring = create_key_file(dir.path / "new.key", std::nullopt);
        crypto::SecretKey data_key = crypto::SecretKey::random();
        std::string blob = rewrap(old_ring->wrap(data_key), *old_ring, *new_ring);
        CHECK(wrapped_key_id(blob) == new_ring->key_id());
        CHECK(crypto::constant_time_equal(new_ring->unwrap(blob).bytes(), data_key.bytes()));
        CHECK(error_of([&] { old_ring->unwrap(blob); }).kind() == ErrorKind::integrity);
    }

    TEST_CASE("write_key_file and read_instance_key: same key, new protection") {
        TempDir dir;
        auto ring = create_key_file(dir.path / "a.key", std::nullopt);
        crypto::SecretKey key = read_instance_key(dir.path / "a.key");
        CHECK(key_id_of(key) == ring->key_id());
        write_key_file(dir.path / "b.key", key, std::string("s3cret"));
        use_passphrase(dir, "s3cret");
        CHECK(keyring_from_instance_key(read_instance_key(dir.path / "b.key"))->key_id() ==
              ring->key_id());
    }

    TEST_CASE("key file: malformed or edited files are integrity errors") {
        TempDir dir;
        auto file = dir.path / "i.key";
        create_key_file(file, std::nullopt);
        const std::string text = fs::read_file(file);
        auto check_bad = [&](const std::string& edited) {
            fs::write_file_atomic(file, edited, k_0600);
            CHECK(error_of([&] { open_key_file(file); }).kind() == ErrorKind::integrity);
        };
        std::string t = text;
        t[t.find("key-id: ") + 8] = t[t.find("key-id: ") + 8] == 'a' ? 'b' : 'a';
        check_bad(t);
        check_bad(text + "colour: blue\n");
        check_bad(text + "kind: full\n");
        t = text;
        t.replace(t.find("cairn-key-file: 1"), 17, "cairn-key-file: 2");
        check_bad(t);
        check_bad("hello\n");
        check_bad("");
    }

    TEST_CASE("scrypt parameters: new files use 2^17; a hostile file is refused before any work") {
        CHECK(ScryptParams{}.log_n == 17);
        TempDir dir;
        auto file = dir.path / "p.key";
        create_key_file(file, std::string("correct horse"));
        use_passphrase(dir, "correct horse");
        const std::string text = fs::read_file(file);
        CHECK(text.find("scrypt-log2-n: 17\n") != std::string::npos);
        CHECK_NOTHROW(open_key_file(file));
        // The file with its fields set to the given values.
        auto with = [&](const std::vector<std::pair<std::string, std::string>>& fields) {
            std::string t = text;
            for (const auto& [name, value] : fields) {
                const size_t at = t.find(name + ": ") + name.size() + 2;
                t.replace(at, t.find('\n', at) - at, value);
            }
            return t;
        };
        // Each is refused before scrypt runs (its kind is asserted, not its
        // time): out of range one by one, or in range but over the bounds
        // together (2^20 * 32 * 128 bytes = 4 GiB; 2^17 * 8 * 16 = 2^24 work).
        const std::vector<std::vector<std::pair<std::string, std::string>>> hostile = {
            {{"scrypt-log2-n", "21"}}, {{"scrypt-log2-n", "14"}}, {{"scrypt-r", "33"}},
            {{"scrypt-p", "17"}},      {{"scrypt-p", "0"}},       {{"scrypt-log2-n", "20"}, {"scrypt-r", "32"}},
            {{"scrypt-p", "16"}},
        };
        for (const auto& fields : hostile) {
            fs::write_file_atomic(file, with(fields), k_0600);
            CHECK_MESSAGE(error_of([&] { open_key_file(file); }).kind() == ErrorKind::integrity,
                          fields.front().first, "=", fields.front().second);
        }
        ScryptParams edge;
        edge.log_n = 20;
        CHECK(scrypt_memory_bytes(edge) == k_max_scrypt_memory);
        CHECK_NOTHROW(check_scrypt_params(edge, file));
        edge.p = 2;
        CHECK(error_of([&] { check_scrypt_params(edge, file); }).kind() == ErrorKind::integrity);
    }

    TEST_CASE("default_key_path: under XDG_CONFIG_HOME") {
        const char* old = std::getenv("XDG_CONFIG_HOME");
        std::string saved = old ? old : "";
        ::setenv("XDG_CONFIG_HOME", "/tmp/xdg", 1);
        CHECK(default_key_path("abc") == stdfs::path("/tmp/xdg/cairn/keys/abc.key"));
        if (old)
            ::setenv("XDG_CONFIG_HOME", saved.c_str(), 1);
        else
            ::unsetenv("XDG_CONFIG_HOME");
    }
}
