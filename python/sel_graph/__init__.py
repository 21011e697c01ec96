"""sel for Python: Bazel-style dependency graphs with ``config_setting`` and
``select()``, queried for one configuration or for all of them at once.

>>> import sel_graph
>>> ws = sel_graph.Workspace("examples/spam")
>>> doc = ws.cquery("deps(//spam)", select={"cuda": "12"})
>>> [t["label"] for t in doc["targets"]][:2]
['//spam:accel', '//spam:spam']

Every answer is the JSON document that the ``sel`` command prints with
``--output=json`` (docs/json.md), as plain Python data: ``query`` and
``cquery`` give ``sel.query/v1``, ``all_configs`` the document of
``sel cquery --all-configs``, ``licenses`` ``sel.licenses/v1``, ``sbom`` a
CycloneDX or SPDX document, ``check`` that of ``sel check``. Errors raise
:class:`SelError`, with sel's stable code (``sel::no_match``) and the file,
line and column. See docs/python.md.
"""

from __future__ import annotations

from typing import Mapping

from ._error import SelError
from ._sel import Workspace, __version__, import_lock

__all__ = ["SelError", "Workspace", "holds", "import_lock", "__version__"]


def holds(condition: Mapping[str, object], values: Mapping[str, str]) -> bool:
    """Whether ``condition`` is true in the configuration ``values``.

    ``condition`` is a condition as sel writes it (the ``when`` of an
    ``all_configs`` target or error): ``{"any": [cube, ...]}``, each cube
    mapping selector labels to the values it allows; a selector absent from
    a cube is unconstrained. True is ``{"any": [{}]}``, false ``{"any": []}``.
    ``values`` maps selector labels to their values, e.g. from a ``cquery``
    document: ``{label: s["value"] for label, s in
    doc["configuration"]["selectors"].items()}``. A cube naming a selector
    that ``values`` lacks raises ``KeyError``.
    """
    cubes = condition["any"]
    if not isinstance(cubes, list):
        raise TypeError('a condition is {"any": [cube, ...]}')
    return any(
        all(values[selector] in allowed for selector, allowed in cube.items())
        for cube in cubes
    )
