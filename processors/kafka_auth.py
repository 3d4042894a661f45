"""The processors' Kafka credentials: the same `HubSettings.kafka_security` as every librdkafka client of
the hub, in the form faust (aiokafka) takes them (`broker_credentials`)."""

from __future__ import annotations

import ssl

import faust

from hub.settings import KafkaSecurity

__all__ = ["broker_credentials"]


def broker_credentials(security: KafkaSecurity) -> faust.SASLCredentials | faust.SSLCredentials | None:
    """None on PLAINTEXT; TLS with the configured CA (and client certificate); SASL with or without TLS."""
    context: ssl.SSLContext | None = None
    if "SSL" in security.protocol:
        context = ssl.create_default_context(cafile=str(security.ssl_ca_file) if security.ssl_ca_file else None)
        if security.ssl_cert_file is not None and security.ssl_key_file is not None:
            key_password = security.ssl_key_password.get_secret_value() if security.ssl_key_password else None
            context.load_cert_chain(str(security.ssl_cert_file), str(security.ssl_key_file), password=key_password)
    if security.protocol.startswith("SASL_"):
        assert security.sasl_password is not None  # the settings model requires it for SASL
        password = security.sasl_password.get_secret_value()
        return faust.SASLCredentials(username=security.sasl_username, password=password,
                                     mechanism=security.sasl_mechanism, ssl_context=context)
    if context is not None:
        return faust.SSLCredentials(context)
    return None
