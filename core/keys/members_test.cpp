#include "core/keys/keyring.hpp"
#include "core/keys/members.hpp"

#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/random.hpp"
#include "tests/unit/support.hpp"

#include <doctest/doctest.h>

#include <functional>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

using namespace cairn;
using namespace cairn::keys;
namespace stdfs = std::filesystem;

namespace {

using test_support::kind_of;

constexpr auto k_0600 = stdfs::perms::owner_read | stdfs::perms::owner_write;

struct TempDir : test_support::TempDir {
    TempDir() : test_support::TempDir("members") {}
};

std::string bio_string(BIO* bio) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<size_t>(len));
}

// A member key pair generated for the test: public PEM text, private PEM file.
struct MemberKey {
    std::string public_pem;
    stdfs::path private_file;
};

MemberKey make_member(const TempDir& dir, const char* type, size_t rsa_bits = 0) {
    EVP_PKEY* key = rsa_bits ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", rsa_bits)
                             : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
    REQUIRE(key);
    BIO* pub = BIO_new(BIO_s_mem());
    BIO* priv = BIO_new(BIO_s_mem());
    REQUIRE(PEM_write_bio_PUBKEY(pub, key) == 1);
    REQUIRE(PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
    MemberKey m{bio_string(pub), dir.path / ("member-" + random_hex(4) + ".pem")};
    fs::write_file_atomic(m.private_file, bio_string(priv), k_0600);
    BIO_free(pub);
    BIO_free(priv);
    EVP_PKEY_free(key);
    return m;
}

} // namespace

TEST_SUITE("core::keys::members") {
    TEST_CASE("wrap_for_member: RSA 2048 and X25519 round trips give a working key ring") {
        TempDir dir;
        auto ring = create_key_file(dir.path / "i.key", std::nullopt);
        crypto::SecretKey instance = read_instance_key(dir.path / "i.key");
        crypto::SecretKey data_key = crypto::SecretKey::random();
        std::string data_blob = ring->wrap(data_key);
        for (MemberKey m : {make_member(dir, "RSA", 2048), make_member(dir, "X25519")}) {
            std::string grant = wrap_for_member(instance, m.public_pem);
            CHECK(wrapped_key_id(grant) == ring->key_id());
            crypto::SecretKey back = unwrap_as_member(grant, m.private_file);
            CHECK(crypto::constant_time_equal(back.bytes(), instance.bytes()));
            auto member_ring = keyring_from_instance_key(back);
            CHECK(crypto::constant_time_equal(member_ring->unwrap(data_blob).bytes(),
                                              data_key.bytes()));
            std::string t = grant;
            t[t.size() - 3] ^= 1;
            CHECK(kind_of([&] { unwrap_as_member(t, m.private_file); }) == ErrorKind::integrity);
            CHECK(kind_of([&] { ring->unwrap(grant); }) == ErrorKind::integrity);
        }
    }

    TEST_CASE("wrap_for_member: RSA keys under 2048 bits and junk are refused") {
        TempDir dir;
        crypto::SecretKey instance = crypto::SecretKey::random();
        MemberKey small = make_member(dir, "RSA", 1024);
        try {
            wrap_for_member(instance, small.public_pem);
            FAIL("RSA 1024 accepted");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::usage);
            CHECK(std::string(e.what()).find("2048") != std::string::npos);
        }
        CHECK(kind_of([&] { wrap_for_member(instance, "not a key"); }) == ErrorKind::usage);
        MemberKey ed = make_member(dir, "ED25519");
        CHECK(kind_of([&] { wrap_for_member(instance, ed.public_pem); }) == ErrorKind::usage);
    }

    TEST_CASE("unwrap_as_member: another member's key, mixed kinds, unsafe key file") {
        TempDir dir;
        crypto::SecretKey instance = crypto::SecretKey::random();
        MemberKey alice = make_member(dir, "X25519"), bob = make_member(dir, "X25519");
        MemberKey carol = make_member(dir, "RSA", 2048), dave = make_member(dir, "RSA", 2048);
        CHECK(kind_of([&] {
                  unwrap_as_member(wrap_for_member(instance, alice.public_pem), bob.private_file);
              }) == ErrorKind::integrity);
        CHECK(kind_of([&] {
                  unwrap_as_member(wrap_for_member(instance, carol.public_pem), dave.private_file);
              }) == ErrorKind::integrity);
        CHECK(kind_of([&] {
                  unwrap_as_member(wrap_for_member(instance, alice.public_pem), carol.private_file);
              }) == ErrorKind::usage);
        std::string grant = wrap_for_member(instance, alice.public_pem);
        stdfs::permissions(alice.private_file, stdfs::perms::others_read, stdfs::perm_options::add);
        CHECK(kind_of([&] { unwrap_as_member(grant, alice.private_file); }) ==
              ErrorKind::permission);
    }

    TEST_CASE("member_fingerprint: 16 hex characters, stable, distinct") {
        TempDir dir;
        MemberKey a = make_member(dir, "X25519"), b = make_member(dir, "X25519");
        CHECK(member_fingerprint(a.public_pem).size() == 16);
        CHECK(member_fingerprint(a.public_pem) == member_fingerprint(a.public_pem));
        CHECK(member_fingerprint(a.public_pem) != member_fingerprint(b.public_pem));
    }
}
