/**
 * A withholder publishes a package it holds and never serves; an honest node holds the same
 * content from a bundle. A third node installs it, connected to both, or to the withholder
 * only so that it must find the holder in the DHT: either way the blocks come from the
 * holder, the withholder got the wants and sent nothing, and the files equal the originals.
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type FallbackPath,
  type InstallFigures,
  installWithheld,
  publishWithheld,
} from '../../sim/adversary.js'
import { Cluster, type SimNode } from '../../sim/cluster.js'
import { Prng } from '../../sim/prng.js'
import { line } from '../../sim/topology.js'
import { DEFAULT_NET_LIMITS } from '../../src/net/limits.js'

let cluster: Cluster | undefined

afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

/** Installs the withheld package on n5 (n7 withholds, n1 holds) along a line of 8 nodes. */
async function fallBack(via: FallbackPath, seed: number): Promise<InstallFigures> {
  // Only these three run content. On a line n5 is not linked to n1: the DHT must find it.
  cluster = await Cluster.start(8, { seed, content: (i) => [1, 5, 7].includes(i) })
  await cluster.connect(line(8), 60_000)
  await cluster.waitForMesh(60_000)
  const [holder, installer, withholder] = [1, 5, 7].map((i) => cluster?.nodes[i] as SimNode) as [
    SimNode,
    SimNode,
    SimNode,
  ]
  const pkg = await publishWithheld(withholder, holder, 'io.ggen.sim-withheld', new Prng(seed), cluster.root)
  await cluster.waitForRecords([pkg.record], 60_000)
  return installWithheld(installer, withholder, holder, pkg, join(cluster.root, 'install'), via)
}

describe('withholder', () => {
  for (const [via, seed] of [
    ['connected', 31],
    ['dht', 32],
  ] as const) {
    it(`an install of a withheld package falls back to the honest holder (${via}), files equal`, async () => {
      const install = await fallBack(via, seed)
      expect(install).toMatchObject({
        succeeded: true,
        error: null,
        filesEqual: true,
        blocksFromWithholder: 0,
      })
      // the withholder was asked and stayed silent; every block came from the holder
      expect(install.wantsDroppedByWithholder).toBeGreaterThan(0)
      expect(install.blocksFromHolder).toBeGreaterThan(1)
      expect(install.blocksFromOthers).toBe(0)
      expect(install.holderDialledDuringInstall).toBe(via === 'dht')
      expect(install.ms).toBeLessThan(DEFAULT_NET_LIMITS.fetch_timeout_ms)
    }, 120_000)
  }
})
