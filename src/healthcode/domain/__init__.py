"""The pure core: rules and values with no I/O, no web framework, no ORM.

Everything here takes plain facts (numbers, strings, datetimes, a clock) and returns values or
raises a typed :class:`~healthcode.domain.errors.DomainError`. It may import the standard library
and small pure libraries (cryptography, phonenumbers, python-stdnum), never litestar, sqlalchemy,
jinja2 or ``healthcode.db``; ``tests/test_architecture.py`` enforces that.
"""
