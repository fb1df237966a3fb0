/**
 * Seeded generator of realistic synthetic gpack releases for benchmarks: plausible ids
 * (`io.<org>.<lang>.<topic>-<thing>`), titles, 10–30-word descriptions drawn with a
 * skewed (Zipf-like) frequency from a vocabulary of a few thousand programming and
 * templating words, keywords, categories, authors, dependencies on earlier packages, and
 * a few ids claimed by two owners. No downloads; the same seed gives the same packages.
 */
import type { Manifest } from '../../src/domain/types.js'

/** A deterministic PRNG (mulberry32) returning floats in [0, 1). */
export function createRng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Rng = () => number

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)] as T
}

function intBetween(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1))
}

const words = (s: string): string[] => s.trim().split(/\s+/)

/** Languages: [id part, display name]. */
export const LANGUAGES: readonly (readonly [string, string])[] = [
  ['rust', 'Rust'],
  ['ts', 'TypeScript'],
  ['js', 'JavaScript'],
  ['python', 'Python'],
  ['go', 'Go'],
  ['java', 'Java'],
  ['kotlin', 'Kotlin'],
  ['swift', 'Swift'],
  ['csharp', 'C#'],
  ['cpp', 'C++'],
  ['ruby', 'Ruby'],
  ['php', 'PHP'],
  ['elixir', 'Elixir'],
  ['scala', 'Scala'],
  ['haskell', 'Haskell'],
  ['zig', 'Zig'],
  ['dart', 'Dart'],
  ['lua', 'Lua'],
  ['sql', 'SQL'],
  ['shell', 'Shell'],
]

/** Topics: the first part after the language in an id. */
export const TOPICS = words(`cli web api db auth grpc graphql rdf k8s ci docs test http cache queue
  log metrics config schema orm ui forms mail search storage crypto wasm mobile desktop game ml
  data etl events stream cron jobs admin i18n markdown sparql shacl owl openapi proto lint fmt
  build deploy infra terraform helm docker serverless lambda edge iot embedded`)

/** Things: the last part of an id. */
export const THINGS = words(`subcommand template scaffold starter handler service client server
  schema migration model controller resolver router middleware plugin extension macro derive
  generator builder parser validator formatter linter fixture mock snapshot benchmark pipeline
  workflow worker consumer producer adapter connector driver wrapper binding sdk boilerplate
  skeleton blueprint preset component layout page form table chart dashboard report exporter
  importer loader writer reader mapper serializer codec hook provider store cache index crawler
  scheduler runner checker tracer logger notifier gateway proxy bridge`)

/** Package categories. */
export const CATEGORIES = words(`cli web backend frontend database devops testing docs data
  security ml semantic-web mobile embedded tooling networking`)

const ORGS = words(`ggen acme contoso initech globex umbrella hooli vandelay stark wayne tyrell
  cyberdyne soylent wonka gringotts aperture blackmesa oscorp massive dunder pied monarch
  nakatomi oceanic sirius weyland yoyodyne zorg`)

const SYLLABLES = words(`ka ro mi to zen la vi da so ne ru fa lo ti ma xe qu bo sa ri no el ax
  or un in ve ly`)

/** Common words of the domain; the head of the frequency distribution. */
const BASE_WORDS = words(`template generate generator scaffold project component service
  handler router middleware config configuration schema model entity repository controller query
  mutation resolver migration database cache queue worker pipeline workflow deploy deployment
  container docker kubernetes helm chart terraform module package library crate plugin extension
  macro derive trait interface struct enum class function method endpoint api rest graphql grpc
  protobuf openapi client server auth authentication authorization oauth jwt session cookie token
  user account admin dashboard form validation validator parser lexer compiler formatter linter
  test testing fixture mock snapshot benchmark logging logger metrics tracing telemetry
  monitoring alert error retry timeout rate limit pagination sorting filter search index document
  markdown html css sass tailwind react vue svelte angular nextjs astro express fastify actix axum
  rocket django flask fastapi rails spring ktor gin phoenix rdf sparql ontology shacl turtle owl
  triple graph knowledge semantic linked data cli command subcommand argument flag option prompt
  terminal shell script bash completion async stream channel event message broker kafka nats
  redis postgres mysql sqlite mongodb storage file upload download image pdf csv json yaml toml
  xml serialization codec encoding crypto hash signature key certificate tls http websocket
  webhook cron scheduler job task batch etl analytics report notebook layout page table
  boilerplate starter skeleton preset typed strict minimal production ready fast simple modern
  lightweight secure reusable idiomatic opinionated customizable extensible declarative reactive
  incremental parallel concurrent distributed embedded portable native structured generic
  automatic consistent clean tested documented annotated versioned`)

const PREFIXES = words(`auto micro multi meta sub pre post re co inter hyper super data web
  file code type net dev ops cloud edge live hot mini fast smart open safe`)

const STEMS = words(`config gen loader builder parser mapper runner watcher checker linker
  bundler reader writer sync store cache graph flow schema table router server client hook
  service task render format script view model index shell stream query proxy form lint test
  patch pack`)

const VERBS = words(`Generate Scaffold Create Bootstrap Build Render Produce Emit Derive Set up`)

/**
 * The vocabulary, most frequent first: domain words, their inflections, then compounds
 * such as "codegen" or "dataloader". A few thousand words.
 */
export const VOCABULARY: readonly string[] = (() => {
  const out = new Set<string>(BASE_WORDS)
  for (const w of BASE_WORDS) {
    out.add(w.endsWith('s') ? `${w}es` : `${w}s`)
    if (!/[aeiouy]$/.test(w)) out.add(`${w}ing`)
  }
  for (const p of PREFIXES) for (const s of STEMS) out.add(`${p}${s}`)
  return [...out]
})()

/** A word drawn with a power-law skew: the first words are far more frequent. */
function zipfWord(rng: Rng): string {
  return VOCABULARY[Math.floor(VOCABULARY.length * rng() ** 2.5)] as string
}

function titleCase(w: string): string {
  return w.length <= 3 ? w.toUpperCase() : w[0]?.toUpperCase() + w.slice(1)
}

function orgName(rng: Rng, i: number): string {
  if (i < ORGS.length) return ORGS[i] as string
  const n = intBetween(rng, 2, 3)
  let name = ''
  for (let k = 0; k < n; k++) name += pick(rng, SYLLABLES)
  return `${name}${i % 10}`
}

function ownerKey(rng: Rng): string {
  const b58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
  let s = 'did:key:z6Mk'
  for (let k = 0; k < 44; k++) s += b58[Math.floor(rng() * b58.length)]
  return s
}

function description(rng: Rng, lang: string, topic: string, thing: string): string {
  const target = intBetween(rng, 10, 30)
  const out = words(`${pick(rng, VERBS)} ${zipfWord(rng)} ${thing} for ${lang} ${topic} projects`)
  const connectors = ['with', 'and', 'using', 'for', 'including', 'on top of', 'to']
  while (out.length < target) {
    if (rng() < 0.25) out.push(pick(rng, connectors))
    out.push(zipfWord(rng))
  }
  return `${out.slice(0, target).join(' ')}.`
}

/** One synthetic release; structurally a store `SearchSource`. */
export interface SyntheticRelease {
  id: string
  version: string
  owner: string
  published: number
  manifest: Manifest
}

/** Knobs of the generator. */
export interface SyntheticOptions {
  /** @default 1 */
  seed?: number
  /** Fraction of releases that claim an id already used by another owner. @default 0.01 */
  sharedIdRate?: number
}

/**
 * `count` releases, one per (id, owner): about one org (and owner key) per 25 packages,
 * up to three dependencies on earlier packages, and `sharedIdRate` ids claimed twice.
 */
export function syntheticReleases(count: number, opts: SyntheticOptions = {}): SyntheticRelease[] {
  const rng = createRng(opts.seed ?? 1)
  const sharedIdRate = opts.sharedIdRate ?? 0.01
  const orgCount = Math.max(3, Math.ceil(count / 25))
  const orgs = Array.from({ length: orgCount }, (_, i) => ({ name: orgName(rng, i), owner: ownerKey(rng) }))
  const usedIds = new Set<string>()
  const usedPairs = new Set<string>()
  const parts: [readonly [string, string], string, string][] = []
  const out: SyntheticRelease[] = []
  const start = Date.UTC(2024, 0, 1)
  while (out.length < count) {
    const org = pick(rng, orgs)
    let lang = pick(rng, LANGUAGES)
    let topic = pick(rng, TOPICS)
    let thing = pick(rng, THINGS)
    let id = `io.${org.name}.${lang[0]}.${topic}-${thing}`
    if (out.length > 0 && rng() < sharedIdRate) {
      // Another owner publishes under an id that already exists: two claimants.
      const n = Math.floor(rng() * out.length)
      id = (out[n] as SyntheticRelease).id
      ;[lang, topic, thing] = parts[n] as [readonly [string, string], string, string]
    } else if (usedIds.has(id)) {
      continue
    }
    if (usedPairs.has(`${id}\u0000${org.owner}`)) continue
    usedIds.add(id)
    usedPairs.add(`${id}\u0000${org.owner}`)
    parts.push([lang, topic, thing])
    const version = `${intBetween(rng, 0, 3)}.${intBetween(rng, 0, 12)}.${intBetween(rng, 0, 20)}`
    const dependencies: Record<string, string> = {}
    for (let d = intBetween(rng, 0, 3); d > 0 && out.length > 0; d--) {
      const dep = pick(rng, out)
      if (dep.id !== id) dependencies[dep.id] = `^${dep.version}`
    }
    const keywords = [lang[0], topic, thing]
    for (let k = intBetween(rng, 0, 3); k > 0; k--) keywords.push(zipfWord(rng))
    const categories = [pick(rng, CATEGORIES)]
    if (rng() < 0.3) categories.push(pick(rng, CATEGORIES))
    const author = `${titleCase(pick(rng, SYLLABLES) + pick(rng, SYLLABLES))} ${titleCase(org.name)}`
    const manifest: Manifest = {
      id,
      name: `${lang[1]} ${titleCase(topic)} ${titleCase(thing)}`,
      version,
      description: description(rng, lang[1], topic, thing),
      license: rng() < 0.7 ? 'MIT' : 'Apache-2.0',
      authors: [`${author} <${author.split(' ')[0]?.toLowerCase()}@${org.name}.example>`],
      keywords: [...new Set(keywords)],
      categories: [...new Set(categories)],
      dependencies,
      extra: { templates: { patterns: ['*.tmpl'] } },
    }
    out.push({
      id,
      version,
      owner: org.owner,
      published: start + Math.floor(rng() * 2 * 365 * 86_400_000),
      manifest,
    })
  }
  return out
}
