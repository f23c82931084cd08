"""Reading evidence screenshots offline: OCR engine, normalisation, field extraction and redaction."""
