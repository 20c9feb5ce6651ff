-- Delivery guarantees under faults (issue 8, ADR 0009): the operation deadline that the gate
-- and the executor settle with one compare-and-set, the executor's pre-write password version,
-- and the dead letters kept for the CLI.

-- CreateTable
CREATE TABLE "operation_deadlines" (
    "operation_id" UUID NOT NULL,
    "deadline" TIMESTAMPTZ(3) NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "settled_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "operation_deadlines_pkey" PRIMARY KEY ("operation_id"),
    CONSTRAINT "operation_deadlines_state_check" CHECK ("state" IN ('pending', 'claimed', 'expired', 'closed'))
);

-- CreateIndex
CREATE INDEX "operation_deadlines_state_deadline_idx" ON "operation_deadlines"("state", "deadline");

-- CreateTable
CREATE TABLE "executor_writes" (
    "operation_id" UUID NOT NULL,
    "user_dn" TEXT NOT NULL,
    "version_before" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "executor_writes_pkey" PRIMARY KEY ("operation_id")
);

-- CreateTable
CREATE TABLE "dead_letters" (
    "id" BIGSERIAL NOT NULL,
    "source_topic" TEXT NOT NULL,
    "source_position" TEXT NOT NULL,
    "consumer_group" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "issues" JSONB NOT NULL DEFAULT '[]',
    "headers" JSONB NOT NULL DEFAULT '{}',
    "value" BYTEA NOT NULL,
    "dead_lettered_at" TIMESTAMP(3) NOT NULL,
    "recorded_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "replayed_at" TIMESTAMP(3),
    "replayed_by" TEXT,

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "dead_letters_source_topic_source_position_consumer_group_key" ON "dead_letters"("source_topic", "source_position", "consumer_group");

-- CreateIndex
CREATE INDEX "dead_letters_recorded_at_idx" ON "dead_letters"("recorded_at");
