#pragma once
// What purge needs from an instance, and nothing more. Purge never touches
// the instance key (least privilege: a cron job that can delete need not be
// able to read), so this holds no keyring. Tests build a Context directly
// over a temporary catalog and a local or faulty backend.
#include "core/cache/cache.hpp"
#include "core/catalog/catalog.hpp"
#include "core/config/config.hpp"
#include "core/instance/actor.hpp"
#include "core/storage/backend.hpp"

#include <functional>
#include <memory>
#include <string>

namespace cairn::purge {

struct Context {
    catalog::Catalog& catalog;
    const config::Config& config;
    Actor actor;
    // Opens (or returns an already opened) backend for a storage URL from the
    // catalog's storage table. May throw cairn::Error(config) for a location
    // that can no longer be opened.
    std::function<storage::Backend&(const std::string& url)> storage;
    // Optional: opens an additional, independent backend for a storage URL so
    // slow stores can be worked on over several connections at once (each
    // worker thread gets its own). Unset: everything goes through `storage`.
    std::function<std::unique_ptr<storage::Backend>(const std::string& url)> open_worker;
    // The local cache whose entries and working copies are removed; null when
    // there is none to clean (tests).
    cache::Cache* cache = nullptr;
    // Storage requests in flight at once per location (with open_worker).
    int parallelism = 32;
};

} // namespace cairn::purge
