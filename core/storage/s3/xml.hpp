#pragma once
// A small XML reader for S3 responses (ListBucketResult, ListVersionsResult,
// Error, DeleteResult, InitiateMultipartUploadResult, VersioningConfiguration,
// ObjectLockConfiguration). It builds a tree of elements and text, decodes
// entities and CDATA, skips the prolog, comments and attributes, strips
// namespace prefixes, and rejects DOCTYPE (no entity expansion attacks),
// mismatched tags and nesting deeper than 64. libxml2 would also do, but these
// responses use a tiny subset and the backend should not need another
// library for it.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::storage::s3 {

struct XmlNode {
    std::string name;
    std::string text; // concatenated character data directly inside this element
    std::vector<XmlNode> children;

    // First child with this name, or nullptr.
    const XmlNode* child(std::string_view child_name) const;
    // Text of the first child with this name; empty if absent.
    std::string child_text(std::string_view child_name) const;
    // Every child with this name, in document order.
    std::vector<const XmlNode*> children_named(std::string_view child_name) const;
};

// The root element, or nullopt when the text is not well-formed XML.
std::optional<XmlNode> parse_xml(std::string_view text);

// Escapes text for an element body (&, <, >, ", ').
std::string xml_escape(std::string_view text);

} // namespace cairn::storage::s3
