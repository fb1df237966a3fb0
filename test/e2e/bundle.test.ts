/**
 * Air-gapped sync through the real binary: a realistic catalogue (200 packages from a
 * dozen publishers, with dependencies and a few ids claimed twice) is exported from one
 * home and imported into a fresh one that never saw it; search, info and install then
 * answer exactly alike. The bundle is read with @ipld/car's own iterator, imports run
 * offline and through the daemon (with progress), and exit codes follow SPEC 6.
 */
import { createReadStream } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CarBlockIterator } from '@ipld/car/iterator'
import { stringify } from 'smol-toml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generatePublisherKey, type PublisherKey } from '../../src/domain/keys.js'
import { socketPathFor } from '../../src/node/home.js'
import { initHome } from '../../src/node/init.js'
import { LocalNode } from '../../src/node/local-node.js'
import { publishPackage } from '../../src/node/publish.js'
import { type SyntheticRelease, syntheticReleases } from '../bench/synthetic.js'
import { cli, tempDir } from '../helpers/cli.js'
import { killDaemons, rpc, startDaemon } from '../helpers/daemon.js'

const PACKAGES = 200

let work: Awaited<ReturnType<typeof tempDir>>
let source: string
let fresh: string
let bundle: string
let catalogue: SyntheticRelease[]

const on = (home: string) => ({ run: (...args: string[]) => cli(['--home', home, ...args]) })

/** Writes a gpack directory for a synthetic release: its manifest, a README and two templates. */
async function writeGpack(parent: string, release: SyntheticRelease, n: number): Promise<string> {
  const m = release.manifest
  const dir = join(parent, `${n}-${m.id}`)
  await mkdir(join(dir, 'templates'), { recursive: true })
  const toml = stringify({
    gpack: {
      id: m.id,
      name: m.name,
      version: m.version,
      description: m.description,
      license: m.license,
      authors: m.authors,
      keywords: m.keywords,
      categories: m.categories,
    },
    dependencies: m.dependencies,
    templates: { patterns: ['templates/*.tmpl'] },
  })
  await writeFile(join(dir, 'gpack.toml'), toml)
  await writeFile(join(dir, 'README.md'), `# ${m.name}\n\n${m.description}\n`)
  await writeFile(join(dir, 'templates', 'main.tmpl'), `// ${m.id}@${m.version}\n{{ name }}\n`)
  await writeFile(join(dir, 'templates', 'extra.tmpl'), `${'{{ field }}\n'.repeat(50 + (n % 200))}`)
  return dir
}

/** Publishes the catalogue into `home`, each synthetic owner signing with its own real key. */
async function publishCatalogue(home: string): Promise<void> {
  await initHome(home)
  const node = await LocalNode.open(home, {})
  try {
    const keys = new Map<string, PublisherKey>()
    const content = await node.content()
    for (const [n, release] of catalogue.entries()) {
      let key = keys.get(release.owner)
      if (key === undefined) {
        key = generatePublisherKey()
        keys.set(release.owner, key)
      }
      const ctx = {
        ingest: node.ingestContext,
        store: node.store,
        content,
        key,
        network: node.config.network,
        maxPackageBytes: node.config.max_package_bytes,
      }
      await publishPackage(ctx, await writeGpack(join(work.path, 'gpacks'), release, n))
    }
  } finally {
    await node.close()
  }
}

/** The ids `id` depends on, transitively, itself included. */
function closureOf(id: string, seen = new Set<string>()): Set<string> {
  if (seen.has(id)) return seen
  seen.add(id)
  for (const r of catalogue.filter((r) => r.id === id)) {
    for (const dep of Object.keys(r.manifest.dependencies)) closureOf(dep, seen)
  }
  return seen
}

/** Ids whose whole dependency closure has one claimant each, so install needs no --publisher. */
function installable(): string[] {
  const claims = new Map<string, number>()
  for (const r of catalogue) claims.set(r.id, (claims.get(r.id) ?? 0) + 1)
  return [...claims.keys()].filter((id) => [...closureOf(id)].every((dep) => claims.get(dep) === 1))
}

beforeAll(async () => {
  work = await tempDir('ggen-bundle-e2e-')
  source = join(work.path, 'source')
  fresh = join(work.path, 'fresh')
  bundle = join(work.path, 'catalogue.car')
  catalogue = syntheticReleases(PACKAGES, { seed: 7, sharedIdRate: 0.02 })
  await publishCatalogue(source)
  expect(on(fresh).run('init', '--json').status).toBe(0)
}, 240_000)
afterAll(async () => {
  await killDaemons()
  await work.cleanup()
})

describe('a 200-package catalogue carried across the gap', () => {
  it('exports to a standard CAR file and imports cleanly into a home that never saw it', async () => {
    const exported = on(source).run('export', bundle, '--json')
    expect(exported.status, exported.stderr).toBe(0)
    const summary = exported.json()
    expect(summary).toMatchObject({ records: PACKAGES, packages: PACKAGES, skipped: [] })
    expect(summary.bytes).toBe((await readFile(bundle)).byteLength)

    // @ipld/car's own streaming reader, not the project's code path
    const car = await CarBlockIterator.fromIterable(createReadStream(bundle))
    const roots = await car.getRoots()
    let count = 0
    let first: string | undefined
    for await (const block of car) {
      first ??= block.cid.toString()
      count++
    }
    expect(roots.map(String)).toEqual([first])
    expect(count).toBe(summary.blocks)

    const imported = on(fresh).run('import', bundle, '--json')
    expect(imported.status, imported.stderr).toBe(0)
    expect(imported.json()).toMatchObject({
      clean: true,
      records: { added: PACKAGES, duplicate: 0, rejected: 0 },
      packages: { complete: PACKAGES, incomplete: 0 },
      problems: [],
    })
  })

  it('search --json and info --json answer byte for byte alike', async () => {
    for (const query of ['rust cli', 'template', 'graphql resolver', 'kubernetes helm', 'sdk']) {
      const a = on(source).run('search', ...query.split(' '), '--limit', '1000', '--json')
      const b = on(fresh).run('search', ...query.split(' '), '--limit', '1000', '--json')
      expect(a.status).toBe(0)
      expect(b.stdout).toBe(a.stdout)
    }
    const ids = [...new Set(catalogue.map((r) => r.id))]
    for (const id of ids.filter((_, i) => i % 20 === 0)) {
      const a = on(source).run('info', id, '--json')
      const b = on(fresh).run('info', id, '--json')
      expect(b.status).toBe(a.status)
      expect(b.stdout).toBe(a.stdout)
    }
    // every id, in process: one open per home rather than 400 processes
    const [na, nb] = [await LocalNode.open(source, {}), await LocalNode.open(fresh, {})]
    try {
      for (const id of ids) expect(await nb.info(id)).toEqual(await na.info(id))
      expect(await nb.search({ query: 'generate', limit: 1000 })).toEqual(
        await na.search({ query: 'generate', limit: 1000 }),
      )
    } finally {
      await na.close()
      await nb.close()
    }
  })

  it('installs the same packages, lockfile and files from both homes', async () => {
    const deepest = installable()
      .sort((x, y) => closureOf(y).size - closureOf(x).size)
      .slice(0, 3)
    const a = on(source).run('install', ...deepest, '--dir', join(work.path, 'pa'), '--json')
    const b = on(fresh).run('install', ...deepest, '--dir', join(work.path, 'pb'), '--json')
    expect(a.status, a.stderr).toBe(0)
    expect(b.status, b.stderr).toBe(0)
    expect(b.stdout.replaceAll(join(work.path, 'pb'), 'DIR')).toBe(
      a.stdout.replaceAll(join(work.path, 'pa'), 'DIR'),
    )
    expect(a.json().installed.length).toBeGreaterThan(3)
    expect(await readFile(join(work.path, 'pb', 'ggen.lock'), 'utf8')).toBe(
      await readFile(join(work.path, 'pa', 'ggen.lock'), 'utf8'),
    )
    const verify = on(fresh).run('verify', '--dir', join(work.path, 'pb'), '--json')
    expect(verify.status, verify.stderr).toBe(0)
    expect(verify.json().packages).toBe(a.json().installed.length)
  })

  it('a second import of the same bundle changes nothing and exits 0', () => {
    const again = on(fresh).run('import', bundle, '--json')
    expect(again.status, again.stderr).toBe(0)
    expect(again.json()).toMatchObject({
      clean: true,
      records: { added: 0, duplicate: PACKAGES },
      blocksAdded: 0,
    })
  })
})

describe('exit codes', () => {
  it('an unclean bundle prints its report and exits 1; a non-bundle prints the error and exits 1', async () => {
    const cut = join(work.path, 'cut.car')
    const bytes = await readFile(bundle)
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length * 0.8)))
    const home = join(work.path, 'cut-home')
    expect(on(home).run('init').status).toBe(0)
    const res = on(home).run('import', cut, '--json')
    expect(res.status).toBe(1)
    const report = res.json()
    expect(report.clean).toBe(false)
    expect(report.records.added).toBe(PACKAGES)
    expect(report.problems).toContainEqual(expect.objectContaining({ kind: 'file-truncated' }))

    const human = on(home).run('import', cut)
    expect(human.status).toBe(1)
    expect(human.stderr).toMatch(/warning: the file ends in the middle of a block/)
    expect(human.stdout).toMatch(/Imported with problems/)

    const junk = join(work.path, 'junk.car')
    await writeFile(junk, 'definitely not a bundle')
    const bad = on(home).run('import', junk, '--json')
    expect(bad.status).toBe(1)
    expect(bad.json().error.code).toBe('ERR_BUNDLE_NOT_CAR')
  })

  it('a --since that is not a date is a usage error (exit 2)', () => {
    const res = on(source).run('export', join(work.path, 'x.car'), '--since', 'last tuesday')
    expect(res.status).toBe(2)
    expect(res.stderr).toMatch(/--since "last tuesday" is not a date/)
  })
})

describe('through the daemon', () => {
  it('imports and exports with progress notifications, the same as offline', async () => {
    const home = join(work.path, 'daemon-home')
    expect(on(home).run('init').status).toBe(0)
    await startDaemon(home, ['--listen', '/ip4/127.0.0.1/tcp/0'], { GGEN_MARKET_MDNS: '0' })

    const events: { type: string }[] = []
    const report = await rpc<{ clean: boolean; records: { added: number } }>(
      socketPathFor(home),
      'importBundle',
      { file: bundle },
      {
        timeoutMs: 120_000,
        onNotification: (method, params) => {
          if (method === 'progress') events.push((params as { event: { type: string } }).event)
        },
      },
    )
    expect(report).toMatchObject({ clean: true, records: { added: PACKAGES } })
    expect(events.some((e) => e.type === 'bundle:read')).toBe(true)
    expect(events.at(-1)).toEqual({ type: 'bundle:check', packages: PACKAGES, totalPackages: PACKAGES })

    const out = join(work.path, 'from-daemon.car')
    const exported = on(home).run('export', out, '--id', catalogue[0]!.id, '--json')
    expect(exported.status, exported.stderr).toBe(0)
    expect(exported.json()).toMatchObject({ file: out, skipped: [] })
    expect(exported.json().records).toBeGreaterThanOrEqual(1)

    const status = on(home).run('status', '--json').json()
    expect(status).toMatchObject({ mode: 'daemon', records: PACKAGES })
  })
})
