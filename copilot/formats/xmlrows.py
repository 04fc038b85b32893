"""Rows <-> XML elements, and the readByQuery response page a company directory is made of.

Rows are flat dicts; nested elements (``<PERSONALINFO><CONTACTNAME>``) become dotted keys
(``PERSONALINFO.CONTACTNAME``) and back. Pages are written as text rather than through an element
tree because a company's GLDETAIL runs to hundreds of thousands of rows and strings are ~5x faster.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

from copilot.formats.common import fail

# Characters XML 1.0 cannot carry at all; dropped on write rather than producing an unreadable page.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def clean_text(value: str) -> str:
    """Drop the characters XML 1.0 cannot carry (control characters, NUL)."""
    return _ILLEGAL.sub("", value) if _ILLEGAL.search(value) else value


def escape_text(value: str) -> str:
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    return value.translate(_TEXT_ESCAPES)


def escape_attr(value: str) -> str:
    return _ILLEGAL.sub("", value).translate(_ATTR_ESCAPES)


_CHECKED: set[str] = set()  # names already validated: writing checks every field of every row


def check_name(name: str) -> str:
    if name in _CHECKED:
        return name
    if not _NAME.match(name) or name.lower().startswith("xml") or ".." in name or name.endswith("."):
        raise fail(f"not a usable XML element name: {name!r}", field=name)
    if len(_CHECKED) < 10_000:
        _CHECKED.add(name)
    return name


def _nest(row: Mapping[str, Any]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in row.items():
        parts = check_name(key).split(".")
        node = tree
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise fail("a field is both a value and a group", field=key)
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise fail("a field is both a value and a group", field=key)
        node[parts[-1]] = "" if value is None else str(value)
    return tree


def _tree_xml(tree: Mapping[str, Any], out: list[str]) -> None:
    for key, value in tree.items():
        if isinstance(value, dict):
            out.append(f"<{key}>")
            _tree_xml(value, out)
            out.append(f"</{key}>")
        else:
            out.append(f"<{key}>{escape_text(value)}</{key}>")


def row_to_xml(tag: str, row: Mapping[str, Any]) -> str:
    """``<tag><FIELD>value</FIELD>...</tag>``; dotted keys become nested elements."""
    out = [f"<{tag}>"]
    if any("." in k for k in row):
        _tree_xml(_nest(row), out)
    else:
        for key, value in row.items():
            check_name(key)
            out.append(f"<{key}>{escape_text('' if value is None else str(value))}</{key}>")
    out.append(f"</{tag}>")
    return "".join(out)


def _flatten(elem, prefix: str, row: dict[str, str]) -> None:
    for child in elem:
        tag = child.tag
        if tag.__class__ is not str:  # comments, processing instructions
            continue
        key = f"{prefix}.{tag.upper()}"
        if len(child):
            _flatten(child, key, row)
        else:
            row[key] = child.text or ""


def element_to_row(elem) -> dict[str, str]:
    """An lxml row element -> flat dict with upper-case, dotted keys. Runs once per GLDETAIL line,
    hence the inlined top level."""
    row: dict[str, str] = {}
    for child in elem:
        tag = child.tag
        if tag.__class__ is not str:
            continue
        text = child.text
        # A leaf with a value cannot hold a group; only empty-looking children need the len() check.
        if (text is None or text.isspace()) and len(child):
            _flatten(child, tag.upper(), row)
        else:
            row[tag.upper()] = text or ""
    return row


def _timestamps(now: datetime | None) -> tuple[str, str]:
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    return now.isoformat(), (now + timedelta(days=1)).isoformat()


def response_head(*, controlid: str, senderid: str = "copilot", userid: str = "copilot",
                  companyid: str = "", now: datetime | None = None) -> str:
    """The control and authentication blocks of a successful response (PHP-SDK fixture shape)."""
    stamp, timeout = _timestamps(now)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<response>'
        f"<control><status>success</status><senderid>{escape_text(senderid)}</senderid>"
        f"<controlid>{escape_text(controlid)}</controlid><uniqueid>false</uniqueid>"
        "<dtdversion>3.0</dtdversion></control><operation><authentication><status>success</status>"
        f"<userid>{escape_text(userid)}</userid><companyid>{escape_text(companyid)}</companyid>"
        f"<locationid></locationid><sessiontimestamp>{stamp}</sessiontimestamp>"
        f"<sessiontimeout>{timeout}</sessiontimeout></authentication>")


def page_bytes(tag: str, body: str, count: int, *, totalcount: int, numremaining: int,
               result_id: str, controlid: str, function: str = "readByQuery",
               senderid: str = "copilot", companyid: str = "", now: datetime | None = None) -> bytes:
    """Wrap already-rendered row elements (``body``) in a full success response."""
    return "".join((
        response_head(controlid=controlid, senderid=senderid, companyid=companyid, now=now),
        f"<result><status>success</status><function>{escape_text(function)}</function>",
        f"<controlid>{escape_text(controlid)}</controlid>",
        f'<data listtype="{tag}" count="{int(count)}" totalcount="{int(totalcount)}" ',
        f'numremaining="{int(numremaining)}" resultId="{escape_attr(result_id)}">\n',
        body, "</data></result></operation></response>\n",
    )).encode("utf-8")


def write_readbyquery_page(object_name: str, rows: Iterable[Mapping[str, Any]], *, totalcount: int,
                           numremaining: int, result_id: str, controlid: str,
                           function: str = "readByQuery", senderid: str = "copilot",
                           companyid: str = "", now: datetime | None = None) -> bytes:
    """A full success response for one readByQuery/readMore page, rows as lower-case elements."""
    tag = check_name(object_name.lower())
    parts = [row_to_xml(tag, row) for row in rows]
    return page_bytes(tag, "".join(p + "\n" for p in parts), len(parts), totalcount=totalcount,
                      numremaining=numremaining, result_id=result_id, controlid=controlid,
                      function=function, senderid=senderid, companyid=companyid, now=now)
