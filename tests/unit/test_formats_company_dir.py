"""A company as readByQuery pages: write -> read equals input, real-shaped fixture pages, malformed
pages named by file/line/field, and GLDETAIL reading speed."""

import random
import shutil
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from copilot.domain import (Account, Company, Customer, DimensionValue, Employee, Entity, Posting, Project,
                            Vendor)
from copilot.errors import ParseError
from copilot.formats import company_dir
from copilot.formats.company_dir import (iter_object_rows, object_totals, page_files, read_company_dir,
                                         write_company_dir)
from copilot.formats.intacct_xml import parse_response

FIXTURES = Path(__file__).parent.parent / "fixtures" / "intacct"


def make_company() -> Company:
    return Company(
        name="acme",
        entities={"US1": Entity(entity_id="US1", name="Acme US"),
                  "UK1": Entity(entity_id="UK1", name="Acme UK", currency="GBP", country="GB", parent="US1")},
        accounts={"6000": Account(account_no="6000", title="Rent", required_dimensions=frozenset({"department"})),
                  "2000": Account(account_no="2000", title="AP", account_type="balancesheet",
                                  normal_balance="credit", extra={"CLOSINGTYPE": "non-closing account"})},
        dimensions={
            "department": {"ADM": DimensionValue(dimension="department", code="ADM", name="Admin"),
                           "SALES": DimensionValue(dimension="department", code="SALES", name="Sales",
                                                   parent="ADM", entities=("US1", "UK1"))},
            "location": {"NYC": DimensionValue(dimension="location", code="NYC", name="New York",
                                               entities=("US1",))},
            "fund": {"GEN": DimensionValue(dimension="fund", code="GEN", name="General")},
        },
        vendors={"V1": Vendor(vendor_id="V1", name="Smith & <Sons>", default_account="2000",
                              entities=("US1", "UK1"), extra={"DISPLAYCONTACT.EMAIL1": "ap@smith.test"})},
        customers={"C1": Customer(customer_id="C1", name="Client")},
        employees={"E1": Employee(employee_id="E1", name="Dana", department="SALES", location="NYC")},
        projects={"P1": Project(project_id="P1", name="Web", budget=Decimal("15000.00"),
                                start_date=date(2024, 1, 1), entities=("US1",))},
    )


def make_postings(n: int, seed: int = 3) -> list[Posting]:
    rnd = random.Random(seed)
    return [Posting(record_no=str(1000 + i), entity=rnd.choice(["US1", "UK1"]),
                    entry_date=date(2024, 1, 1) + timedelta(days=i % 366), batch_no=str(i // 4),
                    batch_title=f"Batch {i // 4}", account_no=rnd.choice(["6000", "2000"]),
                    tr_type=rnd.choice([1, -1]), amount=Decimal(rnd.randint(1, 10**7)) / 100,
                    memo=f"line {i} café & <co>", dims={"department": rnd.choice(["ADM", "SALES"]),
                                                        "vendor": "V1", "fund": "GEN"},
                    currency="USD", document=f"INV-{i}", extra={"LINE_NO": str(i % 4 + 1)})
            for i in range(n)]


def test_write_then_read_equals_input(tmp_path):
    company, postings = make_company(), make_postings(2500)
    write_company_dir(tmp_path, company, postings, page_size=1000,
                      extra_objects={"APBILL": [{"RECORDNO": "1", "VENDORID": "V1", "TOTALENTERED": "10.00"}]})
    data = read_company_dir(tmp_path, "acme")
    assert data.company == company
    assert data.postings == postings
    assert data.counts["GLDETAIL"] == 2500 and data.counts["APBILL"] == 1
    assert data.other_objects == ["APBILL"]
    assert object_totals(tmp_path)["GLDETAIL"] == 2500


def test_pages_are_chained_like_readmore(tmp_path):
    write_company_dir(tmp_path, make_company(), make_postings(2500), page_size=1000)
    pages = page_files(tmp_path, "GLDETAIL")
    assert [p.name for p in pages] == ["page-0001.xml", "page-0002.xml", "page-0003.xml"]
    results = [parse_response(p.read_bytes()).results[0] for p in pages]
    assert [r.function for r in results] == ["readByQuery", "readMore", "readMore"]
    assert [r.numremaining for r in results] == [1500, 500, 0]
    assert {r.totalcount for r in results} == {2500} and [r.count for r in results] == [1000, 1000, 500]
    assert results[0].result_id and results[0].listtype == "gldetail"
    assert results[0].rows[0]["RECORDNO"] == "1000"
    # an object with no rows is one empty page, as Intacct answers an empty query
    empty = parse_response(page_files(tmp_path, "CLASS")[0].read_bytes()).results[0]
    assert (empty.count, empty.totalcount, empty.numremaining, empty.rows) == (0, 0, 0, [])


def test_real_shaped_fixture_company():
    data = read_company_dir(FIXTURES / "company_small", "smallco")
    c = data.company
    assert set(c.entities) == {"US1", "UK1"} and c.entities["UK1"].country == "GB"
    assert c.accounts["6000"].required_dimensions == {"department", "location"}
    assert not c.is_active_account("6999")
    assert c.dimensions["department"]["SALES"].entities == ("US1",)
    assert c.is_valid_code("department", "ADM", "UK1") and not c.is_valid_code("department", "SALES", "UK1")
    assert c.vendors["V100"].extra["DISPLAYCONTACT.CONTACTNAME"] == "Acme Supplies"
    assert c.employees["E100"].name == "Dana Smith"
    assert c.projects["PRJ-1"].budget == Decimal("15000.00")
    assert [p.record_no for p in data.postings] == ["1001", "1002", "2001"]
    gbp = data.postings[2]
    assert (gbp.entity, gbp.amount, gbp.currency, gbp.extra["AMOUNT"]) == ("UK1", Decimal("1050.25"), "GBP", "1300.00")
    assert data.postings[0].dims == {"department": "ADM", "location": "NYC", "vendor": "V100", "fund": "GENERAL"}


def test_entities_fall_back_to_megaentityid_then_company(tmp_path):
    company = make_company().model_copy(update={"entities": {}})
    write_company_dir(tmp_path / "a", company, make_postings(10))
    assert set(read_company_dir(tmp_path / "a", "acme").company.entities) == {"US1", "UK1"}
    single = [p.model_copy(update={"entity": "acme"}) for p in make_postings(3)]
    write_company_dir(tmp_path / "b", company, single)
    for path in page_files(tmp_path / "b", "GLDETAIL"):  # drop MEGAENTITYID: a single-entity company
        path.write_text(path.read_text().replace("<MEGAENTITYID>acme</MEGAENTITYID>", ""))
    data = read_company_dir(tmp_path / "b", "acme")
    assert list(data.company.entities) == ["acme"] and {p.entity for p in data.postings} == {"acme"}


def test_absent_objects_are_empty_and_unknown_fields_kept(tmp_path):
    folder = tmp_path / "intacct" / "GLACCOUNT"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "company_small" / "intacct" / "GLACCOUNT" / "page-0001.xml", folder)
    data = read_company_dir(tmp_path, "x")
    assert data.postings == [] and data.company.vendors == {}
    assert data.company.accounts["6000"].extra["WHENMODIFIED"] == "01/09/2019 22:01:29"
    assert list(data.company.entities) == ["x"]


@pytest.fixture(params=["whole", "streamed"])
def page_reader(request, monkeypatch):
    """Pages are parsed whole up to STREAM_ABOVE_BYTES and streamed above: both readers must agree."""
    if request.param == "streamed":
        monkeypatch.setattr(company_dir, "STREAM_ABOVE_BYTES", 0)
    return request.param


def test_streamed_and_whole_pages_read_the_same(tmp_path, monkeypatch):
    postings = make_postings(1200)
    write_company_dir(tmp_path, make_company(), postings, page_size=500)
    whole = read_company_dir(tmp_path, "acme")
    small = read_company_dir(FIXTURES / "company_small", "smallco")
    monkeypatch.setattr(company_dir, "STREAM_ABOVE_BYTES", 0)
    assert read_company_dir(tmp_path, "acme") == whole and whole.postings == postings
    assert read_company_dir(FIXTURES / "company_small", "smallco") == small


def _broken(tmp_path, old, new, obj="GLDETAIL", page="page-0001.xml"):
    """Copy the fixture company and break one page. In GLDETAIL/page-0001.xml, line 3 is <result>,
    line 4 <data>, lines 5 and 6 the two rows."""
    root = tmp_path / "co"
    shutil.copytree(FIXTURES / "company_small", root)
    path = root / "intacct" / obj / page
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return root, str(path)


@pytest.mark.parametrize("old,new,field,line", [
    ("<TRX_AMOUNT>2500.00</TRX_AMOUNT>", "<TRX_AMOUNT>25OO</TRX_AMOUNT>", "TRX_AMOUNT", 5),
    ("<ENTRY_DATE>01/31/2024</ENTRY_DATE>", "<ENTRY_DATE>31/01/2024</ENTRY_DATE>", "ENTRY_DATE", 5),
    ("<TR_TYPE>-1</TR_TYPE>", "<TR_TYPE>credit-ish</TR_TYPE>", "TR_TYPE", 6),
    ("<ACCOUNTNO>6000</ACCOUNTNO>", "", "ACCOUNTNO", 5),
    ('count="2"', 'count="5"', "count", 4),
    ("<status>success</status><function>", "<status>failure</status><function>", "status", 3),
])
def test_malformed_page_names_file_line_and_field(tmp_path, page_reader, old, new, field, line):
    root, path = _broken(tmp_path, old, new)
    with pytest.raises(ParseError) as err:
        read_company_dir(root, "smallco")
    assert (err.value.field, err.value.line, err.value.details["source"]) == (field, line, path)
    assert path in err.value.message


def test_broken_xml_names_the_line(tmp_path, page_reader):
    root, path = _broken(tmp_path, "</gldetail>\n<gldetail>", "</gldetail>\n<gldetail><oops>")
    with pytest.raises(ParseError) as err:
        list(iter_object_rows(root, "GLDETAIL"))
    assert err.value.line == 6 and err.value.details["source"] == path


def test_page_without_data_or_with_a_failed_control_is_an_error(tmp_path, page_reader):
    root, path = _broken(tmp_path, '<data listtype="vendor"', '<other listtype="vendor"', obj="VENDOR")
    Path(path).write_text(Path(path).read_text().replace("</data>", "</other>"))
    with pytest.raises(ParseError) as err:
        read_company_dir(root, "smallco")
    assert err.value.field == "data" and err.value.details["source"] == path
    root, path = _broken(tmp_path / "b", "<control><status>success", "<control><status>failure", obj="VENDOR")
    with pytest.raises(ParseError) as err:
        read_company_dir(root, "smallco")
    assert (err.value.field, err.value.line, err.value.details["source"]) == ("status", 2, path)


def test_page_of_the_wrong_object_is_an_error(tmp_path, page_reader):
    root, _ = _broken(tmp_path, 'listtype="vendor"', 'listtype="customer"', obj="VENDOR")
    with pytest.raises(ParseError) as err:
        read_company_dir(root, "smallco")
    assert err.value.field == "listtype"


def test_written_page_is_well_formed_with_hostile_text(tmp_path):
    p = make_postings(1)[0].model_copy(update={"memo": "a\x00b\x1f ]]> & </gldetail> \"q\" 'é'"})
    write_company_dir(tmp_path, make_company(), [p])
    etree.parse(str(page_files(tmp_path, "GLDETAIL")[0]))  # no exception
    assert read_company_dir(tmp_path, "acme").postings[0].memo == "ab ]]> & </gldetail> \"q\" 'é'"


@pytest.mark.slow
def test_gldetail_read_throughput(tmp_path):
    """Not timing-flaky: the bar (5,000 lines/s) is ~4x below what a loaded 2-core box measures."""
    n = 20_000
    write_company_dir(tmp_path, make_company(), make_postings(n))
    wall, cpu = time.perf_counter(), time.process_time()
    data = read_company_dir(tmp_path, "acme")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert len(data.postings) == n
    print(f"\nGLDETAIL read: {n / wall:,.0f} lines/s wall, {n / cpu:,.0f} lines/s CPU")
    assert n / cpu > 5_000


def test_custom_dimension_without_postings_is_found(tmp_path):
    company = make_company()
    company.dimensions["region"] = {"EMEA": DimensionValue(dimension="region", code="EMEA", name="Europe")}
    write_company_dir(tmp_path, company, [])
    data = read_company_dir(tmp_path, "acme")
    assert data.company.dimensions["region"]["EMEA"].name == "Europe" and data.other_objects == []


def test_iter_postings_streams_the_same_postings(tmp_path):
    from copilot.formats.company_dir import iter_postings

    postings = make_postings(1200)
    write_company_dir(tmp_path, make_company(), postings, page_size=500)
    assert list(iter_postings(tmp_path, "US1")) == postings


def test_read_without_keeping_postings_finds_the_same_company(tmp_path):
    """What `company import` uses: every line converted and counted, none kept."""
    write_company_dir(tmp_path, make_company(), make_postings(700), page_size=300)
    shutil.rmtree(tmp_path / "intacct" / "LOCATIONENTITY")  # entities then come from the postings
    full = read_company_dir(tmp_path, "acme")
    lean = read_company_dir(tmp_path, "acme", keep_postings=False)
    assert lean.postings == [] and len(full.postings) == 700
    assert lean.counts == full.counts and lean.counts["GLDETAIL"] == 700
    assert lean.company == full.company and set(lean.company.entities) == {"US1", "UK1"}
