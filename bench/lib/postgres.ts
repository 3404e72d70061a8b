import pg from 'pg';

// Each stage that needs PostgreSQL gets a database of its own on the server of DATABASE_URL
// (default: the local server), dropped at the end of the run.

export const BASE_URL = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';

export type FreshDatabase = { url: string; name: string; drop(): Promise<void> };

const created: FreshDatabase[] = [];

export async function query<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string, values?: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export async function postgresReachable(): Promise<string | undefined> {
  try {
    await query(BASE_URL, 'select 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export async function freshDatabase(label: string): Promise<FreshDatabase> {
  const name = `postgate_bench_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await query(BASE_URL, `create database ${name}`);
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  const db: FreshDatabase = {
    url: url.toString(),
    name,
    drop: async () => {
      await query(BASE_URL, `drop database if exists ${name} with (force)`);
    },
  };
  created.push(db);
  return db;
}

export async function dropAllCreated(): Promise<void> {
  for (const db of created.splice(0)) await db.drop().catch(() => undefined);
}
