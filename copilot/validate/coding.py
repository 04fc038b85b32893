"""Is a coding a person typed usable? The structural validation rules, applied to one coding.

A reviewer's edit in the review queue is checked here before it is recorded or learned: the account
exists and is active, each dimension value exists, is active and is valid in the line's entity, and
every dimension the account requires is there. These are the same rule functions that check GLENTRY
lines (copilot/validate/rules/structure.py), run on the edited coding as a new line, so the review
queue and POST /v1/validate never disagree about what a valid coding is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal

from copilot.domain import Company, DimensionCombination, SuggestionRequest
from copilot.domain.coding import CodingProblem
from copilot.errors import NotFound
from copilot.settings import Settings
from copilot.validate.findings import Finding
from copilot.validate.policy import CloseCalendar, RuleConfig, RulesPolicy
from copilot.validate.rules import LINE_RULES
from copilot.validate.rules.base import LineView, RuleContext

# Master-data rules only: anomaly, amount and period rules are about the line, not about the coding.
# Not read from policies/rules.yaml: a person's coding that Intacct would refuse is never optional.
RULES: tuple[str, ...] = (
    "code.unknown_account", "code.inactive_account", "code.wrong_entity",
    "code.unknown_dimension", "code.inactive_dimension", "dimension.required_missing",
)
COUNTERPARTIES = ("vendor", "customer", "employee")

CodingCheck = Callable[[str | None, SuggestionRequest, DimensionCombination], list[CodingProblem]]


def coding_problems(company: Company, request: SuggestionRequest, final: DimensionCombination,
                    *, as_of: date | None = None) -> list[CodingProblem]:
    """Why ``final`` cannot be used for ``request``'s line (empty when it can), one problem per field.

    The request's counterparties (the vendor, employee or customer the preparer typed) satisfy an
    account's requirement for them: the line carries them even when the coding does not repeat them.
    """
    line = LineView(entry_index=None, line_index=None, entity=request.entity,
                    day=request.entry_date or date.today(), account_no=final.account_no, dims=dict(final.dims),
                    amount=abs(request.amount) if request.amount is not None else Decimal("0.00"),
                    tr_type=request.tr_type, memo=request.memo)
    supplied = {d: "supplied" for d in COUNTERPARTIES if d not in final.dims and _typed(request, d)}
    with_counterparties = replace(line, dims={**line.dims, **supplied})
    ctx = RuleContext(policy=RulesPolicy(), calendar=CloseCalendar(), as_of=as_of or date.today(), company=company)
    problems: list[CodingProblem] = []
    for rule_id in RULES:
        cfg = RuleConfig(rule_id=rule_id, severity="error")
        subject = with_counterparties if rule_id == "dimension.required_missing" else line
        for finding in LINE_RULES[rule_id](subject, ctx, cfg):
            problems.extend(_problems(finding, company))
    # The rules tolerate codes of dimensions the company keeps no master data for (history may carry
    # them); a person's new coding may not: the engine would never propose a code it cannot find.
    reported = {p.field for p in problems}
    for key, code in sorted(final.dims.items()):
        if f"final.dims.{key}" not in reported and company.dimension_value(key, code) is None:
            problems.append(CodingProblem(f"final.dims.{key}", f"{key} {code} does not exist (the company has "
                                          f"no {key} values)", "code.unknown_dimension"))
    return problems


def _typed(request: SuggestionRequest, dim: str) -> bool:
    return bool(request.known_dims.get(dim) or (dim == "vendor" and request.vendor)
                or (dim == "employee" and request.employee))


def _problems(finding: Finding, company: Company) -> list[CodingProblem]:
    ev = finding.evidence
    if finding.rule_id == "dimension.required_missing":
        acct = company.accounts[ev["account_no"]]
        return [CodingProblem(f"final.dims.{d}", f"account {acct.account_no} ({acct.title}) requires {d}",
                              finding.rule_id) for d in ev["missing"]]
    if "dimension" in ev:
        field = f"final.dims.{ev['dimension']}"
    elif "account_no" in ev:
        field = "final.account_no"
    else:
        field = "entity"
    return [CodingProblem(field, finding.message, finding.rule_id)]


def master_data_check(settings: Settings) -> CodingCheck:
    """A CodingCheck against each company's master data as copilot/validate loads it (cached per
    process, reloaded when the company's pages change). A company named None is the default one."""
    from copilot.validate.context import Contexts

    contexts = Contexts(settings)

    def check(company: str | None, request: SuggestionRequest, final: DimensionCombination) -> list[CodingProblem]:
        name = company or settings.default_company
        try:
            master = contexts.company(name).company
        except NotFound as exc:
            raise NotFound(f"cannot check the edited coding: {exc.message}", field="company") from None
        return coding_problems(master, request, final)

    return check
