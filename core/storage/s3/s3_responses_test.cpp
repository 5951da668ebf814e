#include "core/storage/s3/s3_responses.hpp"

#include <doctest/doctest.h>

using namespace cairn::storage;
using namespace cairn::storage::s3;

namespace {

S3Config location(std::string prefix, bool gcs = false) {
    S3Config c;
    c.gcs = gcs;
    c.bucket = "b";
    c.prefix = std::move(prefix);
    c.endpoint = "https://s3.example.test";
    return c;
}

} // namespace

TEST_SUITE("core::storage::s3::responses") {
    TEST_CASE(
        "parse_object_listing: names under the prefix, decoded, with sizes and the next token") {
        auto page = parse_object_listing(
            location("team/"),
            "<?xml version=\"1.0\"?><ListBucketResult "
            "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
            "<Contents><Key>team/a%20b+c</Key><Size>150103</Size></Contents>"
            "<Contents><Key>other/x</Key><Size>1</Size></Contents>"
            "<NextContinuationToken>tok</NextContinuationToken></ListBucketResult>");
        REQUIRE(page);
        REQUIRE(page->objects.size() == 1);
        CHECK(page->objects[0].name == "a b c");
        CHECK(page->objects[0].size == 150103);
        CHECK(page->next_token == "tok");
    }

    TEST_CASE("parse_object_listing: a size that is not a number is a failure, not an exception") {
        // tests/fuzz/regressions/s3_xml/size_not_a_number.xml
        for (const char* size : {"12abc", "-1", "", "18446744073709551616"}) {
            CAPTURE(size);
            auto page = parse_object_listing(
                location(""), std::string("<ListBucketResult><Contents><Key>k</Key><Size>") + size +
                                  "</Size></Contents></ListBucketResult>");
            if (std::string(size).empty()) {
                CHECK(page); // no size given: 0
            } else {
                REQUIRE_FALSE(page);
                CHECK(page.error().kind == FailureKind::error);
                CHECK(page.error().message.find("invalid size") != std::string::npos);
            }
        }
    }

    TEST_CASE("parse_version_listing and parse_upload_listing: a truncated page needs a marker") {
        auto versions = parse_version_listing(
            location(""), "<ListVersionsResult><IsTruncated>true</IsTruncated>"
                          "<Version><Key>k</Key><VersionId>1</VersionId></Version>"
                          "<DeleteMarker><Key>k</Key><VersionId>2</VersionId></DeleteMarker></"
                          "ListVersionsResult>");
        REQUIRE_FALSE(versions);
        auto uploads = parse_upload_listing(
            location(""),
            "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated><NextKeyMarker>k</"
            "NextKeyMarker>"
            "<Upload><Key>k</Key><UploadId>u</UploadId></Upload></ListMultipartUploadsResult>");
        REQUIRE(uploads);
        CHECK(uploads->uploads.size() == 1);
        CHECK(uploads->next.key == "k");
    }

    TEST_CASE("parse_delete_result: each error by name; anything else is not a DeleteResult") {
        auto errors = parse_delete_result(
            location("p/"), "<DeleteResult><Deleted><Key>p/a</Key></Deleted>"
                            "<Error><Key>p/b</Key><Code>AccessDenied</Code></Error>"
                            "<Error><Key>p/c</Key><Code>SlowDown</Code></Error></DeleteResult>");
        REQUIRE(errors);
        REQUIRE(errors->size() == 2);
        CHECK((*errors)[0].first == "b");
        CHECK((*errors)[0].second.kind == FailureKind::auth);
        CHECK((*errors)[1].second.kind == FailureKind::transient);
        CHECK_FALSE(parse_delete_result(location(""), "<Error><Code>InternalError</Code></Error>"));
    }
}
