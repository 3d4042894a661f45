"""The service window: the API street-level service halls read the city's master records through.

Why a package of its own: disclosure is policy (purposes, masking, grants, jurisdiction) and proof
(the hash-chained audit), each a small module that can be read and tested alone; the routes only
put them in order. Reads come from the Redis read model only, so the window keeps answering while
Kafka, the registry or the processors are down.
"""
