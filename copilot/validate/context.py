"""A company's master data and history statistics, loaded once per process and cached.

``data_dir/companies/<name>/`` is read with copilot.formats.company_dir; the HistoryProfile built from
its GL detail and the master data are cached on disk (``data_dir/cache/validate/<name>-<fingerprint>.*``)
keyed by the pages' sizes and times and the scoring parameters, so a restart reads neither the pages nor
rebuilds the statistics, and new history invalidates both.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from copilot.domain import Company
from copilot.errors import NotFound
from copilot.settings import Settings
from copilot.validate.policy import CloseCalendar, RulesPolicy, ScoringPolicy, load_policies
from copilot.validate.profile import HistoryProfile
from copilot.validate.scoring import LineScorer

log = logging.getLogger(__name__)


@dataclass
class CompanyContext:
    name: str
    company: Company
    profile: HistoryProfile
    fingerprint: str


def company_dir(settings: Settings, name: str) -> Path:
    return settings.company_dir(name)


def _fingerprint(root: Path) -> str:
    h = hashlib.sha1()
    for path in sorted((root / "intacct").rglob("page-*.xml")) if (root / "intacct").is_dir() \
            else sorted(root.rglob("page-*.xml")):
        st = path.stat()
        h.update(f"{path.relative_to(root)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def load_company(settings: Settings, name: str, scoring: ScoringPolicy | None = None) -> CompanyContext:
    """Master data plus a calibrated HistoryProfile (from the disk cache when the pages are unchanged)."""
    scoring = scoring or ScoringPolicy()
    root = company_dir(settings, name)
    if not root.is_dir():
        raise NotFound(f"company {name!r} not found (no {root}); run `copilot demo init` or import one",
                       field="company")
    from copilot.formats.company_dir import read_company_dir

    params = hashlib.sha1(scoring.model_dump_json().encode()).hexdigest()[:8]
    fingerprint = f"{_fingerprint(root)}-{params}"
    base = settings.data_dir / "cache" / "validate"
    cache = base / f"{name}-{fingerprint}.json.gz"
    master = base / f"{name}-{fingerprint}.company.json"
    if cache.exists() and master.exists():
        # Unchanged pages: master data and statistics from the cache, no 100k-line re-read.
        try:
            company = Company.model_validate_json(master.read_text(encoding="utf-8"))
            return CompanyContext(name=name, company=company, profile=HistoryProfile.load(cache),
                                  fingerprint=fingerprint)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("rebuilding the validation cache for %s: %s", name, exc)
    data = read_company_dir(root, name)
    profile = HistoryProfile.build(data.postings)
    LineScorer(profile, scoring).fit_calibration(data.postings, in_history=True)
    try:
        for old in base.glob(f"{name}-" + "?" * 16 + "-" + "?" * 8 + ".*"):
            old.unlink(missing_ok=True)
        profile.save(cache)
        tmp = master.with_suffix(".tmp")
        tmp.write_text(data.company.model_dump_json(), encoding="utf-8")
        tmp.replace(master)
    except OSError as exc:  # a read-only data dir still validates, it just rebuilds next time
        log.warning("cannot cache the history profile of %s: %s", name, exc)
    return CompanyContext(name=name, company=data.company, profile=profile, fingerprint=fingerprint)


class Contexts:
    """Per-process cache of company contexts and policies (reloaded when their files change)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._companies: dict[str, CompanyContext] = {}
        self._policies: tuple[float, RulesPolicy, CloseCalendar] | None = None
        self._lock = threading.Lock()

    def company(self, name: str) -> CompanyContext:
        scoring = self.policies()[0].scoring
        with self._lock:
            cached = self._companies.get(name)
            root = company_dir(self.settings, name)
            params = hashlib.sha1(scoring.model_dump_json().encode()).hexdigest()[:8]
            if cached is not None and root.is_dir() and cached.fingerprint == f"{_fingerprint(root)}-{params}":
                return cached
            ctx = load_company(self.settings, name, scoring)
            self._companies[name] = ctx
            return ctx

    def policies(self) -> tuple[RulesPolicy, CloseCalendar]:
        base = self.settings.policies_dir
        stamp = max((p.stat().st_mtime for p in (base / "rules.yaml", base / "close_calendar.yaml")
                     if p.exists()), default=0.0)
        with self._lock:
            if self._policies is None or self._policies[0] != stamp:
                rules, calendar = load_policies(base)
                self._policies = (stamp, rules, calendar)
            return self._policies[1], self._policies[2]
