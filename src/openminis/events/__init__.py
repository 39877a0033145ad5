"""The analytics events: what happened, appended to a column store (DuckDB embedded, or the
PostgreSQL table at scale) and buffered before it is written. Foundation: every domain records
events here and the reports of analytics read them; it imports no domain."""
