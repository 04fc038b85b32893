"""A company on disk, stored exactly as Intacct hands it over: readByQuery response pages.

Layout: ``<root>/intacct/<OBJECT>/page-0001.xml``, ``page-0002.xml``... chained like readMore (the
first pages carry a resultId and numremaining, the last has numremaining="0"). Reading holds one page
at a time (a page over 64 MB is streamed with iterparse instead): ``iter_object_rows`` /
``iter_postings`` run in constant memory however many GLDETAIL lines there are, and so does
``read_company_dir(..., keep_postings=False)``. Absent objects are empty; unknown fields are kept as
``extra``; a malformed page raises ParseError naming the file, the line and the field.
"""

from __future__ import annotations

import hashlib
from functools import partial
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping

from lxml import etree

from copilot.domain.dimensions import DimensionValue
from copilot.domain.entries import Posting
from copilot.domain.master import Company, Entity
from copilot.errors import ParseError
from copilot.formats import records
from copilot.formats.common import at, bulk_load, fail
from copilot.formats.xmlrows import check_name, element_to_row, page_bytes, row_to_xml

MASTER_OBJECTS: tuple[str, ...] = (
    "LOCATIONENTITY", "GLACCOUNT", "DEPARTMENT", "LOCATION", "CLASS", "PROJECT", "VENDOR",
    "CUSTOMER", "EMPLOYEE",
)
STANDARD_OBJECTS: tuple[str, ...] = (*MASTER_OBJECTS, "GLDETAIL")
_STANDARD_DIM_OBJECTS = ("DEPARTMENT", "LOCATION", "CLASS", "ITEM", "TASK")


@dataclass
class CompanyData:
    """What a company directory holds: master data, GL history and what else was found."""

    company: Company
    postings: list[Posting]
    counts: dict[str, int] = field(default_factory=dict)  # rows read per object
    other_objects: list[str] = field(default_factory=list)  # present but not modelled (APBILL...)


# --- locating pages ----------------------------------------------------------------------------

def intacct_dir(root: Path | str) -> Path:
    """``root/intacct`` when it exists; ``root`` itself when it already holds object folders."""
    root = Path(root)
    if (root / "intacct").is_dir():
        return root / "intacct"
    if root.is_dir() and any(p.is_dir() and any(p.glob("page-*.xml")) for p in root.iterdir()):
        return root
    return root / "intacct"


def object_names(root: Path | str) -> list[str]:
    base = intacct_dir(root)
    if not base.is_dir():
        return []
    return sorted(p.name.upper() for p in base.iterdir() if p.is_dir() and any(p.glob("page-*.xml")))


def page_files(root: Path | str, object_name: str) -> list[Path]:
    base = intacct_dir(root)
    if not base.is_dir():
        return []
    wanted = object_name.upper()
    for folder in base.iterdir():
        if folder.is_dir() and folder.name.upper() == wanted:
            return sorted(folder.glob("page-*.xml"))
    return []


# --- reading -----------------------------------------------------------------------------------

# Pages up to this size are parsed whole (libxml2 builds the tree in C; measured ~25 % faster than
# iterparse, whose Python-side clearing runs per row); a larger page is streamed, so memory stays bounded
# by this whatever one file holds. readByQuery pages (<= 1,000 rows) are about 1 MB.
STREAM_ABOVE_BYTES = 64 * 2**20


def _parser() -> etree.XMLParser:
    # One per page: lxml parsers must not be shared between threads (the connector syncs in threads).
    return etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True)


def _iter_page(path: Path, object_name: str) -> Iterator[tuple[int, dict[str, str]]]:
    source = str(path)
    try:
        whole = path.stat().st_size <= STREAM_ABOVE_BYTES
    except OSError as exc:
        raise fail(f"cannot read page: {exc}", source=source) from None
    return (_iter_whole_page if whole else _iter_streamed_page)(source, object_name)


def _check_status(elem, source: str) -> None:
    parent = elem.getparent()
    if parent is not None and parent.tag in ("control", "authentication", "result") \
            and (elem.text or "").strip().lower() != "success":
        raise fail(f"page is not a successful response (status {elem.text!r})",
                   field="status", line=elem.sourceline, source=source)


def _iter_whole_page(source: str, object_name: str) -> Iterator[tuple[int, dict[str, str]]]:
    row_tags = {object_name.lower(), object_name.upper(), object_name}
    try:
        root = etree.parse(source, _parser()).getroot()
    except etree.XMLSyntaxError as exc:
        raise fail(f"malformed XML: {exc.msg}", line=exc.lineno, source=source) from None
    except OSError as exc:
        raise fail(f"cannot read page: {exc}", source=source) from None
    seen_data = False
    for elem in root.iter("status", "data"):  # document order, as the streamed reader sees them
        if elem.tag == "status":
            _check_status(elem, source)
            continue
        seen_data = True
        rows_here = 0
        for row in elem:
            if row.tag in row_tags:
                rows_here += 1
                yield row.sourceline, element_to_row(row)
        _check_data(elem, object_name, rows_here, source)
    if not seen_data:
        raise fail("no <data> element: not a readByQuery response page", field="data", source=source)


def _iter_streamed_page(source: str, object_name: str) -> Iterator[tuple[int, dict[str, str]]]:
    row_tags = sorted({object_name.lower(), object_name.upper(), object_name})
    seen_data = False
    rows_here = 0
    try:
        context = etree.iterparse(source, events=("end",), tag=[*row_tags, "status", "data"],
                                  huge_tree=True, resolve_entities=False, no_network=True)
        for _event, elem in context:
            tag = elem.tag
            if tag == "status":
                _check_status(elem, source)
                continue
            if tag == "data":
                seen_data = True
                _check_data(elem, object_name, rows_here, source)
                rows_here = 0
                continue
            parent = elem.getparent()
            if parent is None or parent.tag != "data":
                continue
            rows_here += 1
            yield elem.sourceline, element_to_row(elem)
            elem.clear()
            while elem.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        raise fail(f"malformed XML: {exc.msg}", line=exc.lineno, source=source) from None
    except OSError as exc:
        raise fail(f"cannot read page: {exc}", source=source) from None
    if not seen_data:
        raise fail("no <data> element: not a readByQuery response page", field="data", source=source)


def _check_data(elem, object_name: str, rows: int, source: str) -> None:
    """A page of another object, or one cut short, must not pass silently as fewer rows."""
    listtype = elem.get("listtype")
    if listtype and listtype.upper() != object_name.upper():
        raise fail(f"page lists {listtype!r}, expected {object_name.lower()!r}", field="listtype",
                   line=elem.sourceline, source=source)
    count = elem.get("count")
    if count is not None and count.strip().isdigit() and int(count) != rows:
        raise fail(f"count says {count} rows but the page holds {rows}", field="count",
                   line=elem.sourceline, source=source)


OnPage = Callable[[str, Path, int], None]  # (object, page file, rows on it), after each page


def iter_located_rows(root: Path | str, object_name: str, *, on_page: OnPage | None = None
                      ) -> Iterator[tuple[str, int, dict[str, str]]]:
    """(file, line, row) for every row of an object, page after page."""
    for path in page_files(root, object_name):
        n = 0
        for line, row in _iter_page(path, object_name):
            n += 1
            yield str(path), line, row
        if on_page is not None:
            on_page(object_name, path, n)


def object_totals(root: Path | str) -> dict[str, int]:
    """Rows per object from each first page's totalcount attribute, without reading the rows."""
    totals: dict[str, int] = {}
    for obj in object_names(root):
        first = page_files(root, obj)[0]
        try:
            for _event, elem in etree.iterparse(str(first), events=("start",), tag="data",
                                                resolve_entities=False, no_network=True):
                total = elem.get("totalcount") or elem.get("count") or "0"
                totals[obj] = int(total) if total.isdigit() else 0
                break
        except etree.XMLSyntaxError as exc:
            raise fail(f"malformed XML: {exc.msg}", line=exc.lineno, source=str(first)) from None
    return totals


def iter_object_rows(root: Path | str, object_name: str) -> Iterator[dict[str, str]]:
    """Every row of one object as a flat dict (upper-case, dotted keys); empty when absent."""
    for _source, _line, row in iter_located_rows(root, object_name):
        yield row


def iter_postings(root: Path | str, default_entity: str) -> Iterator[Posting]:
    """GLDETAIL as Postings, streamed (for indexing a history too big to hold as a list)."""
    for source, line, row in iter_located_rows(root, "GLDETAIL"):
        try:
            yield records.posting_from_row(row, default_entity)
        except ParseError as exc:
            raise at(exc, line=line, source=source) from None


def _convert(root: Path, object_name: str, convert: Callable, counts: dict[str, int],
             on_page: OnPage | None = None) -> Iterator:
    n = 0
    for source, line, row in iter_located_rows(root, object_name, on_page=on_page):
        try:
            yield convert(row)
        except ParseError as exc:
            raise at(exc, line=line, source=source) from None
        n += 1
    counts[object_name] = n


def _merge(table: dict, code: str, value):
    """The same code owned by several entities arrives as several rows: union their entities
    (a row with no MEGAENTITYID is top-level, valid everywhere, and wins)."""
    old = table.get(code)
    if old is not None and old.entities and value.entities:
        value = value.model_copy(update={"entities": tuple(dict.fromkeys(old.entities + value.entities))})
    elif old is not None:
        value = value.model_copy(update={"entities": ()})
    table[code] = value


def _merge_dim(table: dict[str, DimensionValue], value: DimensionValue) -> None:
    _merge(table, value.code, value)


def _per_entity(row: dict[str, str], entities: tuple[str, ...]) -> list[dict[str, str]]:
    return [row] if len(entities) <= 1 else [{**row, "MEGAENTITYID": e} for e in entities]


def _posting(row: dict[str, str], *, default_entity: str) -> Posting:
    return records.posting_from_row(row, default_entity)


def _looks_like_dimension(root: Path, object_name: str) -> bool:
    """Custom dimension objects are read by ID and NAME; transactions (APBILL...) are not."""
    row = next(iter_object_rows(root, object_name), None)
    return row is not None and "ID" in row and "NAME" in row and "RECORDID" not in row


def read_company_dir(root: Path | str, name: str, *, custom_dimensions: Iterable[str] = (),
                     on_page: OnPage | None = None, keep_postings: bool = True) -> CompanyData:
    """Read a company directory into the domain model.

    Entities come from LOCATIONENTITY when present, else from the distinct MEGAENTITYID values of
    the postings, else one entity named after the company. Custom dimension objects are the folders
    named in ``custom_dimensions``, those whose GLDIM<NAME> appears on postings, and those whose rows
    have the ID/NAME shape of a user-defined dimension. ``on_page`` is called after each page
    (for progress bars). ``keep_postings=False`` converts (so validates) every GLDETAIL line but keeps
    none: ``postings`` is empty and ``counts["GLDETAIL"]`` says how many were read (an import that
    only checks and copies an export needs no memory per line).
    """
    with bulk_load():
        return _read(Path(root), name, custom_dimensions, on_page, keep_postings)


def _read(root: Path, name: str, custom_dimensions: Iterable[str], on_page: OnPage | None,
          keep_postings: bool) -> CompanyData:
    counts: dict[str, int] = {}
    company = Company(name=name)
    for entity in _convert(root, "LOCATIONENTITY", records.row_to_entity, counts, on_page):
        company.entities[entity.entity_id] = entity
    for account in _convert(root, "GLACCOUNT", records.row_to_account, counts, on_page):
        company.accounts[account.account_no] = account
    present = object_names(root)
    for obj in _STANDARD_DIM_OBJECTS:
        if obj in present or obj in MASTER_OBJECTS:
            for value in _convert(root, obj, partial(records.row_to_dimension_value, obj), counts, on_page):
                _merge_dim(company.dimensions.setdefault(value.dimension, {}), value)
    for vendor in _convert(root, "VENDOR", records.row_to_vendor, counts, on_page):
        _merge(company.vendors, vendor.vendor_id, vendor)
    for customer in _convert(root, "CUSTOMER", records.row_to_customer, counts, on_page):
        _merge(company.customers, customer.customer_id, customer)
    for employee in _convert(root, "EMPLOYEE", records.row_to_employee, counts, on_page):
        company.employees[employee.employee_id] = employee
    for project in _convert(root, "PROJECT", records.row_to_project, counts, on_page):
        _merge(company.projects, project.project_id, project)

    default_entity = next(iter(company.entities)) if len(company.entities) == 1 else name
    postings: list[Posting] = []
    posted_entities: dict[str, None] = {}  # in order of first appearance
    posted_dims: set[str] = set()
    for posting in _convert(root, "GLDETAIL", partial(_posting, default_entity=default_entity), counts, on_page):
        posted_entities[posting.entity] = None
        posted_dims.update(posting.dims)
        if keep_postings:
            postings.append(posting)
    if not company.entities:
        for entity_id in posted_entities or [name]:
            company.entities[entity_id] = Entity(entity_id=entity_id, name=entity_id)

    wanted = {c.upper() for c in custom_dimensions}
    others: list[str] = []
    for obj in present:
        if obj in STANDARD_OBJECTS or obj in _STANDARD_DIM_OBJECTS:
            continue
        key = records.dimension_key(obj)
        if obj in wanted or key in posted_dims or _looks_like_dimension(root, obj):
            for value in _convert(root, obj, partial(records.row_to_dimension_value, obj), counts, on_page):
                _merge_dim(company.dimensions.setdefault(value.dimension, {}), value)
        else:
            # Not modelled (APBILL, ARINVOICE...), but still read through: a broken page fails now.
            others.append(obj)
            counts[obj] = sum(1 for _ in iter_located_rows(root, obj, on_page=on_page))
    return CompanyData(company=company, postings=postings, counts=counts, other_objects=others)


# --- writing -----------------------------------------------------------------------------------

def _result_id(company: str, object_name: str) -> str:
    # Deterministic, so writing the same company twice gives the same bytes apart from timestamps.
    return hashlib.sha1(f"{company}/{object_name}".encode()).hexdigest()[:32]


def write_object_pages(base: Path, object_name: str, rows: Iterable[Mapping[str, str]], *,
                       page_size: int = 1000, company: str = "") -> int:
    """Write one object's rows as chained pages; returns the number of rows. Streams the rows.

    totalcount is only known at the end, so pages are rendered to ``.part`` files first and wrapped
    in their response envelope once the count is known.
    """
    if not 1 <= page_size <= 1000:
        raise fail("page_size must be between 1 and 1000 (readByQuery's pagesize range)", field="page_size")
    tag = check_name(object_name.lower())
    folder = base / object_name.upper()
    folder.mkdir(parents=True, exist_ok=True)
    for stale in [*folder.glob("page-*.xml"), *folder.glob("page-*.xml.part")]:
        stale.unlink()
    it = iter(rows)
    sizes: list[int] = []
    while True:
        chunk = list(islice(it, page_size))
        if not chunk and sizes:
            break
        part = folder / f"page-{len(sizes) + 1:04d}.xml.part"
        part.write_text("".join(row_to_xml(tag, r) + "\n" for r in chunk), encoding="utf-8")
        sizes.append(len(chunk))
        if len(chunk) < page_size:
            break
    total, done = sum(sizes), 0
    rid = _result_id(company, object_name) if len(sizes) > 1 else ""
    for i, size in enumerate(sizes, start=1):
        done += size
        part = folder / f"page-{i:04d}.xml.part"
        data = page_bytes(tag, part.read_text(encoding="utf-8"), size, totalcount=total,
                          numremaining=total - done, result_id=rid, companyid=company,
                          controlid=f"{object_name.lower()}-{i:04d}",
                          function="readByQuery" if i == 1 else "readMore")
        (folder / f"page-{i:04d}.xml").write_bytes(data)
        part.unlink()
    return total


def write_company_dir(root: Path | str, company: Company, postings: Iterable[Posting], *,
                      page_size: int = 1000,
                      extra_objects: Mapping[str, Iterable[Mapping[str, str]]] | None = None) -> None:
    """Write a company as readByQuery pages under ``root/intacct``; every standard object gets at
    least one (possibly empty) page, exactly as Intacct answers a query with no rows."""
    base = Path(root) / "intacct"
    name = company.name

    def write(obj: str, rows: Iterable[Mapping[str, str]]) -> None:
        write_object_pages(base, obj, rows, page_size=page_size, company=name)

    write("LOCATIONENTITY", (records.entity_to_row(e) for e in company.entities.values()))
    write("GLACCOUNT", (records.account_to_row(a) for a in company.accounts.values()))
    dim_objects = {records.dimension_object(k): k for k in company.dimensions}
    for obj in ("DEPARTMENT", "LOCATION", "CLASS", *sorted(set(dim_objects) - {"DEPARTMENT", "LOCATION", "CLASS"})):
        values = company.dimensions.get(dim_objects.get(obj, ""), {}).values()
        write(obj, (row for v in values for row in records.dimension_value_to_rows(v)))
    write("PROJECT", (r for p in company.projects.values()
                      for r in _per_entity(records.project_to_row(p), p.entities)))
    write("VENDOR", (r for v in company.vendors.values()
                     for r in _per_entity(records.vendor_to_row(v), v.entities)))
    write("CUSTOMER", (r for c in company.customers.values()
                       for r in _per_entity(records.customer_to_row(c), c.entities)))
    write("EMPLOYEE", (records.employee_to_row(e) for e in company.employees.values()))
    write("GLDETAIL", (records.posting_to_row(p) for p in postings))
    for obj, rows in (extra_objects or {}).items():
        write(obj.upper(), rows)
