#include "core/storage/s3/xml.hpp"

#include <cstdint>

namespace cairn::storage::s3 {

namespace {

constexpr int k_max_depth = 64;

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

class Parser {
  public:
    explicit Parser(std::string_view text) : m_s(text) {}

    std::optional<XmlNode> document() {
        if (!skip_misc()) return std::nullopt;
        XmlNode root;
        if (!element(root, 0)) return std::nullopt;
        if (!skip_misc() || m_pos != m_s.size()) return std::nullopt;
        return root;
    }

  private:
    bool starts(std::string_view p) const { return m_s.substr(m_pos, p.size()) == p; }

    bool skip_until(std::string_view end) {
        size_t at = m_s.find(end, m_pos);
        if (at == std::string_view::npos) return false;
        m_pos = at + end.size();
        return true;
    }

    void skip_space() {
        while (m_pos < m_s.size() && (m_s[m_pos] == ' ' || m_s[m_pos] == '\t' ||
                                      m_s[m_pos] == '\r' || m_s[m_pos] == '\n'))
            ++m_pos;
    }

    // Prolog, comments and whitespace around the root element.
    bool skip_misc() {
        for (;;) {
            skip_space();
            if (starts("<?")) {
                if (!skip_until("?>")) return false;
            } else if (starts("<!--")) {
                if (!skip_until("-->")) return false;
            } else if (starts("<!"))
                return false; // DOCTYPE: refused
            else
                return true;
        }
    }

    std::string name() {
        size_t b = m_pos;
        while (m_pos < m_s.size() &&
               std::string_view(" \t\r\n/>=").find(m_s[m_pos]) == std::string_view::npos)
            ++m_pos;
        std::string n(m_s.substr(b, m_pos - b));
        size_t colon = n.find(':');
        return colon == std::string::npos ? n : n.substr(colon + 1);
    }

    bool entity(std::string& out) {
        size_t semi = m_s.find(';', m_pos);
        if (semi == std::string_view::npos || semi - m_pos > 12) return false;
        std::string_view ent = m_s.substr(m_pos + 1, semi - m_pos - 1);
        m_pos = semi + 1;
        if (ent == "amp")
            out += '&';
        else if (ent == "lt")
            out += '<';
        else if (ent == "gt")
            out += '>';
        else if (ent == "quot")
            out += '"';
        else if (ent == "apos")
            out += '\'';
        else if (ent.size() > 1 && ent[0] == '#') {
            bool hex = ent[1] == 'x';
            std::string digits(ent.substr(hex ? 2 : 1));
            if (digits.empty() || digits.find_first_not_of(hex ? "0123456789abcdefABCDEF"
                                                               : "0123456789") != std::string::npos)
                return false;
            unsigned long cp = std::stoul(digits, nullptr, hex ? 16 : 10);
            if (cp == 0 || cp > 0x10FFFF) return false;
            append_utf8(out, static_cast<uint32_t>(cp));
        } else {
            return false;
        }
        return true;
    }

    bool element(XmlNode& node, int depth) {
        if (depth > k_max_depth || !starts("<")) return false;
        ++m_pos;
        node.name = name();
        if (node.name.empty()) return false;
        // Attributes are not needed by any response cairn reads: skip them,
        // honouring quotes so a '>' inside a value does not end the tag.
        char quote = 0;
        while (m_pos < m_s.size()) {
            char c = m_s[m_pos];
            if (quote) {
                if (c == quote) quote = 0;
            } else if (c == '"' || c == '\'')
                quote = c;
            else if (c == '>' || c == '/')
                break;
            ++m_pos;
        }
        if (starts("/>")) {
            m_pos += 2;
            return true;
        }
        if (!starts(">")) return false;
        ++m_pos;
        return content(node, depth);
    }

    bool content(XmlNode& node, int depth) {
        while (m_pos < m_s.size()) {
            char c = m_s[m_pos];
            if (c == '&') {
                if (!entity(node.text)) return false;
            } else if (c != '<') {
                node.text += c;
                ++m_pos;
            } else if (starts("</")) {
                m_pos += 2;
                if (name() != node.name) return false;
                skip_space();
                if (!starts(">")) return false;
                ++m_pos;
                return true;
            } else if (starts("<![CDATA[")) {
                size_t b = m_pos + 9;
                if (!skip_until("]]>")) return false;
                node.text.append(m_s.substr(b, m_pos - 3 - b));
            } else if (starts("<!--")) {
                if (!skip_until("-->")) return false;
            } else if (starts("<?")) {
                if (!skip_until("?>")) return false;
            } else if (starts("<!")) {
                return false;
            } else {
                node.children.emplace_back();
                if (!element(node.children.back(), depth + 1)) return false;
            }
        }
        return false; // unterminated element
    }

    std::string_view m_s;
    size_t m_pos = 0;
};

} // namespace

const XmlNode* XmlNode::child(std::string_view child_name) const {
    for (const auto& c : children)
        if (c.name == child_name) return &c;
    return nullptr;
}

std::string XmlNode::child_text(std::string_view child_name) const {
    const XmlNode* c = child(child_name);
    return c ? c->text : std::string{};
}

std::vector<const XmlNode*> XmlNode::children_named(std::string_view child_name) const {
    std::vector<const XmlNode*> out;
    for (const auto& c : children)
        if (c.name == child_name) out.push_back(&c);
    return out;
}

std::optional<XmlNode> parse_xml(std::string_view text) {
    return Parser(text).document();
}

std::string xml_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

} // namespace cairn::storage::s3
