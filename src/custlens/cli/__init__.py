"""The `custlens` command line: thin typer commands over the library."""
