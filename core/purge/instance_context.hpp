#pragma once
// A purge Context over an opened Instance. Kept apart from the rest of
// core/purge so unit tests (which build a Context by hand) never link the
// instance, and so it is plain that purge never asks for the keyring.
#include "core/instance/instance.hpp"
#include "core/purge/context.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <string>

namespace cairn::purge {

class InstanceContext {
public:
    explicit InstanceContext(Instance& instance);
    Context& get() { return m_ctx; }
    // .cairn/purge.lock
    std::filesystem::path lock_file() const;

private:
    storage::Backend& open(const std::string& url);
    storage::Location location_of(const std::string& url) const;

    Instance& m_instance;
    // Locations recorded in the catalog other than the configured one (an
    // instance whose storage moved): same endpoint settings, retried.
    std::map<std::string, std::unique_ptr<storage::Backend>> m_others;
    Context m_ctx;
};

} // namespace cairn::purge
