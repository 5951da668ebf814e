#pragma once

namespace cairn::catalog {

// How Catalog::write_once_info() reads: the value this process first read,
// or the one the database holds now (a check, which must see a change made
// behind this process's back).
enum class Read { cached, now };

} // namespace cairn::catalog
