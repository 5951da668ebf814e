#include "core/storage/s3/s3_backend.hpp"
#include "core/storage/s3/s3_client.hpp"
#include "core/storage/s3/s3_config.hpp"
#include "core/storage/s3/xml.hpp"
#include "core/util/error.hpp"

#include <doctest/doctest.h>

using namespace cairn;
using namespace cairn::storage;
using namespace cairn::storage::s3;

namespace {

Location loc(std::string url, std::string endpoint = {}, bool allow_http = false) {
    Location l;
    l.url = std::move(url);
    l.endpoint = std::move(endpoint);
    l.allow_http = allow_http;
    return l;
}

Getenv fake_env(std::map<std::string, std::string> vars) {
    return [vars](const std::string& n) -> std::optional<std::string> {
        auto it = vars.find(n);
        return it == vars.end() ? std::nullopt : std::optional(it->second);
    };
}

} // namespace

TEST_SUITE("core::storage::s3::config") {
    TEST_CASE("loopback: only 127/8, ::1 and localhost") {
        CHECK(is_loopback_host("127.0.0.1"));
        CHECK(is_loopback_host("127.255.3.4"));
        CHECK(is_loopback_host("localhost"));
        CHECK(is_loopback_host("::1"));
        CHECK(is_loopback_host("[::1]"));
        CHECK_FALSE(is_loopback_host("128.0.0.1"));
        CHECK_FALSE(is_loopback_host("127.0.0.1.evil.example"));
        CHECK_FALSE(is_loopback_host("127.0.0"));
        CHECK_FALSE(is_loopback_host("localhost.example"));
        CHECK_FALSE(is_loopback_host("10.0.0.1"));
    }

    TEST_CASE("policy: plain http only for loopback with allow_http") {
        CHECK_THROWS_AS(resolve_s3_config(loc("s3://b/p", "http://minio.example:9000", true), {}),
                        Error);
        CHECK_THROWS_AS(resolve_s3_config(loc("s3://b/p", "http://127.0.0.1:7480", false), {}),
                        Error);
        CHECK_THROWS_AS(resolve_s3_config(loc("s3://b/p", "http://10.1.2.3", true), {}), Error);
        auto c = resolve_s3_config(loc("s3://b/p", "http://127.0.0.1:7480", true), {});
        CHECK(c.scheme == "http");
        CHECK(c.path_style);
        CHECK(resolve_s3_config(loc("s3://b", "https://minio.example:9000"), {}).scheme == "https");
        CHECK_THROWS_AS(resolve_s3_config(loc("s3://b", "https://user:pw@minio.example"), {}),
                        Error);
        CHECK_THROWS_AS(resolve_s3_config(loc("s3://b", "ftp://x"), {}), Error);
        CHECK_THROWS_AS(resolve_s3_config(loc("s3:///p"), {}), Error);
    }

    TEST_CASE("policy: the environment endpoint is checked too") {
        AwsSettings s;
        s.endpoint = "http://s3.internal.example";
        CHECK_THROWS_AS(resolve_s3_config(loc("s3://b/p", "", true), s), Error);
    }

    TEST_CASE("addressing: virtual-hosted on AWS, path for custom endpoints and gs") {
        AwsSettings s;
        s.region = "eu-west-1";
        auto aws = resolve_s3_config(loc("s3://my-bucket/pre/fix"), s);
        CHECK_FALSE(aws.path_style);
        CHECK(aws.prefix == "pre/fix/");
        auto t = target_for(aws, "pre/fix/a b+c", {{"versionId", "x/y"}});
        CHECK(t.url ==
              "https://my-bucket.s3.eu-west-1.amazonaws.com/pre/fix/a%20b%2Bc?versionId=x%2Fy");
        CHECK(t.host == "my-bucket.s3.eu-west-1.amazonaws.com");
        CHECK(resolve_s3_config(loc("s3://dotted.bucket"), s).path_style);

        auto custom = resolve_s3_config(loc("s3://b", "https://minio.example:9000/"), s);
        CHECK(custom.path_style);
        CHECK(target_for(custom, "k", {}).url == "https://minio.example:9000/b/k");
        CHECK(target_for(custom, "", {{"list-type", "2"}}).url ==
              "https://minio.example:9000/b?list-type=2");

        auto gs = resolve_s3_config(loc("gs://gbucket/x"), s);
        CHECK(gs.gcs);
        CHECK(gs.path_style);
        CHECK(gs.endpoint == "https://storage.googleapis.com");
        CHECK(gs.region == "auto");
    }

    TEST_CASE("open: no credentials is a config error that names no secret") {
        S3Options o;
        o.env = fake_env({{"HOME", "/nonexistent"}});
        CHECK_THROWS_AS(open_s3_backend(loc("s3://b/p"), o), Error);
    }

    TEST_CASE("errors: statuses map to failure kinds, messages carry no secrets") {
        S3Config c = resolve_s3_config(loc("s3://bkt/p", "https://s3.example"), {});
        Credentials cred;
        cred.access_key = "AKID";
        cred.secret_key = "SUPERSECRET";
        cred.session_token = "SESSIONTOKEN";
        S3Client client(c, cred, {});
        S3Call call;
        call.subject = "obj";
        auto check = [&](long status, std::string body, FailureKind kind, std::string fragment) {
            HttpResponse r;
            r.status = status;
            r.body = std::move(body);
            Failure f = client.failure_of(r, call);
            CHECK(f.kind == kind);
            CHECK(f.message.find(fragment) != std::string::npos);
            CHECK(f.message.find("SUPERSECRET") == std::string::npos);
            CHECK(f.message.find("SESSIONTOKEN") == std::string::npos);
        };
        check(403, "<Error><Code>AccessDenied</Code></Error>", FailureKind::auth,
              "access denied by https://s3.example (check credentials and the system clock)");
        check(403, "", FailureKind::auth, "access denied by");
        check(404, "<Error><Code>NoSuchBucket</Code></Error>", FailureKind::not_found,
              "bucket bkt does not exist");
        check(404, "", FailureKind::not_found, "obj");
        check(503, "<Error><Code>SlowDown</Code></Error>", FailureKind::transient, "SlowDown");
        check(500, "", FailureKind::transient, "HTTP 500");
        check(400, "<Error><Code>RequestTimeout</Code></Error>", FailureKind::transient,
              "RequestTimeout");
        check(200, "<html><body>hi</body></html>", FailureKind::error,
              "endpoint https://s3.example does not look like an S3 service");
        check(404, "not xml at all", FailureKind::error, "does not look like an S3 service");
        // A proxy's or load balancer's own error page is an outage.
        check(503, "<html><body><h1>503 Service Unavailable</h1></body></html>", FailureKind::transient,
              "https://s3.example is unavailable or throttling (HTTP 503)");
        check(502, "Bad Gateway", FailureKind::transient, "not from S3 itself");
        check(429, "Too Many Requests", FailureKind::transient, "throttling (HTTP 429)");
    }

    TEST_CASE("xml: entities, CDATA, namespaces; malformed and DOCTYPE refused") {
        auto doc = parse_xml(
            "<?xml version=\"1.0\"?>\n<ListBucketResult "
            "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Contents><Key>a&amp;b &lt;&#x41;&#66;</Key><Size>3</Size></Contents>"
            "<Contents><Key><![CDATA[x<y]]></Key></Contents><!-- c --><Empty/></ListBucketResult>");
        REQUIRE(doc);
        CHECK(doc->name == "ListBucketResult");
        auto items = doc->children_named("Contents");
        REQUIRE(items.size() == 2);
        CHECK(items[0]->child_text("Key") == "a&b <AB");
        CHECK(items[1]->child_text("Key") == "x<y");
        CHECK(doc->child("Empty"));
        CHECK_FALSE(parse_xml("<a><b></a></b>"));
        CHECK_FALSE(parse_xml("<a>"));
        CHECK_FALSE(parse_xml("<!DOCTYPE x [<!ENTITY e \"boom\">]><a>&e;</a>"));
        CHECK_FALSE(parse_xml("<a>&bogus;</a>"));
        CHECK_FALSE(parse_xml("<html>ok</html> trailing"));
        CHECK(xml_escape("a<&>\"'") == "a&lt;&amp;&gt;&quot;&apos;");
    }
}
