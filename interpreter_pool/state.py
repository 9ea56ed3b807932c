"""The pool as plain JSON-ready data, so a shared store can hold it between commands.

Two forms: ``dump``/``load`` give and take one JSON-ready document (format 1);
``encode``/``decode`` give and take text in which every record is its own JSON
text (format 2), with a ``Codec`` remembering the last texts, so a process
encodes only the records whose values changed and decodes only the texts that
another process changed (BENCHMARKS.md, matching). ``decode`` reads both.
"""

from __future__ import annotations

from interpreter_pool.state_codec import FRAGMENTS, Codec, decode, encode
from interpreter_pool.state_document import VERSION, dump, load

__all__ = ["FRAGMENTS", "VERSION", "Codec", "decode", "dump", "encode", "load"]
