"""Vendors that sell many things: the account follows the item, not the vendor.

Amazon, Microsoft, Google, LinkedIn, Apple, Adobe, Upwork, Gartner and 4imprint each sell products that
the policies code to different accounts and departments; equipment and furniture follow the
capitalization threshold in force on the invoice date (FA-2.1), per unit, not per invoice.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from copilot.demo.chart import cap_threshold, saas_account
from copilot.demo.context import Asset, Ctx
from copilot.demo.ledger import Line, business_day
from copilot.demo.masters import Vend
from copilot.demo.vocab import roughen

# item, unit price range USD, asset account when capitalized, kind
EQUIPMENT = [("Dell Latitude 7440 i7/16GB", 1550, 2150, "1500", "laptop"),
             ("Dell Precision 5680 workstation", 3150, 4300, "1500", "laptop-pro"),
             ("Lenovo ThinkPad X1 Carbon Gen 11", 1750, 2450, "1500", "laptop"),
             ("Dell UltraSharp U2723QE 27in monitor", 520, 640, "1500", "monitor"),
             ("Dell WD22TB4 dock", 250, 330, "1500", "accessory"),
             ("Logitech MX Keys + MX Master combo", 180, 230, "1500", "accessory"),
             ("Dell PowerEdge R760 server", 9000, 16500, "1500", "server"),
             ("Cisco Meraki MX85 security appliance", 2350, 3150, "1500", "network"),
             ("Ubiquiti U6 Pro access point", 160, 190, "1500", "accessory"),
             ("Poly Studio X50 conference room kit", 3600, 4700, "1500", "av"),
             ("Synology RackStation RS1221+ NAS", 1900, 2750, "1500", "network"),
             ("Jabra Evolve2 75 headset", 260, 340, "1500", "accessory")]
FURNITURE = [("Aeron chair", 1250, 1750, "1510", "chair"), ("Sit-stand desk 160x80", 850, 1450, "1510", "desk"),
             ("Conference table 12-seat", 3400, 6900, "1510", "table"), ("Acoustic phone booth pod", 8200, 14500, "1510", "pod"),
             ("Lounge sofa set", 2300, 4200, "1510", "sofa"), ("Storage lockers bank", 1400, 2600, "1510", "storage")]
LAPTOP = {"ENG": ("MacBook Pro 16 M3 Max 36GB", 3450, 4250), "OPS": ("MacBook Pro 16 M3 Max 36GB", 3450, 4250),
          "PROD": ("MacBook Pro 14 M3 Pro", 2350, 2850), "MKTG": ("MacBook Pro 14 M3 Pro", 2350, 2850)}
DEFAULT_LAPTOP = ("Dell Latitude 7440 i7/16GB", 1550, 2150)


def capital_line(ctx: Ctx, rng: random.Random, entity: str, on: date, item: str, unit, qty: int, asset_acct: str,
                 dept: str, loc: str, who: str) -> Line:
    """FA-2.1/2.2: capitalize when the unit cost reaches the threshold in force on the invoice date."""
    unit_local = ctx.local(unit, entity)
    amount = unit_local * qty
    qty_txt = f" x{qty} @ {unit_local:,.2f}" if qty > 1 else f" {unit_local:,.2f}" if rng.random() < 0.3 else ""
    memo = roughen(rng, f"{item}{qty_txt}{(' - ' + who) if who else ''}")
    if unit_local >= cap_threshold(entity, on):
        ln = ctx.coded(asset_acct, amount, memo, {"location": loc, "department": dept}, "FA-2.1", entity, on, rng)
    else:
        ln = ctx.coded("6450", amount, memo, {"department": dept, "location": loc}, "FA-2.2", entity, on, rng)
    return ln


def register_assets(ctx: Ctx, entity: str, on: date, lines: list[Line]) -> None:
    for ln in lines:
        if ln.account in ("1500", "1510", "1520"):
            ctx.assets.append(Asset(entity, ln.account, on, ln.amount, ln.dims.get("department", "FAC"),
                                    ln.dims["location"], ln.memo))


def equipment(ctx: Ctx, rng: random.Random, v: Vend, entity: str, on: date, doc: str):
    table = FURNITURE if v.kind == "furniture" else EQUIPMENT
    out = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        item, lo, hi, acct, kind = rng.choice(table)
        unit = round(rng.uniform(lo, hi), 2)
        if kind in ("server", "network", "av", "pod", "table", "sofa", "storage", "chair", "desk"):
            dept, loc = ("OPS" if kind == "server" else "IT" if kind in ("network", "av") else "FAC"), \
                rng.choice(_offices(entity))
            who = f"{loc} office" if rng.random() < 0.6 else ""
            qty = rng.randint(1, 2) if kind in ("server", "pod", "table") else rng.randint(1, 8)
        else:
            e = rng.choice(ctx.staff(entity, on))
            dept, loc, who = e.dept, e.loc, rng.choice([f"for {e.name}", f"{e.name} replacement", e.name, ""])
            if not who:  # no name on the invoice: the requester's department is what IT records (CP-7.1)
                who = f"{dept} team"
            qty = 1 if kind.startswith("laptop") else rng.randint(1, 4)
        out.append(capital_line(ctx, rng, entity, on, item, unit, qty, acct, dept, loc, who))
    # Office fit-out: furniture bought for an active fit-out project is capitalized with the project (FA-2.4).
    fit = [p for p in ctx.projs if p.entity == entity and p.dept == "FAC" and p.active(on)]
    if v.kind == "furniture" and fit and rng.random() < 0.5:
        for ln in out:
            if ln.account == "1510":
                ln.dims["project"] = fit[0].proj_id
    register_assets(ctx, entity, on, out)
    return out, f"{v.name} order {doc}"


def new_hire_orders(ctx: Ctx, post) -> None:
    """IT orders a laptop (often with a monitor) for most new hires, shortly before the start date."""
    rng = ctx.rng("new-hire-orders")
    first = ctx.months[0]
    for e in ctx.emps:
        if e.hired < first or rng.random() > 0.75:
            continue
        on = business_day(e.hired - timedelta(days=rng.randint(3, 14)))
        if on < first:
            continue
        vendors = [v for v in ctx.vends if v.kind == "equipment" and e.entity in v.entities and v.live(on)]
        if not vendors:
            continue
        v = rng.choice(vendors)
        item, lo, hi = LAPTOP.get(e.dept, DEFAULT_LAPTOP) if rng.random() < 0.9 else DEFAULT_LAPTOP
        who = rng.choice([f"new hire {e.name}", f"{e.name} ({e.role}) start {e.hired:%m/%d}", f"NH {e.name}"])
        lines = [capital_line(ctx, rng, e.entity, on, item, round(rng.uniform(lo, hi), 2), 1, "1500", e.dept, e.loc, who)]
        if rng.random() < 0.5:
            lines.append(capital_line(ctx, rng, e.entity, on, "Dell UltraSharp U2723QE 27in monitor",
                                      round(rng.uniform(520, 640), 2), 1, "1500", e.dept, e.loc, who))
        register_assets(ctx, e.entity, on, lines)
        post(v, e.entity, on, lines, f"{v.name} order - {e.name}")


def _offices(entity: str) -> list[str]:
    return {"US01": ["NYC", "SFO", "AUS"], "UK01": ["LON", "MAN"], "DE01": ["BER", "MUC"]}[entity]


# --- multi-product vendors ------------------------------------------------------------------------

def _req(ctx: Ctx, rng, entity, on, depts=None):
    staff = [e for e in ctx.staff(entity, on) if depts is None or e.dept in depts] or ctx.staff(entity, on)
    return rng.choice(staff)


def multi(ctx: Ctx, rng: random.Random, v: Vend, entity: str, on: date, doc: str):
    family = v.kind.split(":", 1)[1]
    builders = FAMILIES[family]
    weights = [w for w, _ in builders]
    out: list[Line] = []
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3]) if family == "amazon" else 1):
        _, build = rng.choices(builders, weights=weights)[0]
        ln = build(ctx, rng, entity, on)
        if ln is not None:
            out.append(ln)
    register_assets(ctx, entity, on, out)
    return out, f"{v.name} {doc}"


def _saas(product: str, dept: str | None, lo: float, hi: float):
    def b(ctx: Ctx, rng, entity, on):
        d = dept or _req(ctx, rng, entity, on).dept
        acct = saas_account(on)
        return ctx.coded(acct, ctx.local(rng.uniform(lo, hi), entity), roughen(rng, f"{product} subscription {on:%b %Y}"),
                         {"department": d, "location": ctx.hq(entity)}, "CP-4.3" if acct == "6410" else "CP-4.2",
                         entity, on, rng)
    return b


def _fixed(account: str, dept: str | None, texts: list[str], lo: float, hi: float, rule: str, channel: str = "",
           requester_depts=None, project_kind: str = ""):
    def b(ctx: Ctx, rng, entity, on):
        if dept:
            d, loc, who = dept, ctx.hq(entity), ""
        else:
            e = _req(ctx, rng, entity, on, requester_depts)
            d, loc, who = e.dept, e.loc, rng.choice([e.name, f"for {e.name}", ""])
        dims = {"department": d, "location": loc}
        if channel:
            dims["channel"] = channel
        text = rng.choice(texts)
        if project_kind:
            projs = [p for p in ctx.projs if p.kind == project_kind and p.entity == entity and p.active(on)]
            if not projs:
                return None
            p = rng.choice(projs)
            dims["project"] = p.proj_id
            dims["location"] = p.loc
            text = f"{text} - {rng.choice([p.short, p.proj_id])}"
        memo = roughen(rng, f"{text}{(' - ' + who) if who else ''}")
        return ctx.coded(account, ctx.local(rng.uniform(lo, hi), entity), memo, dims, rule, entity, on, rng)
    return b


def _cloud(product: str, prod: bool, lo: float, hi: float):
    def b(ctx: Ctx, rng, entity, on):
        cls = rng.choice(["PLAT", "PLAT", "ANLY"])
        memo = roughen(rng, f"{product} {'production' if prod else 'dev/test'} billing acct {on:%b-%y}")
        return ctx.coded("5000" if prod else "6420", ctx.local(rng.uniform(lo, hi), entity), memo,
                         {"department": "OPS" if prod else "ENG", "location": ctx.hq(entity), "class": cls},
                         "CP-3.1" if prod else "CP-3.2", entity, on, rng)
    return b


def _device(item: str, lo: float, hi: float, acct: str = "1500"):
    def b(ctx: Ctx, rng, entity, on):
        e = _req(ctx, rng, entity, on)
        return capital_line(ctx, rng, entity, on, item, round(rng.uniform(lo, hi), 2), 1, acct, e.dept, e.loc,
                            rng.choice([e.name, f"for {e.name}"]))
    return b


FAMILIES = {
    "amazon": [
        (30, _fixed("6230", "FAC", ["Printer paper, toner", "Whiteboard markers, sticky notes", "Paper towels, dish soap",
                                    "Label printer tape", "Desk organizers"], 40, 380, "CP-7.1")),
        (22, _fixed("6450", None, ["USB-C hub + HDMI cable", "Wireless keyboard", "Laptop stand", "Webcam 1080p",
                                   "Noise cancelling headphones", "Portable SSD 2TB"], 35, 420, "FA-2.2")),
        (10, _fixed("6900", None, ["Raspberry Pi 5 kit x10", "Arduino sensors assortment", "Soldering station",
                                   "Logic analyzer"], 120, 900, "CP-12.1", requester_depts=("ENG",), project_kind="rnd")),
        (9, _fixed("6730", None, ["Book: Designing Data-Intensive Applications", "Books - team library",
                                  "Kindle books - SQL Performance", "Book: The Mom Test"], 25, 180, "CP-10.2")),
        (8, _fixed("6610", "MKTG", ["Booth supplies, banner stand", "Event giveaways - stickers", "Trade show carpet tiles"],
                   80, 900, "CP-11.2", channel="DIRECT")),
        (12, _fixed("6140", "FAC", ["Coffee beans, snacks", "Kitchen supplies - coffee pods", "Snacks restock"], 60, 450,
                    "CP-7.2")),
    ],
    "microsoft": [
        (30, _saas("Microsoft 365 E3", "IT", 2500, 9000)),
        (18, _cloud("Azure subscription", True, 1500, 9000)),
        (14, _cloud("Azure Dev/Test subscription", False, 400, 2500)),
        (10, _fixed("6400", "ENG", ["Visual Studio Professional standard (perpetual) x5", "SQL Server Standard 2-core licence"],
                    1500, 6000, "CP-4.4")),
        (16, _fixed("6600", "MKTG", ["Microsoft Advertising (Bing Ads)"], 800, 4000, "CP-11.1", channel="ONLINE")),
        (12, _device("Surface Laptop 5 15in", 1500, 2300)),
    ],
    "google": [
        (34, _saas("Google Workspace Business Standard", "IT", 1800, 5200)),
        (18, _cloud("Google Cloud", True, 1200, 7000)),
        (10, _cloud("Google Cloud", False, 300, 1800)),
        (38, _fixed("6600", "MKTG", ["Google Ads - search campaigns", "Google Ads - display & YouTube"], 3000, 16000,
                    "CP-11.1", channel="ONLINE")),
    ],
    "linkedin": [
        (30, _fixed("6530", "HR", ["LinkedIn Recruiter Lite - recruiter seats", "LinkedIn job slots"], 900, 4200, "CP-10.1")),
        (25, _saas("LinkedIn Sales Navigator Team", "SALES", 1200, 4800)),
        (30, _fixed("6600", "MKTG", ["LinkedIn Ads - sponsored content", "LinkedIn Ads - lead gen forms"], 2000, 9000,
                    "CP-11.1", channel="ONLINE")),
        (15, _fixed("6730", "HR", ["LinkedIn Learning - company licence"], 1500, 6000, "CP-10.2")),
    ],
    "apple": [
        (45, _device("MacBook Pro 16 M3 Max", 3450, 4250)),
        (20, _device("MacBook Air 13 M2", 1100, 1450)),
        (20, _fixed("6450", None, ["iPhone 15 128GB", "iPad Air + Pencil"], 650, 1100, "FA-2.2")),
        (15, _fixed("6400", "IT", ["AppleCare for Enterprise renewal"], 1500, 5000, "CP-4.4")),
    ],
    "adobe": [
        (45, _saas("Adobe Creative Cloud All Apps", "MKTG", 900, 2600)),
        (35, _saas("Adobe Acrobat Pro", None, 200, 900)),
        (20, _fixed("6620", "MKTG", ["Adobe Stock - 40 assets"], 300, 900, "CP-11.3", channel="DIRECT")),
    ],
    "upwork": [
        (35, _fixed("6620", "MKTG", ["Freelance content writing", "Blog articles x4", "Landing page copy"], 400, 2800,
                    "CP-11.3", channel="ONLINE")),
        (30, _fixed("6520", "ENG", ["Freelance dev - QA automation", "Freelance data labelling", "Contract iOS dev"],
                    1200, 6500, "CP-9.4")),
        (20, _fixed("6620", "MKTG", ["Freelance design - ebook layout", "Freelance video editing"], 500, 2500,
                    "CP-11.3", channel="DIRECT")),
        (15, _fixed("6520", "PROD", ["Freelance UX research - interviews"], 900, 4000, "CP-9.4")),
    ],
    "gartner": [
        (50, _fixed("6720", "EXEC", ["Gartner for IT Leaders research seat", "Gartner research subscription"], 18000, 42000,
                    "CP-7.7")),
        (30, _fixed("6730", None, ["Gartner Symposium ticket", "Gartner Data & Analytics Summit pass"], 3200, 6500,
                    "CP-10.2")),
        (20, _fixed("6600", "MKTG", ["Gartner Peer Insights premium"], 5000, 15000, "CP-11.1", channel="ONLINE")),
    ],
    "swag": [
        (55, _fixed("6610", "MKTG", ["Branded tote bags x300", "Event t-shirts x250", "Conference giveaways"], 900,
                    5200, "CP-11.2", channel="DIRECT")),
        (45, _fixed("6140", "HR", ["New hire welcome kits x25", "Employee anniversary gifts"], 700, 3600, "CP-7.3")),
    ],
}
