/**
 * A withholder publishes a package it holds and never serves; an honest node holds the same
 * content from a bundle. A third node, connected to both, installs it: the blocks come from
 * the honest holder, the withholder got the wants and sent nothing, and the files equal the
 * originals.
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { fileDigests, installWithheld, publishWithheld } from '../../sim/adversary.js'
import { Cluster, type SimNode } from '../../sim/cluster.js'
import { Prng } from '../../sim/prng.js'
import { randomRegular } from '../../sim/topology.js'

let cluster: Cluster | undefined

afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

describe('withholder', () => {
  it('an install of a withheld package falls back to the honest holder, files equal', async () => {
    // n7 withholds, n1 holds the content, n5 installs; only they run content.
    cluster = await Cluster.start(8, { seed: 31, content: (i) => [1, 5, 7].includes(i) })
    await cluster.connect(randomRegular(8, 4, new Prng(31)), 60_000)
    await cluster.waitForMesh(60_000)
    const [holder, installer, withholder] = [1, 5, 7].map((i) => cluster?.nodes[i] as SimNode) as [
      SimNode,
      SimNode,
      SimNode,
    ]
    const pkg = await publishWithheld(withholder, holder, 'io.ggen.sim-withheld', new Prng(31), cluster.root)
    await cluster.waitForRecords([pkg.record], 60_000)

    const install = await installWithheld(installer, withholder, holder, pkg, join(cluster.root, 'install'))

    expect(install).toMatchObject({ succeeded: true, error: null, filesEqual: true, blocksFromWithholder: 0 })
    // the withholder was asked and stayed silent; every block came from the holder
    expect(install.wantsDroppedByWithholder).toBeGreaterThan(0)
    expect(install.blocksFromHolder).toBeGreaterThan(1)
    expect(install.blocksFromOthers).toBe(0)
    expect(install.ms).toBeLessThan(30_000)
    const installed = await installer.node.install({ specs: [pkg.id], dir: join(cluster.root, 'again') })
    expect(await fileDigests(installed.installed[0]?.path as string)).toEqual(await fileDigests(pkg.dir))
  }, 120_000)
})
