#include "core/access/identity.hpp"
#include "core/access/members.hpp"
#include "core/access/rotation.hpp"
#include "core/artifact/load.hpp"
#include "core/artifact/save.hpp"
#include "core/crypto/sha256.hpp"
#include "core/instance/init.hpp"
#include "core/instance/instance.hpp"
#include "core/keys/keyring.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/random.hpp"
#include "tests/unit/support.hpp"

#include <doctest/doctest.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <functional>
#include <map>

using namespace cairn;
namespace stdfs = std::filesystem;

namespace {

using test_support::kind_of;

constexpr auto k_0600 = stdfs::perms::owner_read | stdfs::perms::owner_write;

// An instance in a temp dir with its key file beside it; no environment leaks in.
struct Fixture {
    stdfs::path dir = stdfs::temp_directory_path() / ("cairn-rotation-" + random_hex(6));
    stdfs::path key_file = dir / "keys" / "i.key";
    stdfs::path inst_dir = dir / "inst";

    Fixture() {
        fs::ensure_dir(inst_dir);
        fs::ensure_dir(key_file.parent_path());
        ::setenv("XDG_CACHE_HOME", (dir / "cache").c_str(), 1);
        ::setenv("XDG_STATE_HOME", (dir / "state").c_str(), 1); // init records the audit head there
        for (const char* v :
             {"CAIRN_KEY_FILE", "CAIRN_IDENTITY", "CAIRN_INSTANCE", "CAIRN_PASSPHRASE_FILE"})
            ::unsetenv(v);
        InitOptions o;
        o.dir = inst_dir;
        o.key_file = key_file.string();
        o.argv = {"test"};
        init_instance(o);
    }
    ~Fixture() {
        ::unsetenv("CAIRN_IDENTITY");
        std::error_code ec;
        stdfs::remove_all(dir, ec);
    }
    std::unique_ptr<Instance> open() { return open_instance(inst_dir.string(), {"test"}); }

    // Saves `content` under `key`; returns the uid.
    std::string save(Instance& inst, const std::string& key, const std::string& content) {
        const stdfs::path src = dir / ("src-" + random_hex(4));
        fs::write_file_atomic(src, content, k_0600);
        return artifact::save(inst, {src, key, "", {}, {}}).artifact.uid;
    }
    std::string load(Instance& inst, const std::string& ref) {
        const stdfs::path out = dir / ("out-" + random_hex(4));
        artifact::load(inst, {ref, out.string(), false, {}});
        return fs::read_file(out);
    }
    // sha256 of every stored object, by name.
    std::map<std::string, std::string> object_sums() {
        std::map<std::string, std::string> sums;
        for (const auto& e : stdfs::recursive_directory_iterator(inst_dir / ".cairn" / "storage"))
            if (e.is_regular_file())
                sums[e.path().string()] = crypto::sha256_hex(fs::read_file(e.path()));
        return sums;
    }
};

std::map<std::string, std::string> wrapped_keys(Instance& inst) {
    std::map<std::string, std::string> out;
    sql::Statement q(inst.catalog().sql(), "SELECT uid, wrapped_key FROM artifact");
    while (q.executeStep())
        out[q.getColumn(0).getString()] =
            std::string(static_cast<const char*>(q.getColumn(1).getBlob()),
                        static_cast<size_t>(q.getColumn(1).getBytes()));
    return out;
}

struct SimulatedCrash {};

// An X25519 member key pair: public PEM file and 0600 private PEM file.
std::pair<stdfs::path, stdfs::path> make_member_key(const stdfs::path& dir) {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519");
    REQUIRE(key);
    BIO* pub = BIO_new(BIO_s_mem());
    BIO* priv = BIO_new(BIO_s_mem());
    REQUIRE(PEM_write_bio_PUBKEY(pub, key) == 1);
    REQUIRE(PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
    auto text = [](BIO* b) {
        char* data = nullptr;
        long len = BIO_get_mem_data(b, &data);
        return std::string(data, static_cast<size_t>(len));
    };
    const std::string name = random_hex(4);
    std::pair<stdfs::path, stdfs::path> files{dir / (name + ".pub"), dir / (name + ".pem")};
    fs::write_file_atomic(files.first, text(pub), k_0600);
    fs::write_file_atomic(files.second, text(priv), k_0600);
    BIO_free(pub);
    BIO_free(priv);
    EVP_PKEY_free(key);
    return files;
}

} // namespace

TEST_SUITE("core::access::rotation") {
    TEST_CASE(
        "rotate_instance_key: rewraps every data key, keeps contents, old key opens nothing") {
        Fixture f;
        auto inst = f.open();
        std::map<std::string, std::string> content;
        for (int i = 0; i < 3; ++i)
            content[f.save(*inst, "k/" + std::to_string(i), random_hex(100 + i))] = "";
        const auto before = wrapped_keys(*inst);
        const auto sums_before = f.object_sums();
        const crypto::SecretKey old_key = keys::read_instance_key(f.key_file);
        const std::string old_id = keys::key_id_of(old_key);

        access::RotateResult r = access::rotate_instance_key(*inst);
        CHECK(r.old_key_id == old_id);
        CHECK(r.new_key_id != old_id);
        CHECK(r.rewrapped == 3);
        CHECK(r.key_file == f.key_file);
        CHECK(access::current_key_id(inst->catalog()) == r.new_key_id);
        CHECK(keys::inspect_key_file(f.key_file).key_id == r.new_key_id);
        CHECK(!stdfs::exists(access::pending_key_path(f.key_file, r.new_key_id)));

        const auto after = wrapped_keys(*inst);
        auto old_ring = keys::keyring_from_instance_key(old_key);
        auto new_ring = keys::open_key_file(f.key_file);
        for (const auto& [uid, wrapped] : after) {
            CHECK(wrapped != before.at(uid));
            CHECK(keys::wrapped_key_id(wrapped) == r.new_key_id);
            CHECK(kind_of([&] { old_ring->unwrap(wrapped); }) == ErrorKind::integrity);
            // Same data key as before: the new key unwraps what the old key unwrapped.
            CHECK(crypto::constant_time_equal(new_ring->unwrap(wrapped).bytes(),
                                              old_ring->unwrap(before.at(uid)).bytes()));
        }
        CHECK(f.object_sums() == sums_before);
        for (int i = 0; i < 3; ++i)
            CHECK(f.load(*inst, "k/" + std::to_string(i)).size() == size_t(200 + 2 * i));
    }

    TEST_CASE("rotate_instance_key: a failure before COMMIT changes nothing and removes the "
              "pending key") {
        Fixture f;
        auto inst = f.open();
        f.save(*inst, "a", "alpha");
        const auto before = wrapped_keys(*inst);
        const std::string old_id = keys::inspect_key_file(f.key_file).key_id;
        access::RotateOptions o;
        o.after_step = [](std::string_view step) {
            if (step == "pending-key-written") throw SimulatedCrash{};
        };
        CHECK_THROWS_AS(access::rotate_instance_key(*inst, o), SimulatedCrash);
        CHECK(wrapped_keys(*inst) == before);
        CHECK(access::current_key_id(inst->catalog()) == old_id);
        CHECK(keys::inspect_key_file(f.key_file).key_id == old_id);
        CHECK(std::distance(stdfs::directory_iterator(f.key_file.parent_path()),
                            stdfs::directory_iterator()) == 1);
        auto again = f.open();
        CHECK(f.load(*again, "a") == "alpha");
    }

    TEST_CASE("rotate_instance_key: a crash after COMMIT is finished by the next process") {
        Fixture f;
        auto inst = f.open();
        f.save(*inst, "a", "alpha");
        const std::string old_id = keys::inspect_key_file(f.key_file).key_id;
        std::string new_id;
        access::RotateOptions o;
        o.after_step = [](std::string_view step) {
            if (step == "committed") throw SimulatedCrash{};
        };
        CHECK_THROWS_AS(access::rotate_instance_key(*inst, o), SimulatedCrash);
        new_id = *access::current_key_id(inst->catalog());
        CHECK(new_id != old_id);
        // The key file still holds the old key, but the new one is on disk.
        CHECK(keys::inspect_key_file(f.key_file).key_id == old_id);
        const stdfs::path pending = access::pending_key_path(f.key_file, new_id);
        REQUIRE(stdfs::exists(pending));
        CHECK((stdfs::status(pending).permissions() & stdfs::perms::all) == k_0600);

        auto next = f.open();
        CHECK(f.load(*next, "a") == "alpha");
        CHECK(keys::inspect_key_file(f.key_file).key_id == new_id);
        CHECK(!stdfs::exists(pending));
    }

    TEST_CASE("rotate_instance_key: the next rotation removes pending keys of rotations that never "
              "committed") {
        Fixture f;
        auto inst = f.open();
        const crypto::SecretKey stray = crypto::SecretKey::random();
        const stdfs::path abandoned = access::pending_key_path(f.key_file, keys::key_id_of(stray));
        keys::write_key_file(abandoned, stray, std::nullopt);
        access::rotate_instance_key(*inst);
        CHECK(!stdfs::exists(abandoned));
    }

    TEST_CASE("save: refuses to record a data key wrapped under a key rotated meanwhile") {
        Fixture f;
        auto writer = f.open();
        writer->keyring(); // opened before the rotation, like a long save
        auto admin = f.open();
        access::rotate_instance_key(*admin);
        CHECK(kind_of([&] { f.save(*writer, "late", "data"); }) == ErrorKind::conflict);
        auto fresh = f.open();
        CHECK(catalog::find_latest(fresh->catalog(), "late") == std::nullopt);
    }

    TEST_CASE(
        "revoke: rotates, drops the grant, and the revoked key is refused naming the member") {
        Fixture f;
        auto inst = f.open();
        const std::string uid = f.save(*inst, "a", "alpha");
        auto [ann_pub, ann_priv] = make_member_key(f.dir);
        auto [bob_pub, bob_priv] = make_member_key(f.dir);
        access::grant(*inst, {"ann", ann_pub, keys::Role::reader});
        access::grant(*inst, {"bob", bob_pub, keys::Role::writer});

        access::RevokeResult r = access::revoke(*inst, "ann");
        CHECK(r.rotation.members_regranted == 1);
        REQUIRE(r.exposed.size() == 1);
        CHECK(r.exposed[0].uid == uid);
        CHECK(access::find_member(inst->catalog(), "ann")->wrapped_instance_key.empty());

        ::setenv("CAIRN_IDENTITY", ann_priv.c_str(), 1);
        auto as_ann = f.open();
        try {
            as_ann->principal();
            FAIL("a revoked member was accepted");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::permission);
            CHECK(std::string(e.what()).find("ann") != std::string::npos);
        }
        ::setenv("CAIRN_IDENTITY", bob_priv.c_str(), 1);
        auto as_bob = f.open();
        CHECK(f.load(*as_bob, "a") == "alpha");
        CHECK(kind_of([&] { access::rotate_instance_key(*as_bob); }) == ErrorKind::permission);
    }
}

TEST_SUITE("core::keys::access") {
    TEST_CASE("require: readers load, writers save, admins administer") {
        using keys::Action;
        using keys::Principal;
        using keys::Role;
        auto allowed = [](const Principal& p, Action a) {
            return kind_of([&] { keys::require(p, a); }) == ErrorKind::internal;
        };
        const Principal reader{Principal::Kind::member, "r", Role::reader};
        const Principal writer{Principal::Kind::member, "w", Role::writer};
        const Principal admin{Principal::Kind::member, "a", Role::admin};
        const Principal file{Principal::Kind::key_file, "k", Role::admin};
        const Principal write_only{Principal::Kind::write_only_key_file, "wo", Role::writer};
        CHECK(allowed(reader, Action::load));
        CHECK(!allowed(reader, Action::save));
        CHECK(!allowed(reader, Action::administer));
        CHECK(allowed(writer, Action::save));
        CHECK(!allowed(writer, Action::administer));
        CHECK(allowed(admin, Action::administer));
        CHECK(allowed(file, Action::administer));
        CHECK(allowed(write_only, Action::save));
        CHECK(!allowed(write_only, Action::administer));
        CHECK(kind_of([&] { keys::require(reader, Action::save); }) == ErrorKind::permission);
        CHECK(kind_of([] { keys::parse_role("owner"); }) == ErrorKind::usage);
    }
}
