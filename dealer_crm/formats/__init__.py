"""Date formats per language, over Django's (`FORMAT_MODULE_PATH`): tables and detail pages use
`SHORT_DATE_FORMAT` / `SHORT_DATETIME_FORMAT`, which read 2026-03-05 in Chinese as the store's
paperwork does, and 5 Mar 2026 in English (never the ambiguous 03/05/2026)."""
