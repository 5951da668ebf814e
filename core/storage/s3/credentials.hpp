#pragma once
// The standard AWS settings chain, as the aws CLI reads it:
//   credentials  AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN),
//                else the profile (AWS_PROFILE or "default") in the shared
//                credentials file, else the same profile in the config file;
//   region       AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`;
//   endpoint     AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's
//                `endpoint_url`;
//   addressing   the profile's `s3 = / addressing_style = path|virtual`.
// Files: AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials) and
// AWS_CONFIG_FILE (default ~/.aws/config). Missing files are skipped.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::storage::s3 {

// Looks up an environment variable; tests pass a fake.
using Getenv = std::function<std::optional<std::string>(const std::string& name)>;
Getenv process_env();

// Key material; wiped on destruction. Never printed.
struct Credentials {
    std::string access_key;
    std::string secret_key;
    std::string session_token;
    Credentials() = default;
    Credentials(const Credentials&) = default;
    Credentials& operator=(const Credentials&) = default;
    ~Credentials();
    bool empty() const { return access_key.empty() || secret_key.empty(); }
};

struct AwsSettings {
    Credentials credentials; // empty() when none were found
    std::string source; // where they came from, e.g. "environment", "profile dev in /x/credentials"
    std::string region; // empty when unset
    std::string endpoint;         // empty when unset
    std::string addressing_style; // "path", "virtual" or empty
};

// INI sections of an AWS config or credentials file. Indented lines after
// "key =" with an empty value are sub-keys, stored as "key.subkey"
// (the `s3 =` block). Comments start with '#' or ';'.
using IniFile = std::map<std::string, std::map<std::string, std::string>>;
IniFile parse_ini(std::string_view text);

// Reads the chain described above. Throws cairn::Error (config) when a
// named profile (AWS_PROFILE) exists in neither file.
AwsSettings resolve_aws_settings(const Getenv& env);

} // namespace cairn::storage::s3
