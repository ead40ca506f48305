"""Importing the store's Excel archives (DMS, manufacturer programme, old archives).

reading.py turns an uploaded file into rows, refusing what is not a safe spreadsheet;
headers.py finds the header row and maps the Chinese column names; values.py parses cells.
"""
