/**
 * Who owns a release, whether it is yanked, whether it is conflicted: pure functions over
 * the rows of one package id, shared by `versions(id)` and `latestPerPackage()`.
 */

/** A release row as stored; the manifest stays JSON text until someone needs it. */
export interface ReleaseRow {
  id: string
  version: string
  publisher: string
  cid: string
  record: string
  published: number
  size: number
  manifest: string
  conflicted: number
}

/** A yank row of one id. */
export interface YankRow {
  version: string
  publisher: string
  reason: string
  time: number
  record: string
}

/** A rotation of one id: `from` (the signer) hands the id to `to`. */
export interface RotationEdge {
  from: string
  to: string
  /** The position of the rotation in the signer's log. */
  seq: number
  time: number
  record: string
}

/** A release row with the state the read model derives for it. */
export interface AnnotatedRelease {
  row: ReleaseRow
  owner: string
  yanked: boolean
  yankReason?: string
  conflicted: boolean
}

/** Total order on rotations by one signer: later in its log wins; ties (a fork) by time, then id. */
function laterInLog(a: RotationEdge, b: RotationEdge): boolean {
  if (a.seq !== b.seq) return a.seq > b.seq
  if (a.time !== b.time) return a.time > b.time
  return a.record > b.record
}

/** Total order on rotations by different signers, which share no log: by claimed time, then id. */
function laterInTime(a: RotationEdge, b: RotationEdge): boolean {
  if (a.time !== b.time) return a.time > b.time
  return a.record > b.record
}

/**
 * Returns `owner(key)`: follows the rotations of one id from `key` to the last key in the
 * chain. A key that signed several rotations of the id is followed along its latest one.
 * When the chain loops (A hands to B, B hands back to A), the owner is the target of the
 * most recent rotation in the loop, so every key on the loop gets the same owner.
 */
export function ownerResolver(edges: readonly RotationEdge[]): (key: string) => string {
  if (edges.length === 0) return (key) => key
  const next = new Map<string, RotationEdge>()
  for (const edge of edges) {
    const current = next.get(edge.from)
    if (current === undefined || laterInLog(edge, current)) next.set(edge.from, edge)
  }
  const memo = new Map<string, string>()
  return (key) => {
    const path: string[] = []
    const onPath = new Map<string, number>()
    let cursor = key
    let owner: string
    for (;;) {
      const known = memo.get(cursor)
      if (known !== undefined) {
        owner = known
        break
      }
      const edge = next.get(cursor)
      if (edge === undefined) {
        owner = cursor
        break
      }
      onPath.set(cursor, path.length)
      path.push(cursor)
      const loopStart = onPath.get(edge.to)
      if (loopStart !== undefined) {
        let latest = next.get(path[loopStart]!)!
        for (const k of path.slice(loopStart + 1)) {
          const candidate = next.get(k)!
          if (laterInTime(candidate, latest)) latest = candidate
        }
        owner = latest.to
        break
      }
      cursor = edge.to
    }
    for (const k of path) memo.set(k, owner)
    return owner
  }
}

/**
 * Derives owner, yank and conflict state for every release of one id.
 *
 * - A yank of (id, version) applies to that version's releases signed by the yank's signer,
 *   and to those the signer owns through rotations; not to other claimants' releases.
 * - A release is conflicted when its publisher signed another CID for the same version (the
 *   stored flag), or when its owner did under another key it rotated from: SPEC 4 forbids
 *   one owner from replacing an (id, version).
 */
export function annotate(
  rows: readonly ReleaseRow[],
  yanks: readonly YankRow[],
  edges: readonly RotationEdge[],
): AnnotatedRelease[] {
  const only = rows[0]
  if (rows.length === 1 && only !== undefined && yanks.length === 0 && edges.length === 0) {
    return [{ row: only, owner: only.publisher, yanked: false, conflicted: only.conflicted === 1 }]
  }
  const ownerOf = ownerResolver(edges)
  const cidsByOwnerVersion = new Map<string, Set<string>>()
  const owners = rows.map((row) => {
    const owner = ownerOf(row.publisher)
    const key = `${owner}\n${row.version}`
    const cids = cidsByOwnerVersion.get(key) ?? new Set<string>()
    cids.add(row.cid)
    cidsByOwnerVersion.set(key, cids)
    return owner
  })
  return rows.map((row, i) => {
    const owner = owners[i]!
    let yank: YankRow | undefined
    for (const y of yanks) {
      if (y.version !== row.version || (y.publisher !== row.publisher && y.publisher !== owner)) continue
      if (yank === undefined || y.time > yank.time || (y.time === yank.time && y.record > yank.record))
        yank = y
    }
    const conflicted = row.conflicted === 1 || cidsByOwnerVersion.get(`${owner}\n${row.version}`)!.size > 1
    const entry: AnnotatedRelease = { row, owner, yanked: yank !== undefined, conflicted }
    if (yank !== undefined) entry.yankReason = yank.reason
    return entry
  })
}
