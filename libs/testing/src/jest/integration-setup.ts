// Integration tests start real services (PostgreSQL, Kafka-protocol brokers, NestJS processes);
// their hooks legitimately take longer than jest's 5 s default. Assertions still wait on
// conditions with their own, shorter timeouts.
jest.setTimeout(180_000);
