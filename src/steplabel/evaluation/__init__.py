"""Scoring labelers against records with known first errors (ProcessBench's metric)."""
