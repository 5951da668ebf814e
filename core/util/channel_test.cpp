#include "core/util/channel.hpp"

#include <doctest/doctest.h>

#include <thread>

using cairn::Channel;

TEST_SUITE("core::util::Channel") {
    TEST_CASE("pop: items in order, then nullopt once closed and drained") {
        Channel<int> ch(4);
        std::thread producer([&] {
            for (int i = 0; i < 100; ++i)
                REQUIRE(ch.push(i));
            ch.close();
        });
        int expected = 0;
        while (auto v = ch.pop())
            CHECK(*v == expected++);
        producer.join();
        CHECK(expected == 100);
    }

    TEST_CASE("abort: wakes a push blocked on a full channel and a pop on an empty one") {
        Channel<int> full(1);
        REQUIRE(full.push(1));
        Channel<int> empty(1);
        bool pushed = true;
        std::optional<int> popped = 0;
        std::thread blocked_push([&] { pushed = full.push(2); });
        std::thread blocked_pop([&] { popped = empty.pop(); });
        full.abort();
        empty.abort();
        blocked_push.join();
        blocked_pop.join();
        CHECK_FALSE(pushed);
        CHECK_FALSE(popped.has_value());
        CHECK_FALSE(full.pop().has_value()); // queued items are dropped
    }
}
