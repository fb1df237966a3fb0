import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Manifest } from '../../../src/domain/types.js'
import { documentKey, SearchIndex, type SearchSource, toSearchDocument } from '../../../src/search/index.js'
import { INDEX_FORMAT_VERSION, loadIndex, saveIndex } from '../../../src/search/persist.js'

const OWNER = 'did:key:z6MkOwner'

function source(id: string, description: string, version = '1.0.0'): SearchSource {
  const manifest: Manifest = {
    id,
    name: id,
    version,
    description,
    license: 'MIT',
    authors: [],
    keywords: ['gen'],
    categories: ['cli'],
    dependencies: {},
    extra: {},
  }
  return { id, owner: OWNER, version, published: 1, manifest }
}

const SOURCES = [
  source('io.ggen.rust.cli-subcommand', 'Generate clap subcommands'),
  source('io.ggen.web.page-template', 'An HTML page template'),
  source('io.ggen.sql.migration-runner', 'Runs schema migrations'),
]

let dir: string
let file: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggen-search-'))
  file = join(dir, 'search-index.json')
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('saveIndex / loadIndex', () => {
  it('round-trips an index: the loaded one answers exactly like the saved one', async () => {
    const index = SearchIndex.build(SOURCES)
    index.upsert(toSearchDocument(source('io.ggen.web.page-template', 'A responsive page layout', '1.1.0')))
    index.remove(documentKey('io.ggen.sql.migration-runner', OWNER))
    await saveIndex(index, file, 7)
    const loaded = await loadIndex(file, 7)
    expect(loaded).toBeInstanceOf(SearchIndex)
    expect(loaded?.size).toBe(2)
    for (const q of ['subcomand', 'layout', 'template', 'migration', '']) {
      expect(loaded?.search(q, { category: 'cli' })).toEqual(index.search(q, { category: 'cli' }))
    }
    expect(loaded?.search('layout').results[0]?.version).toBe('1.1.0')
    expect(loaded?.keysOf('io.ggen.web.page-template')).toEqual([
      documentKey('io.ggen.web.page-template', OWNER),
    ])
  })

  it('leaves no temporary file behind and replaces an earlier save', async () => {
    await saveIndex(SearchIndex.build(SOURCES), file, 1)
    await saveIndex(SearchIndex.build(SOURCES.slice(0, 1)), file, 2)
    expect(await readdir(dir)).toEqual(['search-index.json'])
    expect((await loadIndex(file, 2))?.size).toBe(1)
  })

  it('returns undefined for an index saved at another generation', async () => {
    await saveIndex(SearchIndex.build(SOURCES), file, 'gen-3')
    expect(await loadIndex(file, 'gen-4')).toBeUndefined()
    expect(await loadIndex(file, 3)).toBeUndefined()
    expect(await loadIndex(file, 'gen-3')).toBeDefined()
  })

  it('returns undefined when there is no file', async () => {
    expect(await loadIndex(join(dir, 'absent.json'), 1)).toBeUndefined()
  })

  it('returns undefined for an index of another format version', async () => {
    await saveIndex(SearchIndex.build(SOURCES), file, 1)
    const data = JSON.parse(await readFile(file, 'utf8'))
    await writeFile(file, JSON.stringify({ ...data, version: INDEX_FORMAT_VERSION + 1 }))
    expect(await loadIndex(file, 1)).toBeUndefined()
  })

  it('returns undefined, without throwing, for a corrupt file', async () => {
    await saveIndex(SearchIndex.build(SOURCES), file, 1)
    const text = await readFile(file, 'utf8')
    const data = JSON.parse(text)
    const corruptions = [
      text.slice(0, Math.floor(text.length / 2)),
      '',
      '\u0000\u0001garbage',
      'null',
      '[]',
      JSON.stringify({ version: INDEX_FORMAT_VERSION, generation: 1 }),
      JSON.stringify({ version: INDEX_FORMAT_VERSION, generation: 1, index: {} }),
      JSON.stringify({
        ...data,
        index: { ...data.index, search: { ...data.index.search, serializationVersion: 99 } },
      }),
      JSON.stringify({
        ...data,
        index: { ...data.index, search: { ...data.index.search, fieldIds: { text: 0 } } },
      }),
      JSON.stringify({
        ...data,
        index: { ...data.index, search: { ...data.index.search, documentIds: {} } },
      }),
      JSON.stringify({ ...data, index: { ...data.index, docs: data.index.docs.slice(1) } }),
      JSON.stringify({ ...data, index: { ...data.index, docs: null } }),
    ]
    for (const corrupt of corruptions) {
      await writeFile(file, corrupt)
      expect(await loadIndex(file, 1)).toBeUndefined()
    }
  })
})
