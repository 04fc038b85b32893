"""Values no client should send get a 4xx problem, never a 500: huge numbers, company names that are
not names (too long for a file name, or climbing out of the data directory), bodies in other encodings."""

from __future__ import annotations

import pytest

from tests.review_support import Api, api, backend  # noqa: F401


def _problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


@pytest.mark.parametrize("url", ["/v1/reviews?offset=99999999999999999999", "/v1/audit?offset=10000000000000",
                                 "/v1/alerts?offset=99999999999999999999"])
def test_an_offset_past_any_table_is_a_422_not_a_database_overflow(api: Api, url):
    _problem(api.as_("admin").get(url), 422)
    assert api.as_("admin").get(url.split("?")[0] + "?offset=1000000000").status_code == 200  # the bound itself


def test_a_review_id_too_large_for_the_database_is_not_found(api: Api):
    _problem(api.as_("admin").get("/v1/reviews/99999999999999999999"), 404)


@pytest.mark.parametrize("company", ["x" * 300, "../demo", "..", "demo/../../etc", ".hidden", "a b"])
def test_a_company_that_is_not_a_name_is_a_422_naming_the_field(api: Api, company):
    for call in (lambda: api.as_("admin").post("/v1/allocations", json={"company": company, "rule": "r",
                                                                         "period": "2025-01"}),
                 lambda: api.client.post(f"/v1/bank-feeds/match?company={company}",
                                         content=b"date,description,amount\n2025-01-02,x,-1\n",
                                         headers={"content-type": "text/csv", **api.headers("preparer_us")})):
        p = _problem(call(), 422)
        assert p["field"] == "company" and "not a company name" in p["detail"]
