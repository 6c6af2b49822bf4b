"""Scripts that maintain the template repository's generated files."""
