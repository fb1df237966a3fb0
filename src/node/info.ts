/**
 * info: everything the node knows about one package id: its versions by every publisher,
 * yanks, conflicts, and the claimants when more than one key has released under it.
 */
import semver from 'semver'
import type { VersionEntry } from '../domain/catalogue.js'
import { NotFoundError } from '../domain/errors.js'
import { keyFingerprint } from '../domain/keys.js'
import type { Store } from '../store/index.js'
import type { Claimant, InfoResult, InfoVersion } from './api.js'
import { parseSpec } from './spec.js'

/** `info ID[@RANGE]`, optionally for one publisher. */
export function packageInfo(store: Store, spec: string, options: { publisher?: string } = {}): InfoResult {
  const { id, range } = parseSpec(spec)
  const all = store.versions(id)
  if (all.length === 0) {
    throw new NotFoundError(
      'ERR_NOT_FOUND',
      `no package ${id} on this node; check the spelling or try \`ggen-market search ${id.split('.').at(-1)}\``,
      { id },
    )
  }
  const entries = all
    .filter(
      (v) =>
        options.publisher === undefined || v.owner === options.publisher || v.publisher === options.publisher,
    )
    .filter((v) => range === undefined || semver.satisfies(v.version, range, { includePrerelease: true }))
    .sort((a, b) => semver.rcompare(a.version, b.version) || a.publisher.localeCompare(b.publisher))
  const installable = entries.filter((v) => !v.yanked && !v.conflicted)
  const head = installable[0] ?? entries[0] ?? all[0]!
  const trusted = new Set(store.trustList().map((t) => t.key))
  const claimants = claimantsOf(all, trusted)

  const warnings: string[] = []
  if (claimants.length > 1) {
    warnings.push(
      `${id} is claimed by ${claimants.length} keys: ${claimants.map((c) => `${c.fingerprint} (${c.versions} versions)`).join(', ')}; install needs --publisher KEY or \`ggen-market trust add KEY\``,
    )
  }
  for (const v of new Set(entries.filter((e) => e.conflicted).map((e) => e.version))) {
    warnings.push(
      `${id}@${v} is conflicted: its publisher signed two different contents for it; install refuses it`,
    )
  }
  const forked = new Set(store.forkedPublishers())
  for (const c of claimants)
    if (forked.has(c.publisher)) warnings.push(`publisher ${c.fingerprint} has a forked log`)

  return {
    id,
    title: head.manifest.name || id,
    description: head.manifest.description,
    latest: installable[0]?.version,
    versions: entries.map(toInfoVersion),
    claimants,
    warnings,
  }
}

function toInfoVersion(v: VersionEntry): InfoVersion {
  return {
    version: v.version,
    cid: v.cid,
    record: v.record,
    publisher: v.publisher,
    published: new Date(v.published).toISOString(),
    size: v.size,
    yanked: v.yanked,
    ...(v.yankReason ? { yankReason: v.yankReason } : {}),
    conflicted: v.conflicted,
    dependencies: v.manifest.dependencies,
  }
}

function claimantsOf(entries: VersionEntry[], trusted: Set<string>): Claimant[] {
  const byOwner = new Map<string, VersionEntry[]>()
  for (const e of entries) byOwner.set(e.owner, [...(byOwner.get(e.owner) ?? []), e])
  return [...byOwner.entries()]
    .map(([owner, list]) => {
      const ok = list.filter((v) => !v.yanked && !v.conflicted).map((v) => v.version)
      return {
        publisher: owner,
        fingerprint: keyFingerprint(owner),
        versions: new Set(list.map((v) => v.version)).size,
        ...(ok.length > 0 ? { latest: semver.rsort(ok)[0] } : {}),
        trusted: trusted.has(owner),
      }
    })
    .sort((a, b) => a.publisher.localeCompare(b.publisher))
}
