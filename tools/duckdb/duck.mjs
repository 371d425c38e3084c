// duck.mjs loads @duckdb/node-api from the folder `make deps` installs it
// into, so the scripts here run from the source tree without a
// node_modules folder of their own.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

// modulesDir is OFFRL_DUCKDB_MODULES, or the repository's .cache/duckdb.
export const modulesDir =
  process.env.OFFRL_DUCKDB_MODULES || path.join(here, '..', '..', '.cache', 'duckdb');

// connect opens an in-memory database and returns a connection.
export async function connect() {
  const req = createRequire(path.join(modulesDir, 'package.json'));
  let api;
  try {
    api = await import(pathToFileURL(req.resolve('@duckdb/node-api')).href);
  } catch (err) {
    throw new Error(`@duckdb/node-api not found under ${modulesDir} (run make deps): ${err.message}`);
  }
  const db = await api.DuckDBInstance.create(':memory:');
  return db.connect();
}

// quote makes s a SQL string literal.
export const quote = (s) => `'${String(s).replaceAll("'", "''")}'`;

// all runs a query and returns its rows as plain JS values.
export async function all(conn, sql) {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowsJS();
}
