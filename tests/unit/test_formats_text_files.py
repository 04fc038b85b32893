"""CSV text from user files: UTF-8 with or without BOM, BOM-marked UTF-16; anything else named by line."""

import csv

import pytest

from copilot.errors import ParseError
from copilot.formats.text_files import csv_text_from_bytes, open_csv_text

ROWS = [["VENDOR", "MEMO", "AMOUNT"], ["Café Nero", 'lunch, "team"\nsecond line', "12.50"], ["Zürich AG", "fee", "3"]]


def _csv(newline: str = "\r\n") -> str:
    out = []
    for r in ROWS:
        out.append(",".join('"' + c.replace('"', '""') + '"' if any(x in c for x in ',"\n') else c for c in r))
    return newline.join(out) + newline


@pytest.mark.parametrize("encoding,bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b"")])
def test_utf8_and_bom_marked_files_read_alike(tmp_path, encoding, bom):
    path = tmp_path / "f.csv"
    path.write_bytes(bom + _csv().encode(encoding))  # Python's utf-16 codec writes its own BOM
    with open_csv_text(path) as fh:
        assert list(csv.reader(fh)) == ROWS  # no BOM left in the first header, quoted newline kept


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_line_ending_gives_the_same_rows_and_line_numbers(newline):
    reader = csv.reader(csv_text_from_bytes(_csv(newline).encode()))
    assert list(reader) == ROWS and reader.line_num == 4  # the quoted field spans two lines


def test_a_windows_1252_file_is_refused_at_its_line_and_column():
    data = _csv().encode("cp1252")  # what Excel's "CSV (Comma delimited)" writes on Windows
    with pytest.raises(ParseError) as err:
        list(csv.reader(csv_text_from_bytes(data, "bills.csv")))
    assert err.value.line == 2 and "byte 0xE9 at column 4" in err.value.message
    assert err.value.message.startswith("bills.csv, line 2: not UTF-8") and "CSV UTF-8" in err.value.message


def test_a_bad_byte_after_many_good_lines_names_its_own_line(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"A,B\n" + b"x,1\n" * 50_000 + b"caf\xe9,2\n")
    with pytest.raises(ParseError) as err, open_csv_text(path) as fh:
        for _ in csv.reader(fh):
            pass
    assert err.value.line == 50_002 and "big.csv" in err.value.message
