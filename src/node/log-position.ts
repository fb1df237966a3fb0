/**
 * Where the next record of a local publisher goes in its hash-linked log (SPEC 4).
 */
import { CID } from 'multiformats/cid'
import type { Store } from '../store/index.js'

/** `seq` and `prev` for the next record signed by `publisher` on this node. */
export function nextLogPosition(store: Store, publisher: string): { seq: number; prev?: CID } {
  const head = store.publisherHead(publisher)
  if (head === undefined) return { seq: 1 }
  return { seq: head.seq + 1, prev: CID.parse(head.cid) }
}
