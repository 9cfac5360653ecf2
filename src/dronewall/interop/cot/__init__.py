"""Cursor-on-Target out: our tracks, events and intercept cues for TAK clients and servers.

- :mod:`.types`     CoT type strings (affiliation from identity, function from class);
- :mod:`.event`     the event and its XML form, XML parser;
- :mod:`.build`     Track / Event -> CoT event;
- :mod:`.intercept` predicted intercept point and time to go for a fire group;
- :mod:`.proto`     TAK Protocol v1 protobuf (takproto), stream and mesh framing;
- :mod:`.transport` pytak sender (TCP/UDP/multicast/TLS), plain socket and file writers;
- :mod:`.convert`   the ``cot`` / ``cot-proto`` writers of ``dronewall convert``.

``takproto``/``pytak`` come with the ``tak`` extra; :mod:`.proto` and :mod:`.transport`
import them.
"""

from dronewall.interop.cot.build import (
    CotConverter,
    event_to_cot,
    messages_to_cot,
    track_to_cot,
)
from dronewall.interop.cot.event import CotError, CotEvent, from_xml, to_xml
from dronewall.interop.cot.intercept import intercept_cue, predict_intercept
from dronewall.interop.cot.types import cot_type

__all__ = [
    "CotConverter",
    "CotError",
    "CotEvent",
    "cot_type",
    "event_to_cot",
    "from_xml",
    "intercept_cue",
    "messages_to_cot",
    "predict_intercept",
    "to_xml",
    "track_to_cot",
]
