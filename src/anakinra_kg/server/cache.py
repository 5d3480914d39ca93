"""The result cache: successful answers kept in memory, keyed on everything that decides their bytes.

A key holds the query text (surrounding white space stripped: it cannot change a successful answer), the
dataset parameters, the formats negotiated for both kinds of result (so the same Accept header in other
words shares an entry), and the dataset version: the build folder the store link points at. A new build
therefore never meets an old entry. Queries whose answers change from one run to the next (RAND, NOW,
UUID, BNODE, ...) or come from other hosts (SERVICE) are never cached. The cache is bounded in bytes
and evicts the least recently used entries first.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

VOLATILE = re.compile(r"\b(?:RAND|NOW|UUID|STRUUID|BNODE|SERVICE)\b", re.IGNORECASE)
# Strings and IRIs (kept) and comments (dropped), so that words in comments do not count.
STRING_OR_IRI = "|".join(
    (
        r"'{3}.*?'{3}",
        r'"{3}.*?"{3}',
        r"'(?:[^'\\\n]|\\.)*'",
        r'"(?:[^"\\\n]|\\.)*"',
        r'<[^<>"{}|^`\\\x00-\x20]*>',
    )
)
TOKENS = re.compile(rf"({STRING_OR_IRI})|#[^\n]*", re.S)
ENTRY_SHARE = 8  # no single answer may take more than 1/ENTRY_SHARE of the cache


@dataclass(frozen=True)
class Key:
    """What decides the bytes of an answer."""

    text: str
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    formats: tuple[str, str]  # negotiated (results format, RDF format) names; "" where none fits
    version: str


@dataclass(frozen=True)
class Entry:
    """A cached answer: body, Content-Type and strong ETag."""

    body: bytes
    content_type: str
    etag: str


def etag(body: bytes, content_type: str) -> str:
    """A strong entity tag: a digest of the exact bytes and their media type."""
    digest = hashlib.blake2b(body, digest_size=16)
    digest.update(content_type.encode())
    return f'"{digest.hexdigest()}"'


def cacheable(text: str) -> bool:
    """Tell whether a query's answer depends only on the dataset (no randomness, time or remote data).

    Words in comments are ignored; a text this reading gets wrong can at worst be cached when it should
    not, never be run differently (what runs is decided by the query engine and guard.py, not here).
    """
    return VOLATILE.search(TOKENS.sub(lambda m: m.group(1) or " ", text)) is None


class ResultCache:
    """A thread-safe LRU map of Key -> Entry, bounded by the total size of the bodies."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key) -> Entry | None:
        """Return the entry for ``key`` (marking it recently used), or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: Key, entry: Entry) -> None:
        """Keep an entry, evicting the least recently used ones to stay within the byte bound."""
        cost = len(entry.body) + len(key.text)
        if cost > self.max_bytes // ENTRY_SHARE:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= len(old.body) + len(key.text)
            self._entries[key] = entry
            self.size += cost
            while self.size > self.max_bytes:
                evicted_key, evicted = self._entries.popitem(last=False)
                self.size -= len(evicted.body) + len(evicted_key.text)

    def __len__(self) -> int:
        """Number of entries."""
        return len(self._entries)
