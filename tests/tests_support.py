"""Importable test data (conftest is not importable by name)."""

from conftest import BASE_POLICY, policy_file

__all__ = ["BASE_POLICY", "policy_file"]
