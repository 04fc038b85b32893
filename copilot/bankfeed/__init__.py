"""Bank feeds: cleanse statement descriptions (cleanse.py), read feeds and open items (feed.py), match
lines to open AP bills and AR invoices (match.py), group recurring items (recurring.py), and run it all
for a company with coding suggestions and review routing (service.py)."""
