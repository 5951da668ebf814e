#pragma once
// A bounded queue between the threads of a pipeline. Bounded so a fast
// stage cannot run ahead of a slow one and fill memory; abortable so a
// failure in any stage wakes every other stage at once, wherever it waits.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace cairn {

template <class T> class Channel {
  public:
    explicit Channel(size_t capacity) : m_capacity(capacity) {}
    Channel(const Channel&) = delete;
    Channel& operator=(const Channel&) = delete;

    // Blocks while the channel is full. False (and `item` dropped) once the
    // channel was aborted: the caller's stage should stop.
    bool push(T item) {
        std::unique_lock lock(m_mutex);
        m_not_full.wait(lock, [this] { return m_aborted || m_items.size() < m_capacity; });
        if (m_aborted) return false;
        m_items.push_back(std::move(item));
        m_not_empty.notify_one();
        return true;
    }

    // Blocks until an item arrives. nullopt once the channel was closed and
    // drained, or aborted (then items still queued are dropped).
    std::optional<T> pop() {
        std::unique_lock lock(m_mutex);
        m_not_empty.wait(lock, [this] { return m_aborted || m_closed || !m_items.empty(); });
        if (m_aborted || m_items.empty()) return std::nullopt;
        T item = std::move(m_items.front());
        m_items.pop_front();
        m_not_full.notify_one();
        return item;
    }

    // No more pushes: pop() returns what is queued, then nullopt.
    void close() {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        m_not_empty.notify_all();
    }

    // Wakes every waiter; push() and pop() fail from now on.
    void abort() {
        std::lock_guard lock(m_mutex);
        m_aborted = true;
        m_not_empty.notify_all();
        m_not_full.notify_all();
    }

  private:
    std::mutex m_mutex;
    std::condition_variable m_not_empty, m_not_full;
    std::deque<T> m_items;
    size_t m_capacity;
    bool m_closed = false;
    bool m_aborted = false;
};

} // namespace cairn
