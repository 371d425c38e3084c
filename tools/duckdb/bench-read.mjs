// bench-read.mjs times DuckDB materialising a Parquet file in memory
// (CREATE TABLE ... AS SELECT * FROM read_parquet), best of 5, with a
// given number of threads, and prints "duckdb_read_seconds: S".
//
//   node tools/duckdb/bench-read.mjs FILE THREADS
import path from 'node:path';
import { all, connect, quote } from './duck.mjs';

const [file, threads] = process.argv.slice(2);
if (!file || !(Number(threads) >= 1)) {
  process.stderr.write('usage: node bench-read.mjs FILE THREADS\n');
  process.exit(2);
}
const conn = await connect();
await conn.run(`SET threads = ${Number(threads)}`);
const source = quote(path.resolve(file));
let best = Infinity;
let rows = 0;
for (let i = 0; i < 5; i++) {
  await conn.run('DROP TABLE IF EXISTS t');
  const start = performance.now();
  await conn.run(`CREATE TABLE t AS SELECT * FROM read_parquet(${source})`);
  best = Math.min(best, (performance.now() - start) / 1000);
  rows = Number((await all(conn, 'SELECT count(*) FROM t'))[0][0]);
}
process.stdout.write(`duckdb_threads: ${threads}\nduckdb_rows: ${rows}\n`);
process.stdout.write(`duckdb_read_seconds: ${best.toFixed(4)}\n`);
