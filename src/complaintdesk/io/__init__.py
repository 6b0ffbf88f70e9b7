"""Reading and writing tables: the one reader of .csv/.xlsx every importer uses, and workbooks.
Encodings (UTF-8, BOM, GB18030, UTF-16), header clean-up, xlsx size and ratio limits.
"""
