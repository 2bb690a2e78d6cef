"""Client Insights: the Dagster code location."""
