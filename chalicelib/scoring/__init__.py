"""Per-click scoring: pure feature functions over plain data, and the decision they add up to."""
