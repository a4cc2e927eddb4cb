"""Engines turn a generation request into media; see ``base`` for the contract."""
