"""`insights serve`: the built-in, access-aware web page over the marts (see README)."""
