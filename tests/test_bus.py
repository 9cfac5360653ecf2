"""The in-process bus: delivery in order, wildcard, and a failing handler does not stop it."""

from dronewall.bus import Bus


def test_delivery_wildcard_and_counts():
    bus = Bus()
    got: list[tuple[str, int]] = []
    bus.subscribe("a", lambda t, m: got.append((t, len(m))))
    bus.subscribe("*", lambda t, m: got.append(("*" + t, len(m))))
    bus.publish("a", [1, 2])
    bus.publish("b", [3])
    bus.publish("a", [])
    assert got == [("a", 2), ("*a", 2), ("*b", 1)]
    assert bus.published == {"a": 2, "b": 1}


def test_failing_handler_is_counted_and_others_still_run():
    bus = Bus()
    seen = []

    def bad(topic, msgs):
        raise RuntimeError("boom")

    bus.subscribe("x", bad)
    bus.subscribe("x", lambda t, m: seen.extend(m))
    bus.publish("x", [1])
    bus.publish("x", [2])
    assert seen == [1, 2]
    assert bus.handler_errors["x"] == 2
