"""The ``healthcode`` command for operators and developers."""
