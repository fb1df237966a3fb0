/**
 * The head of a bundle: the CAR header, the root and the index blocks, which must open
 * the file in the order the root links them. Anything wrong here is a BundleError raised
 * before the importer stores anything.
 */
import type { CID } from 'multiformats/cid'
import { CarReadError, type CarSection, CarStreamReader } from './car-read.js'
import { BundleError } from './errors.js'
import {
  type BundlePackage,
  type BundleRoot,
  blockProblem,
  decodePackageList,
  decodeRecordList,
  decodeRoot,
} from './format.js'

/** What a bundle says it holds: its root and index, read without the blocks that follow. */
export interface BundleIndex {
  root: BundleRoot
  records: Map<string, CID>
  packages: BundlePackage[]
}

/** Reads only the root and index blocks of the bundle `source` (which opens `file`). */
export async function readBundleIndex(file: string, source: AsyncIterable<Uint8Array>): Promise<BundleIndex> {
  return readIndex(file, await openBundle(file, source))
}

export async function openBundle(file: string, source: AsyncIterable<Uint8Array>): Promise<CarStreamReader> {
  try {
    return await CarStreamReader.open(source)
  } catch (err) {
    throw new BundleError('ERR_BUNDLE_NOT_CAR', file, `not a bundle: ${(err as Error).message}`)
  }
}

/** Reads the root and index blocks that follow the header `reader` has read. */
export async function readIndex(file: string, reader: CarStreamReader): Promise<BundleIndex> {
  if (reader.roots.length !== 1) {
    throw new BundleError(
      'ERR_BUNDLE_ROOT',
      file,
      `its CAR header names ${reader.roots.length} roots; a bundle names exactly one, its manifest; nothing was imported`,
    )
  }
  const root = await readIndexBlock(file, reader, reader.roots[0]!, 'root', decodeRoot)
  const records = new Map<string, CID>()
  for (const cid of root.recordLists) {
    for (const record of await readIndexBlock(file, reader, cid, 'record list', decodeRecordList)) {
      records.set(record.toString(), record)
    }
  }
  const packages: BundlePackage[] = []
  for (const cid of root.packageLists) {
    packages.push(...(await readIndexBlock(file, reader, cid, 'package list', decodePackageList)))
  }
  if (records.size !== root.records || packages.length !== root.packages) {
    throw new BundleError(
      'ERR_BUNDLE_ROOT',
      file,
      `its root counts ${root.records} records and ${root.packages} packages, its index lists ${records.size} distinct records and ${packages.length} packages; nothing was imported`,
    )
  }
  return { root, records, packages }
}

async function readIndexBlock<T>(
  file: string,
  reader: CarStreamReader,
  expected: CID,
  what: string,
  decode: (bytes: Uint8Array) => T,
): Promise<T> {
  const fail = (code: string, reason: string): BundleError =>
    new BundleError(code, file, `${reason}; nothing was imported`, { block: expected.toString() })
  let section: CarSection | undefined
  try {
    section = await reader.next()
  } catch (err) {
    if (!(err instanceof CarReadError)) throw err
    const code = err.kind === 'truncated' ? 'ERR_BUNDLE_TRUNCATED' : 'ERR_BUNDLE_ROOT'
    throw fail(code, `cannot read its ${what}: ${err.message}`)
  }
  if (section === undefined)
    throw fail('ERR_BUNDLE_TRUNCATED', `the file ends before its ${what} ${expected}`)
  if (!section.cid.equals(expected)) {
    throw fail('ERR_BUNDLE_ROOT', `its ${what} should be block ${expected} here, found ${section.cid}`)
  }
  const bad = blockProblem(section.cid, section.bytes)
  if (bad !== undefined) throw fail('ERR_BUNDLE_ROOT', `its ${what} ${expected} ${bad}`)
  try {
    return decode(section.bytes)
  } catch (err) {
    throw fail(
      'ERR_BUNDLE_ROOT',
      `its ${what} is not a ggen-market bundle ${what}: ${(err as Error).message}`,
    )
  }
}
