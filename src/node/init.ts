/**
 * init: create a home with its directories, config, publisher key and peer identity.
 * Safe to run again: it fills in what is missing and never overwrites a key.
 */

import { KeyError } from '../domain/errors.js'
import { generatePublisherKey, readKeyFile, writeKeyFile } from '../domain/keys.js'
import { loadOrCreatePeerKey, peerIdOf } from '../net/peer-identity.js'
import { writeDefaultConfig } from './config.js'
import { createHomeDirs, homeLayout } from './home.js'

/** `init --json`. */
export interface InitResult {
  home: string
  peerId: string
  publisher: string
  /** False when the home already had a publisher key. */
  created: boolean
}

/** Creates (or completes) the home at `root`. */
export async function initHome(root: string): Promise<InitResult> {
  const layout = homeLayout(root)
  await createHomeDirs(layout)
  await writeDefaultConfig(layout.config)
  let created = false
  let publisher: string
  try {
    publisher = (await readKeyFile(layout.publisherKey)).did
  } catch (err) {
    if (!(err instanceof KeyError) || err.code !== 'ERR_KEY_MISSING') throw err
    const key = generatePublisherKey()
    await writeKeyFile(layout.publisherKey, key)
    publisher = key.did
    created = true
  }
  const peerId = peerIdOf(await loadOrCreatePeerKey(layout.peerKey))
  return { home: root, peerId, publisher, created }
}
