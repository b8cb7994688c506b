"""observations stage."""
