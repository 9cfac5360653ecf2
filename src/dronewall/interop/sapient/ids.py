"""Identifiers SAPIENT asks for: node UUIDs and message/object ULIDs, made deterministically.

SAPIENT names nodes by UUID (``node_id``) and reports and objects by ULID (``report_id``,
``object_id``): 26 Crockford base-32 characters holding a 48-bit millisecond timestamp and
80 bits of randomness. Ours derive the "randomness" from a hash of our own id, so that a
replay or a simulation produces the same SAPIENT ids every time (time is injected).
"""

from __future__ import annotations

import hashlib
import re
import uuid

# A fixed namespace for uuid5 node ids: uuid5(NAMESPACE_URL, "https://dronewall/sapient/node").
NODE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://dronewall/sapient/node")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")


def node_uuid(sensor_id: str) -> str:
    """The SAPIENT node UUID of one of our sensors (stable: uuid5 of its id)."""
    return str(uuid.uuid5(NODE_NAMESPACE, sensor_id))


def ulid(time: float, key: str) -> str:
    """A ULID for ``time`` (POSIX s) whose 80 random bits are a hash of ``key``."""
    ms = max(0, round(time * 1000.0)) & ((1 << 48) - 1)
    rand = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=10).digest(), "big")
    value = (ms << 80) | rand
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in range(25, -1, -1))


def is_ulid(text: str) -> bool:
    """Whether ``text`` is a canonical (upper-case) ULID."""
    return bool(_ULID.match(text))


def is_uuid(text: str) -> bool:
    """Whether ``text`` parses as a UUID."""
    try:
        uuid.UUID(text)
    except (ValueError, TypeError):
        return False
    return True
