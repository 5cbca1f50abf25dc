"""Recasting against the published Belle II B+ -> K+ nu nubar likelihood (arXiv:2311.14647)."""
