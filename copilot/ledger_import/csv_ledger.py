"""Read a CSV ledger export through a mapping into GL postings and the master data they mention.

One pass, row by row: the work per row is constant and nothing but the postings themselves is kept.
Postings are imported as the lines the file holds. A card or AP export carries one side of each
transaction only; no balancing line is invented.

Line numbers are the file's own (1 = first line, the header included), so every message can be
checked in an editor. A bad row stops the import at once, unless the caller asked to skip bad rows;
then every skipped row is counted per column and kept in the report, never silently lost.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from typing import Callable, Iterable, Iterator

from pydantic import ValidationError

from copilot.domain.dimensions import canonical_dimension
from copilot.domain.entries import Posting
from copilot.domain.master import Company
from copilot.errors import ConfigurationError, ParseError
from copilot.ledger_import.extract import Getter, Header, blame, compile_source
from copilot.ledger_import.mapping import LedgerMapping, Source
from copilot.ledger_import.master import ACCOUNT, CURRENCY, ENTITY, MasterBuilder
from copilot.ledger_import.report import BadRow, ImportReport
from copilot.ledger_import.values import AmountParser, DateParser

_SURROGATE = re.compile("[\udc80-\udcff]")
_SIDES = {"1": 1, "+1": 1, "d": 1, "dr": 1, "debit": 1, "-1": -1, "c": -1, "cr": -1, "credit": -1}
# GLDETAIL fields a posting is written with; a kept column must not overwrite one of them.
_RESERVED = {"RECORDNO", "BATCH_NO", "BATCH_DATE", "ENTRY_DATE", "BATCH_TITLE", "SYMBOL", "JOURNAL",
             "ACCOUNTNO", "TR_TYPE", "TRX_AMOUNT", "AMOUNT", "DESCRIPTION", "MEGAENTITYID", "CURRENCY",
             "DOCUMENT", "COPILOT_SOURCE", "BATCHKEY"}
_FILTERED = object()  # a row left out by the mapping's filter (counted, not bad)
_ZERO = Decimal("0.00")


class LedgerReader:
    """Feed it a text stream; iterate postings; then ``company`` and ``report`` are complete."""

    def __init__(self, mapping: LedgerMapping, company_name: str, *, source: str = "ledger.csv",
                 skip_bad_rows: bool = False, fail_hint: str = "",
                 progress: Callable[[int], None] | None = None, progress_every: int = 4096) -> None:
        self.mapping = mapping
        self.company_name = company_name
        self.source = source
        self.skip_bad_rows = skip_bad_rows
        self.fail_hint = fail_hint
        self.progress = progress
        self.progress_every = progress_every
        self.report = ImportReport(source=source)
        self.master = MasterBuilder()
        self.company: Company | None = None
        self.dates = DateParser(mapping.date_format)
        try:
            self.amounts = AmountParser(mapping.decimal_separator, mapping.thousands_separator)
        except ValueError as exc:
            raise ConfigurationError(f"mapping: {exc}") from None

    # --- the file's layout ---------------------------------------------------------------------

    def _records(self, stream: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
        """(first line of the record, cells). Quoted cells may span lines; numbers stay true."""
        m = self.mapping
        stream = iter(stream)
        skipped = 0
        for _ in range(m.skip_rows):
            if next(stream, None) is None:
                break
            skipped += 1
        reader = csv.reader(stream, delimiter=m.delimiter, quotechar=m.quotechar)
        end = 0
        try:
            for cells in reader:
                start, end = skipped + end + 1, reader.line_num
                yield start, cells
        except csv.Error as exc:
            raise ParseError(f"unreadable CSV ({exc}); an unbalanced quote often causes this",
                             line=skipped + end + 1, source=self.source) from None

    def _is_comment(self, cells: list[str]) -> bool:
        prefix = self.mapping.comment_prefix
        return bool(prefix) and bool(cells) and cells[0].lstrip().startswith(prefix)

    # --- reading -------------------------------------------------------------------------------

    def read(self, stream: Iterable[str]) -> Iterator[Posting]:
        records = self._records(stream)
        header = None
        for line, cells in records:
            if not any(c.strip() for c in cells) or self._is_comment(cells):
                continue
            header = Header(cells, line=line, source=self.source)
            break
        if header is None:
            raise ParseError("the file has no header row", line=1, source=self.source)
        self.report.header_line = header.line
        plan = _Plan(self.mapping, header, self)
        yield from plan.run(records)
        self.company, notes = self.master.finish(
            self.company_name, country=self.mapping.entity.country if self.mapping.entity else "US")
        self.report.notes.extend(notes)
        if self.amounts.rounded is not None:
            self.report.notes.append(f"amounts with more than 2 decimals were rounded to cents "
                                     f"(first: {self.amounts.rounded!r})")


class _Plan:
    """The mapping compiled against one header, and the row loop.

    The loop is the hot path of every import: getters are compiled once, the date and amount
    caches are read inline, and the common case (a good row) makes no call it can avoid.
    """

    def __init__(self, m: LedgerMapping, header: Header, reader: LedgerReader) -> None:
        self.m, self.header, self.reader = m, header, reader

        def get(source: Source | None, what: str, optional: bool = False) -> Getter:
            if source is None or (optional and not header.available(source)):
                return _blank
            return compile_source(source, header, what=what)

        self.date = get(m.date, "date")
        self.amount = get(m.amount, "amount") if m.amount is not None else None
        self.debit = get(m.debit, "debit")
        self.credit = get(m.credit, "credit")
        self.side = get(m.side, "side") if m.side is not None else None
        self.account_code = get(m.account.code, "account.code")
        self.account_title = get(m.account.title, "account.title")
        self.derive_account = m.account.code is None
        self.dims: list[tuple[str, Getter, Getter, bool, str, dict[str, str]]] = []
        for key, spec in m.dimensions.items():
            code = get(spec.code, f"dimensions.{key}.code", spec.optional)
            title = get(spec.title, f"dimensions.{key}.title", spec.optional)
            if code is not _blank or title is not _blank:
                self.dims.append((key, code, title, spec.required, blame(spec.code or spec.title),
                                  reader.master.derived.setdefault(key, {})))
        if m.entity is not None:
            self.entity = get(m.entity.code, "entity.code")
            self.entity_title = get(m.entity.title, "entity.title")
        else:
            name = reader.company_name.strip() or "MAIN"
            code = reader.master.derive("entity", name)
            self.entity, self.entity_title = (lambda row: code), (lambda row: name)
        # The common amount case, read inline from the parser's cache in convert().
        self.plain_amount = self.amount is not None and self.side is None
        self.sign = -1 if m.sign == "positive_is_credit" else 1
        self.date_cache, self.amount_cache = reader.dates.cache, reader.amounts.cache
        self.check_record_no, self.skip_zero = m.record_no is not None, m.filter.skip_zero_amounts
        # One entity and currency for the whole file (the usual case): counted once, not per row.
        self.fixed_entity = m.entity is None or all(
            s is None or s.constant is not None for s in (m.entity.code, m.entity.title))
        self.fixed_entity = self.fixed_entity and (m.currency is None or m.currency.constant is not None)
        self.texts = tuple(get(getattr(m, k), k) for k in
                           ("currency", "memo", "document", "journal", "batch", "batch_title", "record_no"))
        carried = [c for c in m.carry_down if header.has(c)]
        if m.carry_down and not carried:
            header.position(m.carry_down[0], what="carry_down")  # none there: name the first
        self.carry_names = carried
        self.carry = [header.position(c, what="carry_down") for c in carried]
        self.skip_empty = [header.position(c, what="filter.skip_when_empty") for c in m.filter.skip_when_empty]
        self.skip_when = [(header.position(c, what="filter.skip_when"), {v.strip() for v in values})
                          for c, values in m.filter.skip_when.items()]
        self.keep = [(_extra_name(c), header.position(c, what="keep_columns")) for c in m.keep_columns]
        # Columns the mapping reads: only bad bytes there make a row bad.
        self.used = sorted({header.index[c.strip().upper()] for c in _mapping_columns(m) if header.has(c)})
        self.record_nos: set[str] = set()

    def run(self, records: Iterator[tuple[int, list[str]]]) -> Iterator[Posting]:
        m, r = self.m, self.reader
        report = r.report
        width = len(self.header)
        prefix = m.comment_prefix or None
        description_row = m.description_row
        carry = self.carry
        current: list[str] | None = None
        entry_line = 0
        entries_bad: set[int] = set()
        entries_ok: set[int] = set()
        every, progress = r.progress_every, r.progress
        convert = self.convert
        rows = 0
        for line, cells in records:
            joined = "".join(cells)
            if not joined or joined.isspace():
                report.blank += 1
                continue
            if prefix is not None and cells[0].lstrip().startswith(prefix):
                report.comments += 1
                continue
            if len(cells) < width:
                cells.extend([""] * (width - len(cells)))
            cells = [c.strip() for c in cells]
            if description_row != "no":
                first, description_row = description_row, "no"
                if first == "yes" or self._looks_like_descriptions(cells):
                    report.notes.append(f"line {line}: skipped as the row of column descriptions")
                    continue
            rows += 1
            if progress is not None and rows % every == 0:
                progress(rows)
            errors: list[BadRow] = []
            if len(cells) > width and any(cells[width:]):
                errors.append(BadRow(line, "(row)", f"{len(cells)} cells but the header has {width} columns"))
            if carry:
                if any(cells[i] for i in carry):
                    current, entry_line = [cells[i] for i in carry], line
                elif current is None:
                    errors.append(BadRow(line, self.carry_names[0], "the first row of an entry must "
                                         f"carry its header fields ({', '.join(self.carry_names)})"))
                else:
                    for k, i in enumerate(carry):
                        cells[i] = current[k]
            if not joined.isascii() and _SURROGATE.search(joined):
                errors.extend(self._encoding_errors(line, cells))
            if not errors and (self.skip_empty or self.skip_when) and self._filtered(cells):
                continue
            posting = None if errors else convert(line, cells, errors, entry_line)
            if posting is _FILTERED:
                continue
            if posting is None:
                report.bad_rows += 1
                for bad in errors:
                    report.bad_by_field[bad.field] += 1
                if not r.skip_bad_rows:
                    report.rows_read = rows
                    raise errors[0].error(r.source, r.fail_hint)
                report.reject(errors)
                if carry:
                    entries_bad.add(entry_line)
                continue
            if carry:
                entries_ok.add(entry_line)
            report.imported += 1
            yield posting
        report.rows_read = rows
        report.incomplete_entries = len(entries_bad & entries_ok)
        if self.fixed_entity and report.imported:
            none: list[str] = []
            self.count_entity(self.entity(none), self.entity_title(none), self.texts[0](none), report.imported)
        if progress is not None:
            progress(rows)

    def _looks_like_descriptions(self, cells: list[str]) -> bool:
        """Words where the date and every amount should be. A data row with a bad date but a real
        amount is not mistaken for it (it is reported as bad instead)."""
        text = self.date(cells)
        if not text or _parses(self.reader.dates.parse, text):
            return False
        amounts = [g(cells) for g in (self.amount, self.debit, self.credit) if g is not None]
        return not any(a and _parses(self.reader.amounts.parse, a) for a in amounts)

    def _encoding_errors(self, line: int, cells: list[str]) -> list[BadRow]:
        enc = self.m.encoding
        return [BadRow(line, self.header.names[i], f"bytes that are not valid {enc} (set encoding: in the "
                       "mapping, e.g. cp1252 or latin-1)") for i in self.used if _SURROGATE.search(cells[i])]

    def _filtered(self, cells: list[str]) -> bool:
        report = self.reader.report
        for i in self.skip_empty:
            if not cells[i]:
                report.filtered[f"empty {self.header.names[i]}"] += 1
                return True
        for i, values in self.skip_when:
            if cells[i] in values:
                report.filtered[f"{self.header.names[i]} = {cells[i]}"] += 1
                return True
        return False

    def convert(self, line: int, cells: list[str], errors: list[BadRow], entry_line: int) -> Posting | object | None:
        """One row -> a Posting; None with ``errors`` filled when the row is bad."""
        m, master = self.m, self.reader.master
        text = self.date(cells)
        day = self.date_cache.get(text)
        if day is None:
            try:
                day = self.reader.dates.parse(text)
            except ValueError as exc:
                errors.append(BadRow(line, blame(m.date), str(exc)))
        amount = self.amount_cache.get(self.amount(cells)) if self.plain_amount else None
        if amount is None:  # not seen yet, or debit/credit or side columns: the general path
            tr_type, amount = self._amount(line, cells, errors)
        elif amount < 0:
            tr_type, amount = -self.sign, -amount
        else:
            tr_type = self.sign
        acct, acct_title = self.account_code(cells), self.account_title(cells)
        if not acct and acct_title and self.derive_account:
            acct = master.derive("account", acct_title)
        if not acct:
            errors.append(BadRow(line, blame(m.account.code or m.account.title), "account is missing"))
        dims: dict[str, str] = {}
        titles: list[tuple[str, str, str]] = []
        for key, get_code, get_title, required, col, derived in self.dims:
            code, title = get_code(cells), get_title(cells)
            if not code and title:
                code = derived.get(title) or master.derive(key, title)
            if code:
                dims[key] = code
                titles.append((key, code, title))
            elif required:
                errors.append(BadRow(line, col, f"{key} is missing"))
        entity = self.entity(cells)
        if not entity:
            errors.append(BadRow(line, blame(m.entity.code if m.entity else None), "entity is missing"))
        g = self.texts
        currency, memo, document, journal = g[0](cells), g[1](cells), g[2](cells), g[3](cells)
        batch, batch_title, record_no = g[4](cells), g[5](cells), g[6](cells)
        if self.check_record_no:
            if not record_no:
                errors.append(BadRow(line, blame(m.record_no), "record number is missing"))
            elif record_no in self.record_nos:
                errors.append(BadRow(line, blame(m.record_no), f"record number {record_no!r} is not unique"))
            self.record_nos.add(record_no)
        if errors or day is None or amount is None:
            return None
        if not amount and self.skip_zero:
            self.reader.report.filtered["zero amount"] += 1
            return _FILTERED
        try:
            posting = Posting(
                record_no=record_no or str(line), entity=entity, entry_date=day, journal=journal or "GJ",
                batch_no=batch or (str(entry_line) if self.carry else None), batch_title=batch_title,
                account_no=acct, tr_type=tr_type, amount=amount, memo=memo, dims=dims,
                currency=currency or None, document=document or None,
                extra={name: cells[i] for name, i in self.keep if cells[i]})
        except ValidationError as exc:  # a domain rule the checks above did not cover
            first = exc.errors()[0]
            errors.append(BadRow(line, ".".join(map(str, first.get("loc", ()))) or "(row)", first.get("msg", "")))
            return None
        # Master data only from rows that made it in: a rejected row must not invent an account.
        seen = master.seen
        pair = (ACCOUNT, acct, acct_title)
        seen[pair] = seen.get(pair, 0) + 1
        for pair in titles:
            seen[pair] = seen.get(pair, 0) + 1
        if not self.fixed_entity:
            self.count_entity(entity, self.entity_title(cells), currency)
        return posting

    def count_entity(self, entity: str, title: str, currency: str, rows: int = 1) -> None:
        seen = self.reader.master.seen
        for pair in ((ENTITY, entity, title), (CURRENCY, entity, currency)):
            seen[pair] = seen.get(pair, 0) + rows

    def _amount(self, line: int, cells: list[str], errors: list[BadRow]) -> tuple[int, Decimal | None]:
        m, amounts = self.m, self.reader.amounts
        if self.amount is not None:
            text = self.amount(cells)
            value = amounts.cache.get(text)
            if value is None:
                try:
                    value = amounts.parse(text)
                except ValueError as exc:
                    errors.append(BadRow(line, blame(m.amount), str(exc)))
                    return 1, None
            side = 1
            if self.side is not None:
                word = self.side(cells).lower()
                if word not in _SIDES:
                    errors.append(BadRow(line, blame(m.side), f"not a debit/credit indicator: {word!r}"))
                    return 1, None
                side = _SIDES[word]
            elif m.sign == "positive_is_credit":
                side = -1
        else:
            debit_text, credit_text = self.debit(cells), self.credit(cells)
            if not debit_text and not credit_text:
                errors.append(BadRow(line, blame(m.debit or m.credit), "no debit or credit amount"))
                return 1, None
            try:
                debit = amounts.parse(debit_text) if debit_text else _ZERO
            except ValueError as exc:
                errors.append(BadRow(line, blame(m.debit), str(exc)))
                return 1, None
            try:
                credit = amounts.parse(credit_text) if credit_text else _ZERO
            except ValueError as exc:
                errors.append(BadRow(line, blame(m.credit), str(exc)))
                return 1, None
            if debit and credit:
                errors.append(BadRow(line, blame(m.debit), "both a debit and a credit amount on one line"))
                return 1, None
            value, side = (debit, 1) if debit or not credit else (credit, -1)
        if value < 0:
            return -side, -value
        return side, value


def _blank(row: list[str]) -> str:
    return ""


def _parses(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


def _extra_name(column: str) -> str:
    name = re.sub(r"[^A-Z0-9_]", "_", column.strip().upper())
    if not name or not (name[0].isalpha() or name[0] == "_"):
        name = f"X_{name}"
    if name in _RESERVED or canonical_dimension(name) is not None:
        raise ConfigurationError(f"keep_columns: {column!r} would overwrite the posting field {name}; "
                                 "map it to its field instead")
    return name


def _mapping_columns(m: LedgerMapping) -> set[str]:
    sources = [m.date, m.amount, m.debit, m.credit, m.side, m.currency, m.memo, m.document, m.journal,
               m.batch, m.batch_title, m.record_no, m.account.code, m.account.title]
    if m.entity is not None:
        sources += [m.entity.code, m.entity.title]
    for spec in m.dimensions.values():
        sources += [spec.code, spec.title]
    cols = {c for s in sources if s is not None for c in s.columns()}
    return cols | set(m.keep_columns) | set(m.carry_down)
