"""Scoring: analysis parts -> score, segment, priority, reasons (pure)."""
