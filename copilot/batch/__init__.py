"""Batch import: Intacct CSV import files (journal entries, AP bills) enriched with suggested codings.

    copilot import bills.csv --kind apbill --out bills.enriched.csv

reads the file as a stream (template.py), codes it chunk by chunk (coder.py: one ``suggest_many`` call,
the coding to write, validation of the enriched lines, explanations), in worker processes when the
file is large (parallel.py), sends doubtful lines to the review queue and writes the enriched CSV
atomically per chunk, in file order, with a checkpoint beside it (runner.py), so an interrupted import
resumes where it stopped without repeating work or review items.
"""
