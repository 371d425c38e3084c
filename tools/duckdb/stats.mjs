// stats.mjs prints, as one JSON object, what DuckDB reads from a dataset
// file or a glob of part files. The Go interop tests compare it with what
// our reader returns.
//
//   node stats.mjs PATH_OR_GLOB [--keys]
//
// --keys adds the rows' (episode_id, step, rewards) in the order DuckDB
// returns them, to check that a glob over the parts keeps manifest order.
// When the input has the optional state columns (qpos, qvel), their list
// lengths and sums (sum_qpos, sum_qvel) are added too.
// Exit status 1 when DuckDB cannot read the input, 2 on bad usage.
import path from 'node:path';
import { all, connect, quote } from './duck.mjs';

const args = process.argv.slice(2);
const withKeys = args.includes('--keys');
const inputs = args.filter((a) => a !== '--keys');
if (inputs.length !== 1) {
  process.stderr.write('usage: node stats.mjs PATH_OR_GLOB [--keys]\n');
  process.exit(2);
}
const source = quote(path.resolve(inputs[0]));
const vectors = ['observations', 'actions', 'next_observations'];

// number turns DuckDB's BIGINT (a JS bigint) and DOUBLE into a JS number.
const number = (v) => (v === null ? null : Number(v));

async function main() {
  const conn = await connect();
  await conn.run(`CREATE VIEW t AS SELECT * FROM read_parquet(${source})`);

  const lengths = vectors.flatMap((c) => [`min(len(${c}))`, `max(len(${c}))`]);
  const [row] = await all(conn, `SELECT
      count(*),
      sum(rewards::DOUBLE),
      count(*) FILTER (WHERE terminals),
      count(*) FILTER (WHERE timeouts),
      ${lengths.join(', ')},
      sum(list_sum(observations::DOUBLE[])),
      count(DISTINCT episode_id)
    FROM t`);
  const out = {
    rows: number(row[0]),
    sum_rewards: number(row[1]) ?? 0,
    terminals: number(row[2]),
    timeouts: number(row[3]),
    lengths: {},
    sum_observations: number(row[10]) ?? 0,
    episodes: number(row[11]),
  };
  vectors.forEach((c, i) => {
    out.lengths[c] = [number(row[4 + 2 * i]), number(row[5 + 2 * i])];
  });

  // The optional state columns, FixedSizeList<float64> in the Arrow
  // schema, LIST<DOUBLE> in the Parquet schema.
  const names = (await all(conn, 'SELECT column_name FROM (DESCRIBE t)')).map((r) => r[0]);
  for (const c of ['qpos', 'qvel']) {
    if (!names.includes(c)) continue;
    const [s] = await all(conn, `SELECT min(len(${c})), max(len(${c})), sum(list_sum(${c}::DOUBLE[])) FROM t`);
    out.lengths[c] = [number(s[0]), number(s[1])];
    out[`sum_${c}`] = number(s[2]) ?? 0;
  }

  // The metadata of the first file, and how many files disagree with it.
  const kv = await all(conn, `SELECT file_name, decode(key), decode(value)
    FROM parquet_kv_metadata(${source}) ORDER BY file_name, key`);
  out.metadata = {};
  const files = [...new Set(kv.map((r) => r[0]))];
  for (const [file, k, v] of kv) if (file === files[0]) out.metadata[k] = v;
  out.files = number((await all(conn, `SELECT count(*) FROM parquet_file_metadata(${source})`))[0][0]);

  if (withKeys) {
    const keys = await all(conn, 'SELECT episode_id::BIGINT, step::BIGINT, rewards::DOUBLE FROM t');
    out.keys = keys.map((r) => r.map(number));
  }
  return out;
}

try {
  process.stdout.write(JSON.stringify(await main()) + '\n');
} catch (err) {
  process.stderr.write(`stats.mjs: ${inputs[0]}: ${String(err.message).split('\n')[0]}\n`);
  process.exit(1);
}
