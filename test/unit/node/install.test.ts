/**
 * install with a content fetcher (a network): the package is extracted while the fetch
 * runs, and whichever fails first fails the install without touching the project. The
 * fetcher here is the real `fetchContent` over the node's own content store (every block is
 * stored already), so no network is involved.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CID } from 'multiformats/cid'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { GgenError } from '../../../src/domain/errors.js'
import { fetchContent } from '../../../src/net/fetch-content.js'
import { initHome } from '../../../src/node/init.js'
import type { ContentFetcher } from '../../../src/node/install.js'
import { LocalNode } from '../../../src/node/local-node.js'
import { EXAMPLES } from '../../helpers/cli.js'
import { blockFile, readTree } from '../content/helpers.js'

let dir: string
let node: LocalNode
let project: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggen-install-'))
  await initHome(join(dir, 'home'))
  node = await LocalNode.open(join(dir, 'home'), {})
  project = join(dir, 'project')
})
afterEach(async () => {
  await node.close()
  await rm(dir, { recursive: true, force: true })
})

/** A fetcher that walks the package from the node's own store, as the network's would. */
const localFetch: ContentFetcher = async (target, options) => {
  const content = await node.content()
  return fetchContent(
    { blockstore: content.blockstore, getCodec: content.helia.getCodec, peers: () => [], timeoutMs: 10_000 },
    target,
    options,
  )
}

/** What the project holds: nothing at all after a failed first install. */
const projectEntries = () => readdir(project).catch(() => [] as string[])

describe('install with a content fetcher', () => {
  it('extracts the package from the blocks the fetch hands over, byte for byte, and reports both', async () => {
    const published = await node.publish(join(EXAMPLES, 'macros-std'))
    node.setContentFetcher(localFetch)
    const types = new Set<string>()

    const result = await node.install(
      { specs: [published.id], dir: project },
      { onProgress: (e) => types.add(e.type) },
    )

    expect(await readTree(result.installed[0]!.path)).toEqual(await readTree(join(EXAMPLES, 'macros-std')))
    expect(types).toEqual(
      new Set(['install:package', 'fetch:block', 'fetch:done', 'extract:block', 'extract:file']),
    )
    expect(await readFile(join(project, 'ggen.lock'), 'utf8')).toContain(published.cid)
  })

  it('still installs with a fetcher that hands over no blocks: the extraction reads the store once it ends', async () => {
    const published = await node.publish(join(EXAMPLES, 'macros-std'))
    node.setContentFetcher(async (target) => {
      await new Promise((resolve) => setTimeout(resolve, 50))
      return target
    })

    const result = await node.install({ specs: [published.id], dir: project })

    expect(await readTree(result.installed[0]!.path)).toEqual(await readTree(join(EXAMPLES, 'macros-std')))
  })

  it('fails with the fetch error, installing nothing, when the fetch fails after the files were extracted', async () => {
    const published = await node.publish(join(EXAMPLES, 'macros-std'))
    const unavailable = new GgenError(
      'ERR_CONTENT_UNAVAILABLE',
      'could not fetch it; asked 1 peer(s): 12D3KooWPeer',
    )
    node.setContentFetcher(async (target, options) => {
      await localFetch(target, options)
      throw unavailable
    })

    await expect(node.install({ specs: [published.id], dir: project })).rejects.toBe(unavailable)
    expect(await projectEntries()).toEqual(['.ggen'])
    expect(await readdir(join(project, '.ggen'))).toEqual([])
  })

  it('stops the fetch and fails with the extraction error when a block is damaged, keeping the previous install', async () => {
    const published = await node.publish(join(EXAMPLES, 'macros-std'))
    await node.install({ specs: [published.id], dir: project })
    const before = await readTree(join(project, '.ggen', 'packages', published.id))
    const lock = await readFile(join(project, 'ggen.lock'), 'utf8')
    // Damage the root block: every extraction needs it.
    await writeFile(blockFile(join(dir, 'home', 'content'), CID.parse(published.cid)), 'damaged')
    let fetchStopped: unknown
    node.setContentFetcher(async (target, options) => {
      await localFetch(target, options).catch(() => {})
      // A fetch still running (more peers to ask) until install stops it.
      await new Promise((_, reject) =>
        options.signal?.addEventListener('abort', () => {
          fetchStopped = options.signal?.reason
          reject(options.signal?.reason)
        }),
      )
    })

    const failure = await node.install({ specs: [published.id], dir: project }).then(
      () => undefined,
      (err: unknown) => err,
    )

    expect(failure).toMatchObject({ code: 'ERR_BLOCK_CORRUPT' })
    expect(fetchStopped).toBe(failure)
    expect(await readTree(join(project, '.ggen', 'packages', published.id))).toEqual(before)
    expect(await readFile(join(project, 'ggen.lock'), 'utf8')).toBe(lock)
  })
})
