"""The in-process bus of the embedded mode: synchronous publish/subscribe by topic.

Stages are plain functions or objects; the bus hands each published batch to every
subscriber of its topic, in subscription order, and counts what went through. A
subscriber that raises is logged and counted, and the bus goes on: one bad handler
must not stop the picture.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Any

log = logging.getLogger(__name__)
Handler = Callable[[str, Sequence[Any]], None]


class Bus:
    """Synchronous topic bus. ``"*"`` subscribes to every topic."""

    def __init__(self) -> None:
        self._subs: dict[str, list[Handler]] = defaultdict(list)
        self.published: Counter[str] = Counter()
        self.handler_errors: Counter[str] = Counter()

    def subscribe(self, topic: str, handler: Handler) -> None:
        self._subs[topic].append(handler)

    def publish(self, topic: str, messages: Sequence[Any]) -> None:
        if not messages:
            return
        self.published[topic] += len(messages)
        for handler in (*self._subs.get(topic, ()), *self._subs.get("*", ())):
            try:
                handler(topic, messages)
            except Exception:
                self.handler_errors[topic] += 1
                log.exception("handler %r failed on topic %s; going on", handler, topic)
