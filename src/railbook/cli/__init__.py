"""The `railbook` command line."""
