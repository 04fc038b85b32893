"""Take the README screenshots (docs/screenshots/*.png) from the demo company, in headless chromium.

    python -m tests.browser.screenshots [--out docs/screenshots] [--months 6] [--decisions 360]

Builds a world in memory: the seeded demo company (Harborview Analytics) for a few months, indexed with
the model-free hashing embedder, trained; then a review history of 60 days in which reviewers decide
suggestions for held-out postings the way the ledger coded them (accepted, picked #2 or #3, corrected,
or rejected), so the monitoring charts and the auditor search show real numbers, not drawn ones.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

for _k, _v in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("LITELLM_LOCAL_MODEL_COST_MAP", "True")):
    os.environ.setdefault(_k, _v)

from copilot.domain import DimensionCombination, SuggestionRequest  # noqa: E402
from copilot.review.access import Principal  # noqa: E402
from tests.browser.conftest import CHROMIUM_ARGS, chromium_path, expect  # noqa: E402
from tests.browser.world import acme_settings, serve  # noqa: E402

USERS = {"preparer": ("jordan.lee", "preparer", "US01"), "approver": ("maria.chen", "approver", "*"),
         "auditor": ("sam.okafor", "auditor", "*")}
REASONS = {
    "department": ["cost centre moved to {to} this quarter", "headcount sits in {to}, not {frm}",
                   "charged to {to} per the allocation memo"],
    "account": ["capitalizable under policy CAP-1, not an expense", "belongs in {to} per the coding policy",
                "vendor changed what it sells; now {to}"],
    "other": ["project code from the timesheet", "location is where the employee sits"],
}
REJECTS = ["personal expense; employee to reimburse", "duplicate of an earlier bill", "belongs to another entity"]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Clock:
    """The review service's clock, moved by the simulation (decisions happen over 60 days)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def split_history(postings) -> tuple[list, list]:
    """(history, new vendor debit lines): the last ~10% of the ledger by date are the "new" lines."""
    postings = sorted(postings, key=lambda p: (p.entry_date, p.record_no))
    cut = postings[int(len(postings) * 0.9)].entry_date
    return ([p for p in postings if p.entry_date < cut],
            [p for p in postings if p.entry_date >= cut and p.dims.get("vendor") and p.memo and p.tr_type == 1])


def new_lines(postings) -> list:
    return split_history(postings)[1]


def build(data: Path, months: int, start: date):
    from copilot.demo.generator import generate_demo
    from copilot.engine.service import SuggestionService, train_company
    from copilot.index.embeddings import HashingEmbedder
    from copilot.index.ingest import Ingestor
    from copilot.index.qdrant_client_store import QdrantClientStore

    log(f"generating {months} months of the demo company")
    demo = generate_demo(seed=7, months=months, start=start)
    # Narratives from 5,000: the held-out lines have few larger expense bills.
    settings = acme_settings(data, default_company="demo", materiality_threshold=Decimal("5000"))
    history, fresh = split_history(demo.postings)
    cut = fresh[0].entry_date
    log(f"{len(history):,} postings of history, {len(fresh):,} new vendor lines from {cut}")
    embedder, store = HashingEmbedder(), QdrantClientStore(location=":memory:")
    t0 = time.perf_counter()
    Ingestor(store, embedder, progress=False).ingest_company("demo", demo.company, history, None)
    log(f"indexed in {time.perf_counter() - t0:.0f}s; training")
    train_company(settings, "demo", demo.company, history, embedder)
    return settings, demo.company, fresh, SuggestionService(settings, embedder=embedder, store=store), embedder, store


def simulate(world, company, fresh, n: int, clock: Clock, now: datetime, rng: random.Random) -> dict:
    """Reviewers decide ``n`` suggestions over the 60 days before ``now``, as the ledger coded them."""
    reviews = world.context.reviews
    preparer = Principal(*USERS["preparer"][:2], frozenset({"US01"}))
    approver = Principal(*USERS["approver"][:2], "*")
    lines = lines_for_review(fresh)
    outcome: Counter[str] = Counter()
    start = now - timedelta(days=60)
    n = min(n, len(lines))
    for i, p in enumerate(lines[:n]):
        if i and i % 50 == 0:
            log(f"  {i} of {n} decided")
        when = start + timedelta(days=60 * i / n, minutes=rng.uniform(0, 30))  # in order: the chain is a log
        clock.now = when
        request = SuggestionRequest(entity=p.entity, vendor=company.vendors[p.dims["vendor"]].name
                                    if p.dims["vendor"] in company.vendors else p.dims["vendor"],
                                    memo=p.memo, amount=p.amount, entry_date=p.entry_date)
        s = world.service.suggest("demo", request)
        if not s.codings:
            continue
        item = reviews.submit(s, preparer, "demo")
        clock.now = when + timedelta(minutes=rng.uniform(5, 120))
        truth = DimensionCombination(account_no=p.account_no, dims=dict(p.dims))
        keys = [c.combination.key for c in s.codings]
        top = s.codings[0].combination
        if truth.key in keys:
            reviews.approve(item.id, approver, keys.index(truth.key))
            outcome["approved" if keys.index(truth.key) == 0 else f"picked #{keys.index(truth.key) + 1}"] += 1
        elif rng.random() < 0.12:
            reviews.reject(item.id, approver, rng.choice(REJECTS))
            outcome["rejected"] += 1
        else:
            kind = "account" if truth.account_no != top.account_no else (
                "department" if truth.dims.get("department") != top.dims.get("department") else "other")
            frm = top.account_no if kind == "account" else top.dims.get("department", "")
            to = truth.account_no if kind == "account" else truth.dims.get("department", "")
            reason = rng.choice(REASONS[kind]).format(frm=frm, to=to)
            reviews.edit(item.id, approver, truth, reason)
            outcome["edited"] += 1
    clock.now = now
    return dict(outcome)


SHOWN = 40  # new lines kept out of the simulated review history, for the sidebar to show


def lines_for_review(fresh) -> list:
    """The US01 new lines in a fixed shuffled order; the last SHOWN are never reviewed."""
    lines = [p for p in fresh if p.entity == "US01"]
    random.Random(5).shuffle(lines)
    return lines[:-SHOWN]


def unseen_lines(fresh) -> list:
    lines = [p for p in fresh if p.entity == "US01"]
    random.Random(5).shuffle(lines)
    return lines[-SHOWN:]


def top_confidence(world, company, p) -> float:
    import httpx

    body = {"company": "demo", "entity": p.entity, "line": {"vendor": company.vendors[p.dims["vendor"]].name,
                                                            "memo": p.memo, "amount": str(p.amount),
                                                            "date": p.entry_date.isoformat()}}
    r = httpx.post(world.url("/v1/suggestions"), json=body, timeout=60,
                   headers={"Authorization": f"Bearer {world.keys['preparer']}"})
    codings = r.json()["suggestions"][0]["codings"]
    return codings[0]["confidence"] if codings else 0.0


def draft_line(p, company) -> dict:
    return {"vendor": company.vendors[p.dims["vendor"]].name, "memo": p.memo, "amount": f"{p.amount:,.2f}"}


def shoot(world, company, fresh, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise SystemExit("chromium is not installed: make browser-deps")
    shots: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)

        def page_for(user: str, width: int, height: int, approver: bool = False):
            ctx = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=2)
            script = f"sessionStorage.setItem('glcopilot.apiKey', {json.dumps(world.keys[user])});"
            if approver:
                script += f"sessionStorage.setItem('glcopilot.approverKey', {json.dumps(world.keys['approver'])});"
            ctx.add_init_script(script)
            pg = ctx.new_page()
            pg.on("pageerror", lambda e: log(f"page error: {e}"))
            return pg

        # 1. The sidebar: a line already accepted, and a material line with its top-3 and narrative:
        # expense lines the reviewers have not seen, the material one among those the engine is sure of.
        unseen = [p for p in unseen_lines(fresh) if p.dims.get("vendor") in company.vendors
                  and p.account_no[:1] in "5678" and not p.memo.lower().startswith("payment")]
        small = next(p for p in unseen if 50 <= p.amount < world.settings.materiality_threshold)
        material = sorted((p for p in unseen if p.amount >= world.settings.materiality_threshold), key=lambda p: -top_confidence(world, company, p))
        big = material[0] if material else None
        pg = page_for("preparer", 400, 1400, approver=True)
        entry = {"entity": "US01", "date": (big or small).entry_date.isoformat(),
                 "lines": [draft_line(small, company)] + ([draft_line(big, company)] if big else [])}
        pg.goto(world.url("/ui/sidebar#entry=" + json.dumps(entry)))
        pg.wait_for_selector("body[data-ready]")
        pg.locator("[data-line] .option").nth(3 if big else 0).wait_for()
        pg.locator("[data-line='1'] .options").focus()
        pg.keyboard.press("1")
        pg.wait_for_selector("[data-line='1'] .decided")
        pg.evaluate("document.activeElement && document.activeElement.blur()")  # no focus ring in the picture
        pg.wait_for_timeout(300)
        height = pg.evaluate("document.documentElement.scrollHeight")
        pg.set_viewport_size({"width": 400, "height": min(height, 1600)})
        shots.append(out / "sidebar.png")
        pg.screenshot(path=str(shots[-1]))
        log(f"sidebar: {small.memo} / {big.memo if big else '-'}")

        # 2. The auditor page: a search over the decisions.
        pg = page_for("auditor", 1280, 1100)
        pg.goto(world.url("/ui/auditor?q=" + "cost centre moved to another department&decision=edited"))
        pg.wait_for_selector(".hit")
        for cell in pg.locator(".prev-hash").all():
            expect(cell).not_to_have_text("…")
        pg.locator(".hit .history summary").first.click()
        pg.wait_for_timeout(200)
        shots.append(out / "auditor.png")
        pg.screenshot(path=str(shots[-1]), full_page=False)

        # 3. The monitoring dashboard.
        pg = page_for("auditor", 1280, 1200)
        pg.goto(world.url("/ui/monitoring"))
        pg.wait_for_selector(".tiles")
        pg.wait_for_timeout(200)
        height = pg.evaluate("document.documentElement.scrollHeight")
        pg.set_viewport_size({"width": 1280, "height": height})
        shots.append(out / "monitoring.png")
        pg.screenshot(path=str(shots[-1]))
        browser.close()
    return shots


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    ap.add_argument("--months", type=int, default=6)
    ap.add_argument("--decisions", type=int, default=360)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--hold", action="store_true", help="keep serving afterwards (to re-shoot with --against)")
    ap.add_argument("--against", type=Path, help="a world.json written by --hold: only take the screenshots")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.against:
        held = json.loads(args.against.read_text())
        from copilot.demo.generator import generate_demo

        demo = generate_demo(seed=7, months=args.months, start=date(2024, 7, 1))
        world = SimpleNamespace(keys=held["keys"], url=lambda path: held["base_url"] + path,
                                settings=SimpleNamespace(materiality_threshold=Decimal(held["materiality"])),
                                service=None)
        for shot in shoot(world, demo.company, new_lines(demo.postings), args.out):
            log(f"wrote {shot}")
        return
    data = Path(tempfile.mkdtemp(prefix="copilot-shots-"))
    settings, company, fresh, service, embedder, store = build(data, args.months, date(2024, 7, 1))
    now = datetime.utcnow().replace(microsecond=0)
    clock = Clock(now - timedelta(days=60))
    world = serve(settings, service, embedder=embedder, store=store, clock=clock, users=USERS)
    t0 = time.perf_counter()
    log(f"simulating {args.decisions} review decisions")
    log(f"outcomes: {simulate(world, company, fresh, args.decisions, clock, now, rng)} "
        f"in {time.perf_counter() - t0:.0f}s")
    try:
        for shot in shoot(world, company, fresh, args.out):
            log(f"wrote {shot}")
        if args.hold:
            held = data / "world.json"
            held.write_text(json.dumps({"base_url": world.base_url, "keys": world.keys,
                                        "materiality": str(settings.materiality_threshold)}))
            log(f"serving {world.base_url}; re-shoot with --against {held} (Ctrl-C to stop)")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        world.stop()


if __name__ == "__main__":
    main()
