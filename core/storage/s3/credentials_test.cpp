#include "core/storage/s3/credentials.hpp"
#include "core/util/error.hpp"
#include "core/util/fs.hpp"
#include "core/util/random.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <map>

using namespace cairn;
using namespace cairn::storage::s3;

namespace {

struct FakeHome {
    std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("cairn-aws-" + random_hex(4));
    std::map<std::string, std::string> vars;
    FakeHome() {
        fs::ensure_dir(dir / ".aws");
        vars["HOME"] = dir.string();
    }
    ~FakeHome() { std::filesystem::remove_all(dir); }
    void file(const std::string& name, const std::string& text) {
        fs::write_file_atomic(dir / ".aws" / name, text,
                              std::filesystem::perms::owner_read |
                                  std::filesystem::perms::owner_write);
    }
    Getenv env() const {
        return [this](const std::string& n) -> std::optional<std::string> {
            auto it = vars.find(n);
            return it == vars.end() ? std::nullopt : std::optional(it->second);
        };
    }
};

} // namespace

TEST_SUITE("core::storage::s3::credentials") {
    TEST_CASE("parse_ini: sections, comments, nested s3 block") {
        auto ini =
            parse_ini("# c\n[default]\nregion = eu-west-1\ns3 =\n    addressing_style = path\n"
                      "  max_concurrent_requests = 4\n; x\n[profile dev]\naws_access_key_id=K\n");
        CHECK(ini["default"]["region"] == "eu-west-1");
        CHECK(ini["default"]["s3.addressing_style"] == "path");
        CHECK(ini["default"]["s3.max_concurrent_requests"] == "4");
        CHECK(ini["profile dev"]["aws_access_key_id"] == "K");
    }

    TEST_CASE("resolve: environment keys win over files") {
        FakeHome h;
        h.file("credentials",
               "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n");
        h.vars["AWS_ACCESS_KEY_ID"] = "ENVKEY";
        h.vars["AWS_SECRET_ACCESS_KEY"] = "ENVSECRET";
        h.vars["AWS_SESSION_TOKEN"] = "TOKEN";
        auto s = resolve_aws_settings(h.env());
        CHECK(s.credentials.access_key == "ENVKEY");
        CHECK(s.credentials.session_token == "TOKEN");
        CHECK(s.source == "environment");
    }

    TEST_CASE("resolve: AWS_PROFILE picks the profile from credentials and config") {
        FakeHome h;
        h.file("credentials", "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n"
                              "[dev]\naws_access_key_id = DEVKEY\naws_secret_access_key = "
                              "DEVSECRET\naws_session_token = T\n");
        h.file("config",
               "[default]\nregion = us-west-2\n[profile dev]\nregion = eu-central-1\n"
               "endpoint_url = https://minio.example\ns3 =\n  addressing_style = virtual\n");
        h.vars["AWS_PROFILE"] = "dev";
        auto s = resolve_aws_settings(h.env());
        CHECK(s.credentials.access_key == "DEVKEY");
        CHECK(s.credentials.secret_key == "DEVSECRET");
        CHECK(s.credentials.session_token == "T");
        CHECK(s.region == "eu-central-1");
        CHECK(s.endpoint == "https://minio.example");
        CHECK(s.addressing_style == "virtual");
        CHECK(s.source.find("profile dev") == 0);
    }

    TEST_CASE("resolve: keys in the config file, explicit file paths, env region and endpoint") {
        FakeHome h;
        h.file(
            "other-config",
            "[default]\naws_access_key_id = CK\naws_secret_access_key = CS\nregion = ap-south-1\n");
        h.vars["AWS_CONFIG_FILE"] = (h.dir / ".aws" / "other-config").string();
        h.vars["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null";
        auto s = resolve_aws_settings(h.env());
        CHECK(s.credentials.access_key == "CK");
        CHECK(s.region == "ap-south-1");
        h.vars["AWS_DEFAULT_REGION"] = "sa-east-1";
        CHECK(resolve_aws_settings(h.env()).region == "sa-east-1");
        h.vars["AWS_REGION"] = "us-east-2";
        CHECK(resolve_aws_settings(h.env()).region == "us-east-2");
        h.vars["AWS_ENDPOINT_URL"] = "http://127.0.0.1:1";
        CHECK(resolve_aws_settings(h.env()).endpoint == "http://127.0.0.1:1");
        h.vars["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:2";
        CHECK(resolve_aws_settings(h.env()).endpoint == "http://127.0.0.1:2");
    }

    TEST_CASE("resolve: nothing configured gives empty credentials; unknown profile throws") {
        FakeHome h;
        CHECK(resolve_aws_settings(h.env()).credentials.empty());
        h.vars["AWS_PROFILE"] = "nope";
        CHECK_THROWS_AS(resolve_aws_settings(h.env()), Error);
    }
}
