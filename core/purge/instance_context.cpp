#include "core/purge/instance_context.hpp"

namespace cairn::purge {

InstanceContext::InstanceContext(Instance& instance)
    : m_instance(instance),
      m_ctx{instance.catalog(), instance.config(), instance.actor(),
            [this](const std::string& url) -> storage::Backend& { return open(url); },
            [this](const std::string& url) { return storage::with_retry(storage::open_backend(location_of(url))); },
            &instance.cache()} {}

storage::Location InstanceContext::location_of(const std::string& url) const {
    storage::Location location = m_instance.config().storage;
    location.url = url;
    return location;
}

std::filesystem::path InstanceContext::lock_file() const { return m_instance.dir() / "purge.lock"; }

storage::Backend& InstanceContext::open(const std::string& url) {
    if (url == m_instance.config().storage.url) return m_instance.storage();
    auto& slot = m_others[url];
    if (!slot) {
        slot = storage::with_retry(storage::open_backend(location_of(url)));
    }
    return *slot;
}

} // namespace cairn::purge
