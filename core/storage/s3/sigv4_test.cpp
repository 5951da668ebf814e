// SigV4 against published vectors: the AWS SigV4 test suite (credentials
// AKIDEXAMPLE, 2015-08-30T12:36:00Z, us-east-1, service "service") and the
// GET-object example from the S3 API documentation.
#include "core/crypto/sha256.hpp"
#include "core/storage/s3/sigv4.hpp"

#include <doctest/doctest.h>

using namespace cairn::storage::s3;

namespace {

constexpr const char* k_suite_access = "AKIDEXAMPLE";
constexpr const char* k_suite_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* k_empty_sha =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SigningInput suite_request(std::string method, std::string uri, Params query = {}) {
    SigningInput in;
    in.method = std::move(method);
    in.canonical_uri = std::move(uri);
    in.query = std::move(query);
    in.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
    in.payload_hash = k_empty_sha;
    in.amz_date = "20150830T123600Z";
    in.region = "us-east-1";
    in.service = "service";
    return in;
}

std::string auth_of(const SigningInput& in) {
    return authorization(in, k_suite_access, k_suite_secret);
}

std::string expected(const std::string& signed_headers, const std::string& sig) {
    return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
           "SignedHeaders=" +
           signed_headers + ", Signature=" + sig;
}

} // namespace

TEST_SUITE("core::storage::s3::sigv4") {
    TEST_CASE("suite: get-vanilla") {
        auto in = suite_request("GET", "/");
        CHECK(canonical_request(in) ==
              "GET\n/"
              "\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
                  std::string(k_empty_sha));
        CHECK(auth_of(in) ==
              expected("host;x-amz-date",
                       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
    }

    TEST_CASE("suite: get-vanilla-query-order-key sorts by name then value") {
        auto in = suite_request("GET", "/", {{"Param1", "value2"}, {"Param1", "Value1"}});
        CHECK(canonical_query(in.query) == "Param1=Value1&Param1=value2");
        CHECK(auth_of(in) ==
              expected("host;x-amz-date",
                       "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"));
    }

    TEST_CASE("suite: get-vanilla-query-order-key-case") {
        auto in = suite_request("GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}});
        CHECK(auth_of(in) ==
              expected("host;x-amz-date",
                       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"));
    }

    TEST_CASE("suite: get-utf8 encodes the path's UTF-8 bytes") {
        auto in = suite_request("GET", uri_encode("/\xe1\x88\xb4", true));
        CHECK(in.canonical_uri == "/%E1%88%B4");
        CHECK(auth_of(in) ==
              expected("host;x-amz-date",
                       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"));
    }

    TEST_CASE("suite: post-x-www-form-urlencoded signs content-type and the body hash") {
        auto in = suite_request("POST", "/");
        in.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        in.payload_hash = cairn::crypto::sha256_hex("Param1=value1");
        CHECK(in.payload_hash ==
              "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
        CHECK(auth_of(in) ==
              expected("content-type;host;x-amz-date",
                       "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"));
    }

    TEST_CASE("suite: post-sts-header-before signs the security token") {
        auto in = suite_request("POST", "/");
        in.headers.emplace_back(
            "X-Amz-Security-Token",
            "AQoDYXdzEPT//////////"
            "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRq"
            "TflfKD8YUuwthAx7mSEI/qkPpKPi/"
            "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9"
            "HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
            "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvK"
            "Tr4rvx3iSIlTJabIQwj2ICCR/oLxBA==");
        CHECK(auth_of(in) ==
              expected("host;x-amz-date;x-amz-security-token",
                       "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"));
    }

    TEST_CASE("s3 docs: GET object with Range") {
        SigningInput in;
        in.method = "GET";
        in.canonical_uri = "/test.txt";
        in.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                      {"Range", "bytes=0-9"},
                      {"x-amz-content-sha256", k_empty_sha},
                      {"x-amz-date", "20130524T000000Z"}};
        in.payload_hash = k_empty_sha;
        in.amz_date = "20130524T000000Z";
        in.region = "us-east-1";
        in.service = "s3";
        CHECK(
            authorization(in, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY") ==
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    }

    TEST_CASE("uri_encode: S3 key rules") {
        CHECK(uri_encode("a b+c=d~e%f/g", true) == "a%20b%2Bc%3Dd~e%25f/g");
        CHECK(uri_encode("a/b", false) == "a%2Fb");
        CHECK(uri_encode("\xc3\xa9t\xc3\xa9", true) == "%C3%A9t%C3%A9");
        CHECK(uri_encode("AZaz09-._~", false) == "AZaz09-._~");
    }

    TEST_CASE("canonical_query: empty values and encoded sort order") {
        CHECK(canonical_query({{"versions", ""}, {"prefix", "a b/c"}, {"delete", ""}}) ==
              "delete=&prefix=a%20b%2Fc&versions=");
        CHECK(canonical_query({}).empty());
    }

    TEST_CASE("headers: names lower-cased, values trimmed, repeats merged") {
        auto in = suite_request("GET", "/");
        in.headers.emplace_back("My-Header1", "  a   b  ");
        in.headers.emplace_back("my-header1", "c");
        CHECK(canonical_request(in).find("my-header1:a b,c\n") != std::string::npos);
    }

    TEST_CASE("amz_date: UTC basic format") {
        CHECK(amz_date(1440938160) == "20150830T123600Z");
    }
}
