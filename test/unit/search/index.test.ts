import { describe, expect, it } from 'vitest'
import { UsageError } from '../../../src/domain/errors.js'
import type { Manifest } from '../../../src/domain/types.js'
import {
  documentKey,
  MAX_QUERY_LENGTH,
  SearchIndex,
  type SearchSource,
  TYPO_THRESHOLD,
  toSearchDocument,
} from '../../../src/search/index.js'

const ADA = 'did:key:z6MkAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAdaAda'
const BOB = 'did:key:z6MkBobBobBobBobBobBobBobBobBobBobBobBobBobBob'

function source(
  id: string,
  fields: Partial<Manifest> & { owner?: string; published?: number } = {},
): SearchSource {
  const { owner = ADA, published = 1_700_000_000_000, ...m } = fields
  const manifest: Manifest = {
    id,
    name: id,
    version: '0.1.0',
    description: '',
    license: 'MIT',
    authors: [],
    keywords: [],
    categories: [],
    dependencies: {},
    extra: {},
    ...m,
  }
  return { id, owner, version: manifest.version, published, manifest }
}

const CATALOGUE: SearchSource[] = [
  source('io.ggen.rust.cli-subcommand', {
    name: 'Rust CLI Subcommand',
    description: 'Generate clap subcommands for Rust CLI applications',
    keywords: ['clap', 'cli'],
    categories: ['cli'],
    authors: ['Ada Lovelace <ada@example.org>'],
  }),
  source('io.acme.python.argparse-helpers', {
    name: 'Argparse Helpers',
    description: 'Helpers for Python programs; one of them generates a subcommand skeleton',
    keywords: ['python'],
    categories: ['tooling'],
    owner: BOB,
  }),
  source('io.ggen.web.page-template', {
    name: 'Web Page Template',
    description: 'An HTML template with a responsive layout',
    keywords: ['html', 'Template'],
    categories: ['web', 'Frontend'],
  }),
  source('io.ggen.rust.axum-service', {
    name: 'Axum Service',
    description: 'A Rust web service template built on axum and tokio',
    keywords: ['axum', 'rust'],
    categories: ['backend', 'web'],
    owner: BOB,
  }),
]

const index = SearchIndex.build(CATALOGUE)
const ids = (query: string, opts = {}) => index.search(query, opts).results.map((r) => r.id)

describe('SearchIndex ranking and matching', () => {
  it('ranks an id and title match above a description-only match', () => {
    expect(ids('subcommand')).toEqual(['io.ggen.rust.cli-subcommand', 'io.acme.python.argparse-helpers'])
  })

  it('returns results shaped like `search --json`', () => {
    const res = index.search('axum')
    expect(res.total).toBe(1)
    expect(res.results[0]).toEqual({
      id: 'io.ggen.rust.axum-service',
      title: 'Axum Service',
      version: '0.1.0',
      description: 'A Rust web service template built on axum and tokio',
      publisher: BOB,
      score: expect.any(Number),
    })
    expect(res.results[0]?.score).toBeGreaterThan(0)
  })

  it('matches a prefix of a word', () => {
    expect(ids('subcomm')[0]).toBe('io.ggen.rust.cli-subcommand')
    expect(ids('argpar')).toEqual(['io.acme.python.argparse-helpers'])
  })

  it('tolerates typos in longer words', () => {
    expect(ids('subcomand')[0]).toBe('io.ggen.rust.cli-subcommand')
    expect(ids('temlpate')).toContain('io.ggen.web.page-template')
    expect(ids('temlpate')).toContain('io.ggen.rust.axum-service')
  })

  it('tolerates typos only when the words as typed find less than a page', () => {
    const widgets = (exact: number) =>
      SearchIndex.build([
        ...Array.from({ length: exact }, (_, i) => source(`io.x.w${i}`, { description: 'a widget' })),
        source('io.x.typo', { description: 'a wodget' }),
      ])
    expect(widgets(TYPO_THRESHOLD).search('widget').total).toBe(TYPO_THRESHOLD)
    expect(widgets(3).search('widget').total).toBe(4)
  })

  it('does not guess at typos in short words', () => {
    expect(index.search('xli').total).toBe(0)
  })

  it('finds packages by the parts of their dotted id', () => {
    expect(ids('cli')[0]).toBe('io.ggen.rust.cli-subcommand')
    expect(ids('acme')).toEqual(['io.acme.python.argparse-helpers'])
    expect(ids('page')).toEqual(['io.ggen.web.page-template'])
  })

  it('does not treat the leading domain of reverse-DNS ids as a word', () => {
    expect(index.search('io').total).toBe(0)
    expect(ids('io.ggen.rust')).toEqual(['io.ggen.rust.cli-subcommand', 'io.ggen.rust.axum-service'])
    expect(ids('io.ggen rust')).toEqual(['io.ggen.rust.cli-subcommand', 'io.ggen.rust.axum-service'])
  })

  it('puts the package first when its id, or the start of it, is typed', () => {
    expect(ids('io.ggen.rust.axum-service')[0]).toBe('io.ggen.rust.axum-service')
    expect(ids('io.ggen.rust.cli-sub')[0]).toBe('io.ggen.rust.cli-subcommand')
    // Same words, other order: only the whole id tells them apart.
    const twins = SearchIndex.build([
      source('io.ggen.rust.service-axum', { name: 'Axum Service' }),
      source('io.ggen.rust.axum-service', { name: 'Axum Service' }),
      source('io.ggen.rust.axum-service-extras', { name: 'Axum Service' }),
    ])
    for (const query of ['io.ggen.rust.service-axum', 'io.ggen.rust.axum-service']) {
      expect(twins.search(query).results[0]?.id).toBe(query)
    }
  })

  it('requires every word of a multi-word query when some package has them all', () => {
    expect(ids('rust template')).toEqual(['io.ggen.rust.axum-service'])
  })

  it('falls back to any word when no package has them all', () => {
    expect(ids('axum flibbertigibbet')).toEqual(['io.ggen.rust.axum-service'])
  })

  it('rejects an over-long query', () => {
    expect(() => index.search('x'.repeat(MAX_QUERY_LENGTH + 1))).toThrow(UsageError)
  })

  it('finds nothing for a query of stop words only', () => {
    expect(index.search('the of and')).toEqual({ total: 0, results: [] })
  })
})

describe('SearchIndex filters, limit and listing', () => {
  it('filters by category, case-insensitively', () => {
    expect(ids('template', { category: 'backend' })).toEqual(['io.ggen.rust.axum-service'])
    expect(ids('template', { category: 'FRONTEND' })).toEqual(['io.ggen.web.page-template'])
    expect(index.search('subcommand', { category: 'web' }).total).toBe(0)
  })

  it('filters by keyword, case-insensitively', () => {
    expect(ids('template', { keyword: 'template' })).toEqual(['io.ggen.web.page-template'])
    expect(ids('rust', { keyword: 'Clap' })).toEqual(['io.ggen.rust.cli-subcommand'])
  })

  it('filters by exact publisher key', () => {
    expect(ids('rust', { publisher: BOB })).toEqual(['io.ggen.rust.axum-service'])
    expect(index.search('rust', { publisher: BOB.slice(0, 20) }).total).toBe(0)
  })

  it('combines filters', () => {
    expect(ids('', { category: 'web', publisher: ADA })).toEqual(['io.ggen.web.page-template'])
  })

  it('lists every matching package, by id, for an empty query', () => {
    expect(ids('', { category: 'web' })).toEqual(['io.ggen.rust.axum-service', 'io.ggen.web.page-template'])
    expect(index.search('  ').total).toBe(4)
  })

  it('reports the total beyond the limit', () => {
    const many = SearchIndex.build(
      Array.from({ length: 25 }, (_, i) =>
        source(`io.x.gen-${String(i).padStart(2, '0')}`, { description: 'widget' }),
      ),
    )
    expect(many.search('widget', { limit: 2 })).toMatchObject({ total: 25, results: [{}, {}] })
    expect(many.search('widget').results).toHaveLength(20)
    expect(many.search('widget', { limit: 0 })).toEqual({ total: 25, results: [] })
  })

  it('rejects a limit that is not a whole number of 0 or more', () => {
    expect(() => index.search('rust', { limit: -1 })).toThrow(UsageError)
    expect(() => index.search('rust', { limit: 1.5 })).toThrow(/--limit/)
  })
})

describe('SearchIndex updates', () => {
  it('replaces the older version of a package on upsert, without a duplicate', () => {
    const idx = SearchIndex.build([
      source('io.x.widget', { version: '0.1.0', description: 'an obsolete gizmo' }),
    ])
    idx.upsert(toSearchDocument(source('io.x.widget', { version: '0.2.0', description: 'a shiny gadget' })))
    expect(idx.size).toBe(1)
    expect(idx.search('widget').results.map((r) => r.version)).toEqual(['0.2.0'])
    expect(idx.search('gadget').total).toBe(1)
    expect(idx.search('gizmo').total).toBe(0)
  })

  it('re-indexes a document whose only change is one keyword, and keeps an unchanged one as it was', () => {
    const idx = SearchIndex.build([source('io.x.widget', { keywords: ['alpha', 'beta'] })])
    idx.upsert(toSearchDocument(source('io.x.widget', { keywords: ['alpha', 'beta'] })))
    expect(idx.search('', { keyword: 'beta' }).total).toBe(1)
    idx.upsert(toSearchDocument(source('io.x.widget', { keywords: ['alpha', 'gamma'] })))
    expect(idx.size).toBe(1)
    expect(idx.search('', { keyword: 'beta' }).total).toBe(0)
    expect(idx.search('gamma').results.map((r) => r.id)).toEqual(['io.x.widget'])
  })

  it('keeps one result per owner of the same id', () => {
    const idx = SearchIndex.build([
      source('io.x.widget', { owner: ADA, version: '1.0.0' }),
      source('io.x.widget', { owner: BOB, version: '2.0.0' }),
    ])
    const res = idx.search('widget')
    expect(res.total).toBe(2)
    expect(res.results.map((r) => [r.publisher, r.version]).sort()).toEqual([
      [ADA, '1.0.0'],
      [BOB, '2.0.0'],
    ])
    expect(idx.search('widget', { publisher: BOB }).results.map((r) => r.version)).toEqual(['2.0.0'])
  })

  it('knows the document keys of each id, across owners, upserts and removals', () => {
    const idx = SearchIndex.empty()
    idx.upsertSource(source('io.x.widget', { owner: ADA }))
    idx.upsertSource(source('io.x.widget', { owner: BOB }))
    idx.upsertSource(source('io.x.widget', { owner: BOB, version: '0.2.0' }))
    expect(idx.keysOf('io.x.widget').sort()).toEqual(
      [documentKey('io.x.widget', ADA), documentKey('io.x.widget', BOB)].sort(),
    )
    idx.remove(documentKey('io.x.widget', ADA))
    expect(idx.keysOf('io.x.widget')).toEqual([documentKey('io.x.widget', BOB)])
    idx.remove(documentKey('io.x.widget', BOB))
    expect(idx.keysOf('io.x.widget')).toEqual([])
    expect(idx.keysOf('io.x.other')).toEqual([])
  })

  it('removes a package by key', () => {
    const idx = SearchIndex.build(CATALOGUE)
    expect(idx.remove(documentKey('io.ggen.rust.axum-service', BOB))).toBe(true)
    expect(idx.remove(documentKey('io.ggen.rust.axum-service', BOB))).toBe(false)
    expect(idx.search('axum').total).toBe(0)
    expect(idx.size).toBe(3)
  })
})
