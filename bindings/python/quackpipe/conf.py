"""The configuration object (qp_conf_t)."""

from __future__ import annotations

import os
from typing import Callable, Mapping

from . import capi
from ._handle import Closing, _swig_closed
from ._types import Value

__all__ = ["Conf", "properties_markdown"]


def _text(value):
    """A property value as the library reads it: true/false for booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, (str, int, float)):
        # str() of anything else (None, a list, an object) is never what
        # the property meant.
        raise TypeError(f"a property value is a str, int, float or bool, "
                        f"not {type(value).__name__}")
    return str(value)


class Conf(Closing):
    """Library ``qp.*`` properties plus librdkafka's, as key/value strings.

    ``Conf({"bootstrap.servers": "127.0.0.1:9092"}, **{"qp.log.level": 7})``
    sets each pair in turn and raises ConfigError at the first bad one.
    Values may be str, int, float or bool. Not thread-safe. Constructors of
    producers and runners take the configuration over: afterwards this
    object is closed and using it raises ClosedError.
    """

    __slots__ = ("_h", "_hooks")

    def __init__(self, props: Mapping[str, Value] | None = None, /, **kw: Value) -> None:
        self._h = capi.qp_conf_new()
        # Python callables the C conf may call; they live as long as it does
        # (dup() and the constructors that take a conf carry them along).
        self._hooks = {}
        for key, value in {**(props or {}), **kw}.items():
            self.set(key, value)

    def set(self, key: str, value: Value) -> None:
        """Sets one property; ConfigError names the key and the accepted range."""
        capi.qp_conf_set(self._h, key, _text(value))

    def get(self, key: str) -> str | None:
        """The value set, else the property's default, else None."""
        return capi.qp_conf_get(self._h, key)

    __setitem__ = set

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def load_file(self, path: str | os.PathLike[str]) -> None:
        """Reads ``key = value`` lines; errors name the file and line."""
        capi.qp_conf_load_file(self._h, os.fspath(path))

    def set_log_cb(self, fn: Callable[[int, str, str], None] | None) -> None:
        """Calls ``fn(level, module, message)`` for each log line (None: drop them).

        Called only on a thread that is inside a library call; an exception
        in fn goes to sys.unraisablehook.
        """
        capi.qp_conf_set_log_cb(self._h, fn)
        self._hooks["log"] = fn

    def dup(self) -> Conf:
        """An independent copy, log callback included."""
        copy = Conf.__new__(Conf)
        copy._h = capi.qp_conf_dup(self._h)
        copy._hooks = dict(self._hooks)
        return copy

    def close(self) -> None:
        """Frees the configuration now (it is also freed when collected)."""
        self._h.close()

    @property
    def closed(self) -> bool:
        """True once closed, or taken over by a constructor (Producer(conf), ...)."""
        return _swig_closed(self._h)


def properties_markdown() -> str:
    """The library's property table as Markdown (docs/configuration.md)."""
    return capi.qp_conf_properties_markdown().decode("utf-8")


def _as_conf(conf: Conf | Mapping[str, Value] | None) -> Conf:
    """A Conf given to a constructor: a Conf, or a mapping to build one from."""
    return conf if isinstance(conf, Conf) else Conf(conf)
