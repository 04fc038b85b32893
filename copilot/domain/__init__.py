"""Pure domain model: no I/O, no HTTP, no storage. Everything above imports from here."""

from copilot.domain.dimensions import STANDARD_DIMENSIONS, DimensionValue, canonical_dimension
from copilot.domain.master import Account, Company, Customer, Employee, Entity, Project, Vendor
from copilot.domain.entries import JournalEntry, JournalLine, Posting
from copilot.domain.money import money, parse_money
from copilot.domain.suggestions import (DimensionCombination, Evidence, RankedCoding, Suggestion,
                                         SuggestionRequest)

__all__ = [
    "STANDARD_DIMENSIONS", "DimensionValue", "canonical_dimension",
    "Account", "Company", "Customer", "Employee", "Entity", "Project", "Vendor",
    "JournalEntry", "JournalLine", "Posting", "money", "parse_money",
    "DimensionCombination", "Evidence", "RankedCoding", "Suggestion", "SuggestionRequest",
]
