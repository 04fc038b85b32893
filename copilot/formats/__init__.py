"""Intacct payloads in and out, in the shapes of /work/shared/intacct/FORMATS.md.

records / gldetail   Intacct rows (dict[str, str]) <-> domain objects (accounts, dimensions, postings...)
company_dir          a company as readByQuery response pages on disk: write, stream, read
intacct_xml          Web Services XML: SDK-exact requests, responses at every level, GLBATCH payloads
intacct_errors       typed Intacct failures (control / authentication / result; retryable or not)
intacct_json         journal entries as JSON (operation wrapper, verb form, bare GLBATCH) and REST
journal_csv          the journal-entry CSV import template
glbatch, xmlrows, common   shared helpers

Input is accepted in any letter case and both spellings (DEPARTMENT / DEPARTMENTID...); output is
the SDK's form. Every failure is a copilot.errors.ParseError naming the line and field.
"""
