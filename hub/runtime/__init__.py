"""Process-level plumbing both drivers of the engine use, standard library only: which compiled
build to load (`compiled`) and the collector pause around building a city (`gc_pause`)."""
