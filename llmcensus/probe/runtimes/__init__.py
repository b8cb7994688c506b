"""probe/runtimes stage."""
