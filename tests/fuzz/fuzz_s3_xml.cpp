// What cairn reads from an S3 or GCS endpoint: the XML reader, the listing
// and batch-delete parsers, and the error bodies behind each Failure. An
// input "NNN\n<body>" is a response with HTTP status NNN; any other input is
// the body of a 500. A hostile or broken endpoint must produce a Failure,
// never an exception or a crash.
#include "core/storage/s3/s3_client.hpp"
#include "core/storage/s3/s3_responses.hpp"
#include "core/storage/s3/xml.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <iterator>
#include <string>

namespace {

using namespace cairn::storage::s3;

S3Config config_of(bool gcs, std::string prefix) {
    S3Config c;
    c.gcs = gcs;
    c.bucket = "bucket";
    c.prefix = std::move(prefix);
    c.scheme = "https";
    c.authority = "s3.example.test";
    c.endpoint = "https://s3.example.test";
    c.region = "us-east-1";
    return c;
}

const S3Config k_configs[] = {config_of(false, ""), config_of(false, "team/"),
                              config_of(true, "data/")};

// Builds no connection: the client opens one only when a request is sent.
S3Client& client() {
    static S3Client c(k_configs[1], Credentials{}, HttpOptions{});
    return c;
}

void check_xml(const XmlNode& n, int depth) {
    cairn::fuzz::require(depth <= 65 && !n.name.empty(),
                         "elements are named and nest at most 64 deep");
    for (const XmlNode& child : n.children)
        check_xml(child, depth + 1);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view body = cairn::fuzz::text_of(data, size);
    long status = 500;
    if (body.size() >= 4 && body[3] == '\n' &&
        body.substr(0, 3).find_first_not_of("0123456789") == std::string_view::npos) {
        status = std::stol(std::string(body.substr(0, 3)));
        body.remove_prefix(4);
    }
    if (auto doc = parse_xml(body)) check_xml(*doc, 0);
    // One location per input (each parser reads the whole body again).
    const S3Config& c = k_configs[size % std::size(k_configs)];
    (void)parse_object_listing(c, body);
    (void)parse_version_listing(c, body);
    (void)parse_upload_listing(c, body);
    (void)parse_delete_result(c, body);
    HttpResponse response;
    response.status = status;
    response.body = std::string(body);
    response.headers = {{"x-amz-bucket-region", "eu-west-1"}};
    (void)error_code(response);
    S3Call call;
    call.subject = "objects/ab/cd";
    const cairn::storage::Failure f = client().failure_of(response, call);
    cairn::fuzz::require(!f.message.empty(), "a failure has a message");
    return 0;
}
