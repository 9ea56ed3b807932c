"""Errors of the storage adapters: one root, subclasses that carry the key."""

from __future__ import annotations


class StorageError(Exception):
    """Root of every error a storage adapter raises on purpose."""


class DuplicateKey(StorageError):
    """A record with this key is already stored."""

    def __init__(self, what: str, key: str) -> None:
        super().__init__(f"{what} {key!r} already exists")
        self.what = what
        self.key = key


class NotFound(StorageError):
    """A record the call needs is not stored."""

    def __init__(self, what: str, key: str) -> None:
        super().__init__(f"{what} {key!r} does not exist")
        self.what = what
        self.key = key


class StaleCase(StorageError):
    """A save lost a race: a copy of the case with more timeline events is stored."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"case {case_id!r} was saved from a newer copy meanwhile")
        self.case_id = case_id
