"""Batch import: Intacct CSV import files (journal entries, AP bills) enriched with suggested codings.

    copilot import bills.csv --kind apbill --out bills.enriched.csv

reads the file as a stream (template.py), asks the engine for every line in chunks (one
``suggest_many`` call per chunk), validates the enriched lines, sends doubtful ones to the review queue
and writes the enriched CSV atomically per chunk with a checkpoint beside it (runner.py), so an
interrupted import resumes where it stopped without repeating work or review items.
"""
