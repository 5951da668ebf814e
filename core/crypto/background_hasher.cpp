#include "core/crypto/background_hasher.hpp"
#include <utility>

namespace cairn::crypto {

BackgroundHasher::BackgroundHasher() : m_thread([this] { loop(); }) {}

BackgroundHasher::~BackgroundHasher() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_cv.notify_all();
    m_thread.join();
}

void BackgroundHasher::submit(std::span<const std::byte> data) {
    wait();
    {
        std::lock_guard lock(m_mutex);
        m_pending = data;
        m_has_work = true;
    }
    m_cv.notify_all();
}

void BackgroundHasher::wait() {
    std::unique_lock lock(m_mutex);
    m_cv.wait(lock, [this] { return !m_has_work; });
    if (m_error) std::rethrow_exception(std::exchange(m_error, nullptr));
}

std::string BackgroundHasher::finish_hex() {
    wait();
    return m_hash.finish_hex();
}

void BackgroundHasher::loop() {
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_cv.wait(lock, [this] { return m_has_work || m_stop; });
        if (m_stop) return;
        auto data = m_pending;
        lock.unlock();
        try {
            m_hash.update(data);
        } catch (...) {
            lock.lock();
            m_error = std::current_exception();
            m_has_work = false;
            m_cv.notify_all();
            continue;
        }
        lock.lock();
        m_has_work = false;
        m_cv.notify_all();
    }
}

} // namespace cairn::crypto
