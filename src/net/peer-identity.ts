/**
 * The node's libp2p identity: an Ed25519 key kept in the home, separate from the
 * publisher key (SPEC 4), so that a node keeps its PeerId across restarts while a
 * publisher can move its signing key between machines.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { KeyError } from '../domain/errors.js'
import { readSecretFile, writeSecretFile } from '../domain/secret-file.js'

/** Loads the peer key, creating it on first use; never overwrites an existing one. */
export async function loadOrCreatePeerKey(file: string): Promise<PrivateKey> {
  try {
    return await readPeerKey(file)
  } catch (err) {
    if (!(err instanceof KeyError) || err.code !== 'ERR_KEY_MISSING') throw err
  }
  const key = await generateKeyPair('Ed25519')
  await writeSecretFile(file, privateKeyToProtobuf(key))
  return key
}

/** Reads the peer key file (protobuf-encoded libp2p private key, mode 0600). */
export async function readPeerKey(file: string): Promise<PrivateKey> {
  const bytes = await readSecretFile(file, 'peer key')
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new KeyError(
      'ERR_KEY_INVALID',
      `${file} is not a libp2p private key (${(err as Error).message}); move it away and run \`ggen-market init\` to make a new peer identity`,
      { file },
    )
  }
}

/** The PeerId string of a key. */
export function peerIdOf(key: PrivateKey): string {
  return peerIdFromPrivateKey(key).toString()
}
