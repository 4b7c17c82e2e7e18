"""The read-only API under /api/v1/ (docs/api.md): the pages' filters, rows and figures as JSON."""
