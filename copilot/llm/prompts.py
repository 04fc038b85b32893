"""Versioned prompt and narrative templates loaded from ``prompts/``.

Each file is YAML (or markdown with YAML front matter) carrying ``name``, a semver ``version``, a
``description`` and either ``template`` (one text) or ``templates`` (named texts). The sha256 of the
file bytes goes into every explanation, so an audit record says exactly which wording produced it.
Templates use ``${name}`` placeholders (string.Template): values are inserted verbatim, never
re-interpreted, so untrusted text in a value cannot reach into the template.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from string import Template

import yaml
from pydantic import BaseModel, ConfigDict

from copilot.errors import ConfigurationError, NotFound

_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)


class Prompt(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    version: str
    description: str = ""
    text: str  # the whole file as loaded (what the hash covers)
    sha256: str
    templates: dict[str, str]

    def render(self, part: str, **values: object) -> str:
        """Fill one named template; a missing placeholder is a bug in the caller, so it raises."""
        if part not in self.templates:
            raise ConfigurationError(f"prompt {self.name}@{self.version} has no template {part!r}")
        template = self.templates[part]
        try:
            pieces = _pieces(template)
            if pieces is None:  # not a valid template: let string.Template say why
                return Template(template).substitute({k: str(v) for k, v in values.items()})
            return "".join(p if named is None else str(values[named]) for p, named in pieces)
        except KeyError as exc:
            raise ConfigurationError(
                f"prompt {self.name}@{self.version} template {part!r} needs {exc.args[0]!r}") from None

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


@lru_cache(maxsize=1024)
def _pieces(template: str) -> tuple[tuple[str, str | None], ...] | None:
    """A template split once into literal text and placeholder names (None if it has an invalid ``$``).

    Filling the pieces gives exactly what string.Template.substitute gives; explanations render
    ~15 templates per line, and substitute re-scans the text with a regex every time.
    """
    pieces: list[tuple[str, str | None]] = []
    at = 0
    for m in Template.pattern.finditer(template):
        if m.group("invalid") is not None:
            return None
        pieces.append((template[at:m.start()], None))
        if m.group("escaped") is not None:
            pieces.append((Template.delimiter, None))
        else:
            pieces.append(("", m.group("named") or m.group("braced")))
        at = m.end()
    pieces.append((template[at:], None))
    return tuple(p for p in pieces if p != ("", None))


def combine(prompts: list[Prompt]) -> tuple[str, str]:
    """One version string and one hash for an explanation that used several prompts."""
    if len(prompts) == 1:
        return prompts[0].ref, prompts[0].sha256
    version = "+".join(p.ref for p in prompts)
    digest = hashlib.sha256("\n".join(f"{p.ref}:{p.sha256}" for p in prompts).encode()).hexdigest()
    return version, digest


class PromptRegistry:
    """Reads every ``*.yaml``/``*.yml``/``*.md`` in a directory once; ``get(name)`` returns it."""

    def __init__(self, prompts_dir: Path | str) -> None:
        self.prompts_dir = Path(prompts_dir)
        if not self.prompts_dir.is_dir():
            raise ConfigurationError(f"prompts directory not found: {self.prompts_dir}")
        self._prompts: dict[str, Prompt] = {}
        for path in sorted(self.prompts_dir.iterdir()):
            if (path.suffix.lower() in (".yaml", ".yml", ".md") and path.is_file()
                    and not path.name.upper().startswith("README")):
                prompt = load_prompt(path)
                if prompt.name in self._prompts:
                    raise ConfigurationError(f"{path}: prompt name {prompt.name!r} is defined twice")
                self._prompts[prompt.name] = prompt

    def get(self, name: str) -> Prompt:
        try:
            return self._prompts[name]
        except KeyError:
            raise NotFound(f"no prompt named {name!r} in {self.prompts_dir}") from None

    def names(self) -> list[str]:
        return sorted(self._prompts)


def load_prompt(path: Path) -> Prompt:
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    body: str | None = None
    if path.suffix.lower() == ".md":
        match = _FRONT_MATTER.match(text)
        if not match:
            raise ConfigurationError(f"{path}: markdown prompt needs a '---' YAML front matter block")
        meta_text, body = match.group(1), match.group(2)
    else:
        meta_text = text
    try:
        meta = yaml.safe_load(meta_text) or {}
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise ConfigurationError(f"{path}: top level must be a mapping")
    for field in ("name", "version"):
        if not isinstance(meta.get(field), str) or not meta[field].strip():
            raise ConfigurationError(f"{path}: field {field!r} is required")
    if not _SEMVER.match(meta["version"]):
        raise ConfigurationError(f"{path}: version {meta['version']!r} is not semver (e.g. 1.0.0)")
    templates = meta.get("templates") or {}
    if not isinstance(templates, dict) or not all(isinstance(v, str) for v in templates.values()):
        raise ConfigurationError(f"{path}: 'templates' must map names to strings")
    single = body if body is not None and body.strip() else meta.get("template")
    if single is not None:
        templates = {"template": str(single), **templates}
    if not templates:
        raise ConfigurationError(f"{path}: no 'template' or 'templates'")
    return Prompt(name=meta["name"], version=meta["version"], description=str(meta.get("description", "")),
                  text=text, sha256=hashlib.sha256(raw).hexdigest(), templates=dict(templates))
