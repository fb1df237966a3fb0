import { describe, expect, it } from 'vitest'
import type { VersionEntry } from '../../../src/domain/catalogue.js'
import { GgenError, ResolveError, UsageError } from '../../../src/domain/errors.js'
import { type LockPin, type Request, type ResolveOptions, resolve } from '../../../src/resolve/resolve.js'
import { ALICE, BOB, CAROL, CAROL_OLD, catalogueOf, release } from './fixtures.js'

const noTrust: ResolveOptions = { trusted: new Set() }

function run(entries: VersionEntry[], requests: Request[], opts: ResolveOptions = noTrust) {
  return resolve(requests, catalogueOf(entries), opts)
}

/** id -> chosen version, for terse assertions. */
function versions(entries: VersionEntry[], requests: Request[], opts: ResolveOptions = noTrust) {
  return Object.fromEntries(run(entries, requests, opts).packages.map((p) => [p.id, p.version]))
}

function failure(fn: () => unknown): GgenError {
  try {
    fn()
  } catch (err) {
    if (err instanceof GgenError) return err
    throw err
  }
  throw new Error('expected an error')
}

function pinOf(entry: VersionEntry): LockPin {
  return { version: entry.version, cid: entry.cid, publisher: entry.publisher, record: entry.record }
}

describe('version choice', () => {
  const pkg = [
    release('pkg', '1.0.0'),
    release('pkg', '1.2.0'),
    release('pkg', '1.10.1'),
    release('pkg', '2.0.0'),
  ]

  it('picks the highest version matching the range, in semver order', () => {
    expect(versions(pkg, [{ id: 'pkg', range: '^1.0.0' }])).toEqual({ pkg: '1.10.1' })
    expect(versions(pkg, [{ id: 'pkg' }])).toEqual({ pkg: '2.0.0' })
    expect(versions(pkg, [{ id: 'pkg', range: '~1.2' }])).toEqual({ pkg: '1.2.0' })
  })

  it('combines the ranges of several requests for one id', () => {
    expect(
      versions(pkg, [
        { id: 'pkg', range: '>=1.1' },
        { id: 'pkg', range: '<1.5' },
      ]),
    ).toEqual({ pkg: '1.2.0' })
  })

  it('skips yanked and conflicted versions', () => {
    const entries = [
      release('pkg', '1.0.0'),
      release('pkg', '1.1.0', { yanked: true }),
      release('pkg', '1.2.0', { conflicted: true, content: 'one' }),
      release('pkg', '1.2.0', { conflicted: true, content: 'two' }),
    ]
    const result = run(entries, [{ id: 'pkg' }])
    expect(result.packages.map((p) => [p.id, p.version, p.locked])).toEqual([['pkg', '1.0.0', false]])
  })

  it('refuses a conflicted version asked for exactly, explaining the two contents', () => {
    const one = release('pkg', '1.2.0', { conflicted: true, content: 'one' })
    const two = release('pkg', '1.2.0', { conflicted: true, content: 'two' })
    const err = failure(() => run([release('pkg', '1.0.0'), one, two], [{ id: 'pkg', range: '=1.2.0' }]))
    expect(err).toBeInstanceOf(ResolveError)
    expect(err.code).toBe('ERR_CONFLICTED')
    expect(err.message).toContain('pkg@1.2.0 is conflicted')
    expect(err.message).toContain('signed two different contents')
    expect(err.message).toContain(one.cid)
    expect(err.message).toContain(two.cid)
  })

  it('does not pick a prerelease for * unless asked to', () => {
    const entries = [release('pkg', '1.0.0'), release('pkg', '2.0.0-beta.1')]
    expect(versions(entries, [{ id: 'pkg' }])).toEqual({ pkg: '1.0.0' })
    expect(versions(entries, [{ id: 'pkg' }], { ...noTrust, includePrerelease: true })).toEqual({
      pkg: '2.0.0-beta.1',
    })
    expect(versions(entries, [{ id: 'pkg', range: '2.0.0-beta.1' }])).toEqual({ pkg: '2.0.0-beta.1' })
  })

  it('rejects a request range that is not semver as a usage error', () => {
    const err = failure(() => run(pkg, [{ id: 'pkg', range: 'banana' }]))
    expect(err).toBeInstanceOf(UsageError)
    expect(err.message).toContain('"banana" is not a semver range')
  })
})

describe('lockfile pins', () => {
  const v100 = release('pkg', '1.0.0')
  const v110 = release('pkg', '1.1.0')

  it('keeps the locked version while it satisfies every range', () => {
    const locked = new Map([['pkg', pinOf(v100)]])
    const result = run([v100, v110], [{ id: 'pkg', range: '^1' }], { ...noTrust, locked })
    expect(result.packages.map((p) => [p.version, p.locked])).toEqual([['1.0.0', true]])
  })

  it('moves off the locked version when a range no longer allows it', () => {
    const locked = new Map([['pkg', pinOf(v100)]])
    expect(versions([v100, v110], [{ id: 'pkg', range: '^1.1' }], { ...noTrust, locked })).toEqual({
      pkg: '1.1.0',
    })
  })

  it('still installs a locked version that was yanked later, but no longer picks it afresh', () => {
    const yanked = { ...v110, yanked: true }
    const locked = new Map([['pkg', pinOf(yanked)]])
    expect(versions([v100, yanked], [{ id: 'pkg' }], { ...noTrust, locked })).toEqual({ pkg: '1.1.0' })
    expect(versions([v100, yanked], [{ id: 'pkg' }])).toEqual({ pkg: '1.0.0' })
  })

  it('refuses a locked version that became conflicted', () => {
    const one = { ...release('pkg', '1.1.0', { content: 'one' }), conflicted: true }
    const two = { ...release('pkg', '1.1.0', { content: 'two' }), conflicted: true }
    const locked = new Map([['pkg', pinOf(one)]])
    const err = failure(() => run([v100, one, two], [{ id: 'pkg' }], { ...noTrust, locked }))
    expect(err.code).toBe('ERR_CONFLICTED')
    expect(err.message).toContain('pkg@1.1.0, pinned by ggen.lock, is conflicted')
  })

  it('refuses to swap the content of a locked version silently', () => {
    const locked = new Map([['pkg', { ...pinOf(v100), cid: release('pkg', '1.0.0', { content: 'x' }).cid }]])
    const err = failure(() => run([v100, v110], [{ id: 'pkg', range: '1.0.0' }], { ...noTrust, locked }))
    expect(err.code).toBe('ERR_LOCK_MISMATCH')
    expect(err.message).toContain(v100.cid)
  })
})

describe('dependency graph', () => {
  it('installs a transitive chain dependencies first and records who needs what', () => {
    const entries = [
      release('a', '1.0.0', { deps: { b: '^1' } }),
      release('b', '1.0.0', { deps: { c: '~2.1' } }),
      release('c', '2.1.3'),
      release('c', '2.2.0'),
    ]
    const result = run(entries, [{ id: 'a' }])
    expect(result.order).toEqual(['c', 'b', 'a'])
    expect(result.packages.map((p) => `${p.id}@${p.version}`)).toEqual(['a@1.0.0', 'b@1.0.0', 'c@2.1.3'])
    const c = result.packages.find((p) => p.id === 'c')!
    expect(c.dependents).toEqual(['b@1.0.0'])
    expect(c.requestedBy).toEqual([{ range: '~2.1', by: 'b@1.0.0' }])
    expect(result.packages[0]!.requestedBy).toEqual([{ range: '*', by: 'your request' }])
  })

  it('picks the highest version common to both sides of a diamond', () => {
    const entries = [
      release('app', '1.0.0', { deps: { left: '^1', right: '^1' } }),
      release('left', '1.0.0', { deps: { base: '>=1.1.0' } }),
      release('right', '1.0.0', { deps: { base: '^1.0.0' } }),
      ...['1.0.0', '1.1.0', '1.5.0', '2.0.0'].map((v) => release('base', v)),
    ]
    const result = run(entries, [{ id: 'app' }])
    expect(result.packages.find((p) => p.id === 'base')!.version).toBe('1.5.0')
    expect(result.order).toEqual(['base', 'left', 'right', 'app'])
    expect(result.packages.find((p) => p.id === 'base')!.dependents).toEqual(['left@1.0.0', 'right@1.0.0'])
  })

  it('names both dependents and their ranges when a diamond cannot be joined', () => {
    const entries = [
      release('app', '1.0.0', { deps: { left: '^1', right: '^1' } }),
      release('left', '1.0.0', { deps: { base: '^1.0.0' } }),
      release('right', '1.0.0', { deps: { base: '^2.0.0' } }),
      release('base', '1.0.0'),
      release('base', '2.0.0'),
    ]
    const err = failure(() => run(entries, [{ id: 'app' }]))
    expect(err.code).toBe('ERR_INCOMPATIBLE')
    expect(err.message).toContain('^1.0.0 (by left@1.0.0)')
    expect(err.message).toContain('^2.0.0 (by right@1.0.0)')
    expect(err.message).toContain('available: 1.0.0, 2.0.0')
  })

  it('revisits a choice when a range found later rules it out', () => {
    // `c` is chosen as 2.0.0 for the request before b's range ^1 on it is seen.
    const entries = [
      release('a', '1.0.0', { deps: { b: '*' } }),
      release('b', '1.0.0', { deps: { c: '^1' } }),
      release('c', '1.5.0'),
      release('c', '2.0.0', { deps: { ghost: '*' } }),
    ]
    const result = run(entries, [{ id: 'a' }, { id: 'c' }])
    expect(result.packages.map((p) => `${p.id}@${p.version}`)).toEqual(['a@1.0.0', 'b@1.0.0', 'c@1.5.0'])
    expect(result.packages.find((p) => p.id === 'c')!.requestedBy).toEqual([
      { range: '*', by: 'your request' },
      { range: '^1', by: 'b@1.0.0' },
    ])
  })

  it('settles on a consistent graph when choices would otherwise ping-pong', () => {
    // Round 1 holds a and b at 1.0.0 for p@2.0.0, then drops p to 1.0.0; choosing a and b
    // afresh from `*` would flip both to 2.0.0, whose ranges flip both back, forever.
    const entries = [
      release('p', '1.0.0'),
      release('p', '2.0.0', { deps: { a: '1.0.0', b: '1.0.0' } }),
      release('a', '1.0.0', { deps: { p: '1.0.0' } }),
      release('a', '2.0.0', { deps: { b: '1.0.0' } }),
      release('b', '1.0.0'),
      release('b', '2.0.0', { deps: { a: '1.0.0' } }),
    ]
    const result = run(entries, [{ id: 'p' }, { id: 'a' }, { id: 'b' }])
    expect(result.packages.map((p) => `${p.id}@${p.version}`)).toEqual(['a@1.0.0', 'b@1.0.0', 'p@1.0.0'])
    const chosen = new Map(result.packages.map((p) => [p.id, p.version]))
    for (const p of result.packages) {
      for (const [dep, range] of Object.entries(p.manifest.dependencies)) {
        expect(chosen.get(dep), `${p.id}@${p.version} needs ${dep} ${range}`).toBe(range)
      }
    }
  })

  it('names a dependency cycle', () => {
    const entries = [
      release('a', '1.0.0', { deps: { b: '^1' } }),
      release('b', '1.0.0', { deps: { a: '^1' } }),
    ]
    const err = failure(() => run(entries, [{ id: 'a' }]))
    expect(err.code).toBe('ERR_CYCLE')
    expect(err.message).toContain('dependency cycle: a -> b -> a')
  })
})

describe('errors that name the packages', () => {
  it('reports an unknown id with what to check and how to look for it', () => {
    const err = failure(() => run([release('pkg', '1.0.0')], [{ id: 'pgk' }]))
    expect(err.code).toBe('ERR_NOT_FOUND')
    expect(err.message).toContain('no package pgk is known to this node')
    expect(err.message).toContain('`ggen-market search pgk`')
  })

  it('names the dependent of a missing dependency', () => {
    const err = failure(() => run([release('pkg', '1.0.0', { deps: { ghost: '^1' } })], [{ id: 'pkg' }]))
    expect(err.code).toBe('ERR_NOT_FOUND')
    expect(err.message).toContain('no package ghost is known to this node (a dependency of pkg@1.0.0)')
  })

  it('lists the available versions, with their state, when none matches', () => {
    const entries = [
      release('pkg', '1.0.0'),
      release('pkg', '1.1.0', { yanked: true }),
      release('pkg', '2.0.0', { conflicted: true }),
      release('pkg', '3.0.0-rc.1'),
    ]
    const err = failure(() => run(entries, [{ id: 'pkg', range: '^1.1' }]))
    expect(err.code).toBe('ERR_NO_MATCH')
    expect(err.message).toContain('no installable version of pkg matches ^1.1 (by your request)')
    expect(err.message).toContain(
      'available: 1.0.0, 1.1.0 (yanked), 2.0.0 (conflicted), 3.0.0-rc.1 (prerelease)',
    )
  })
  it('tells the user to move the dependent when its range matches nothing here', () => {
    const entries = [release('app', '1.0.0', { deps: { lib: '^2' } }), release('lib', '1.0.0')]
    const err = failure(() => run(entries, [{ id: 'app' }]))
    expect(err.code).toBe('ERR_NO_MATCH')
    expect(err.message).toContain(
      'no installable version of lib matches ^2 (by app@1.0.0); available: 1.0.0.',
    )
    expect(err.message).toContain('ask for another version of app')
  })
})

describe('owner choice', () => {
  const contested = [
    release('pkg', '1.0.0', { publisher: ALICE }),
    release('pkg', '1.1.0', { publisher: ALICE }),
    release('pkg', '9.0.0', { publisher: BOB }),
  ]

  it('names every claimant with its fingerprint and version count, and says what to do', () => {
    const err = failure(() => run(contested, [{ id: 'pkg' }]))
    expect(err.code).toBe('ERR_AMBIGUOUS_OWNER')
    expect(err.message).toContain('pkg is claimed by 2 publishers')
    expect(err.message).toContain(`${ALICE} (fingerprint AL1CE111): 2 versions, latest 1.1.0`)
    expect(err.message).toContain(`${BOB} (fingerprint BoBB2222): 1 version, latest 9.0.0`)
    expect(err.message).toContain('--publisher KEY')
    expect(err.message).toContain('ggen-market trust add KEY')
  })

  it('follows an explicit publisher, given in full or by fingerprint', () => {
    expect(versions(contested, [{ id: 'pkg', publisher: ALICE }])).toEqual({ pkg: '1.1.0' })
    expect(versions(contested, [{ id: 'pkg', publisher: 'BoBB2222' }])).toEqual({ pkg: '9.0.0' })
  })

  it('follows trust when exactly one claimant is trusted', () => {
    expect(versions(contested, [{ id: 'pkg' }], { trusted: new Set([BOB]) })).toEqual({ pkg: '9.0.0' })
    const both = failure(() => run(contested, [{ id: 'pkg' }], { trusted: new Set([ALICE, BOB]) }))
    expect(both.code).toBe('ERR_AMBIGUOUS_OWNER')
    expect(both.message).toContain('you trust 2 of them')
  })

  it('keeps the publisher the lockfile pins, over trust', () => {
    const locked = new Map([['pkg', pinOf(contested[0]!)]])
    const result = run(contested, [{ id: 'pkg' }], { trusted: new Set([BOB]), locked })
    expect(result.packages.map((p) => [p.version, p.publisher, p.locked])).toEqual([['1.0.0', ALICE, true]])
  })

  it('refuses another key when the pinned publisher is unknown here', () => {
    const locked = new Map([['pkg', { ...pinOf(contested[0]!), publisher: CAROL }]])
    const err = failure(() => run([contested[2]!], [{ id: 'pkg' }], { ...noTrust, locked }))
    expect(err.code).toBe('ERR_LOCKED_PUBLISHER')
    expect(err.message).toContain(`ggen.lock pins pkg to ${CAROL}`)
    expect(err.message).toContain(BOB)
  })

  it('refuses a requested publisher that is not a claimant, naming the claimants', () => {
    const err = failure(() => run(contested, [{ id: 'pkg', publisher: CAROL }]))
    expect(err.code).toBe('ERR_NOT_CLAIMANT')
    expect(err.message).toContain(`${CAROL} has not published pkg`)
    expect(err.message).toContain(ALICE)
    expect(err.message).toContain(BOB)
  })

  it('counts a rotated key and its successor as one owner', () => {
    const rotated = [
      release('pkg', '1.0.0', { publisher: CAROL_OLD, owner: CAROL }),
      release('pkg', '1.1.0', { publisher: CAROL_OLD, owner: CAROL }),
      release('pkg', '2.0.0', { publisher: CAROL }),
    ]
    const result = run(rotated, [{ id: 'pkg', range: '^1' }])
    expect(result.packages.map((p) => [p.version, p.publisher, p.owner])).toEqual([
      ['1.1.0', CAROL_OLD, CAROL],
    ])
    const err = failure(() => run([...rotated, release('pkg', '3.0.0', { publisher: BOB })], [{ id: 'pkg' }]))
    expect(err.message).toContain('pkg is claimed by 2 publishers')
    expect(err.message).toContain(`${CAROL} (fingerprint CARo3333): 3 versions, latest 2.0.0`)
  })
})
