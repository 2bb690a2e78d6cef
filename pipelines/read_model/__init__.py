"""The read model: every query of the published marts, for every reader of them.

The page (pipelines/web), the digest, the refresh summary, the freshness checks and the access
audit read the marts only through this package, on DuckDB and PostgreSQL alike:
- `connection`: one read-only connection per use (the serving DuckDB catalog, or PostgreSQL
  under the member's role), rows as dicts, portable `?` placeholders;
- `scope`: who may see which client, the filter every member-facing query takes;
- `queries`: the SQL itself. Figures are computed in dbt; here they are only selected, summed
  over a date range or filtered to a scope.
"""
