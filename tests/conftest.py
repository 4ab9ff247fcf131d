"""Shared fixtures: a real emulator on free ports, and CI's rule that missing services fail."""
