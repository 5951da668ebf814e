#include "core/util/json_writer.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>

namespace cairn {

namespace {

constexpr size_t k_indent = 2;

// Printable ASCII but '"' and '\\' needs no escaping, so most text (uids,
// keys, times) is copied as it is. A table: this check runs on every byte.
constexpr auto k_plain = [] {
    std::array<bool, 256> plain{};
    for (int c = 0x20; c < 0x80; ++c)
        plain[static_cast<size_t>(c)] = c != '"' && c != '\\';
    return plain;
}();

bool plain(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return k_plain[static_cast<unsigned char>(c)]; });
}

void append_quoted(std::string& out, std::string_view text) {
    if (!plain(text)) {
        // Rare: let nlohmann escape it, so escapes and UTF-8 repair match.
        out += nlohmann::json(std::string(text))
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return;
    }
    out += '"';
    out += text;
    out += '"';
}

} // namespace

void JsonWriter::next_element() {
    if (m_after_key) {
        m_after_key = false;
        return;
    }
    if (m_empty.empty()) return;
    m_out += m_empty.back() ? "\n" : ",\n";
    m_empty.back() = false;
    m_out.append(m_empty.size() * k_indent, ' ');
}

void JsonWriter::open(char bracket) {
    next_element();
    m_out += bracket;
    m_empty.push_back(true);
}

void JsonWriter::close(char bracket) {
    const bool empty = m_empty.back();
    m_empty.pop_back();
    if (!empty) {
        m_out += '\n';
        m_out.append(m_empty.size() * k_indent, ' ');
    }
    m_out += bracket;
}

JsonWriter& JsonWriter::begin_object() {
    open('{');
    return *this;
}

JsonWriter& JsonWriter::end_object() {
    close('}');
    return *this;
}

JsonWriter& JsonWriter::begin_array() {
    open('[');
    return *this;
}

JsonWriter& JsonWriter::end_array() {
    close(']');
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    next_element();
    append_quoted(m_out, name);
    m_out += ": ";
    m_after_key = true;
    return *this;
}

JsonWriter& JsonWriter::string(std::string_view text) {
    next_element();
    append_quoted(m_out, text);
    return *this;
}

JsonWriter& JsonWriter::number(int64_t n) {
    next_element();
    char buf[24];
    const auto end = std::to_chars(buf, buf + sizeof buf, n).ptr;
    m_out.append(buf, end);
    return *this;
}

JsonWriter& JsonWriter::boolean(bool b) {
    next_element();
    m_out += b ? "true" : "false";
    return *this;
}

JsonWriter& JsonWriter::null() {
    next_element();
    m_out += "null";
    return *this;
}

} // namespace cairn
