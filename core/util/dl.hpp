#pragma once
// Libraries loaded with dlopen() on first use (libcurl for remote storage,
// libpq for a PostgreSQL catalog), so that commands that need neither do not
// pay for loading them and what they pull in.
#include "core/util/error.hpp"

#include <dlfcn.h>
#include <string>

namespace cairn::dl {

// Opens `soname` for good; throws Error(config) telling which package to install.
inline void* open_library(const char* soname, const std::string& purpose, const std::string& package) {
    void* lib = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        throw Error(ErrorKind::config, "cannot load " + std::string(soname) + " " + purpose + ": " + ::dlerror(),
                    "install it: apt-get install " + package);
    return lib;
}

// Points `fn` at the library's function `name`.
template <class F> void bind(void* lib, F& fn, const char* name, const std::string& package) {
    void* sym = ::dlsym(lib, name);
    if (!sym) throw Error(ErrorKind::config, "the installed " + package + " lacks " + name, "install a current " + package);
    fn = reinterpret_cast<F>(sym);
}

} // namespace cairn::dl
