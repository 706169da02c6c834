"""Lead files: CSV, XLSX, TXT or stdin in, a stream of :class:`LeadRow` out.

    from hunter import leadfile
    for row in leadfile.read("müşteriler.csv", max_rows=50_000):
        ...  # row.row, row.value, row.column, row.company, row.fields

See docs/input-files.md for formats, encodings and header rules.
"""

from hunter.leadfile.reader import Format, LeadRow, detect_format, read

__all__ = ["Format", "LeadRow", "detect_format", "read"]
