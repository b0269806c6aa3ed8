"""Tag computation: the compiled plan turned into Delta tag tables."""
