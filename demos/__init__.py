"""`hub demo`: drivers above everything — a round trip of one event per department (`roundtrip`) and a
generated city through connectors and processors (`city`)."""
