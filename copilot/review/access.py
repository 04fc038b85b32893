"""Who may do what, for which entities: principals, roles and the API key file.

Roles:
  preparer  asks for suggestions and submits them for review
  approver  decides (approve, edit, reject)
  auditor   reads the queue and the audit trail, verifies, exports and searches; never changes anything
  admin     everything, including configuration (keys)
Every principal also carries the entities it may see (a set, or ``*`` for all). Another entity's data
is refused with 403 when named explicitly (a filter, a submission) and hidden with 404 when fetched
by id, so an id never confirms that a record exists elsewhere.

Keys are random secrets shown once; the file stores only their sha256 (a stolen file cannot log in).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import yaml

from copilot.errors import AuthenticationError, ConfigurationError, InputError, NotFound, PermissionDenied

ROLES: tuple[str, ...] = ("preparer", "approver", "auditor", "admin")
ALL = "*"

# Role groups the routes and services check; admin passes every check.
SUBMITTERS = ("preparer",)
DECIDERS = ("approver",)
READERS = ("preparer", "approver", "auditor")
AUDITORS = ("auditor",)
MONITORS = ("approver", "auditor")


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str
    entities: frozenset[str] | Literal["*"] = frozenset()
    key_id: str | None = None

    @property
    def all_entities(self) -> bool:
        return self.entities == ALL

    def can_see(self, entity: str | None) -> bool:
        return self.all_entities or (entity is not None and entity in self.entities)

    def entity_scope(self) -> list[str] | None:
        """The entities to filter on, or None for no restriction."""
        return None if self.all_entities else sorted(self.entities)


def authorize(principal: Principal, *roles: str) -> Principal:
    """403 unless the principal has one of ``roles`` (admin always passes)."""
    if principal.role == "admin" or principal.role in roles:
        return principal
    allowed = ", ".join(sorted({*roles, "admin"}))
    raise PermissionDenied(f"role {principal.role!r} may not do this (allowed: {allowed})",
                           role=principal.role)


def ensure_entity(principal: Principal, entity: str | None) -> None:
    """403 unless the principal may see ``entity``. For other routers (suggestions, validation) too."""
    if not principal.can_see(entity):
        raise PermissionDenied(f"user {principal.user_id!r} has no access to entity {entity!r}",
                               entity=entity)


def ensure_visible(principal: Principal, entity: str | None, what: str) -> None:
    """Reads by id: another entity's record is reported as not found (existence is not disclosed)."""
    if not principal.can_see(entity):
        raise NotFound(f"{what} not found")


def scoped_entities(principal: Principal, requested: str | None) -> list[str] | None:
    """Entity filter for a list or search: the requested one (403 if not visible) or the whole scope."""
    if requested:
        ensure_entity(principal, requested)
        return [requested]
    return principal.entity_scope()


def parse_entities(text: str | Iterable[str]) -> frozenset[str] | Literal["*"]:
    items = [t.strip() for t in (text.split(",") if isinstance(text, str) else text) if t and t.strip()]
    if ALL in items:
        return ALL
    if not items:
        raise InputError("entities: give a comma-separated list of entity ids, or * for all")
    return frozenset(items)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    user_id: str
    role: str
    entities: frozenset[str] | Literal["*"]
    sha256: str
    created_at: str
    revoked: bool = False

    def principal(self) -> Principal:
        return Principal(self.user_id, self.role, self.entities, self.key_id)

    def to_yaml(self) -> dict[str, Any]:
        return {"id": self.key_id, "user": self.user_id, "role": self.role,
                "entities": ALL if self.entities == ALL else sorted(self.entities),
                "sha256": self.sha256, "created_at": self.created_at, "revoked": self.revoked}


@dataclass
class KeyStore:
    """API keys in a YAML file; re-read when the file changes, so `copilot keys create` needs no restart."""

    path: Path
    _by_hash: dict[str, KeyRecord] = field(default_factory=dict, init=False)
    _stamp: tuple[int, int, int] | None = field(default=None, init=False)
    _loaded: bool = field(default=False, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def records(self) -> list[KeyRecord]:
        self._refresh()
        return sorted(self._by_hash.values(), key=lambda r: r.created_at)

    def authenticate(self, key: str | None) -> Principal:
        if not key:
            raise AuthenticationError("an API key is required: send 'Authorization: Bearer <key>' "
                                      "or 'X-API-Key: <key>'")
        self._refresh()
        if not self._by_hash and not self.path.exists():
            raise AuthenticationError("no API keys are configured; an admin creates one with "
                                      "`copilot keys create`")
        record = self._by_hash.get(hash_key(key.strip()))
        if record is None or record.revoked:
            raise AuthenticationError("invalid or revoked API key")
        return record.principal()

    def create(self, user_id: str, role: str, entities: str | Iterable[str]) -> tuple[str, KeyRecord]:
        """A new key; the secret is returned once and never stored."""
        if role not in ROLES:
            raise InputError(f"role must be one of {', '.join(ROLES)}; got {role!r}", field="role")
        if not user_id.strip():
            raise InputError("user must not be empty", field="user")
        secret = "glc_" + secrets.token_urlsafe(32)
        record = KeyRecord(key_id="k_" + secrets.token_hex(4), user_id=user_id.strip(), role=role,
                           entities=parse_entities(entities), sha256=hash_key(secret),
                           created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        with self._lock:
            current = self._load()
            current.append(record)
            self._save(current)
        return secret, record

    def revoke(self, key_id: str) -> KeyRecord:
        with self._lock:
            current = self._load()
            for i, rec in enumerate(current):
                if rec.key_id == key_id:
                    current[i] = KeyRecord(**{**rec.__dict__, "revoked": True})
                    self._save(current)
                    return current[i]
        raise NotFound(f"no API key with id {key_id!r}")

    # --- file handling ----------------------------------------------------------------------------

    def _refresh(self) -> None:
        try:
            st = self.path.stat()
            stamp: tuple[int, int, int] | None = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            stamp = None
        if self._loaded and stamp == self._stamp:
            return
        with self._lock:
            records = self._load() if stamp is not None else []
            self._by_hash = {r.sha256: r for r in records}
            self._stamp, self._loaded = stamp, True

    def _load(self) -> list[KeyRecord]:
        if not self.path.exists():
            return []
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigurationError(f"{self.path}: not valid YAML: {exc}") from None
        rows = data.get("keys", []) if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise ConfigurationError(f"{self.path}: expected a mapping with a 'keys' list")
        out = []
        for n, row in enumerate(rows, 1):
            try:
                role = str(row["role"])
                if role not in ROLES:
                    raise ValueError(f"unknown role {role!r}")
                out.append(KeyRecord(key_id=str(row["id"]), user_id=str(row["user"]), role=role,
                                     entities=parse_entities(row["entities"]),
                                     sha256=str(row["sha256"]).lower(), created_at=str(row.get("created_at", "")),
                                     revoked=bool(row.get("revoked", False))))
            except (KeyError, TypeError, ValueError, InputError) as exc:
                raise ConfigurationError(f"{self.path}: key entry {n} is invalid: {exc}") from None
        return out

    def _save(self, records: list[KeyRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = ("# API keys for GL Copilot. Only sha256 hashes of the keys are stored here.\n"
                + yaml.safe_dump({"keys": [r.to_yaml() for r in records]}, sort_keys=False))
        # Write-then-rename so a reader never sees half a file; owner-only, it names every user.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".api_keys.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)
        self._loaded = False  # reload on the next read
