-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "domains" (
    "id" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "ldap_urls" TEXT[],
    "base_dn" TEXT NOT NULL,
    "upn_suffixes" TEXT[],
    "bind_dn" TEXT NOT NULL,
    "bind_secret_ref" TEXT NOT NULL,
    "tls_ca_pem" TEXT,
    "tls_server_name" TEXT,
    "public_key" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "writeback_enabled" BOOLEAN NOT NULL DEFAULT true,
    "engine_owns_domain" BOOLEAN NOT NULL DEFAULT true,
    "allow_unlock_without_reset" BOOLEAN NOT NULL DEFAULT false,
    "policy" JSONB NOT NULL DEFAULT '{"refuse":[],"allow":[],"allowWidening":false}',
    "scope" JSONB NOT NULL DEFAULT '{"organizationalUnits":[],"groups":[],"ldapFilter":null}',
    "audit_retention_days" INTEGER,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "domains_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "operations" (
    "id" UUID NOT NULL,
    "status" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "target_upn" TEXT NOT NULL,
    "domain_id" TEXT,
    "initiator" JSONB NOT NULL,
    "caller" JSONB NOT NULL,
    "reason_code" TEXT,
    "reason_message" TEXT,
    "correlation_id" TEXT NOT NULL,
    "traceparent" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "completed_at" TIMESTAMP(3),

    CONSTRAINT "operations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "operation_events" (
    "event_id" UUID NOT NULL,
    "operation_id" UUID NOT NULL,
    "sequence" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "occurred_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "operation_events_pkey" PRIMARY KEY ("event_id")
);

-- CreateTable
CREATE TABLE "sealed_credentials" (
    "operation_id" UUID NOT NULL,
    "domain_id" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "sealed" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sealed_credentials_pkey" PRIMARY KEY ("operation_id")
);

-- CreateTable
CREATE TABLE "audit_records" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "operation_id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "domain_id" TEXT,
    "target_upn" TEXT,
    "occurred_at" TIMESTAMP(3) NOT NULL,
    "recorded_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "correlation_id" TEXT NOT NULL,
    "traceparent" TEXT,
    "payload" JSONB NOT NULL,
    "chain" TEXT NOT NULL,
    "chain_seq" BIGINT NOT NULL,
    "prev_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "audit_records_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "bus_messages" (
    "offset" BIGSERIAL NOT NULL,
    "topic" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "headers" JSONB NOT NULL,
    "value" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "bus_messages_pkey" PRIMARY KEY ("offset")
);

-- CreateTable
CREATE TABLE "bus_consumer_offsets" (
    "group_id" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "committed" BIGINT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "bus_consumer_offsets_pkey" PRIMARY KEY ("group_id","topic")
);

-- CreateTable
CREATE TABLE "outbox_messages" (
    "id" BIGSERIAL NOT NULL,
    "producer" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "headers" JSONB NOT NULL,
    "value" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outbox_messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "executor_outcomes" (
    "operation_id" UUID NOT NULL,
    "domain_id" TEXT NOT NULL,
    "event" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "executor_outcomes_pkey" PRIMARY KEY ("operation_id")
);

-- CreateTable
CREATE TABLE "audit_checkpoints" (
    "chain" TEXT NOT NULL,
    "chain_seq" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_checkpoints_pkey" PRIMARY KEY ("chain")
);

-- CreateIndex
CREATE INDEX "operations_target_upn_idx" ON "operations"("target_upn");

-- CreateIndex
CREATE INDEX "operations_status_idx" ON "operations"("status");

-- CreateIndex
CREATE UNIQUE INDEX "operation_events_operation_id_sequence_key" ON "operation_events"("operation_id", "sequence");

-- CreateIndex
CREATE UNIQUE INDEX "audit_records_event_id_key" ON "audit_records"("event_id");

-- CreateIndex
CREATE INDEX "audit_records_operation_id_occurred_at_idx" ON "audit_records"("operation_id", "occurred_at");

-- CreateIndex
CREATE INDEX "audit_records_target_upn_id_idx" ON "audit_records"("target_upn", "id");

-- CreateIndex
CREATE INDEX "audit_records_domain_id_id_idx" ON "audit_records"("domain_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "audit_records_chain_chain_seq_key" ON "audit_records"("chain", "chain_seq");

-- CreateIndex
CREATE INDEX "bus_messages_topic_offset_idx" ON "bus_messages"("topic", "offset");

-- CreateIndex
CREATE INDEX "outbox_messages_producer_id_idx" ON "outbox_messages"("producer", "id");
