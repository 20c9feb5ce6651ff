-- CreateIndex
CREATE INDEX "operations_created_at_id_idx" ON "operations"("created_at" DESC, "id" DESC);
