"""Halte: case management for a rapid intervention cell against school bullying."""
