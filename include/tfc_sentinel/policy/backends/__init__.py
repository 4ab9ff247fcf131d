"""Engine backends: the built-in engine (:mod:`.builtin`, the default) and the ``sentinel`` binary (:mod:`.binary`).

Each backend satisfies :class:`.base.Backend`: it turns test paths, or a policy set plus mocks, into a
:class:`tfc_sentinel.report.RunResult`. Import the submodules directly; this package stays cheap.
"""

from .base import Backend, MockSources

__all__ = ["Backend", "MockSources"]
