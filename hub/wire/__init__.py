"""The Kafka wire: how records travel as registry-framed Avro events.

Topics and their policy (`topics`), the schema catalogue and its registration (`schema_catalog`,
`schema_sync`), the Confluent-compatible registry client (`registry_client`), Avro encoding and
decoding (`serde`, `avro_mapping`, and the fast writer for bulk files: `avro_writer`, `events`),
and consumer-group offsets (`lag`).
"""
