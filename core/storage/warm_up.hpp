#pragma once
// Background preparation of a storage location (see warm_up).
#include "core/storage/backend.hpp"

#include <thread>

namespace cairn::storage {

// Starts preparing, on a background thread, what opening `location` will
// need: libcurl for s3:// and gs:// (loading it and its ~25 libraries takes
// several milliseconds), nothing for directories. A command that will use
// the storage calls it early so the work overlaps with its local work; the
// returned thread is joined when it goes out of scope. A load failure is not
// reported here: the first request reports it.
std::jthread warm_up(const Location& location);

} // namespace cairn::storage
