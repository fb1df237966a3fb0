/**
 * Ed25519 implementation choice and the crypto+decode cost of ingesting a record.
 *
 * Run: npx vitest bench --run test/bench/ed25519.bench.ts
 *
 * node:crypto (OpenSSL) against @noble/ed25519 3 (pure JS, sync API wired to node's
 * SHA-512), both on the same 1 KiB message in the same run. On the reference machine (2
 * shared cores) node:crypto verified at ~8,000/s (median 119 us) against noble's ~550/s
 * (median 1.76 ms), about 14x, and signed about 3x faster; so src/domain/ed25519.ts uses
 * node:crypto, and @noble/ed25519 is left only as the cross-check in
 * test/unit/domain/keys.test.ts. Caching the public KeyObject saves ~1/3 of a verify.
 * The "record" group measures what ingest does with each record from a peer: decode
 * (size cap, dag-cbor, schema, canonical check, CID) and verify the signature.
 * GGEN_BENCH_FULL=1 uses more publishers and records.
 */
import { createHash, createPublicKey, verify as nodeVerify, randomBytes } from 'node:crypto'
import * as noble from '@noble/ed25519'
import { CID } from 'multiformats/cid'
import { afterAll, type BenchResult, describe, test } from 'vitest'
import { signBytes, verifyBytes } from '../../src/domain/ed25519.js'
import { generatePublisherKey, verify } from '../../src/domain/keys.js'
import { decodeRecord, openRecord, signRecord, verifyRecord } from '../../src/domain/records.js'
import type { RecordBlock, ReleaseBody } from '../../src/domain/types.js'

noble.hashes.sha512 = (m) => new Uint8Array(createHash('sha512').update(m).digest())

const FULL = process.env.GGEN_BENCH_FULL === '1'
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

const key = generatePublisherKey()
const msg = new Uint8Array(randomBytes(1024))
const sig = signBytes(key.secretKey, msg)

const TIME_MS = FULL ? 2000 : 500
const report: string[] = []
afterAll(() =>
  console.log(`\ned25519 benchmark summary (ops/s, mean / median / p99 latency)\n${report.join('\n')}`),
)

const us = (ms: number) => `${(ms * 1000).toFixed(1).padStart(7)} us`

function record(group: string, names: string[], results: { get: (name: string) => BenchResult }): void {
  report.push(group)
  for (const name of names) {
    const { throughput, latency } = results.get(name)
    report.push(
      `  ${name.padEnd(58)} ${throughput.mean.toFixed(0).padStart(8)} ops/s  ` +
        `mean ${us(latency.mean)}  p50 ${us(latency.p50)}  p99 ${us(latency.p99)}`,
    )
  }
}

describe('ed25519', () => {
  test('verify, 1 KiB message', async ({ bench }) => {
    const cases: [string, () => boolean][] = [
      ['node:crypto, cached KeyObject (chosen)', () => verifyBytes(key.publicKey, msg, sig)],
      [
        'node:crypto, KeyObject built per call',
        () =>
          nodeVerify(
            null,
            msg,
            createPublicKey({
              key: Buffer.concat([SPKI_PREFIX, key.publicKey]),
              format: 'der',
              type: 'spki',
            }),
            sig,
          ),
      ],
      ['node:crypto via did:key (did decode + cached KeyObject)', () => verify(key.did, msg, sig)],
      ['@noble/ed25519', () => noble.verify(sig, msg, key.publicKey)],
    ]
    for (const [name, fn] of cases) if (!fn()) throw new Error(`${name}: verify failed`)
    const results = await bench.compare(...cases.map(([name, fn]) => bench(name, fn)), { time: TIME_MS })
    record(
      'verify, 1 KiB message',
      cases.map(([name]) => name),
      results,
    )
  })

  test('sign, 1 KiB message', async ({ bench }) => {
    const cases: [string, () => void][] = [
      ['node:crypto (chosen)', () => signBytes(key.secretKey, msg)],
      ['@noble/ed25519', () => noble.sign(msg, key.secretKey)],
    ]
    const results = await bench.compare(...cases.map(([name, fn]) => bench(name, fn)), { time: TIME_MS })
    record(
      'sign, 1 KiB message',
      cases.map(([name]) => name),
      results,
    )
  })
})

const CONTENT = CID.parse('bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi')

/** A release like a real one: a manifest of ~15 fields, about 1 KiB encoded. */
function realisticRelease(publisher: string, n: number, prev: CID | undefined): ReleaseBody {
  const id = `io.ggen.bench.package-${n}`
  const version = `1.${n % 50}.${n % 7}`
  return {
    type: 'release',
    network: 'ggen',
    publisher,
    time: 1_760_000_000_000 + n * 1000,
    seq: prev === undefined ? 1 : n + 1,
    ...(prev === undefined ? {} : { prev }),
    id,
    version,
    cid: CONTENT,
    size: 48_213 + n,
    manifest: {
      id,
      name: `Bench Package ${n}`,
      version,
      description:
        'Generate clap subcommands, argument parsers and completion scripts for Rust command line ' +
        'applications, with tests and documentation scaffolding included for each subcommand.',
      license: 'MIT OR Apache-2.0',
      authors: ['Ada Lovelace <ada@example.org>', 'Charles Babbage <charles@example.org>'],
      keywords: ['rust', 'cli', 'clap', 'subcommand', 'codegen', 'templates'],
      categories: ['templates', 'rust'],
      repository: 'https://github.com/example/ggen-rust-cli-subcommand',
      homepage: 'https://example.org/gpacks/rust-cli-subcommand',
      ggen_compat: '>=0.1.0',
      dependencies: {
        'io.ggen.macros.std': '^0.1',
        'io.ggen.rust.base': '^1.2.0',
        'io.ggen.docs': '>=0.3 <1',
      },
      extra: {
        templates: { patterns: ['*.tmpl', 'cli/**/*.tmpl'], includes: ['partials/'] },
        rdf: { base: 'http://example.org/cli#', files: ['ontology.ttl'] },
        preset: { name: 'default', vars: { edition: '2021', features: ['derive', 'env'] } },
      },
    },
  }
}

const publishers = Array.from({ length: FULL ? 100 : 10 }, () => generatePublisherKey())
const perPublisher = FULL ? 50 : 10
const records: RecordBlock[] = []
for (const publisher of publishers) {
  let prev: CID | undefined
  for (let n = 0; n < perPublisher; n++) {
    const block = signRecord(realisticRelease(publisher.did, n, prev), publisher)
    records.push(block)
    prev = block.cid
  }
}
const meanBytes = Math.round(records.reduce((sum, r) => sum + r.bytes.length, 0) / records.length)
const decoded = records.map((r) => decodeRecord(r.bytes))

describe('record ingest', () => {
  test(`${records.length} releases from ${publishers.length} keys, ~${meanBytes} bytes each`, async ({
    bench,
  }) => {
    let i = 0
    const cases: [string, () => void][] = [
      [
        'decode + verify (openRecord)',
        () => {
          const r = records[i++ % records.length]!
          openRecord(r.bytes, r.cid)
        },
      ],
      [
        'decode only (size, dag-cbor, schema, canonical, CID)',
        () => {
          const r = records[i++ % records.length]!
          decodeRecord(r.bytes, r.cid)
        },
      ],
      ['verify only', () => verifyRecord(decoded[i++ % decoded.length]!)],
    ]
    const results = await bench.compare(...cases.map(([name, fn]) => bench(name, fn)), { time: TIME_MS })
    record(
      `record ingest, ${records.length} releases, ~${meanBytes} bytes each`,
      cases.map(([name]) => name),
      results,
    )
  })
})
