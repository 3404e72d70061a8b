import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes a new SQL migration into drizzle/ from src/db/schema.ts and schema-events.ts.
// The same migrations run on PGlite and on PostgreSQL.
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/db/schema.ts', './src/db/schema-events.ts', './src/db/schema-templates.ts', './src/db/schema-logs.ts'],
  out: './drizzle',
});
