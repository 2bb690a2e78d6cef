"""Preparing other transformation engines than DuckDB (PostgreSQL) to run the dbt project."""
