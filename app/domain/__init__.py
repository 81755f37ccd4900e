"""Pure domain rules: standard library only, no framework, no database."""
