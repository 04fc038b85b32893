"""GL Copilot for Sage Intacct: suggest, validate and audit GL account + dimension coding."""

__version__ = "0.1.0"
