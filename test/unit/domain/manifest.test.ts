import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { stringify } from 'smol-toml'
import { afterEach, describe, expect, it } from 'vitest'
import { TomlSyntaxError, ValidationError } from '../../../src/domain/errors.js'
import { parseManifest, readManifest, validateManifest } from '../../../src/domain/manifest.js'
import type { Manifest } from '../../../src/domain/types.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const fixture = (name: string): string => path.join(root, 'test/fixtures/manifests', name)

const VALID_GPACK = `
[gpack]
id = "io.ggen.rust.cli-subcommand"
name = "Rust CLI Subcommand"
version = "0.1.0"
description = "Generate clap subcommands for Rust CLI applications"
license = "MIT"
ggen_compat = ">=0.1.0"
authors = ["Ada <ada@example.org>"]
keywords = ["rust", "cli"]
categories = ["rust"]
repository = "https://git.example.org/cli"
homepage = "https://example.org/cli"
maintained = true
released = 2024-05-01

[dependencies]
"io.ggen.macros.std" = "^0.1"

[templates]
patterns = ["*.tmpl"]

[rdf]
base = "http://example.org/"
prefixes.ex = "http://example.org/"
generated = 1979-05-27T07:32:00Z

[preset]
vars = { author = "Acme", count = 3, ratio = 0.5 }
`

describe('parseManifest: gpack.toml', () => {
  it('maps [gpack] and [dependencies] and keeps every other table unchanged in extra', () => {
    const { manifest, problems, warnings, source } = parseManifest(VALID_GPACK, 'gpack.toml')
    expect(problems).toEqual([])
    expect(warnings).toEqual([])
    expect(source).toBe('gpack.toml')
    expect(manifest).toEqual({
      id: 'io.ggen.rust.cli-subcommand',
      name: 'Rust CLI Subcommand',
      version: '0.1.0',
      description: 'Generate clap subcommands for Rust CLI applications',
      license: 'MIT',
      ggen_compat: '>=0.1.0',
      authors: ['Ada <ada@example.org>'],
      keywords: ['rust', 'cli'],
      categories: ['rust'],
      repository: 'https://git.example.org/cli',
      homepage: 'https://example.org/cli',
      dependencies: { 'io.ggen.macros.std': '^0.1' },
      extra: {
        gpack: { maintained: true, released: '2024-05-01' },
        templates: { patterns: ['*.tmpl'] },
        rdf: {
          base: 'http://example.org/',
          prefixes: { ex: 'http://example.org/' },
          generated: '1979-05-27T07:32:00.000Z',
        },
        preset: { vars: { author: 'Acme', count: 3, ratio: 0.5 } },
      },
    })
  })

  it('gives plain data a dag-cbor record can carry: no undefined, no TOML dates, plain objects', () => {
    const { manifest } = parseManifest('[gpack]\nid = "a"\n[x]\nwhen = 07:32:00\n', 'gpack.toml')
    expect(() => dagCbor.encode(manifest)).not.toThrow()
    expect(Object.keys(manifest)).not.toContain('repository')
    expect(Object.getPrototypeOf(manifest.extra.x)).toBe(Object.prototype)
    expect(manifest.extra).toEqual({ x: { when: '07:32:00.000' } })
  })

  it('falls back to the id when there is no display name', () => {
    const { manifest } = parseManifest(
      VALID_GPACK.replace('name = "Rust CLI Subcommand"\n', ''),
      'gpack.toml',
    )
    expect(manifest.name).toBe('io.ggen.rust.cli-subcommand')
  })
})

describe('parseManifest: package.toml', () => {
  it('maps ggen marketplace fields: name is the id, singular and plural forms merge', () => {
    const text = `
[package]
name = "capability-generator"
full_name = "example-capability-generator"
version = "0.3.1"
description = "Compiles a capability ontology"
license = "Apache-2.0"
category = "architecture"
categories = ["ontology"]
tags = ["ontology", "capability"]
keywords = ["architecture", "ontology"]
author = "Example Ecosystem"
dependencies = ["io.ggen.macros.std"]

[install]
type = "template"
`
    const { manifest, problems, warnings } = parseManifest(text, 'package.toml')
    expect(problems).toEqual([])
    expect(warnings).toEqual([])
    expect(manifest).toEqual({
      id: 'capability-generator',
      name: 'capability-generator',
      version: '0.3.1',
      description: 'Compiles a capability ontology',
      license: 'Apache-2.0',
      authors: ['Example Ecosystem'],
      keywords: ['ontology', 'capability', 'architecture'],
      categories: ['architecture', 'ontology'],
      dependencies: { 'io.ggen.macros.std': '*' },
      extra: { package: { full_name: 'example-capability-generator' }, install: { type: 'template' } },
    })
  })

  it('keeps id = range entries and warns about every entry that is not an id with a semver range', () => {
    const text = `
[package]
name = "app"
version = "1.0.0"
description = "An app"
license = "MIT"

[package.dependencies]
"io.ggen.macros.std" = "^0.1"
"io.example.git" = "https://git.example.org/x.git"
"io.example.local" = { path = "../local" }
"Not An Id" = "^1"
`
    const { manifest, problems, warnings } = parseManifest(text, 'package.toml')
    expect(problems).toEqual([])
    expect(manifest.dependencies).toEqual({ 'io.ggen.macros.std': '^0.1' })
    expect(warnings).toHaveLength(3)
    expect(warnings[0]).toMatch(
      /^package\.toml: package\.dependencies\."io\.example\.git": "https:\/\/git\.example\.org\/x\.git" is not a semver range; it is not a marketplace dependency/,
    )
    expect(warnings[1]).toMatch(
      /^package\.toml: package\.dependencies\."io\.example\.local": a table is not a semver range/,
    )
    expect(warnings[2]).toMatch(
      /"Not An Id" is not a package id; it is not a marketplace dependency and is left out/,
    )
  })

  it('reads a realistic package.toml from disk, with its other tables and dates in extra', async () => {
    const read = await readManifest(fixture('package-toml'))
    expect(read.source).toBe('package.toml')
    expect(read.file).toBe(path.join(fixture('package-toml'), 'package.toml'))
    expect(read.problems).toEqual([])
    expect(read.warnings).toEqual([
      'package.toml: package.dependencies.1: "https://git.example.org/extra.git" is not a package id; it is not a marketplace dependency and is left out',
    ])
    expect(read.manifest.id).toBe('capability-generator')
    expect(read.manifest.dependencies).toEqual({ 'io.ggen.macros.std': '*' })
    expect(read.manifest.extra.package).toEqual({
      full_name: 'example-ecosystem-capability-generator',
      features: ['SHACL admission contract', 'deterministic Markdown projections'],
    })
    expect(read.manifest.extra.marketplace).toEqual({ production_ready: false, updated: '2025-03-14' })
    expect(Object.keys(read.manifest.extra)).toEqual([
      'install',
      'files',
      'variables',
      'marketplace',
      'package',
    ])
  })

  it('names package.toml fields in problems: a bad id is reported on package.name', () => {
    const { problems } = parseManifest(
      '[package]\nname = "My Pack"\nversion = "1.0.0"\ndescription = "d"\nlicense = "MIT"\n',
      'package.toml',
    )
    expect(problems).toEqual([
      {
        file: 'package.toml',
        field: 'package.name',
        reason:
          'name "My Pack" is not a valid package id; use 1 to 128 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit, such as "my-pack"',
      },
    ])
  })
})

describe('validation guards', () => {
  it('reports every failing metadata and license rule at once', () => {
    const { problems } = parseManifest('[gpack]\nname = "Nameless"\nversion = "1.0"\n', 'gpack.toml')
    expect(problems).toEqual([
      {
        file: 'gpack.toml',
        field: 'gpack.id',
        reason: 'id is missing; add id = "io.example.my-pack" to [gpack]',
      },
      {
        file: 'gpack.toml',
        field: 'gpack.version',
        reason: 'version "1.0" is not semver 2.0; use MAJOR.MINOR.PATCH such as "1.0.0"',
      },
      {
        file: 'gpack.toml',
        field: 'gpack.description',
        reason:
          'description is missing or empty; add description = "<one sentence on what the package generates>" to [gpack]',
      },
      {
        file: 'gpack.toml',
        field: 'gpack.license',
        reason: 'license is missing; add an SPDX license expression such as license = "MIT"',
      },
    ])
  })

  it('reports an invalid id, version, license and an empty description together', () => {
    const text = '[gpack]\nid = "Io.Example/Pack"\nversion = "v1.2.3"\ndescription = "  "\nlicense = "mit"\n'
    const { problems } = parseManifest(text, 'gpack.toml')
    expect(problems.map((p) => p.field)).toEqual([
      'gpack.id',
      'gpack.version',
      'gpack.description',
      'gpack.license',
    ])
    expect(problems[0]!.reason).toContain('such as "io.example-pack"')
    expect(problems[1]!.reason).toBe(
      'version "v1.2.3" is not semver 2.0; use MAJOR.MINOR.PATCH such as "1.2.3"',
    )
    expect(problems[3]!.reason).toMatch(/^license "mit" is not a valid SPDX expression; did you mean "MIT"\?/)
  })

  it('accepts semver 2.0 pre-release and build metadata, and compound SPDX expressions', () => {
    const text = VALID_GPACK.replace('"0.1.0"', '"1.0.0-rc.1+build.5"').replace(
      '"MIT"',
      '"(MIT OR Apache-2.0)"',
    )
    expect(parseManifest(text, 'gpack.toml').problems).toEqual([])
  })

  it('reports wrong types once, on the field as written', () => {
    const text = `${VALID_GPACK.replace('keywords = ["rust", "cli"]', 'keywords = "rust"').replace('version = "0.1.0"', 'version = 1')}`
    const { problems } = parseManifest(text, 'gpack.toml')
    expect(problems).toEqual([
      {
        file: 'gpack.toml',
        field: 'gpack.version',
        reason: 'version must be a string, such as version = "0.1.0"',
      },
      {
        file: 'gpack.toml',
        field: 'gpack.keywords',
        reason: 'keywords must be a list of strings, such as keywords = ["..."]',
      },
    ])
  })

  it('reports a bad dependency range and an invalid dependency id', () => {
    const text = `${VALID_GPACK.replace('"io.ggen.macros.std" = "^0.1"', '"io.ggen.macros.std" = "latest"\n"Bad_Id" = "^1"')}`
    const { problems } = parseManifest(text, 'gpack.toml')
    expect(problems).toEqual([
      {
        file: 'gpack.toml',
        field: 'dependencies."io.ggen.macros.std"',
        reason:
          'the range "latest" of "io.ggen.macros.std" is not a semver range; use one such as "^0.1", ">=1.2.0 <2" or "*"',
      },
      {
        file: 'gpack.toml',
        field: 'dependencies.Bad_Id',
        reason: '"Bad_Id" is not a valid package id; name the dependency by its id, such as "bad_id"',
      },
    ])
  })

  it('refuses a self-dependency in gpack.toml and in a package.toml list', () => {
    const gpack = `${VALID_GPACK}\n`.replace(
      '[dependencies]\n',
      '[dependencies]\n"io.ggen.rust.cli-subcommand" = "*"\n',
    )
    expect(parseManifest(gpack, 'gpack.toml').problems).toEqual([
      {
        file: 'gpack.toml',
        field: 'dependencies."io.ggen.rust.cli-subcommand"',
        reason: 'the package depends on itself; remove "io.ggen.rust.cli-subcommand" from its dependencies',
      },
    ])
    const pkg =
      '[package]\nname = "app"\nversion = "1.0.0"\ndescription = "d"\nlicense = "MIT"\ndependencies = ["app"]\n'
    expect(parseManifest(pkg, 'package.toml').problems.map((p) => p.field)).toEqual([
      'package.dependencies.0',
    ])
  })

  it('refuses values a release record cannot carry', () => {
    const { problems } = parseManifest(`${VALID_GPACK}\n[shapes]\nlimit = inf\n`, 'gpack.toml')
    expect(problems).toEqual([
      {
        file: 'gpack.toml',
        field: 'shapes.limit',
        reason: 'Infinity cannot be stored in a release record; write it as a string',
      },
    ])
  })

  it('validates a Manifest from elsewhere (a record) with model field names', () => {
    const { manifest } = parseManifest(VALID_GPACK, 'gpack.toml')
    const bad: Manifest = { ...manifest, version: '01.0.0', dependencies: { 'io.x': '' } }
    expect(validateManifest(bad).map((p) => `${p.field}: ${p.reason}`)).toEqual([
      'version: version "01.0.0" is not semver 2.0; use MAJOR.MINOR.PATCH such as "0.1.0"',
      'dependencies."io.x": the range "" of "io.x" is not a semver range; use one such as "^0.1", ">=1.2.0 <2" or "*"',
    ])
  })

  it('throws TomlSyntaxError with the line and column of invalid TOML', () => {
    const text = '[gpack]\nid = "io.example.x"\nversion = \n'
    let caught: unknown
    try {
      parseManifest(text, 'gpack.toml')
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(TomlSyntaxError)
    const err = caught as TomlSyntaxError
    expect(err.code).toBe('ERR_TOML_SYNTAX')
    expect(err.details).toEqual({ file: 'gpack.toml', line: 3, column: 11 })
    expect(err.message).toBe('gpack.toml:3:11: invalid TOML: invalid value')
  })
})

describe('readManifest', () => {
  let tmp: string | undefined
  afterEach(async () => {
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true })
    tmp = undefined
  })

  it('reads gpack.toml when both gpack.toml and package.toml exist', async () => {
    const read = await readManifest(fixture('both-files'))
    expect(read.source).toBe('gpack.toml')
    expect(read.manifest.id).toBe('io.example.both')
    expect(read.warnings).toEqual([])
  })

  it('warns, without failing, when there is no README', async () => {
    const read = await readManifest(fixture('no-readme'))
    expect(read.problems).toEqual([])
    expect(read.warnings).toEqual([
      'README: no README file at the package root; add a README.md that says what the package generates and how to use it',
    ])
  })

  it('fails with one problem naming both files when there is no manifest', async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ggen-manifest-'))
    const err = await readManifest(tmp).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ValidationError)
    const problems = (err as ValidationError).problems
    expect(problems).toHaveLength(1)
    expect(problems[0]!.reason).toMatch(
      /^neither gpack\.toml nor package\.toml exists in .*; add a gpack\.toml/,
    )
  })

  it('reads the three examples without problems and finds their dependency chain', async () => {
    const read = async (name: string) => readManifest(path.join(root, 'examples', name))
    const [std, sub, app] = await Promise.all([
      read('macros-std'),
      read('rust-cli-subcommand'),
      read('rust-cli-app'),
    ])
    for (const r of [std, sub, app]) {
      expect(r.problems).toEqual([])
      expect(r.warnings).toEqual([])
      expect(r.manifest.extra.templates).toBeDefined()
    }
    expect([std.manifest.id, std.manifest.version, std.manifest.dependencies]).toEqual([
      'io.ggen.macros.std',
      '0.1.0',
      {},
    ])
    expect([sub.manifest.id, sub.manifest.version, sub.manifest.dependencies]).toEqual([
      'io.ggen.rust.cli-subcommand',
      '0.1.0',
      { 'io.ggen.macros.std': '^0.1' },
    ])
    expect([app.manifest.id, app.manifest.version, app.manifest.dependencies]).toEqual([
      'io.ggen.rust.cli-app',
      '0.2.0',
      { 'io.ggen.rust.cli-subcommand': '^0.1', 'io.ggen.macros.std': '^0.1' },
    ])
  })
})

describe('round trip (property)', () => {
  const id = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,30}$/)
  const text = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== '')
  const key = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== '__proto__')
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.string({ maxLength: 20 }),
      fc.boolean(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(key, tie('value'), { maxKeys: 3 }),
    ),
  }))
  const manifest: fc.Arbitrary<Manifest> = fc.record({
    id,
    name: text,
    version: fc
      .tuple(fc.nat(99), fc.nat(99), fc.nat(99), fc.constantFrom('', '-rc.1', '+build.7'))
      .map(([a, b, c, tail]) => `${a}.${b}.${c}${tail}`),
    description: text,
    license: fc.constantFrom('MIT', 'Apache-2.0', 'MIT OR Apache-2.0', 'GPL-3.0-only', 'LicenseRef-Acme'),
    authors: fc.array(text, { maxLength: 3 }),
    keywords: fc.array(text, { maxLength: 3 }),
    categories: fc.array(text, { maxLength: 3 }),
    dependencies: fc.dictionary(id, fc.constantFrom('^0.1', '*', '>=1.2.0 <2', '~1.4.2', '1.x'), {
      maxKeys: 3,
    }),
    extra: fc.dictionary(
      key.filter((k) => k !== 'gpack' && k !== 'dependencies'),
      fc.dictionary(key, value, { maxKeys: 3 }),
      { maxKeys: 3 },
    ),
  })

  it('any manifest built from valid parts, written as gpack.toml, parses back equal and valid', () => {
    fc.assert(
      fc.property(manifest, (m) => {
        const dependencies = Object.fromEntries(
          Object.entries(m.dependencies).filter(([dep]) => dep !== m.id),
        )
        const { id: _id, dependencies: _deps, extra, ...rest } = m
        const doc = { gpack: { id: m.id, ...rest }, dependencies, ...extra }
        const parsed = parseManifest(stringify(doc), 'gpack.toml')
        expect(parsed.problems).toEqual([])
        expect(parsed.manifest).toEqual({ ...m, dependencies })
      }),
      { numRuns: 200 },
    )
  })
})
