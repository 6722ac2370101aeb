"""The guard every pipeline object (producer, runner, ...) keeps its C handle in.

It counts the calls in flight on the handle, per thread, so that:
  - close() from another thread wakes the blocked call (the C ``wakeup``),
    waits until no call is in flight, and only then closes and frees the
    handle: no call ever runs on freed memory;
  - close() from inside a callback of the handle (a handler, a delivery
    callback) cannot wait for the call that runs it: the handle is closed
    when that call returns;
  - a handle the C API gives to one thread at a time ("exclusive": runner,
    admin, fraud engine, inserter) refuses a call from a second thread
    while one is in flight (StateError) instead of racing it;
  - wakeup() never reaches a freed handle;
  - the callables the handle may call stay alive until it is freed, also
    when the object is garbage collected without close().
"""

import sys
import threading
import weakref
from typing import TypeVar

from . import capi
from .errors import _from_code

__all__ = []


def _error(code, detail):
    """The exception the library would raise for code, built here."""
    return _from_code(code, capi.qp_err_name(code), detail, capi.qpb_error_family(code))


def _report_unraisable(exc, what):
    """An exception no caller can receive (a close deferred to another call)."""
    hook = getattr(sys, "unraisablehook", None)
    if hook is None:
        return
    args = type("UnraisableHookArgs", (), {})()
    args.exc_type, args.exc_value, args.exc_traceback = type(exc), exc, exc.__traceback__
    args.err_msg, args.object = f"Exception while closing {what}", None
    hook(args)


def _destroy(handle, keep):
    """Frees a handle at garbage collection; `keep` holds its callables until then."""
    handle.close()
    del keep


_T = TypeVar("_T")


def _swig_closed(h):
    """Whether a SWIG handle object was destroyed: SWIG zeroes its pointer."""
    return not int(h.this)


class Closing:
    """``with obj:`` closes obj at the end of the block (obj.close());
    ``obj.closed`` tells whether it is closed. An object owning a handle
    keeps its Guard in ``_g``; Conf and Event override ``closed``."""

    __slots__ = ()

    @property
    def closed(self) -> bool:
        """True once close() ran or another object took this one over."""
        return self._g.closed

    def __enter__(self: _T) -> _T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Guard:
    """Owns one C handle for a Python object (see the module docstring)."""

    __slots__ = ("_h", "_what", "_exclusive", "_lock", "_changed", "_threads",
                 "_closing", "_closed", "_deferred", "_finalizer")

    def __init__(self, owner, handle, what, *, exclusive, keep=None):
        self._h = handle
        self._what = what
        self._exclusive = exclusive
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._threads = {}  # thread ident -> depth of calls in flight on it
        self._closing = False
        self._closed = False
        self._deferred = None
        # Frees the handle if the owner is collected without close(); it
        # holds `keep` (the callables) until the handle is gone.
        self._finalizer = weakref.finalize(owner, _destroy, handle, keep)

    @property
    def closed(self):
        return self._closing

    def enter(self, *, nested=False):
        """Registers a call; returns the handle. nested=True allows the call
        from inside a callback of this handle (a handler pausing the runner)."""
        me = threading.get_ident()
        with self._lock:
            if self._closing:
                raise _error(capi.QP_ERR_CLOSED, f"{self._what} is closed")
            depth = self._threads.get(me, 0)
            if depth and not nested:
                raise _error(capi.QP_ERR_STATE,
                             f"{self._what}: this call is not allowed inside a callback")
            if self._exclusive and len(self._threads) > (1 if depth else 0):
                raise _error(capi.QP_ERR_STATE,
                             f"{self._what}: another thread has a call in flight "
                             "(use it from one thread at a time)")
            self._threads[me] = depth + 1
            return self._h

    def exit(self):
        """Ends a call; the last one runs a close deferred by a callback."""
        me = threading.get_ident()
        with self._lock:
            depth = self._threads.pop(me) - 1
            if depth:
                self._threads[me] = depth
            if self._threads:
                return
            self._changed.notify_all()
            finish, self._deferred = self._deferred, None
        if finish is not None:
            try:
                self._finish(finish)
            except Exception as exc:  # the caller did not ask for this close
                _report_unraisable(exc, self._what)

    def call(self, fn, *args, nested=False):
        """fn(handle, *args) as one call in flight."""
        h = self.enter(nested=nested)
        try:
            return fn(h, *args)
        finally:
            self.exit()

    def wakeup(self, fn):
        """fn(handle) unless the handle is freed: wakes a blocked call."""
        with self._lock:
            if not self._closed:
                fn(self._h)

    def close(self, wake=None, finish=None):
        """Closes the handle: wake(handle) ends the calls in flight, then
        finish(handle) (the C close) runs and the handle is freed. Returns
        finish's result; None when already closed or deferred."""
        me = threading.get_ident()
        with self._lock:
            if self._closing:
                while not self._closed and me not in self._threads and not self._deferred:
                    self._changed.wait()
                return None
            self._closing = True
            if self._threads and wake is not None:
                wake(self._h)
            if me in self._threads:  # inside a callback of this handle
                self._deferred = finish or (lambda h: None)
                return None
            while self._threads:
                self._changed.wait()
            self._threads[me] = 1  # the close itself: wakeup() still reaches it
        try:
            return self._finish(finish)
        finally:
            with self._lock:
                self._threads.pop(me, None)
                self._changed.notify_all()

    def _finish(self, finish):
        try:
            if finish is not None:
                return finish(self._h)
            return None
        finally:
            with self._lock:
                self._closed = True
                self._changed.notify_all()
            self._finalizer()
