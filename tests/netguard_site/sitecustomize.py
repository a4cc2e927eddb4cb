"""Python imports this at start-up when its folder is on PYTHONPATH (the tests put it there):
with REELWAY_TEST_NETGUARD=1, the process installs the tests' network guard
(``tests/netguard.py``), reporting refusals on stderr."""

import importlib.util
import os
import sys

if os.environ.get("REELWAY_TEST_NETGUARD") == "1":
    _path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "netguard.py")
    _spec = importlib.util.spec_from_file_location("reelway_test_netguard", _path)
    if _spec is not None and _spec.loader is not None:
        _guard = importlib.util.module_from_spec(_spec)
        sys.modules[_spec.name] = _guard
        _spec.loader.exec_module(_guard)
        _guard.install(_guard.report_to_stderr)
