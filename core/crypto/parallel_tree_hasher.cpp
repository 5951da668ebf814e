#include "core/crypto/parallel_tree_hasher.hpp"

#include "core/crypto/plaintext_buffers.hpp"
#include "core/crypto/sha256.hpp"
#include "core/util/channel.hpp"
#include "core/util/error.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

namespace cairn::crypto {

namespace {

// A full (or the last) leaf waiting in buffer `slot`.
struct Leaf {
    size_t slot = 0;
    uint64_t index = 0;
    size_t size = 0;
};

unsigned pool_size(unsigned asked) {
    if (asked) return asked;
    return std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
}

} // namespace

struct ParallelTreeHasher::Impl {
    Impl(PlainSha256 p, OrderedSink s, unsigned workers, std::filesystem::path spill_dir)
        : digests(std::make_unique<DigestTable>(std::move(spill_dir))), n_workers(pool_size(workers)), n_slots(2 * n_workers + 2), free(n_slots), work(n_slots),
          ordered(n_slots), plain(p == PlainSha256::yes), sink(std::move(s)), in_order(plain || sink),
          refs(n_slots), buffers(n_slots, k_tree_leaf_size) {
        for (size_t i = 0; i < n_slots; ++i) free.push(i);
        for (unsigned i = 0; i < n_workers; ++i) threads.emplace_back([this] { guarded([this] { hash_leaves(); }); });
        if (in_order) threads.emplace_back([this] { guarded([this] { consume_in_order(); }); });
    }
    ~Impl() {
        abort();
        join();
        // `buffers` wipes the bytes each leaf was filled with. A leaf being
        // filled may hold bytes a producer wrote into room() but never
        // reported: that buffer is wiped whole.
        if (has_current) buffers.used(current, k_tree_leaf_size);
    }

    template <class F> void guarded(F&& body) {
        try {
            body();
        } catch (...) {
            std::lock_guard lock(mutex);
            if (!error) error = std::current_exception();
            abort();
        }
    }
    void abort() {
        free.abort();
        work.abort();
        ordered.abort();
    }
    void join() {
        for (auto& t : threads)
            if (t.joinable()) t.join();
    }
    void rethrow() {
        std::lock_guard lock(mutex);
        if (error) std::rethrow_exception(error);
    }

    // A buffer returns to the free list once every consumer is done with it.
    void release(size_t slot) {
        if (refs[slot].fetch_sub(1) == 1) (void)free.push(slot);
    }

    void hash_leaves() {
        while (const std::optional<Leaf> leaf = work.pop()) {
            const Digest d = tree_leaf_hash(buffers.filled(leaf->slot, leaf->size));
            {
                std::lock_guard lock(mutex);
                digests->set(leaf->index, d);
            }
            release(leaf->slot);
        }
    }

    // Leaves arrive here in order (one producer, FIFO, one consumer).
    void consume_in_order() {
        while (const std::optional<Leaf> leaf = ordered.pop()) {
            const std::span<const std::byte> data = buffers.filled(leaf->slot, leaf->size);
            if (plain) sha.update(data);
            if (sink && !data.empty()) sink(data);
            release(leaf->slot);
        }
    }

    void dispatch() {
        refs[current].store(in_order ? 2 : 1);
        const Leaf leaf{current, next_index++, used};
        if (!work.push(leaf) || (in_order && !ordered.push(leaf))) rethrow();
        size += used;
        used = 0;
        has_current = false;
    }

    std::span<std::byte> room() {
        if (!has_current) {
            const std::optional<size_t> slot = free.pop();
            if (!slot) {
                rethrow();
                throw Error(ErrorKind::internal, "tree hasher stopped");
            }
            current = *slot;
            has_current = true;
        }
        return buffers.room(current, used);
    }

    void filled(size_t n) {
        used += n;
        buffers.used(current, used);
        if (used == k_tree_leaf_size) dispatch();
    }

    TreeHashResult finish() {
        // The last leaf may be short; empty content is one empty leaf.
        if (has_current && used > 0) dispatch();
        else if (next_index == 0) {
            (void)room();
            dispatch();
        }
        work.close();
        ordered.close();
        join();
        rethrow();
        TreeHashResult r;
        TreeFolder folder;
        digests->for_each([&](std::span<const Digest> run) {
            for (const Digest& d : run) folder.add(d);
        });
        r.size = size;
        r.tree_hash = tree_hash_text(folder.root(), size);
        if (plain) r.sha256 = sha.finish_hex();
        r.leaves = std::move(digests);
        return r;
    }

    std::unique_ptr<DigestTable> digests;
    unsigned n_workers;
    size_t n_slots;
    Channel<size_t> free;
    Channel<Leaf> work, ordered;
    bool plain;
    OrderedSink sink;
    bool in_order;
    std::vector<std::atomic<int>> refs;
    PlaintextBuffers buffers; // a leaf each; wipes what they held
    Sha256 sha;
    std::mutex mutex;
    std::exception_ptr error;
    size_t current = 0, used = 0;
    bool has_current = false;
    uint64_t next_index = 0, size = 0;
    // Last: joined by the destructor before the members they use go.
    std::vector<std::thread> threads;
};

ParallelTreeHasher::ParallelTreeHasher(PlainSha256 plain, OrderedSink ordered, unsigned workers,
                                       std::filesystem::path spill_dir)
    : m_impl(std::make_unique<Impl>(plain, std::move(ordered), workers, std::move(spill_dir))) {}
ParallelTreeHasher::~ParallelTreeHasher() = default;

std::span<std::byte> ParallelTreeHasher::room() { return m_impl->room(); }
void ParallelTreeHasher::filled(size_t n) { m_impl->filled(n); }

void ParallelTreeHasher::update(std::span<const std::byte> data) {
    while (!data.empty()) {
        const std::span<std::byte> r = m_impl->room();
        const size_t n = std::min(r.size(), data.size());
        std::memcpy(r.data(), data.data(), n);
        m_impl->filled(n);
        data = data.subspan(n);
    }
}

TreeHashResult ParallelTreeHasher::finish() { return m_impl->finish(); }

} // namespace cairn::crypto
