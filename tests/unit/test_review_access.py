"""API keys, roles and entity scopes."""

from __future__ import annotations

import stat

import pytest
import yaml

from copilot.errors import AuthenticationError, ConfigurationError, InputError, NotFound, PermissionDenied
from copilot.review.access import (KeyStore, Principal, authorize, ensure_entity, ensure_visible, hash_key,
                                   parse_entities, scoped_entities)


def test_a_created_key_authenticates_and_only_its_hash_is_stored(tmp_path):
    store = KeyStore(tmp_path / "keys.yaml")
    secret, rec = store.create("amy", "approver", "US, UK")
    assert secret.startswith("glc_") and len(secret) > 40
    text = (tmp_path / "keys.yaml").read_text()
    assert secret not in text and hash_key(secret) in text
    assert stat.S_IMODE((tmp_path / "keys.yaml").stat().st_mode) == 0o600
    p = store.authenticate(secret)
    assert p == Principal("amy", "approver", frozenset({"US", "UK"}), rec.key_id)
    # Another process (the CLI) adding a key is seen without a restart.
    other_secret, _ = KeyStore(tmp_path / "keys.yaml").create("root", "admin", "*")
    assert store.authenticate(other_secret).all_entities


def test_bad_missing_and_revoked_keys(tmp_path):
    store = KeyStore(tmp_path / "keys.yaml")
    with pytest.raises(AuthenticationError, match="no API keys are configured"):
        store.authenticate("glc_anything")
    secret, rec = store.create("pat", "preparer", "US")
    with pytest.raises(AuthenticationError, match="required"):
        store.authenticate(None)
    with pytest.raises(AuthenticationError, match="invalid"):
        store.authenticate(secret + "x")
    store.revoke(rec.key_id)
    with pytest.raises(AuthenticationError, match="revoked"):
        store.authenticate(secret)
    with pytest.raises(NotFound):
        store.revoke("k_nope")


def test_key_creation_is_validated(tmp_path):
    store = KeyStore(tmp_path / "keys.yaml")
    with pytest.raises(InputError, match="role must be one of"):
        store.create("x", "superuser", "US")
    with pytest.raises(InputError, match="entities"):
        store.create("x", "auditor", " , ")


def test_a_broken_key_file_names_the_entry(tmp_path):
    path = tmp_path / "keys.yaml"
    path.write_text(yaml.safe_dump({"keys": [{"id": "k1", "user": "u", "role": "boss", "entities": "*",
                                              "sha256": "ab"}]}))
    with pytest.raises(ConfigurationError, match="key entry 1 is invalid: unknown role 'boss'"):
        KeyStore(path).authenticate("glc_x")


def test_roles():
    preparer = Principal("pat", "preparer", frozenset({"US"}))
    assert authorize(preparer, "preparer") is preparer
    with pytest.raises(PermissionDenied, match="role 'preparer' may not do this"):
        authorize(preparer, "approver")
    assert authorize(Principal("root", "admin", "*"), "auditor")  # admin passes every check


def test_entity_scope():
    us = Principal("pat", "preparer", frozenset({"US"}))
    ensure_entity(us, "US")
    with pytest.raises(PermissionDenied, match="entity 'UK'"):
        ensure_entity(us, "UK")
    with pytest.raises(NotFound):
        ensure_visible(us, "UK", "review item 7")
    assert scoped_entities(us, None) == ["US"] and scoped_entities(us, "US") == ["US"]
    with pytest.raises(PermissionDenied):
        scoped_entities(us, "UK")
    everyone = Principal("aud", "auditor", "*")
    assert scoped_entities(everyone, None) is None and scoped_entities(everyone, "UK") == ["UK"]
    assert parse_entities("US,*") == "*" and parse_entities(["UK", "US"]) == frozenset({"UK", "US"})
