#pragma once
// SHA-256 on a second thread, so a save hashes and encrypts each chunk at
// the same time instead of one after the other (the two are the CPU cost of
// a save, and machines have at least two cores).
#include "core/crypto/sha256.hpp"

#include <condition_variable>
#include <exception>
#include <mutex>
#include <span>
#include <thread>

namespace cairn::crypto {

class BackgroundHasher {
public:
    BackgroundHasher();
    ~BackgroundHasher();
    BackgroundHasher(const BackgroundHasher&) = delete;
    BackgroundHasher& operator=(const BackgroundHasher&) = delete;

    // Starts hashing `data`; the caller must keep it alive and unchanged
    // until wait() returns.
    void submit(std::span<const std::byte> data);
    // Blocks until the submitted chunk is hashed; rethrows a hashing error.
    void wait();
    std::string finish_hex();

private:
    void loop();

    Sha256 m_hash;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::span<const std::byte> m_pending;
    bool m_has_work = false;
    bool m_stop = false;
    std::exception_ptr m_error;
    std::thread m_thread;
};

} // namespace cairn::crypto
