-- AlterTable
ALTER TABLE "domains" ADD COLUMN "scim_push" TEXT NOT NULL DEFAULT 'off';
ALTER TABLE "domains" ADD CONSTRAINT "domains_scim_push_check" CHECK ("scim_push" IN ('off', 'change', 'admin-reset'));

-- CreateTable
CREATE TABLE "scim_identities" (
    "object_guid" TEXT NOT NULL,
    "domain_id" TEXT NOT NULL,
    "user_principal_name" TEXT NOT NULL,
    "found_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "scim_identities_pkey" PRIMARY KEY ("object_guid")
);
