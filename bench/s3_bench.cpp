// cairn_s3_bench: a minimal driver for bench/s3_bench.sh.
//   cairn_s3_bench put FILE s3://bucket/name
//   cairn_s3_bench get s3://bucket/name FILE
// The endpoint comes from S3_ENDPOINT (plain http allowed for loopback only,
// as in the product) or the AWS_* chain; credentials from the AWS_* chain.
#include "core/storage/s3/s3_backend.hpp"
#include "core/util/error.hpp"

#include <cstdlib>
#include <iostream>
#include <string>

using namespace cairn::storage;

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr
            << "usage: cairn_s3_bench put FILE s3://bucket/name | get s3://bucket/name FILE\n";
        return 2;
    }
    std::string op = argv[1];
    std::string url = op == "put" ? argv[3] : argv[2];
    std::string file = op == "put" ? argv[2] : argv[3];
    size_t slash = url.find('/', 5);
    if (url.rfind("s3://", 0) != 0 || slash == std::string::npos) {
        std::cerr << "cairn_s3_bench: expected s3://bucket/name\n";
        return 2;
    }
    try {
        Location location;
        location.url = url.substr(0, slash);
        if (const char* ep = std::getenv("S3_ENDPOINT")) location.endpoint = ep;
        location.allow_http = true; // still refused unless the endpoint is loopback
        auto backend = open_s3_backend(location);
        std::string name = url.substr(slash + 1);
        Status st = op == "put" ? backend->put(name, file) : backend->get(name, file);
        if (!st) {
            std::cerr << "cairn_s3_bench: " << st.error().message << "\n";
            return 5;
        }
    } catch (const cairn::Error& e) {
        std::cerr << "cairn_s3_bench: " << e.what() << "\n";
        return 7;
    }
    return 0;
}
