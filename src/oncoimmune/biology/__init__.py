"""Immune-system building blocks: term roles, observables, and escape mechanisms."""
