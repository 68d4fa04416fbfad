"""Reports: a report model built from the analytics, rendered to HTML, XLSX and PDF."""
