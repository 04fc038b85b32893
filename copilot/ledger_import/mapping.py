"""The mapping file: which columns of a CSV ledger export mean what.

A mapping is a small YAML file (see ``mappings/`` for two worked examples). Every place that takes a
value from a row is a *source*, written in one of these forms:

    date: transaction_date                       # a column (header names match in any letter case)
    currency: {constant: GBP}                    # the same value on every row
    memo: "{MEMO} {DESCRIPTION}"                 # a template: any text with {COLUMN} placeholders
    memo: {join: [MEMO, DESCRIPTION], sep: " / "}  # non-empty columns joined
    account: {code: {column: expense_code, slice: [4, 8]}}  # characters 4..7 (0-based, end exclusive)
    code: [subjective_4, {column: expense_code, slice: [4, 8]}]  # the first non-empty alternative

A column that is missing from the file's header is an error, unless another alternative of the same
list exists or the source is marked ``optional: true`` (``memo: {column: MEMO, optional: true}``;
dimensions take ``optional: true`` beside code and title): then the value is simply empty.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from copilot.domain.dimensions import STANDARD_DIMENSIONS, canonical_dimension
from copilot.errors import ConfigurationError

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_CUSTOM_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


class Source(BaseModel):
    """Where one value comes from. Exactly one of column / constant / template / join / first_of."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str | None = None
    constant: str | None = None
    template: str | None = None
    join: list[str] | None = None
    sep: str = " "
    first_of: list["Source"] | None = None
    slice: tuple[int, int | None] | None = Field(
        default=None, description="[start, end] characters of the value, 0-based, end exclusive")
    default: str | None = Field(default=None, description="used when the value is empty")
    optional: bool = Field(default=False, description="the column may be absent from the file (value '')")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"template": data} if _PLACEHOLDER.search(data) else {"column": data}
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            raise ValueError("a source must be a column name (quote numeric column names)")
        if isinstance(data, list):
            return {"first_of": data}
        return data

    @model_validator(mode="after")
    def _one_kind(self) -> "Source":
        kinds = [k for k in ("column", "constant", "template", "join", "first_of") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("give exactly one of column, constant, template, join, first_of "
                             f"(got {', '.join(kinds) or 'none'})")
        if self.first_of is not None and not self.first_of:
            raise ValueError("first_of needs at least one alternative")
        if self.template is not None and not _PLACEHOLDER.search(self.template):
            raise ValueError("a template needs at least one {COLUMN} placeholder; use constant: for fixed text")
        return self

    def columns(self) -> list[str]:
        """Every column this source may read."""
        if self.column is not None:
            return [self.column]
        if self.template is not None:
            return _PLACEHOLDER.findall(self.template)
        if self.join is not None:
            return list(self.join)
        if self.first_of is not None:
            return [c for alt in self.first_of for c in alt.columns()]
        return []

    def describe(self) -> str:
        cols = self.columns()
        return ", ".join(cols) if cols else f"constant {self.constant!r}"


class CodeSpec(BaseModel):
    """An account or dimension: a code column and an optional title column.

    With no ``code`` the code is derived from the title (a stable ID from the normalized name), for
    ledgers that only name things: a card merchant, an expense area.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    code: Source | None = None
    title: Source | None = Field(default=None, validation_alias=AliasChoices("title", "name"))
    optional: bool = Field(default=False, description="the column may be absent from the file")
    required: bool = Field(default=False, description="every row must carry a value")

    @model_validator(mode="after")
    def _something(self) -> "CodeSpec":
        if self.code is None and self.title is None:
            raise ValueError("give code, title (name) or both")
        return self


class EntitySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    code: Source
    title: Source | None = Field(default=None, validation_alias=AliasChoices("title", "name"))
    country: str = "US"


class FilterSpec(BaseModel):
    """Rows left out on purpose. They are counted and reported, never silently dropped."""

    model_config = ConfigDict(extra="forbid")

    skip_zero_amounts: bool = False
    skip_when_empty: list[str] = Field(default_factory=list, description="columns; skip the row when any is empty")
    skip_when: dict[str, list[str]] = Field(default_factory=dict,
                                            description="column -> values; skip the row when it holds one")


class LedgerMapping(BaseModel):
    """A CSV ledger export -> GL postings plus the master data they mention."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    description: str = ""
    # --- reading the file
    encoding: str = "utf-8"
    delimiter: str = ","
    quotechar: str = '"'
    skip_rows: int = Field(default=0, ge=0, description="lines before the header row")
    comment_prefix: str | None = Field(default="#", description="rows whose first cell starts with it are skipped")
    description_row: Literal["auto", "yes", "no"] = Field(
        default="no", description="a row of column descriptions right after the header "
                                  "(auto: skipped when its date cell is text, not a date)")
    carry_down: list[str] = Field(default_factory=list, description=(
        "entry header columns filled only on an entry's first row; a row with any of them set "
        "starts a new entry, later rows inherit all of them (columns absent from a file are ignored)"))
    date_format: list[str] = Field(default_factory=lambda: ["%Y-%m-%d"])
    decimal_separator: str = "."
    thousands_separator: str | None = Field(default=None, description="default ',' (or '.' when decimal is ','); '' for none")
    # --- what the columns mean
    entity: EntitySpec | None = Field(default=None, description="default: one entity named after the company")
    currency: Source | None = None
    date: Source
    amount: Source | None = None
    sign: Literal["positive_is_debit", "positive_is_credit"] = "positive_is_debit"
    side: Source | None = Field(default=None, description="a debit/credit indicator column (1/-1, D/C, DR/CR, debit/credit)")
    debit: Source | None = None
    credit: Source | None = None
    account: CodeSpec
    dimensions: dict[str, CodeSpec] = Field(default_factory=dict)
    memo: Source | None = None
    document: Source | None = Field(default=None, validation_alias=AliasChoices("document", "reference"))
    journal: Source | None = None
    batch: Source | None = None
    batch_title: Source | None = None
    record_no: Source | None = Field(default=None, description="a unique line id; default the CSV line number")
    keep_columns: list[str] = Field(default_factory=list, description="kept on each posting as extra fields")
    filter: FilterSpec = Field(default_factory=FilterSpec)

    @model_validator(mode="before")
    @classmethod
    def _vendor_shorthand(cls, data: Any) -> Any:
        """``vendor: {name: merchant_name}`` at the top level means ``dimensions: {vendor: ...}``."""
        if isinstance(data, dict) and "vendor" in data:
            data = dict(data)
            vendor = data.pop("vendor")
            dims = dict(data.get("dimensions") or {})
            if any((canonical_dimension(str(k)) or str(k).lower()) == "vendor" for k in dims):
                raise ValueError("vendor is given both at the top level and under dimensions")
            dims["vendor"] = vendor
            data["dimensions"] = dims
        return data

    @field_validator("description_row", mode="before")
    @classmethod
    def _yes_no(cls, v: Any) -> Any:
        # YAML reads a bare yes/no as a boolean.
        return {True: "yes", False: "no"}.get(v, v) if isinstance(v, bool) else v

    @field_validator("date_format", mode="before")
    @classmethod
    def _formats(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("delimiter", "quotechar", "decimal_separator")
    @classmethod
    def _one_char(cls, v: str) -> str:
        if v == "\\t":
            v = "\t"
        if len(v) != 1:
            raise ValueError("must be exactly one character")
        return v

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, v: str) -> str:
        import codecs
        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError(f"unknown encoding {v!r}") from None
        return v

    @field_validator("dimensions", mode="before")
    @classmethod
    def _dimension_keys(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        out: dict[str, Any] = {}
        for key, spec in v.items():
            canon = canonical_dimension(str(key)) or str(key).lower()
            if canon not in STANDARD_DIMENSIONS and not _CUSTOM_KEY.match(canon):
                raise ValueError(f"dimension {key!r}: custom dimension names are letters, digits and _")
            if canon in out:
                raise ValueError(f"dimension {key!r} is given twice")
            out[canon] = spec
        return out

    @model_validator(mode="after")
    def _amount_columns(self) -> "LedgerMapping":
        if self.amount is not None and (self.debit is not None or self.credit is not None):
            raise ValueError("give either amount (signed) or debit/credit columns, not both")
        if self.amount is None and self.debit is None and self.credit is None:
            raise ValueError("give amount, or debit and/or credit")
        if self.side is not None and self.amount is None:
            raise ValueError("side only applies with amount")
        return self


def load_mapping(path: Path | str) -> LedgerMapping:
    """Read and check a mapping file; every problem is one ConfigurationError naming the field."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read mapping: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigurationError(f"{path}:{where} not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: a mapping file must be a YAML mapping (key: value)")
    return parse_mapping(data, source=str(path))


def parse_mapping(data: dict[str, Any], *, source: str = "mapping") -> LedgerMapping:
    try:
        return LedgerMapping.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()) if not str(p).startswith("function-"))
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        message = str(first.get("msg", "")).removeprefix("Value error, ")
        raise ConfigurationError(f"{source}: {loc or 'mapping'}: {message}{more}",
                                 field=loc or None) from None
