"""Words the demo company is made of: people, customers, vendors, card merchants, memo phrasing.

Vendor catalog rows are ``(name, kind, entities, cadence, amount, params)``:
- kind selects the coding rule in spend.py (saas, hosting, multi:<product set>, legal, ...);
- entities is a space-separated list of entity ids the vendor bills;
- cadence: "M" monthly, "Q" quarterly, "A" annual, or a float = expected bills per month;
- amount: a typical bill in USD (converted for UK01/DE01), or a per-seat price when params has seats;
- params: kind-specific (owner department, seat departments, location, products...).
Names of real brands are used the way they appear on real invoices and bank lines; everything else
(law firms, consultancies, customers, people) is invented.
"""

from __future__ import annotations

import random

FIRST = {
    "US": ["James", "Maria", "Robert", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William", "Susan",
           "Daniel", "Jessica", "Matthew", "Sarah", "Anthony", "Karen", "Mark", "Lisa", "Steven", "Nancy", "Andrew",
           "Ashley", "Joshua", "Emily", "Kevin", "Michelle", "Brian", "Amanda", "Priya", "Wei", "Carlos", "Aisha",
           "Diego", "Mei", "Omar", "Tyler", "Hannah", "Jordan", "Rachel", "Marcus", "Keisha", "Ravi", "Sofia",
           "Ethan", "Grace", "Nathan", "Olivia", "Lucas", "Chloe", "Isaac"],
    "GB": ["Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Jack", "Emily", "Charlie", "Sophie", "Thomas",
           "Grace", "Oscar", "Lily", "William", "Freya", "James", "Ella", "Alfie", "Poppy", "Rhys", "Niamh",
           "Callum", "Aisha", "Arjun", "Zara", "Imran", "Hollie", "Fraser", "Eilidh"],
    "DE": ["Lukas", "Anna", "Felix", "Lea", "Jonas", "Hannah", "Leon", "Sophie", "Maximilian", "Marie", "Paul",
           "Laura", "Tim", "Julia", "Niklas", "Lena", "Jan", "Katharina", "Florian", "Sarah", "Tobias", "Johanna",
           "Mehmet", "Elif", "Sebastian", "Clara", "Moritz", "Franziska", "Stefan", "Nina"],
}
LAST = {
    "US": ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
           "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
           "Perez", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen",
           "King", "Wright", "Scott", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Patel",
           "Chen", "Kim", "Shah", "Okafor", "Kowalski", "Sullivan", "Murphy", "Reyes", "Brooks"],
    "GB": ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
           "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Thomas", "Clarke",
           "Jackson", "Wood", "Harris", "Edwards", "Turner", "Khan", "Hughes", "Murray", "Campbell", "Begum"],
    "DE": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
           "Koch", "Richter", "Bauer", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun",
           "Krüger", "Hofmann", "Hartmann", "Lange", "Yilmaz", "Werner", "Krause", "Lehmann", "Köhler", "Kaya"],
}
WORDS = ["Apex", "Beacon", "Blue Harbor", "Bridgeport", "Cedar", "Clearwater", "Cobalt", "Crestline", "Evergreen",
         "Granite", "Highland", "Ironwood", "Keystone", "Lakeside", "Lighthouse", "Meridian", "Northstar",
         "Oakridge", "Pinnacle", "Redwood", "Riverside", "Sterling", "Summit", "Tidewater", "Trailhead",
         "Westbrook", "Willow", "Silverline", "Brightwater", "Copperleaf", "Foxglove", "Hawthorne", "Juniper",
         "Kingfisher", "Larkspur", "Maple Street", "Old Mill", "Quarry", "Saltmarsh", "Thistle", "Union Square",
         "Vantage", "Waypoint", "Yellowstone", "Alder", "Bluebird", "Canal Street", "Driftwood", "Elmhurst",
         "Fairview", "Goldcrest", "Harborlight", "Indigo", "Jasper", "Kestrel", "Lantern", "Mosaic", "Nimbus"]
INDUSTRY = {
    "US": ["Logistics", "Health Partners", "Manufacturing", "Retail Group", "Energy", "Financial", "Insurance",
           "Foods", "Pharmaceuticals", "Media", "Telecom", "Hospitality", "Freight", "Bancorp", "Systems",
           "Labs", "Brands", "Outfitters", "Capital", "Medical Center"],
    "GB": ["Retail plc", "Logistics Ltd", "Housing Association", "Building Society", "Energy Ltd", "Foods Ltd",
           "Insurance plc", "Media Group Ltd", "Rail Ltd", "Healthcare Ltd"],
    "DE": ["Logistik GmbH", "Maschinenbau AG", "Energie GmbH", "Versicherung AG", "Handels GmbH",
           "Automotive GmbH", "Medizintechnik GmbH", "Bank AG", "Chemie AG", "Lebensmittel GmbH"],
}
CITIES = {"US01": ["NEW YORK", "SAN FRANCISCO", "AUSTIN", "CHICAGO", "BOSTON", "SEATTLE", "ATLANTA", "DENVER",
                   "DALLAS", "LOS ANGELES", "MIAMI", "WASHINGTON"],
          "UK01": ["LONDON", "MANCHESTER", "EDINBURGH", "BIRMINGHAM", "LEEDS", "BRISTOL", "GLASGOW"],
          "DE01": ["BERLIN", "MUENCHEN", "HAMBURG", "FRANKFURT", "KOELN", "STUTTGART", "DUESSELDORF"]}

US, UK, DE, ALL = "US01", "UK01", "DE01", "US01 UK01 DE01"

# name, kind, entities, cadence, amount (USD; per seat when params has "seats"), params
CATALOG: list[tuple[str, str, str, str | float, float, dict]] = [
    # --- SaaS billed to the parent (company-wide tools are recharged, IC-4.1) ---
    ("Slack Technologies, LLC", "saas", US, "M", 12.5, {"seats": "ALL", "owner": "IT", "plan": "Business+"}),
    ("Zoom Video Communications", "saas", US, "M", 15.99, {"seats": "ALL", "owner": "IT", "plan": "Business"}),
    ("Atlassian Pty Ltd", "saas", US, "M", 8.6, {"seats": "ENG PROD PS SUP OPS", "plan": "Jira Software Cloud"}),
    ("GitHub, Inc.", "saas", US, "M", 21.0, {"seats": "ENG OPS", "plan": "Enterprise Cloud"}),
    ("Salesforce, Inc.", "saas", US, "A", 1980.0, {"seats": "SALES CS", "plan": "Sales Cloud Enterprise"}),
    ("HubSpot, Inc.", "saas", US, "A", 38400.0, {"owner": "MKTG", "plan": "Marketing Hub Professional"}),
    ("Zendesk, Inc.", "saas", US, "M", 89.0, {"seats": "SUP CS", "plan": "Suite Professional"}),
    ("Figma, Inc.", "saas", US, "A", 540.0, {"seats": "PROD MKTG", "plan": "Organization"}),
    ("Notion Labs, Inc.", "saas", US, "M", 10.0, {"seats": "ALL", "owner": "IT", "plan": "Plus"}),
    ("DocuSign, Inc.", "saas", US, "A", 9600.0, {"owner": "LEGAL", "plan": "Business Pro envelopes"}),
    ("Okta, Inc.", "saas", US, "A", 72.0, {"seats": "ALL", "owner": "IT", "plan": "Workforce Identity SSO+MFA"}),
    ("1Password (AgileBits Inc.)", "saas", US, "M", 7.99, {"seats": "ALL", "owner": "IT", "plan": "Business"}),
    ("PagerDuty, Inc.", "saas", US, "M", 41.0, {"seats": "OPS ENG", "plan": "Business on-call"}),
    ("Functional Software, Inc. (Sentry)", "saas", US, "M", 1250.0, {"owner": "ENG", "plan": "Business"}),
    ("Gong.io Inc", "saas", US, "A", 1400.0, {"seats": "SALES", "plan": "revenue intelligence"}),
    ("ZoomInfo Technologies LLC", "saas", US, "A", 42000.0, {"owner": "SALES", "plan": "SalesOS Advanced"}),
    ("Outreach Corporation", "saas", US, "A", 1200.0, {"seats": "SALES", "plan": "Engage"}),
    ("Greenhouse Software, Inc.", "saas", US, "A", 24000.0, {"owner": "HR", "plan": "Expert ATS"}),
    ("Lattice (Degree, Inc.)", "saas", US, "A", 132.0, {"seats": "ALL", "owner": "HR", "plan": "Performance+Engagement"}),
    ("Expensify, Inc.", "saas", US, "M", 9.0, {"seats": "ALL", "owner": "FIN", "plan": "Control"}),
    ("eShares, Inc. dba Carta", "saas", US, "A", 14000.0, {"owner": "FIN", "plan": "cap table"}),
    ("Sage Intacct, Inc.", "saas", US, "A", 36000.0, {"owner": "FIN", "plan": "multi-entity subscription"}),
    ("Avalara, Inc.", "saas", US, "M", 650.0, {"owner": "FIN", "plan": "AvaTax"}),
    ("Tableau Software, LLC", "saas", US, "M", 75.0, {"seats": "FIN EXEC PROD", "plan": "Creator/Explorer"}),
    ("Miro (RealtimeBoard, Inc.)", "saas", US, "M", 10.0, {"seats": "PROD ENG", "plan": "Business"}),
    ("Loom, Inc.", "saas", US, "M", 12.5, {"seats": "SALES CS", "plan": "Business"}),
    ("Calendly LLC", "saas", US, "M", 12.0, {"seats": "SALES", "plan": "Teams"}),
    ("Semrush Inc.", "saas", US, "M", 499.95, {"owner": "MKTG", "plan": "Business"}),
    ("Hotjar Ltd", "saas", US, "M", 389.0, {"owner": "MKTG", "plan": "Business"}),
    ("Mixpanel, Inc.", "saas", US, "M", 2200.0, {"owner": "PROD", "plan": "Growth"}),
    ("Amplitude, Inc.", "saas", US, "A", 36000.0, {"owner": "PROD", "plan": "Growth annual"}),
    ("Catamorphic Co. (LaunchDarkly)", "saas", US, "M", 1800.0, {"owner": "ENG", "plan": "Pro"}),
    ("Postman, Inc.", "saas", US, "M", 14.0, {"seats": "ENG", "plan": "Professional"}),
    ("Vanta Inc.", "saas", US, "A", 25000.0, {"owner": "IT", "plan": "SOC 2 + ISO 27001"}),
    ("CrowdStrike, Inc.", "saas", US, "M", 8.99, {"seats": "ALL", "owner": "IT", "plan": "Falcon Pro"}),
    ("Snyk Ltd", "saas", US, "A", 18000.0, {"owner": "ENG", "plan": "Team"}),
    ("Gainsight, Inc.", "saas", US, "A", 45000.0, {"owner": "CS", "plan": "CS Essentials"}),
    ("Intercom R&D Unlimited", "saas", US, "M", 2100.0, {"owner": "SUP", "plan": "Advanced"}),
    ("Zapier, Inc.", "saas", US, "M", 599.0, {"owner": "IT", "plan": "Team"}),
    ("Dropbox, Inc.", "saas", US, "A", 180.0, {"seats": "MKTG PS", "plan": "Business"}),
    ("Asana, Inc.", "saas", UK, "M", 13.49, {"seats": "CS PS", "plan": "Premium"}),
    ("Personio SE & Co. KG", "saas", "DE01 UK01", "M", 9.5, {"seats": "ALL", "owner": "HR", "plan": "Professional"}),
    ("DATEV eG", "saas", DE, "M", 520.0, {"owner": "FIN", "plan": "Unternehmen online"}),
    ("Pleo Technologies A/S", "saas", "UK01 DE01", "M", 9.0, {"seats": "ALL", "owner": "FIN", "plan": "Essential"}),
    ("Typeform S.L.", "saas", UK, "M", 83.0, {"owner": "MKTG", "plan": "Business"}),
    ("SurveyMonkey (Momentive)", "saas", US, "A", 4800.0, {"owner": "CS", "plan": "Team Premier"}),
    # --- perpetual licences and maintenance: always 6400 (CP-4.4) ---
    ("JetBrains s.r.o.", "license", "US01 DE01", "A", 779.0, {"seats": "ENG", "plan": "All Products Pack (perpetual fallback)"}),
    ("SolarWinds Worldwide, LLC", "license", US, "A", 4800.0, {"owner": "IT", "plan": "maintenance renewal"}),
    ("VMware LLC (Broadcom)", "license", US, "A", 14000.0, {"owner": "OPS", "plan": "vSphere support & subscription"}),
    ("Parallels International GmbH", "license", DE, "A", 1200.0, {"owner": "ENG", "plan": "Desktop Pro licences"}),
    # --- hosting: production to 5000 (COGS), non-production to 6420 (CP-3.1) ---
    ("Amazon Web Services, Inc.", "hosting", US, "M", 46000.0,
     {"accounts": "prod-platform-us:prod:PLAT:52 prod-analytics:prod:ANLY:21 staging:dev:PLAT:11 dev-sandbox:dev:PLAT:9 data-science:dev:ANLY:7"}),
    ("Amazon Web Services EMEA SARL", "hosting", "UK01 DE01", "M", 9000.0,
     {"accounts": "prod-eu-west:prod:PLAT:70 prod-eu-analytics:prod:ANLY:15 eu-staging:dev:PLAT:15"}),
    ("Snowflake Inc.", "hosting", US, "M", 14000.0, {"accounts": "PROD_ANALYTICS:prod:ANLY:78 DEV_WH:dev:ANLY:22"}),
    ("MongoDB, Inc.", "hosting", US, "M", 6500.0, {"accounts": "atlas-prod:prod:PLAT:80 atlas-dev:dev:PLAT:20"}),
    ("Cloudflare, Inc.", "hosting", US, "M", 2400.0, {"accounts": "zone harborview.io:prod:PLAT:100"}),
    ("Datadog, Inc.", "hosting", US, "M", 9000.0, {"accounts": "prod APM+logs:prod:PLAT:68 staging logs:dev:PLAT:32"}),
    ("Twilio Inc.", "hosting", US, "M", 3500.0, {"accounts": "prod messaging:prod:PLAT:90 test credentials:dev:PLAT:10"}),
    ("Hetzner Online GmbH", "hosting", DE, "M", 2300.0, {"accounts": "CI runners:dev:PLAT:60 backup-storage:prod:PLAT:40"}),
    ("Vercel Inc.", "hosting", US, "M", 900.0, {"accounts": "production:prod:PLAT:70 preview:dev:PLAT:30"}),
    ("Dun & Bradstreet, Inc.", "data", US, "M", 7500.0, {"cls": "CORP", "plan": "firmographic data licence"}),
    ("Mapbox, Inc.", "data", US, "M", 2200.0, {"cls": "CORP", "plan": "maps API usage"}),
    # --- multi-product vendors: account by memo keyword ---
    ("Amazon.com Services LLC", "multi:amazon", US, 9.0, 0, {}),
    ("Amazon EU S.a r.l., UK Branch", "multi:amazon", UK, 3.0, 0, {}),
    ("Amazon EU S.a r.l., Niederlassung Deutschland", "multi:amazon", DE, 2.5, 0, {}),
    ("Microsoft Corporation", "multi:microsoft", US, 2.2, 0, {}),
    ("Microsoft Ireland Operations Ltd", "multi:microsoft", "UK01 DE01", 1.2, 0, {}),
    ("Google LLC", "multi:google", US, 2.6, 0, {}),
    ("Google Ireland Limited", "multi:google", "UK01 DE01", 1.0, 0, {}),
    ("LinkedIn Corporation", "multi:linkedin", US, 1.6, 0, {}),
    ("LinkedIn Ireland Unlimited Company", "multi:linkedin", "UK01 DE01", 0.8, 0, {}),
    ("Apple Inc.", "multi:apple", US, 1.2, 0, {}),
    ("Adobe Inc.", "multi:adobe", US, 1.0, 0, {}),
    ("Upwork Global Inc.", "multi:upwork", US, 1.5, 0, {}),
    ("Gartner, Inc.", "multi:gartner", US, 0.35, 0, {}),
    ("4imprint, Inc.", "multi:swag", US, 0.6, 0, {}),
    # --- telecom / utilities / rent / facilities ---
    ("Verizon Wireless", "telecom_mobile", US, "M", 3800.0, {}),
    ("AT&T Business", "telecom_net", US, "M", 1900.0, {"locs": "NYC AUS"}),
    ("Comcast Business", "telecom_net", US, "M", 650.0, {"locs": "SFO"}),
    ("Lumen Technologies", "telecom_net", US, "M", 2600.0, {"locs": "NYC"}),
    ("Vodafone Limited", "telecom_mobile", UK, "M", 1100.0, {}),
    ("BT Business", "telecom_net", UK, "M", 900.0, {"locs": "LON MAN"}),
    ("Telekom Deutschland GmbH", "telecom_mobile", DE, "M", 900.0, {}),
    ("Vodafone GmbH", "telecom_net", DE, "M", 700.0, {"locs": "BER MUC"}),
    ("Consolidated Edison Co. of NY", "utility", US, "M", 9500.0, {"locs": "NYC"}),
    ("Pacific Gas and Electric Company", "utility", US, "M", 3800.0, {"locs": "SFO"}),
    ("Austin Energy", "utility", US, "M", 2100.0, {"locs": "AUS"}),
    ("British Gas Business", "utility", UK, "M", 3100.0, {"locs": "LON"}),
    ("Octopus Energy Ltd", "utility", UK, "M", 900.0, {"locs": "MAN"}),
    ("Vattenfall Europe Sales GmbH", "utility", DE, "M", 2400.0, {"locs": "BER"}),
    ("Stadtwerke München GmbH", "utility", DE, "M", 800.0, {"locs": "MUC"}),
    ("Vornado Office Management LLC", "rent", US, "M", 142000.0, {"locs": "NYC"}),
    ("Hudson Pacific Properties, L.P.", "rent", US, "M", 61000.0, {"locs": "SFO"}),
    ("Cousins Properties LP", "rent", US, "M", 23500.0, {"locs": "AUS"}),
    ("Landsec Property Management Ltd", "rent", UK, "M", 58000.0, {"locs": "LON"}),
    ("Bruntwood Works Ltd", "rent", UK, "M", 11500.0, {"locs": "MAN"}),
    ("Allianz Real Estate GmbH", "rent", DE, "M", 24000.0, {"locs": "BER"}),
    ("Bayerische Hausbau GmbH & Co. KG", "rent", DE, "M", 8600.0, {"locs": "MUC"}),
    ("ABM Industries Inc.", "facility", US, "M", 7800.0, {"locs": "NYC SFO", "what": "janitorial services"}),
    ("Cintas Corporation", "facility", US, "M", 640.0, {"locs": "NYC AUS", "what": "first aid & restroom supplies"}),
    ("Iron Mountain Inc.", "facility", US, "M", 410.0, {"locs": "NYC", "what": "secure shredding & storage"}),
    ("Otis Elevator Company", "facility", US, "Q", 1900.0, {"locs": "AUS", "what": "elevator maintenance"}),
    ("Rentokil Initial UK Ltd", "facility", UK, "M", 480.0, {"locs": "LON MAN", "what": "washroom & pest control"}),
    ("Mitie Group plc", "facility", UK, "M", 5200.0, {"locs": "LON", "what": "office cleaning"}),
    ("Dussmann Service Deutschland GmbH", "facility", DE, "M", 3900.0, {"locs": "BER", "what": "Unterhaltsreinigung"}),
    ("WISAG Gebäudereinigung GmbH", "facility", DE, "M", 1300.0, {"locs": "MUC", "what": "Büroreinigung"}),
    # --- office supplies, equipment, furniture ---
    ("Staples Business Advantage", "supplies", US, 2.5, 620.0, {}),
    ("Office Depot, LLC", "supplies", US, 1.0, 380.0, {}),
    ("W.B. Mason Co., Inc.", "supplies", US, 1.8, 540.0, {}),
    ("Viking Direct (UK) Ltd", "supplies", UK, 1.2, 280.0, {}),
    ("Lyreco UK Ltd", "supplies", UK, 0.8, 330.0, {}),
    ("Lyreco Deutschland GmbH", "supplies", DE, 1.0, 300.0, {}),
    ("OTTO Office GmbH", "supplies", DE, 0.6, 220.0, {}),
    ("Dell Marketing L.P.", "equipment", US, 1.6, 0, {}),
    ("CDW Direct, LLC", "equipment", US, 1.2, 0, {}),
    ("Lenovo (United States) Inc.", "equipment", US, 0.5, 0, {}),
    ("Insight Direct USA, Inc.", "equipment", US, 0.4, 0, {}),
    ("B&H Foto & Electronics Corp.", "equipment", US, 0.4, 0, {}),
    ("Scan Computers International Ltd", "equipment", UK, 0.7, 0, {}),
    ("Probrand Ltd", "equipment", UK, 0.4, 0, {}),
    ("Bechtle GmbH IT-Systemhaus", "equipment", DE, 0.7, 0, {}),
    ("Cancom GmbH", "equipment", DE, 0.3, 0, {}),
    ("Cyberport GmbH", "equipment", DE, 0.3, 0, {}),
    ("Herman Miller, Inc.", "furniture", US, 0.3, 0, {}),
    ("Steelcase Inc.", "furniture", US, 0.2, 0, {}),
    ("Wayfair Professional", "furniture", US, 0.4, 0, {}),
    ("Posturite Ltd", "furniture", UK, 0.3, 0, {}),
    ("IKEA Business", "furniture", "UK01 DE01", 0.25, 0, {}),
    ("Vitra GmbH", "furniture", DE, 0.15, 0, {}),
    # --- finance, legal, people ---
    ("Grant Harlow LLP", "audit", US, "A", 96000.0, {"what": "annual audit"}),
    ("Baker Tilney Tax Advisors LLC", "audit", US, "Q", 9500.0, {"what": "tax provision & compliance"}),
    ("Ashcombe & Wray LLP", "audit", UK, "M", 3200.0, {"what": "statutory accounts & VAT returns"}),
    ("Weber Treuhand GmbH WPG", "audit", DE, "M", 2900.0, {"what": "Jahresabschluss & Buchhaltung"}),
    ("ADP, Inc.", "payroll_svc", US, "M", 3100.0, {}),
    ("Moorepay Ltd", "payroll_svc", UK, "M", 780.0, {}),
    ("Lohnbüro Schneider GmbH", "payroll_svc", DE, "M", 690.0, {}),
    ("Aetna Life Insurance Company", "benefits", US, "M", 0, {"share": "0.8", "what": "medical premiums"}),
    ("The Guardian Life Insurance Co.", "benefits", US, "M", 0, {"share": "0.2", "what": "dental & vision"}),
    ("Bupa Insurance Ltd", "benefits_direct", UK, "M", 95.0, {"what": "private medical"}),
    ("Urban Sports Club GmbH", "benefits_direct", DE, "M", 59.0, {"what": "Firmenfitness"}),
    ("Hiscox Inc.", "insurance", US, "A", 28000.0, {"what": "cyber & tech E&O"}),
    ("The Hartford", "insurance", US, "A", 19000.0, {"what": "general liability & workers comp"}),
    ("Chubb Group Holdings", "insurance", US, "A", 64000.0, {"what": "D&O"}),
    ("Hiscox Underwriting Ltd", "insurance", UK, "A", 12000.0, {"what": "professional indemnity"}),
    ("Allianz Versicherungs-AG", "insurance", DE, "A", 9000.0, {"what": "Betriebshaftpflicht"}),
    ("Kessler Brandt LLP", "legal", US, 1.0, 14000.0, {}),
    ("Morrow & Finch LLP", "legal", US, 0.6, 9000.0, {}),
    ("Dalton Pierce Employment Law", "legal", US, 0.4, 6000.0, {"matters": "employment"}),
    ("Vance IP Law Group", "legal", US, 0.4, 8000.0, {"matters": "ip"}),
    ("Hartley Sloane Solicitors LLP", "legal", UK, 0.5, 7000.0, {}),
    ("Brandt Kühn Rechtsanwälte PartGmbB", "legal", DE, 0.5, 6000.0, {}),
    ("Robert Half International Inc.", "recruiting", US, 0, 0, {}),
    ("Hays Specialist Recruitment Ltd", "recruiting", UK, 0, 0, {}),
    ("Michael Page International (Deutschland) GmbH", "recruiting", DE, 0, 0, {}),
    ("Hays AG", "recruiting", DE, 0, 0, {}),
    # --- marketing ---
    ("Meta Platforms Ireland Ltd", "ads", "US01 UK01", "M", 14000.0, {"what": "Facebook/Instagram ads"}),
    ("G2.com, Inc.", "ads", US, "A", 36000.0, {"what": "G2 Buyer Intent + profile"}),
    ("Gartner Digital Markets (Capterra)", "ads", US, "M", 5200.0, {"what": "Capterra PPC"}),
    ("Reddit, Inc.", "ads", US, "M", 2100.0, {"what": "Reddit Ads"}),
    ("SaaStr Inc.", "events", US, "A", 42000.0, {"month": 9, "what": "SaaStr Annual sponsorship"}),
    ("Web Summit Ltd", "events", "UK01 DE01", "A", 30000.0, {"month": 11, "what": "Web Summit exhibitor package"}),
    ("Freeman Expositions, LLC", "events", US, 0.3, 18000.0, {"what": "booth build & drayage"}),
    ("Messe Berlin GmbH", "events", DE, "A", 16000.0, {"month": 3, "what": "Standfläche"}),
    ("ExCeL London Ltd", "events", UK, "A", 21000.0, {"month": 6, "what": "exhibition space"}),
    # --- learning, memberships ---
    ("Udemy, Inc.", "training", US, "A", 360.0, {"seats": "ENG PROD PS", "what": "Udemy Business seats"}),
    ("O'Reilly Media, Inc.", "training", US, "A", 499.0, {"seats": "ENG OPS", "what": "O'Reilly Learning subscription"}),
    ("Pluralsight, LLC", "training", "US01 UK01", "A", 449.0, {"seats": "ENG", "what": "Pluralsight Skills"}),
    ("Coursera, Inc.", "training", US, 0.2, 3200.0, {"what": "Coursera for Business"}),
    ("Sandler Systems, LLC", "training", US, 0.25, 8500.0, {"owner": "SALES", "what": "sales methodology workshop"}),
    ("Pragmatic Institute, LLC", "training", US, 0.15, 3500.0, {"owner": "PROD", "what": "Foundations course"}),
    ("SHRM", "membership", US, "A", 1200.0, {"owner": "HR"}),
    ("AICPA & CIMA", "membership", "US01 UK01", "A", 900.0, {"owner": "FIN"}),
    ("IEEE", "membership", US, "A", 600.0, {"owner": "ENG"}),
    ("IAPP", "membership", US, "A", 1100.0, {"owner": "LEGAL"}),
    ("Pavilion (Revenue Collective)", "membership", US, "A", 4800.0, {"owner": "SALES"}),
    ("techUK", "membership", UK, "A", 2400.0, {"owner": "EXEC"}),
    ("Bitkom e.V.", "membership", DE, "A", 2600.0, {"owner": "EXEC"}),
    ("IHK Berlin", "membership", DE, "A", 900.0, {"owner": "FIN"}),
    # --- R&D, shipping, travel, catering, government ---
    ("Digi-Key Electronics", "rd", US, 1.2, 900.0, {}),
    ("Mouser Electronics, Inc.", "rd", US, 0.8, 700.0, {}),
    ("SparkFun Electronics", "rd", US, 0.4, 350.0, {}),
    ("Proto Labs, Inc.", "rd", US, 0.3, 4200.0, {}),
    ("RS Components Ltd", "rd", UK, 0.3, 500.0, {}),
    ("Conrad Electronic SE", "rd", DE, 0.7, 600.0, {}),
    ("reichelt elektronik GmbH", "rd", DE, 0.5, 400.0, {}),
    ("FedEx", "shipping", US, 2.0, 310.0, {}),
    ("United Parcel Service", "shipping", US, 1.0, 260.0, {}),
    ("DHL Express (UK) Ltd", "shipping", UK, 0.8, 180.0, {}),
    ("DHL Paket GmbH", "shipping", DE, 0.6, 150.0, {}),
    ("Navan, Inc.", "travel_agency", US, "M", 0, {}),
    ("TravelPerk S.L.U.", "travel_agency", "UK01 DE01", "M", 0, {}),
    ("ezCater, Inc.", "catering", US, 3.0, 900.0, {}),
    ("Deliveroo for Business", "catering", UK, 1.5, 450.0, {}),
    ("Delaware Division of Corporations", "govt", US, "A", 4800.0, {"month": 3, "what": "annual franchise tax"}),
    ("NYC Department of Finance", "govt", US, "A", 2400.0, {"month": 4, "what": "commercial rent tax"}),
    ("Companies House", "govt", UK, "A", 40.0, {"month": 7, "what": "confirmation statement fee"}),
    ("ARD ZDF Deutschlandradio Beitragsservice", "govt", DE, "Q", 180.0, {"what": "Rundfunkbeitrag Betriebsstätten"}),
]

# Generated local vendors: kind -> (name patterns per country, count per entity, bills/month, typical USD)
GENERATED: dict[str, tuple[dict[str, list[str]], dict[str, int], float, float]] = {
    "legal": ({"US": ["{S} & {S2} LLP", "{S} {S2} PLLC"], "GB": ["{S} {S2} Solicitors LLP"],
               "DE": ["{S} {S2} Rechtsanwälte PartGmbB"]}, {US: 4, UK: 2, DE: 2}, 0.35, 6500.0),
    "consulting": ({"US": ["{W} Advisory Group", "{W} Strategy Partners", "{S} Consulting LLC"],
                    "GB": ["{W} Consulting Ltd"], "DE": ["{S} Unternehmensberatung GmbH"]},
                   {US: 12, UK: 4, DE: 4}, 0.4, 7500.0),
    "subcontractor": ({"US": ["{W} Data Consulting LLC", "{W} Analytics Partners", "{F} {S} Consulting"],
                       "GB": ["{W} Data Ltd", "{F} {S} Contracting Ltd"], "DE": ["{S} IT-Consulting GmbH"]},
                      {US: 14, UK: 6, DE: 5}, 0.0, 0.0),
    "recruiting": ({"US": ["{W} Talent Partners", "{W} Search Group"], "GB": ["{W} Recruitment Ltd"],
                    "DE": ["{S} Personalberatung GmbH"]}, {US: 8, UK: 3, DE: 3}, 0.0, 0.0),
    "catering": ({"US": ["{W} Kitchen & Catering", "{S}'s Deli Catering"], "GB": ["{W} Catering Co Ltd"],
                  "DE": ["{S} Catering GmbH"]}, {US: 10, UK: 4, DE: 4}, 0.5, 700.0),
    "facility": ({"US": ["{W} Facility Services", "{W} HVAC Services", "{W} Plant Design", "{W} Security Services",
                         "{W} Electric Co.", "{W} Moving & Storage"], "GB": ["{W} Maintenance Ltd"],
                  "DE": ["{S} Gebäudeservice GmbH", "{S} Haustechnik GmbH"]}, {US: 16, UK: 5, DE: 5}, 0.3, 1400.0),
    "agency": ({"US": ["{W} Creative Studio", "{W} Digital", "{W} PR & Communications", "{W} Video Productions"],
                "GB": ["{W} Agency Ltd"], "DE": ["{W} Werbeagentur GmbH"]}, {US: 12, UK: 4, DE: 3}, 0.35, 8000.0),
    "events": ({"US": ["{W} Event Venues", "{W} Exhibits & Displays", "{W} Conference Center"],
                "GB": ["{W} Events Ltd"], "DE": ["{W} Messebau GmbH"]}, {US: 8, UK: 3, DE: 3}, 0.15, 9000.0),
    "training": ({"US": ["{W} Learning Group", "{W} Leadership Institute"], "GB": ["{W} Training Ltd"],
                  "DE": ["{S} Akademie GmbH"]}, {US: 8, UK: 3, DE: 3}, 0.2, 2400.0),
    "supplies": ({"US": ["{W} Office Products", "{W} Print & Copy"], "GB": ["{W} Office Supplies Ltd"],
                  "DE": ["{S} Bürobedarf GmbH"]}, {US: 6, UK: 2, DE: 2}, 0.3, 300.0),
    "it_services": ({"US": ["{W} IT Solutions", "{W} Networks Inc."], "GB": ["{W} IT Services Ltd"],
                     "DE": ["{S} Systemhaus GmbH"]}, {US: 6, UK: 2, DE: 2}, 0.3, 4200.0),
}
SURNAMES_FIRM = {"US": ["Abbott", "Barrett", "Calloway", "Delgado", "Ellison", "Fairbanks", "Garrison", "Holloway",
                        "Iverson", "Jennings", "Kendrick", "Langford", "Mercer", "Norwood", "Ortega", "Prescott",
                        "Quinlan", "Ramsey", "Sinclair", "Thornton", "Underwood", "Whitaker", "Yates", "Harlan"],
                 "GB": ["Ashworth", "Blackwood", "Cartwright", "Davenport", "Fairclough", "Greenhalgh", "Hargreaves",
                        "Kershaw", "Lockwood", "Pemberton", "Radcliffe", "Sutcliffe", "Whitworth", "Ainsley"],
                 "DE": ["Bauer", "Becker", "Brandt", "Fischer", "Hartmann", "Keller", "Krüger", "Lange", "Neumann",
                        "Richter", "Schäfer", "Vogel", "Wagner", "Ziegler", "Haas", "Seidel"]}

# Card and bank merchant descriptors: (template, category). {n} digits, {city}, {r} reference.
MERCHANTS: dict[str, list[tuple[str, str]]] = {
    "US01": [("DELTA AIR {n7}", "air"), ("UNITED {n10}", "air"), ("AMERICAN AIR{n10}", "air"),
             ("JETBLUE {n10}", "air"), ("SOUTHWES {n10}", "air"), ("AMTRAK .COM {n7}", "air"),
             ("MARRIOTT {city}", "hotel"), ("HILTON GARDEN INN {city}", "hotel"), ("HYATT REGENCY {city}", "hotel"),
             ("ACE HOTEL {city}", "hotel"), ("AIRBNB * HM{r}", "hotel"), ("COURTYARD BY MARRIOTT {city}", "hotel"),
             ("UBER   *TRIP HELP.UBER.COM", "ground"), ("LYFT   *RIDE {dow} {n4}", "ground"),
             ("HERTZ RENT-A-CAR {city}", "ground"), ("CURB SVC NYC TAXI", "ground"), ("SP+ PARKING {n4}", "ground"),
             ("SHELL OIL {n10}", "ground"), ("STARBUCKS STORE {n5}", "meal"), ("SWEETGREEN {city}", "meal"),
             ("SHAKE SHACK {n4}", "meal"), ("TST* CAFE LUXEMBOURG", "meal"), ("SQ *JOES PIZZA", "meal"),
             ("TST* CARBONE NEW YORK", "meal"), ("DOORDASH*CHIPOTLE", "meal"), ("GRUBHUB*DIGINN", "meal"),
             ("UBER   *EATS HELP.UBER.COM", "meal"), ("NOBU {city}", "meal"), ("TST* THE SMITH", "meal"),
             ("OPENAI *CHATGPT SUBSCR", "saas"), ("CANVA* I0{n7}", "saas"), ("LINKEDIN PRE *{n7}", "saas"),
             ("MAILCHIMP *MONTHLY", "saas"), ("ADOBE  *ACROPRO SUBS", "saas"), ("MIRO.COM", "saas"),
             ("AMAZON.COM*{r} AMZN.COM/BILL", "amazon"), ("AMZN Mktp US*{r}", "amazon"), ("BEST BUY {n8}", "tech"),
             ("APPLE STORE R{n3}", "tech"), ("STAPLES {n8}", "office"), ("THE UPS STORE {n4}", "ship"),
             ("USPS PO {n10}", "ship"), ("GOGOAIR.COM", "wifi"), ("UDEMY", "learn"), ("OREILLY MEDIA", "learn"),
             ("EVENTBRITE/{r}", "learn"), ("1-800-FLOWERS.COM", "gift"), ("SHUTTERSTOCK", "stock"),
             ("FACEBK *{r}", "ads")],
    "UK01": [("BRITISH AIRWAYS {n10}", "air"), ("EASYJET {r}", "air"), ("TRAINLINE.COM {r}", "air"),
             ("EUROSTAR INTERNATIONAL", "air"), ("PREMIER INN {city}", "hotel"), ("HILTON {city}", "hotel"),
             ("CITIZENM {city}", "hotel"), ("UBER   *TRIP HELP.UBER.COM", "ground"), ("ADDISON LEE", "ground"),
             ("TFL TRAVEL CH", "ground"), ("NCP CAR PARK {city}", "ground"), ("PRET A MANGER {n4}", "meal"),
             ("DISHOOM {city}", "meal"), ("LEON {city}", "meal"), ("DELIVEROO", "meal"), ("HAWKSMOOR", "meal"),
             ("CANVA* I0{n7}", "saas"), ("OPENAI *CHATGPT SUBSCR", "saas"), ("AMAZON* {r}", "amazon"),
             ("ARGOS LTD", "tech"), ("ROYAL MAIL", "ship"), ("RYMAN {city}", "office"), ("UDEMY", "learn"),
             ("EVENTBRITE/{r}", "learn"), ("INTERFLORA", "gift"), ("SHUTTERSTOCK", "stock"),
             ("FACEBK *{r}", "ads"), ("STAPLES UK {n4}", "office")],
    "DE01": [("LUFTHANSA {n10}", "air"), ("DB FERNVERKEHR {r}", "air"), ("EUROWINGS {r}", "air"),
             ("MOTEL ONE {city}", "hotel"), ("NH HOTEL {city}", "hotel"), ("25HOURS HOTEL {city}", "hotel"),
             ("FREENOW {r}", "ground"), ("BVG TICKETS", "ground"), ("SIXT {city}", "ground"),
             ("SHELL {n4} {city}", "ground"), ("VAPIANO {city}", "meal"), ("LIEFERANDO.DE", "meal"),
             ("BORCHARDT BERLIN", "meal"), ("COCOLO RAMEN", "meal"), ("CANVA* I0{n7}", "saas"),
             ("OPENAI *CHATGPT SUBSCR", "saas"), ("AMAZON .DE {r}", "amazon"), ("MEDIAMARKT {city}", "tech"),
             ("DEUTSCHE POST {n4}", "ship"), ("UDEMY", "learn"), ("EVENTBRITE/{r}", "learn"),
             ("FLEUROP", "gift"), ("SHUTTERSTOCK", "stock"), ("FACEBK *{r}", "ads"), ("MCPAPER {city}", "office"),
             ("BOARDING WIFI", "wifi")],
}

CLIENT_NOTES = ["client dinner - {cust}", "lunch w/ {cust} team", "onsite {cust}", "{cust} workshop",
                "mtg with {cust}", "{cust} kickoff", "dinner {cust} stakeholders", "{cust} QBR"]
TEAM_NOTES = ["team lunch", "team dinner", "offsite", "team offsite lunch", "sprint demo pizza",
              "farewell lunch", "new hire welcome lunch", "team outing"]
TRAVEL_NOTES = ["trip to {city}", "{city} sales trip", "conference {city}", "SKO travel", "{city} customer visits"]

TYPOS = {"subscription": "subscripton", "invoice": "invocie", "monthly": "montly", "services": "servcies",
         "received": "recieved", "equipment": "equipmnet", "consulting": "consultng", "license": "licence",
         "maintenance": "maintainance", "catering": "cattering"}
ABBREV = {"subscription": "sub", "invoice": "inv", "monthly": "mthly", "services": "svcs", "professional": "prof",
          "consulting": "consult", "development": "dev", "production": "prod", "software": "sw",
          "equipment": "equip", "department": "dept", "management": "mgmt", "January": "Jan"}


def roughen(rng: random.Random, text: str, *, typo: float = 0.03, abbrev: float = 0.15) -> str:
    """Make a memo look typed by a person: some abbreviations, the odd typo, inconsistent case."""
    words = text.split(" ")
    out = []
    for w in words:
        low = w.lower()
        if low in ABBREV and rng.random() < abbrev:
            w = ABBREV[low]
        elif low in TYPOS and rng.random() < typo:
            w = TYPOS[low]
        out.append(w)
    text = " ".join(out)
    r = rng.random()
    if r < 0.04:
        text = text.upper()
    elif r < 0.07:
        text = text.lower()
    return text


def person_name(rng: random.Random, country: str) -> str:
    return f"{rng.choice(FIRST[country])} {rng.choice(LAST[country])}"


def descriptor(rng: random.Random, template: str, entity: str) -> str:
    """Fill a merchant template the way card processors print them."""
    out = template
    for k, width in (("{n10}", 10), ("{n8}", 8), ("{n7}", 7), ("{n5}", 5), ("{n4}", 4), ("{n3}", 3)):
        while k in out:
            out = out.replace(k, "".join(rng.choice("0123456789") for _ in range(width)), 1)
    if "{r}" in out:
        out = out.replace("{r}", "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(9)))
    if "{city}" in out:
        out = out.replace("{city}", rng.choice(CITIES[entity]))
    if "{dow}" in out:
        out = out.replace("{dow}", rng.choice(["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]))
    return out
