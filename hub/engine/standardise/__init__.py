"""Standardisation: pure functions from hand-typed department values to comparable forms.

One module per kind of value (ids, names, phones, dates, addresses, organisations). Nothing here
does I/O at call time (reference tables load once, lazily), nothing logs values, and every
function accepts any ``str`` without raising.
"""
