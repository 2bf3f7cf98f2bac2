"""The pages of hot issues, one module per audience.

- `log`: the log and its CSV export (advocates' main screen), and one row re-rendered for htmx.
- `actions`: logging an issue and working it from its page or its log row.
- `public`: the customer's form and tracking link (no sign-in).
- `mentions`: web-mention feeds and the triage list.
- `program_settings`: a program's response targets and departments.
- `imports`: CSV imports of mystery-shop visits and survey responses.
- `customers`: a program's customers, one customer's page and timeline, merging two records.

Views parse the request, check access at the top, call a service or selector
and render. htmx requests get partials (the log's results, one row).
"""
