"""Standardisation: pure functions from hand-typed department values to comparable forms.

One module per kind of value (ids, names, phones, dates, addresses, organizations). Nothing here
does I/O at call time (reference tables load once, lazily), nothing logs values, and every
function accepts any ``str`` without raising.
"""

import os

from hub.runtime.compiled import extend_package_path

# Names are read character by character (surnames have their own table): pypinyin's phrase
# dictionary, which takes 0.3 s to load at every start, changes none of them (checked on all
# 42,554 distinct names of a 100k-person city). Nothing here alters pypinyin's dictionaries,
# so they need no private copy either. A caller's own setting wins.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")

extend_package_path(__path__, "hub/engine/standardise")  # the mypyc build of these modules, when it matches them

#: Entries each standardiser's cache keeps. A value recurs in every department that holds the
#: person, and the files arrive one department after another, so a repeat comes hundreds of
#: thousands of values later: a smaller cache evicts it first. Cached results are small frozen
#: objects the engine keeps anyway.
CACHE_SIZE = 1 << 20
