"""Excel ledgers of inspections (placeholder until written)."""
