// Prisma CLI configuration (Prisma 7 reads the connection URL from here, not from schema.prisma).
//
// Only needed by the Prisma CLI: `prisma generate` (see scripts/generate.js, which works offline)
// and, in a connected environment, `prisma migrate deploy|status|diff`. Services never load this
// file; at runtime they use createPrismaClient() and applyMigrations() from this package.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  // process.env rather than env(): env() throws when DATABASE_URL is unset, and `prisma generate`
  // must work without a database.
  datasource: { url: process.env['DATABASE_URL'] ?? '' },
});
