// Known-answer tests: key files and wrapped keys produced by the independent
// reference tests/vectors/make_keys_v1.py must keep loading (format version 1).
#include "core/keys/keyring.hpp"
#include "core/keys/members.hpp"

#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/hex.hpp"
#include "core/util/random.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

using namespace cairn;
using namespace cairn::keys;
namespace stdfs = std::filesystem;

namespace {

constexpr auto k_0600 = stdfs::perms::owner_read | stdfs::perms::owner_write;
const stdfs::path k_vectors = stdfs::path(CAIRN_SOURCE_DIR) / "tests/vectors";
const std::string k_key_id = "75121a0ec77e7f73";
const char* const k_wrap1 =
    "0175121a0ec77e7f73b0b1b2b3b4b5b6b7b8b9babbd91418e8a888fd180fb1dde98110c68dd46d1b81417"
    "bd9620697d8aa00dfac49cda9a66ca349a0c564faf046bfd8b96d";
const char* const k_wrap2 =
    "0275121a0ec77e7f73675dd574ed7789310b3d2e7681f3790b466c773b1521fecf36577958371ea52f6bb"
    "ae7739a0e6854dadfadd4acb5749203d2e6da014a7276f894194803a9f89b4454b8456cd39230daba1a43"
    "0f671d27";
const char* const k_grant4 =
    "0475121a0ec77e7f73736845d54e87de09d6bb114aa7042c50a4a015bd9901d1a0026f5956533a151979a"
    "418206f5fa2f275a1b5d26d5d5390f618ef9ecb6717d9ea9d08bd5d8a96f08a7cfcab16d76b9e8d6458"
    "51c512e525";

struct TempDir {
    stdfs::path path = stdfs::temp_directory_path() / ("cairn-vectors-" + random_hex(6));
    TempDir() { fs::ensure_dir(path); }
    ~TempDir() {
        ::unsetenv("CAIRN_PASSPHRASE_FILE");
        stdfs::remove_all(path);
    }
    // Git does not keep 0600, so copy a committed file into a private one.
    stdfs::path private_copy(const std::string& name) const {
        fs::write_file_atomic(path / name, fs::read_file(k_vectors / name), k_0600);
        return path / name;
    }
};

std::string blob(const char* hex) {
    auto b = from_hex(hex);
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

bool is_range(const crypto::SecretKey& k, unsigned first) {
    for (size_t i = 0; i < k.bytes().size(); ++i)
        if (k.bytes()[i] != std::byte(first + i)) return false;
    return true;
}

} // namespace

TEST_SUITE("core::keys::vectors") {
    TEST_CASE("key files and wrapped keys written by format version 1 still load") {
        TempDir dir;
        auto plain = open_key_file(dir.private_copy("keyfile_v1_plain.key"));
        CHECK(plain->key_id() == k_key_id);
        CHECK(is_range(read_instance_key(dir.path / "keyfile_v1_plain.key"), 0x00));
        CHECK(is_range(plain->unwrap(blob(k_wrap1)), 0x40));
        CHECK(is_range(plain->unwrap(blob(k_wrap2)), 0x40));

        fs::write_file_atomic(dir.path / "pass", "cairn test vector\n", k_0600);
        ::setenv("CAIRN_PASSPHRASE_FILE", (dir.path / "pass").c_str(), 1);
        CHECK(is_range(read_instance_key(dir.private_copy("keyfile_v1_scrypt.key")), 0x00));

        auto wo = open_key_file(dir.private_copy("keyfile_v1_write_only.key"));
        CHECK(wo->key_id() == k_key_id);
        CHECK(is_range(plain->unwrap(wo->wrap(crypto::SecretKey::from_bytes(from_hex(
                           "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f")))),
                       0x40));

        CHECK(is_range(unwrap_as_member(blob(k_grant4), dir.private_copy("member_x25519_v1.pem")),
                       0x00));
    }

    TEST_CASE("export_write_only_key_file matches the reference byte for byte") {
        TempDir dir;
        export_write_only_key_file(dir.private_copy("keyfile_v1_plain.key"), dir.path / "wo.key");
        CHECK(fs::read_file(dir.path / "wo.key") ==
              fs::read_file(k_vectors / "keyfile_v1_write_only.key"));
    }
}
