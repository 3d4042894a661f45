"""The Redis read model: master records and their lookup indexes, written by the processors and read
by the service window (`store` holds the key layout, the batch writes and the reads; `codec` the stored
format of documents, records and address texts)."""
