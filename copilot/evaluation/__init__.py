"""Evaluations: the engine and its baselines on a time split, anomaly detection, matching."""
