"""PEP 517 backend of the quackpipe Python package: scikit-build-core's,
with one addition. An sdist must build on its own, but the SWIG interface
(bindings/swig/) and the library's sources live outside this directory in
a checkout; build_sdist copies them in (swig/, libquackpipe/) for the time
of the build and removes them afterwards. Everything else is
scikit-build-core unchanged.
"""

import os
import shutil

from scikit_build_core import build as _skbuild
from scikit_build_core.build import *  # noqa: F401,F403 (the other hooks)

_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CHECKOUT = os.path.dirname(os.path.dirname(_HERE))

# What standalone.cmake needs of the library's tree to build it: its CMake
# project and sources. The top-level CMakeLists.txt adds examples/c and
# bindings/ (off here) unconditionally, so those come along.
_LIBRARY_PARTS = ["CMakeLists.txt", "include", "src", "cmake", "pkgconfig",
                  "examples/c", "bindings/CMakeLists.txt"]


def _copy(src, dst):
    src, dst = os.path.normpath(src), os.path.normpath(dst)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if os.path.isdir(src):
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        shutil.copy2(src, dst)


def _vendor():
    """Copies the outside parts in; returns what to remove afterwards."""
    made = []
    if not os.path.exists(os.path.join(_CHECKOUT, "include", "quackpipe.h")):
        return made  # already an sdist: its copies are in place
    for name, parts, root in (("swig", [""], os.path.join(_CHECKOUT, "bindings", "swig")),
                              ("libquackpipe", _LIBRARY_PARTS, _CHECKOUT)):
        dst = os.path.join(_HERE, name)
        if os.path.exists(dst):
            raise RuntimeError(f"{dst} exists: remove it (a stale copy from an "
                               "interrupted sdist build) and retry")
        made.append(dst)
        for part in parts:
            _copy(os.path.join(root, part), os.path.join(dst, part))
    return made


def build_sdist(sdist_directory, config_settings=None):
    made = _vendor()
    try:
        return _skbuild.build_sdist(sdist_directory, config_settings)
    finally:
        for path in made:
            shutil.rmtree(path, ignore_errors=True)
