"""Why `import quackpipe` failed, in words a user can act on.

The SWIG module capi.py imports the extension _capi; when that fails,
Python reports the package as "partially initialized (most likely due to a
circular import)", which names neither the cause nor the fix. explain()
looks at what is actually in the package directory and says which of the
three usual causes it is.
"""

import importlib.machinery
import os
import sys


def explain(error):
    """An ImportError whose message names the cause of `error`."""
    here = os.path.dirname(os.path.abspath(__file__))
    built = sorted(name for name in os.listdir(here)
                   if name.startswith("_capi.") and name.endswith(".so"))
    wanted = ["_capi" + suffix for suffix in importlib.machinery.EXTENSION_SUFFIXES]
    python = f"Python {sys.version_info.major}.{sys.version_info.minor} ({sys.executable})"
    if not os.path.exists(os.path.join(here, "capi.py")) or not built:
        why = (f"the C extension quackpipe._capi is not built in {here}: install the "
               "package with `pip install ./bindings/python`, or build it with CMake "
               "(-DQP_BUILD_PYTHON=ON) and put <build>/bindings/python on PYTHONPATH")
    elif not any(name in wanted for name in built):
        why = (f"the C extension in {here} was built for another Python "
               f"({', '.join(built)}); this is {python}, which loads "
               f"{' or '.join(wanted[:1])}: rebuild or reinstall the package with this Python")
    elif "libquackpipe" in str(error):
        why = (f"the extension cannot load libquackpipe ({error}): install the library "
               "(libquackpipe0), or reinstall the package so that it links the library "
               "where it now is (pip records its directory), or set LD_LIBRARY_PATH")
    else:
        why = f"loading the C extension failed: {error}"
    return ImportError(f"cannot import quackpipe: {why}")
