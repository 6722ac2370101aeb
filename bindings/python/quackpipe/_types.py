"""Type aliases of the package's signatures, for editors and type checkers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Mapping, Tuple, Union

if TYPE_CHECKING:
    from .conf import Conf

# Bytes the library reads: any bytes-like object, or str (sent as UTF-8).
Buffer = Union[bytes, bytearray, memoryview, str]
# A property value (booleans become true/false).
Value = Union[str, int, float, bool]
# What a constructor accepts as its configuration.
ConfLike = Union["Conf", Mapping[str, Value]]
# Record headers: a mapping, or (name, value) pairs; a value None is a null header.
Headers = Union[Mapping[str, Union[Buffer, None]], Iterable[Tuple[str, Union[Buffer, None]]]]
