"""Scripts that the repository's workflows run; not part of the service, nor of its wheel."""
