"""Cells that are safe to open in a spreadsheet (CSV/XLSX exports and import templates)."""

# A cell starting with one of these runs as a formula in Excel or LibreOffice (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
