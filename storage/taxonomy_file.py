"""The wrap-up categories: the built-in taxonomy, or the operators' TOML file.

```toml
[[category]]
code = "transport"
ko = "교통·주차"
en = "Transport and parking"

[[category]]
code = "parking_old"
ko = "주차(구)"
en = "Parking (old)"
active = false        # kept for old cases, no longer offered
```
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

from counseling.records import DEFAULT_TAXONOMY, Taxonomy

log = logging.getLogger(__name__)


def load_taxonomy(path: Path) -> Taxonomy:
    """The taxonomy in ``path``, or the built-in one when there is no such file;
    ValueError names the file and the first bad entry."""
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        return DEFAULT_TAXONOMY
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    try:
        return Taxonomy.from_data(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


class TaxonomyFile:
    """The current taxonomy, re-read whenever the file changes (no restart).

    The first read raises on a bad file (so a bad file stops the start); a bad
    edit later is logged and the categories read before stay in use.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._taxonomy: Taxonomy | None = None

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def taxonomy(self) -> Taxonomy:
        stamp = self._file_stamp()
        if self._taxonomy is None or stamp != self._stamp:
            try:
                self._taxonomy = load_taxonomy(self.path)
            except ValueError as exc:
                if self._taxonomy is None:
                    raise
                log.error("%s; the categories read before stay in use", exc)
            self._stamp = stamp
        return self._taxonomy
