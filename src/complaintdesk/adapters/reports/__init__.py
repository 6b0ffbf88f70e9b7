"""Report outputs: Excel workbooks (openpyxl), charts (matplotlib, Agg) and printable HTML."""
