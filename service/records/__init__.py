"""The decision record: sealed bundles assembled from the database, and the documents and
exports made from them (PDF, CSV, XLSX, BLT, PrefLib, pabulib, code slips)."""
