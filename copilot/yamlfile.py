"""Reading a YAML policy/config file into a mapping, with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from copilot.errors import ConfigurationError


def load_yaml_mapping(path: Path, *, expected: str = "a mapping") -> dict[str, Any]:
    """The file's top-level mapping (empty file -> {}); bad YAML names the line."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigurationError(f"{path}{line}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: top level must be {expected}")
    return data
