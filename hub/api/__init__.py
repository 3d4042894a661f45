"""The hub's HTTP app (`hub serve`): the routers of each area on one FastAPI app, and the one place
where domain errors become HTTP answers."""
