// Integration tests against a real S3 implementation: run when S3_ENDPOINT
// is set (tests/s3/test_backend.sh starts radosgw via scripts/rgw.sh and
// sets S3_ENDPOINT, CAIRN_S3_BUCKET and the AWS_* variables). Without it they
// are skipped with a note, unless CAIRN_S3_REQUIRED=1 (the S3 tests set it):
// then a missing endpoint fails them, so a broken set-up cannot pass as a
// run that tested nothing. Fault tests against dead endpoints run always:
// they need no server.
#include "core/storage/conformance.hpp"
#include "core/storage/s3/s3_backend.hpp"
#include "core/storage/s3/s3_client.hpp"
#include "core/storage/s3/xml.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/random.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace cairn;
using namespace cairn::storage;

namespace {

std::string env_or(const char* name, std::string fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

// Without CAIRN_S3_BUCKET (e.g. plain `cairn_tests` with the rgw.sh
// environment sourced) the tests make their own versioned bucket and drop it
// at exit; the suites leave it empty.
class OwnBucket {
  public:
    OwnBucket() : m_name("cairn-unit-" + random_hex(4)) {
        std::string error = call("PUT", {}, "");
        REQUIRE_MESSAGE(error.empty(), error);
        error = call("PUT", {{"versioning", ""}},
                     "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                     "<Status>Enabled</Status></VersioningConfiguration>");
        REQUIRE_MESSAGE(error.empty(), error);
    }
    // Runs after doctest has finished (a static's destructor): no doctest
    // macro may run here, so a bucket that cannot be dropped (a test left
    // something in it) is reported on stderr.
    ~OwnBucket() {
        if (auto error = call("DELETE", {}, ""); !error.empty()) std::cerr << error << "\n";
    }
    const std::string& name() const { return m_name; }

  private:
    // Sends one request about the bucket; returns what failed, or "".
    std::string call(const char* method, s3::Params query, std::string_view body) {
        Location l;
        l.url = "s3://" + m_name;
        l.endpoint = env_or("S3_ENDPOINT", "");
        l.allow_http = true;
        auto settings = s3::resolve_aws_settings(s3::process_env());
        s3::S3Client client(s3::resolve_s3_config(l, settings), settings.credentials, {});
        s3::S3Call c;
        c.method = method;
        c.query = std::move(query);
        c.body = body;
        auto r = client.send_ok(c);
        if (r) return "";
        return "test bucket " + m_name + ": " + method + " failed: " + r.error().message;
    }
    std::string m_name;
};

// Whether the S3 server tests can run: S3_ENDPOINT is set. When it is not,
// WHAT is skipped with a note, or fails under CAIRN_S3_REQUIRED=1.
bool have_s3(const std::string& what) {
    if (!env_or("S3_ENDPOINT", "").empty()) return true;
    if (env_or("CAIRN_S3_REQUIRED", "") == "1")
        FAIL_CHECK(what << " did not run: S3_ENDPOINT is not set but CAIRN_S3_REQUIRED=1");
    else
        MESSAGE(what << " did not run: S3_ENDPOINT is not set (tests/s3/test_backend.sh sets it)");
    return false;
}

std::string test_bucket() {
    std::string named = env_or("CAIRN_S3_BUCKET", "");
    if (!named.empty()) return named;
    static OwnBucket own;
    return own.name();
}

Location rgw_location(const std::string& prefix) {
    Location l;
    l.url = "s3://" + test_bucket() + "/" + prefix;
    l.endpoint = env_or("S3_ENDPOINT", "");
    l.allow_http = true;
    return l;
}

bool versioned_bucket() {
    return env_or("CAIRN_S3_VERSIONED", "1") == "1";
}

// Starts and lists multipart uploads under a prefix with a client of its
// own, as another (killed) process would have left them.
class Uploads {
  public:
    explicit Uploads(std::string prefix) : m_prefix(std::move(prefix)) {}

    void start(const std::string& name) {
        s3::S3Call call;
        call.method = "POST";
        call.key = m_prefix + name;
        call.query = {{"uploads", ""}};
        REQUIRE(client().send_ok(call));
    }

    // Names (relative to the prefix) of the unfinished uploads, sorted.
    std::vector<std::string> unfinished() {
        s3::S3Call call;
        call.query = {{"uploads", ""}, {"prefix", m_prefix}};
        auto response = client().send_ok(call);
        REQUIRE(response);
        auto doc = s3::parse_xml(response->body);
        REQUIRE(doc);
        REQUIRE(doc->child_text("IsTruncated") != "true");
        std::vector<std::string> names;
        for (const auto* upload : doc->children_named("Upload"))
            names.push_back(upload->child_text("Key").substr(m_prefix.size()));
        std::sort(names.begin(), names.end());
        return names;
    }

  private:
    s3::S3Client client() {
        Location l = rgw_location("");
        auto settings = s3::resolve_aws_settings(s3::process_env());
        return s3::S3Client(s3::resolve_s3_config(l, settings), settings.credentials, {});
    }
    std::string m_prefix;
};

// Small thresholds so the multipart path runs with small files.
S3Options small_parts() {
    S3Options o;
    o.multipart_threshold = 8u << 20;
    o.part_size = 5u << 20;
    return o;
}

S3Options fast_fail(std::map<std::string, std::string> vars) {
    S3Options o;
    o.http.connect_timeout_s = 2;
    o.http.low_speed_time_s = 1;
    o.http.low_speed_limit_bytes = 1;
    o.env = [vars](const std::string& n) -> std::optional<std::string> {
        auto it = vars.find(n);
        return it == vars.end() ? std::nullopt : std::optional(it->second);
    };
    return o;
}

// A TCP port on 127.0.0.1, held for the object's lifetime, that accepts
// connections (kernel backlog) but never answers: requests to it can only
// time out. Unless listening, the port refuses connections instead.
class HeldPort {
  public:
    enum class Listen { yes, no };
    explicit HeldPort(Listen listen) {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(m_fd >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        if (listen == Listen::yes) REQUIRE(::listen(m_fd, 16) == 0);
        socklen_t len = sizeof a;
        REQUIRE(::getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        m_port = ntohs(a.sin_port);
    }
    ~HeldPort() { ::close(m_fd); }
    HeldPort(const HeldPort&) = delete;
    HeldPort& operator=(const HeldPort&) = delete;
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

  private:
    int m_fd = -1;
    int m_port = 0;
};

} // namespace

TEST_SUITE("core::storage::S3") {
    TEST_CASE("conformance: radosgw (S3_ENDPOINT) passes the storage suite, multipart included") {
        if (!have_s3("S3 conformance")) return;
        std::string run = "conformance-" + random_hex(4) + "/";
        auto backend = open_s3_backend(rgw_location(run), small_parts());
        run_conformance(*backend, {"", 23u << 20, true, versioned_bucket()});
    }

    TEST_CASE("conformance: with two-entry listing pages, every listing paginates") {
        if (!have_s3("S3 pagination test")) return;
        S3Options tiny_pages;
        tiny_pages.list_page_size = 2;
        std::string run = "pages-" + random_hex(4) + "/";
        auto backend = open_s3_backend(rgw_location(run), tiny_pages);
        run_conformance(*backend, {"", 0, true, versioned_bucket()});
    }

    TEST_CASE("remove: aborts the unfinished multipart uploads of exactly its names") {
        if (!have_s3("S3 upload test")) return;
        const std::string run = "uploads-" + random_hex(4) + "/";
        Uploads uploads(run);
        // "a" is a prefix of "a2": removing "a" must leave a2's upload alone.
        for (const char* name : {"d/a", "d/a", "d/a2", "d/b"})
            uploads.start(name);
        REQUIRE(uploads.unfinished() == std::vector<std::string>{"d/a", "d/a", "d/a2", "d/b"});
        S3Options one_per_page;
        one_per_page.list_page_size = 1;
        auto backend = open_s3_backend(rgw_location(run), one_per_page);
        CHECK(backend->remove_many({"d/a", "d/b"}).empty());
        CHECK(uploads.unfinished() == std::vector<std::string>{"d/a2"});
        CHECK(backend->remove("d/a2"));
        CHECK(uploads.unfinished().empty());
    }

    TEST_CASE("options: CAIRN_STORAGE_TIMEOUT sets the stall and connect timeouts") {
        S3Options o;
        o.env = [](const std::string& n) -> std::optional<std::string> {
            if (n == "CAIRN_STORAGE_TIMEOUT") return std::string("7");
            return std::nullopt;
        };
        S3Options seven = resolve_s3_options(o);
        CHECK(seven.http.low_speed_time_s == 7);
        CHECK(seven.http.connect_timeout_s == 7);
        o.env = [](const std::string& n) -> std::optional<std::string> {
            if (n == "CAIRN_STORAGE_TIMEOUT") return std::string("120");
            return std::nullopt;
        };
        S3Options long_wait = resolve_s3_options(o);
        CHECK(long_wait.http.low_speed_time_s == 120);
        CHECK(long_wait.http.connect_timeout_s == 10); // connecting never waits longer than before
        for (const char* bad : {"0", "-1", "1.5", "soon", "99999999999999999999"}) {
            CAPTURE(bad);
            o.env = [bad](const std::string& n) -> std::optional<std::string> {
                if (n == "CAIRN_STORAGE_TIMEOUT") return std::string(bad);
                return std::nullopt;
            };
            CHECK_THROWS_WITH_AS(resolve_s3_options(o), doctest::Contains("CAIRN_STORAGE_TIMEOUT"),
                                 Error);
        }
    }

    TEST_CASE("probe: radosgw reports read/write/list/delete and versioning") {
        if (!have_s3("S3 probe test")) return;
        auto backend = open_s3_backend(rgw_location("probe/"));
        ProbeReport r = backend->probe();
        for (auto& note : r.notes)
            MESSAGE(note);
        CHECK(r.can_write);
        CHECK(r.can_read);
        CHECK(r.can_list);
        CHECK(r.can_delete);
        CHECK(r.versioning == (env_or("CAIRN_S3_VERSIONED", "1") == "1"));
        CHECK_FALSE(r.object_lock);
    }

    TEST_CASE("errors: wrong secret is auth, missing bucket is not_found") {
        if (!have_s3("S3 error tests")) return;
        S3Options bad;
        bad.env = [](const std::string& n) -> std::optional<std::string> {
            if (n == "AWS_ACCESS_KEY_ID") return env_or("AWS_ACCESS_KEY_ID", "");
            if (n == "AWS_SECRET_ACCESS_KEY") return std::string("wrong-secret");
            return std::nullopt;
        };
        auto denied = open_s3_backend(rgw_location("x/"), bad)->stat("anything");
        REQUIRE_FALSE(denied);
        CHECK(denied.error().kind == FailureKind::auth);
        CHECK(denied.error().message.find("wrong-secret") == std::string::npos);

        Location missing = rgw_location("x/");
        missing.url = "s3://no-such-bucket-" + random_hex(4) + "/x";
        auto listed = open_s3_backend(missing)->list("");
        REQUIRE_FALSE(listed);
        CHECK(listed.error().kind == FailureKind::not_found);
        CHECK(listed.error().message.find("does not exist") != std::string::npos);
    }

    TEST_CASE("faults: a closed port is transient and a put leaves nothing behind") {
        HeldPort closed(HeldPort::Listen::no); // bound, so no one else listens on it
        Location l;
        l.url = "s3://bucket/p";
        l.endpoint = closed.url();
        l.allow_http = true;
        auto backend = open_s3_backend(
            l, fast_fail({{"AWS_ACCESS_KEY_ID", "K"}, {"AWS_SECRET_ACCESS_KEY", "S"}}));
        auto src = std::filesystem::temp_directory_path() / ("cairn-dead-" + random_hex(4));
        fs::write_file_atomic(
            src, "data", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        auto st = backend->put("obj", src);
        REQUIRE_FALSE(st);
        CHECK(st.error().kind == FailureKind::transient);
        CHECK(st.error().retryable());
        std::filesystem::remove(src);
    }

    TEST_CASE("faults: a server that never answers times out") {
        HeldPort silent(HeldPort::Listen::yes);
        Location l;
        l.url = "s3://bucket/p";
        l.endpoint = silent.url();
        l.allow_http = true;
        auto backend = open_s3_backend(
            l, fast_fail({{"AWS_ACCESS_KEY_ID", "K"}, {"AWS_SECRET_ACCESS_KEY", "S"}}));
        auto st = backend->stat("obj");
        REQUIRE_FALSE(st);
        CHECK(st.error().kind == FailureKind::timeout);
    }
}

// Steps of tests/s3/test_backend.sh, which checks their effect with the aws
// CLI in between; they do nothing unless the script asks for them.
TEST_SUITE("core::storage::S3") {
    TEST_CASE("crosscheck: objects for the aws CLI to inspect") {
        std::string step = env_or("CAIRN_S3_CROSSCHECK", "");
        if (step.empty() || !have_s3("crosscheck")) return;
        REQUIRE_MESSAGE((step == "put" || step == "remove"), "unknown CAIRN_S3_CROSSCHECK " << step);
        auto backend = open_s3_backend(rgw_location("crosscheck/"));
        if (step == "put") {
            auto src = std::filesystem::temp_directory_path() / ("cairn-cc-" + random_hex(4));
            for (const char* content : {"first", "second"}) {
                fs::write_file_atomic(src, content,
                                      std::filesystem::perms::owner_read |
                                          std::filesystem::perms::owner_write);
                CHECK(backend->put("a b+c", src)); // two versions
            }
            CHECK(backend->put("\xc3\xa9t\xc3\xa9", src));
            std::filesystem::remove(src);
        } else if (step == "remove") {
            CHECK(backend->remove_many({"a b+c", "\xc3\xa9t\xc3\xa9"}).empty());
        }
    }

    TEST_CASE("faults: an upload cut mid-transfer fails retryably and leaves nothing behind") {
        // tests/s3/test_backend.sh runs tests/s3/cutting_proxy.py, passes its
        // URL, and checks afterwards that the proxy cut the upload.
        std::string proxy = env_or("CAIRN_S3_CUTTING_PROXY", "");
        if (proxy.empty() || !have_s3("the cut-upload test")) return;
        Location via_proxy = rgw_location("fault/");
        via_proxy.endpoint = proxy;
        S3Options o = small_parts();
        o.http.low_speed_time_s = 5;
        auto backend = open_s3_backend(via_proxy, o);
        // A small request passes the proxy and reaches the server, which
        // answers; a proxy that is not there would give a transient error.
        auto before = backend->stat("big");
        REQUIRE_FALSE(before);
        REQUIRE_MESSAGE(before.error().kind == FailureKind::not_found,
                        "the proxy does not reach the server: " << before.error().message);
        auto src = std::filesystem::temp_directory_path() / ("cairn-cut-" + random_hex(4));
        {
            fs::Fd fd = fs::create_exclusive(src, std::filesystem::perms::owner_read |
                                                      std::filesystem::perms::owner_write);
            std::vector<std::byte> chunk(1 << 20, std::byte{7});
            for (int i = 0; i < 12; ++i)
                fs::write_all(fd.get(), chunk, src);
        }
        auto st = backend->put("big", src);
        std::filesystem::remove(src);
        REQUIRE_FALSE(st);
        CHECK(st.error().retryable());
        auto direct = open_s3_backend(rgw_location("fault/"));
        auto info = direct->stat("big");
        REQUIRE_FALSE(info);
        CHECK(info.error().kind == FailureKind::not_found);
    }
}

TEST_SUITE("core::storage::S3") {
    TEST_CASE("faults: TLS is verified; a trusted non-S3 server is named as such") {
        // tests/s3/test_backend.sh runs `openssl s_server -www` with a
        // self-signed certificate for 127.0.0.1 and passes its URL and CA file.
        std::string endpoint = env_or("CAIRN_S3_TLS_ENDPOINT", "");
        if (endpoint.empty()) return;
        Location l;
        l.url = "s3://bucket/p";
        l.endpoint = endpoint;
        std::map<std::string, std::string> vars{{"AWS_ACCESS_KEY_ID", "K"},
                                                {"AWS_SECRET_ACCESS_KEY", "S"}};
        auto untrusted = open_s3_backend(l, fast_fail(vars))->list("");
        REQUIRE_FALSE(untrusted);
        CHECK(untrusted.error().kind == FailureKind::error);
        CHECK(untrusted.error().message.find("TLS verification failed") != std::string::npos);

        vars["AWS_CA_BUNDLE"] = env_or("CAIRN_S3_TLS_CA", "");
        auto trusted = open_s3_backend(l, fast_fail(vars))->list("");
        REQUIRE_FALSE(trusted);
        CHECK(trusted.error().message.find("does not look like an S3 service") !=
              std::string::npos);
    }
}
