#pragma once
// Streams JSON text byte for byte as nlohmann::json::dump(2, ' ', false,
// error_handler_t::replace) prints the same document, without building the
// document first: for a lineage graph of 10,000 nodes, building and dumping
// an nlohmann::json took longer than the query. Callers give each object's
// keys in ascending byte order, the order nlohmann's objects print in.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

class JsonWriter {
  public:
    // Appends to `out`, which must outlive the writer.
    explicit JsonWriter(std::string& out) : m_out(out) {}

    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    // Names the next value of the enclosing object.
    JsonWriter& key(std::string_view name);
    // Invalid UTF-8 is replaced by U+FFFD, as nlohmann does.
    JsonWriter& string(std::string_view text);
    JsonWriter& number(int64_t n);
    JsonWriter& boolean(bool b);
    JsonWriter& null();
    JsonWriter& string_or_null(const std::optional<std::string>& text) {
        return text ? string(*text) : null();
    }
    JsonWriter& number_or_null(const std::optional<int64_t>& n) { return n ? number(*n) : null(); }

  private:
    // The separator and indentation a new element needs.
    void next_element();
    void open(char bracket);
    void close(char bracket);

    std::string& m_out;
    std::vector<bool> m_empty; // per open container: no element yet
    bool m_after_key = false;
};

} // namespace cairn
