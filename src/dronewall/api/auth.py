"""Bearer tokens with roles: viewer (read) < operator (acknowledge alerts) < commander
(approve or reject engagement recommendations).

Tokens come from a YAML file::

    tokens:
      - {token: "long-random-string", user: "alice", role: commander}

or are generated at start (one per role) and written to the run folder, mode 0600.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dronewall.errors import BadInput

ROLES = ("viewer", "operator", "commander")
RANK = {r: i for i, r in enumerate(ROLES)}


@dataclass(frozen=True)
class User:
    user: str
    role: str

    def may(self, role: str) -> bool:
        """Whether this user's role is ``role`` or above."""
        return RANK[self.role] >= RANK[role]


class Tokens:
    """Token -> user lookup, compared in constant time."""

    def __init__(self, entries: dict[str, User]) -> None:
        self._entries = dict(entries)

    def lookup(self, token: str | None) -> User | None:
        if not token:
            return None
        found = None
        for known, user in self._entries.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                found = user
        return found

    def by_role(self) -> dict[str, str]:
        """One token per role (the first of each), for printing start URLs."""
        out: dict[str, str] = {}
        for token, user in self._entries.items():
            out.setdefault(user.role, token)
        return out

    def as_yaml(self) -> str:
        rows = [{"token": t, "user": u.user, "role": u.role} for t, u in self._entries.items()]
        return yaml.safe_dump({"tokens": rows}, sort_keys=False)

    def write(self, path: Path) -> None:
        """Write as a tokens file only the owner can read."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # also when the file was there before
        with os.fdopen(fd, "w") as fh:
            fh.write(self.as_yaml())

    @classmethod
    def generate(cls) -> Tokens:
        """One fresh random token per role (users viewer, operator, commander)."""
        return cls({secrets.token_urlsafe(24): User(r, r) for r in ROLES})

    @classmethod
    def from_mapping(cls, mapping: dict[str, str]) -> Tokens:
        """{token: role}, the user named after the role (tests, fixed demo tokens)."""
        for role in mapping.values():
            if role not in RANK:
                raise BadInput(f"unknown role {role!r}: one of {', '.join(ROLES)}")
        return cls({t: User(r, r) for t, r in mapping.items()})

    @classmethod
    def load(cls, path: Path) -> Tokens:
        """Read a tokens file; a bad one raises BadInput naming the entry and field."""
        try:
            data: Any = yaml.safe_load(path.read_text())
        except OSError as exc:
            raise BadInput(f"{path}: cannot read tokens file ({exc.strerror})") from None
        except yaml.YAMLError as exc:
            raise BadInput(f"{path}: not YAML ({exc})") from None
        rows = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(rows, list) or not rows:
            raise BadInput(f"{path}: field 'tokens': expected a list of {{token, user, role}}")
        entries: dict[str, User] = {}
        for i, row in enumerate(rows):
            where = f"{path}: tokens[{i}]"
            if not isinstance(row, dict):
                raise BadInput(f"{where}: expected a mapping with token, user, role")
            for key in ("token", "user", "role"):
                if not isinstance(row.get(key), str) or not row[key]:
                    raise BadInput(f"{where}.{key}: missing or not a string")
            if row["role"] not in RANK:
                raise BadInput(f"{where}.role: {row['role']!r} is not one of {', '.join(ROLES)}")
            if len(row["token"]) < 16:
                raise BadInput(f"{where}.token: too short (16 characters at least)")
            entries[row["token"]] = User(row["user"], row["role"])
        return cls(entries)
