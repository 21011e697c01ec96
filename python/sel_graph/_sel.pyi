"""Types of the extension module. The documents are those of docs/json.md."""

from os import PathLike
from typing import Any, Dict, List, Literal, Mapping, Optional, TypedDict, Union

__version__: str

_Path = Union[str, PathLike[str]]

class Condition(TypedDict):
    """``{"any": [cube, ...]}``: a cube maps selector labels to allowed values."""

    any: List[Dict[str, List[str]]]

class Location(TypedDict, total=False):
    file: str
    line: int
    column: int

class Dep(TypedDict):
    label: str
    conditional: bool
    keys: List[str]

class Target(TypedDict, total=False):
    """A target of ``sel.query/v1``; ``purl`` only for packages."""

    label: str
    kind: str
    package: str
    location: Optional[Location]
    attributes: Dict[str, Dict[str, Any]]
    deps: List[Dep]
    purl: Optional[str]

class SelectorValue(TypedDict, total=False):
    value: str
    source: str
    config: str
    platform: str

class Configuration(TypedDict):
    selectors: Dict[str, SelectorValue]

class QueryDocument(TypedDict):
    """``sel query|cquery EXPR --output=json``."""

    schema: str
    command: Literal["query", "cquery"]
    query: str
    order: str
    configuration: Optional[Configuration]
    targets: List[Target]
    errors: List[Dict[str, Any]]

class ConfiguredTarget(TypedDict, total=False):
    """A target of ``cquery --all-configs``, with where it is in the result."""

    label: str
    when: Condition
    when_text: str

class Failure(TypedDict, total=False):
    """Where evaluation fails, in ``cquery --all-configs``."""

    target: str
    kind: str
    message: str
    when: Condition
    when_text: str

class AllConfigsDocument(TypedDict, total=False):
    """``sel cquery EXPR --all-configs --output=json``."""

    schema: str
    query: str
    fixed: Dict[str, str]
    targets: List[ConfiguredTarget]
    errors: List[Failure]

class Workspace:
    """A loaded workspace: the nearest directory from ``path`` upward that
    holds ``sel.toml``, with every BUILD file evaluated. ``cache=False`` is
    ``--no-cache``."""

    def __init__(self, path: Optional[_Path] = None, *, cache: bool = True) -> None: ...
    @property
    def root(self) -> str: ...
    def query(self, expr: str) -> QueryDocument:
        """``sel query EXPR --output=json``: the unconfigured graph."""
    def cquery(
        self,
        expr: str,
        *,
        select: Optional[Mapping[str, str]] = None,
        platform: Optional[str] = None,
        config: Optional[str] = None,
        allow_clashes: bool = False,
    ) -> QueryDocument:
        """``sel cquery EXPR --output=json``: one configuration; a clash is
        ``sel::clash`` unless ``allow_clashes`` (``--allow-clashes``)."""
    def all_configs(
        self,
        expr: str,
        *,
        select: Optional[Mapping[str, str]] = None,
        platform: Optional[str] = None,
        config: Optional[str] = None,
    ) -> AllConfigsDocument:
        """``sel cquery EXPR --all-configs --output=json``: every configuration."""
    def licenses(
        self,
        expr: str,
        *,
        select: Optional[Mapping[str, str]] = None,
        platform: Optional[str] = None,
        config: Optional[str] = None,
        check: bool = False,
        all_configs: bool = False,
    ) -> Dict[str, Any]:
        """``sel licenses EXPR --output=json``: ``sel.licenses/v1``."""
    def sbom(
        self,
        expr: str,
        *,
        format: Literal["cyclonedx", "spdx"] = "cyclonedx",
        select: Optional[Mapping[str, str]] = None,
        platform: Optional[str] = None,
        config: Optional[str] = None,
        all_configs: bool = False,
        created: Optional[int] = None,
    ) -> Dict[str, Any]:
        """``sel sbom EXPR``: a CycloneDX 1.6 or SPDX 2.3 document."""
    def check(
        self,
        pattern: str = "//...",
        *,
        select: Optional[Mapping[str, str]] = None,
        platform: Optional[str] = None,
        config: Optional[str] = None,
    ) -> Dict[str, Any]:
        """``sel check PATTERN --output=json``."""

def import_lock(lockfile: _Path, out: _Path) -> List[str]:
    """``sel import LOCKFILE --out OUT``: the files written."""

def main(argv: List[str]) -> int:
    """The ``sel`` command on ``argv`` (program name first); its exit status."""
