// make-fixtures.mjs writes the foreign Parquet fixtures of
// datasets/interop/testdata with DuckDB's own writer, so that the reader
// is tested on list columns laid out the way DuckDB lays them out.
//
//   node tools/duckdb/make-fixtures.mjs datasets/interop/testdata
//
// The data come from SQL over range(), so rerunning gives the same values.
// Files named reject-*.parquet hold lists our reader must refuse.
import path from 'node:path';
import { connect, quote } from './duck.mjs';

const outDir = process.argv[2];
if (!outDir) {
  process.stderr.write('usage: node make-fixtures.mjs OUT_DIR\n');
  process.exit(2);
}

// rows gives 600 transitions in 12 episodes of 50 steps, obs 3, act 2,
// with elements cast by elem (a SQL type) and ids by id.
function rows({ elem, id, obs = 'obs', extra = '' }) {
  const o = (k) => `[sin(${k})::${elem}, cos(${k})::${elem}, (${k} / 100.0)::${elem}]`;
  return `SELECT (i // 50)::${id} AS episode_id, (i % 50)::${id} AS step,
      ${obs === 'obs' ? o('i') : obs} AS observations,
      [tanh(sin(i * 0.3))::${elem}, (cos(i * 0.7) / 2)::${elem}] AS actions,
      (-(i % 7) / 7.0)::${elem} AS rewards,
      ${o('i + 1')} AS next_observations,
      (i % 50 = 49 AND (i // 50) % 2 = 1) AS terminals,
      (i % 50 = 49 AND (i // 50) % 2 = 0) AS timeouts ${extra}
    FROM range(600) r(i) ORDER BY i`;
}

const fixtures = [
  // DuckDB's usual output: FLOAT[] as a 3-level LIST, optional at every
  // level, several row groups, ZSTD, with key-value metadata.
  ['duckdb-float-lists.parquet', rows({ elem: 'FLOAT', id: 'INTEGER' }),
    "COMPRESSION zstd, ROW_GROUP_SIZE 128, KV_METADATA {producer: 'duckdb', fixture: 'float-lists'}"],
  // DOUBLE lists and BIGINT ids, Snappy, which the reader converts.
  ['duckdb-double-lists.parquet', rows({ elem: 'DOUBLE', id: 'BIGINT' }),
    'COMPRESSION snappy, ROW_GROUP_SIZE 256'],
  // Fixed-size ARRAY columns (FLOAT[3]), which DuckDB also writes as LIST.
  ['duckdb-fixed-arrays.parquet',
    `SELECT episode_id, step, observations::FLOAT[3] AS observations,
       actions::FLOAT[2] AS actions, rewards,
       next_observations::FLOAT[3] AS next_observations, terminals, timeouts
     FROM (${rows({ elem: 'FLOAT', id: 'INTEGER' })})`,
    'COMPRESSION uncompressed'],
  // Format version 2: BYTE_STREAM_SPLIT list floats and RLE_DICTIONARY
  // ids and rewards.
  ['duckdb-v2-pages.parquet', rows({ elem: 'FLOAT', id: 'INTEGER' }),
    'COMPRESSION zstd, PARQUET_VERSION v2, ROW_GROUP_SIZE 200'],
  // One observation list with a NULL element: must be refused.
  ['reject-null-element.parquet',
    rows({ elem: 'FLOAT', id: 'INTEGER',
      obs: "CASE WHEN i = 123 THEN [NULL, 0, 0]::FLOAT[] ELSE [sin(i), cos(i), i / 100.0]::FLOAT[] END" }),
    ''],
  // One empty observation list: must be refused, never read as length 0.
  ['reject-empty-list.parquet',
    rows({ elem: 'FLOAT', id: 'INTEGER',
      obs: "CASE WHEN i = 0 THEN []::FLOAT[] ELSE [sin(i), cos(i), i / 100.0]::FLOAT[] END" }),
    ''],
];

const conn = await connect();
for (const [name, query, options] of fixtures) {
  const file = path.join(outDir, name);
  const opts = ['FORMAT parquet', options].filter(Boolean).join(', ');
  await conn.run(`COPY (${query}) TO ${quote(file)} (${opts})`);
  process.stdout.write(`wrote ${file}\n`);
}
