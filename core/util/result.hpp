#pragma once
// A small expected-style result for failures callers are meant to handle
// (storage not found, timeout, ...). Exceptions are for failures that end the
// command; Result is for failures that a caller may retry or tolerate.
#include <cassert>
#include <optional>
#include <utility>
#include <variant>

namespace cairn {

template <class E> struct Unexpected {
    E error;
};
template <class E> Unexpected<E> unexpected(E e) { return Unexpected<E>{std::move(e)}; }

template <class T, class E> class Result {
public:
    Result(T value) : m_value(std::move(value)) {}
    Result(Unexpected<E> u) : m_value(std::in_place_index<1>, std::move(u.error)) {}

    bool has_value() const { return m_value.index() == 0; }
    explicit operator bool() const { return has_value(); }
    T& value() { assert(has_value()); return std::get<0>(m_value); }
    const T& value() const { assert(has_value()); return std::get<0>(m_value); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const E& error() const { assert(!has_value()); return std::get<1>(m_value); }

private:
    std::variant<T, E> m_value;
};

template <class E> class Result<void, E> {
public:
    Result() = default;
    Result(Unexpected<E> u) : m_error(std::move(u.error)) {}
    bool has_value() const { return !m_error.has_value(); }
    explicit operator bool() const { return has_value(); }
    const E& error() const { assert(m_error); return *m_error; }

private:
    std::optional<E> m_error;
};

} // namespace cairn
