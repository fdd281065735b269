"""Authority list files (SPEC §5, §10): case lists and risk areas from CSV/XLSX, checked row by row."""
