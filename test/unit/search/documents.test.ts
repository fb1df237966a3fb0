import { describe, expect, it } from 'vitest'
import type { VersionEntry } from '../../../src/domain/catalogue.js'
import type { Manifest } from '../../../src/domain/types.js'
import { documentKey, latestSources, toSearchDocument } from '../../../src/search/documents.js'

const ADA = 'did:key:z6MkAda'
const BOB = 'did:key:z6MkBob'

function entry(id: string, version: string, fields: Partial<VersionEntry> = {}): VersionEntry {
  const manifest: Manifest = {
    id,
    name: `${id} ${version}`,
    version,
    description: `release ${version}`,
    license: 'MIT',
    authors: [],
    keywords: [],
    categories: [],
    dependencies: {},
    extra: {},
  }
  return {
    id,
    version,
    cid: `cid-${id}-${version}`,
    record: `rec-${id}-${version}`,
    publisher: ADA,
    owner: ADA,
    published: 1,
    size: 10,
    manifest,
    yanked: false,
    conflicted: false,
    ...fields,
  }
}

const versions = (entries: VersionEntry[]) =>
  latestSources(entries).map((s) => `${s.id}@${s.version} ${s.owner}`)

describe('latestSources', () => {
  it('picks the highest version that is neither yanked nor conflicted', () => {
    expect(
      versions([
        entry('a', '1.2.0'),
        entry('a', '1.10.0'),
        entry('a', '2.0.0', { yanked: true }),
        entry('a', '1.11.0', { conflicted: true }),
      ]),
    ).toEqual([`a@1.10.0 ${ADA}`])
  })

  it('prefers a stable release over a newer pre-release, but shows a pre-release-only package', () => {
    expect(versions([entry('a', '1.0.0'), entry('a', '2.0.0-beta.1'), entry('b', '0.1.0-rc.1')])).toEqual([
      `a@1.0.0 ${ADA}`,
      `b@0.1.0-rc.1 ${ADA}`,
    ])
  })

  it('keeps one source per owner of an id', () => {
    expect(
      versions([entry('a', '1.0.0'), entry('a', '3.0.0', { owner: BOB, publisher: BOB })]).sort(),
    ).toEqual([`a@1.0.0 ${ADA}`, `a@3.0.0 ${BOB}`])
  })

  it('leaves out a package whose every version is yanked or conflicted', () => {
    expect(
      versions([entry('a', '1.0.0', { yanked: true }), entry('a', '1.1.0', { conflicted: true })]),
    ).toEqual([])
  })

  it('carries the chosen version’s manifest and publish time', () => {
    const [s] = latestSources([entry('a', '1.0.0', { published: 5 }), entry('a', '0.9.0', { published: 9 })])
    expect(s?.published).toBe(5)
    expect(s?.manifest.description).toBe('release 1.0.0')
  })
})

describe('toSearchDocument', () => {
  it('keys the document by id and owner, and indexes author names without e-mail', () => {
    const [s] = latestSources([entry('io.x.a', '1.0.0')])
    if (s === undefined) throw new Error('no source')
    s.manifest.authors = ['Ada Lovelace <ada@example.org>', 'Bob (https://bob.example)']
    const doc = toSearchDocument(s)
    expect(doc.key).toBe(documentKey('io.x.a', ADA))
    expect(doc.key).not.toBe(documentKey('io.x.a', BOB))
    expect(doc.authors).toEqual(['Ada Lovelace', 'Bob'])
    expect(doc).toMatchObject({ id: 'io.x.a', owner: ADA, version: '1.0.0', title: 'io.x.a 1.0.0' })
  })

  it('uses the id as the title when the manifest has no name', () => {
    const [s] = latestSources([entry('io.x.a', '1.0.0')])
    if (s === undefined) throw new Error('no source')
    s.manifest.name = ''
    expect(toSearchDocument(s).title).toBe('io.x.a')
  })
})
