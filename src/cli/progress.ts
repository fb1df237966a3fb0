/**
 * Progress bars for publish, install, export and import on stderr, only when stderr is a
 * terminal and the command is not printing JSON; otherwise a no-op, and cli-progress is
 * never loaded.
 */
import type { ProgressEvent } from '../node/api.js'
import type { Output } from './output.js'

/** What a command hands to a long operation, and stops when it is done. */
export interface Progress {
  /** Pass as the operation's `onProgress`; undefined when no bar is shown. */
  onProgress: ((event: ProgressEvent) => void) | undefined
  /** Removes the bar; safe to call more than once. */
  stop(): void
}

const NONE: Progress = { onProgress: undefined, stop() {} }

const FORMATS = {
  publish: 'packing    [{bar}] {value}/{total} files | {size}',
  install: 'installing [{bar}] {value}/{total} packages | {package} | {blocks} blocks, {size}',
  export: 'exporting  [{bar}] {value}/{total} blocks | {size}',
  import: 'importing  [{bar}] {percentage}% | {blocks} blocks, {size}',
}

/** True when a live bar can be drawn on stderr. */
function canDraw(out: Output): boolean {
  return !out.json && process.stderr.isTTY === true && process.env.TERM !== 'dumb'
}

/** Starts a bar for `kind`; see the module comment. */
export async function startProgress(
  out: Output,
  kind: 'publish' | 'install' | 'export' | 'import',
): Promise<Progress> {
  if (!canDraw(out)) return NONE
  const { SingleBar } = (await import('cli-progress')).default
  const format = FORMATS[kind]
  const bar = new SingleBar({
    format,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
    barsize: 24,
    fps: 10,
  })
  let started = false
  let packedBytes = 0
  let fetching = false
  const start = (total: number, payload: object): void => {
    if (started) return
    started = true
    bar.start(total, 0, payload)
  }
  const onProgress = (event: ProgressEvent): void => {
    switch (event.type) {
      case 'pack:file':
        packedBytes += event.bytes
        start(event.totalFiles, { size: formatBytes(0) })
        bar.update(event.files, { size: formatBytes(packedBytes) })
        return
      case 'install:package':
        start(event.total, { package: '', blocks: 0, size: formatBytes(0) })
        bar.update(event.index, { package: `${event.id}@${event.version}`, blocks: 0, size: formatBytes(0) })
        return
      case 'extract:block':
        start(1, { package: '', blocks: 0, size: formatBytes(0) })
        // Extraction runs while the fetch does, a few blocks behind: one count on the bar,
        // the fetch's until it is done, so that the number does not flicker between two.
        if (fetching) bar.update({ size: formatBytes(event.bytes) })
        else bar.update({ blocks: event.blocks, size: formatBytes(event.bytes) })
        return
      case 'extract:file':
        return
      case 'fetch:block':
        fetching = true
        start(1, { package: '', blocks: 0, size: formatBytes(0) })
        bar.update({ package: `${event.id} (fetching)`, blocks: event.fetched + event.present })
        return
      case 'fetch:done':
        fetching = false
        return
      case 'bundle:write':
        start(event.totalBlocks, { size: formatBytes(0) })
        bar.setTotal(Math.max(event.totalBlocks, event.blocks))
        bar.update(event.blocks, { size: formatBytes(event.bytes) })
        return
      case 'bundle:read':
        start(Math.max(event.totalBytes, 1), { blocks: 0, size: formatBytes(0) })
        bar.update(event.bytes, { blocks: event.blocks, size: formatBytes(event.bytes) })
        return
      case 'bundle:check':
        return
    }
  }
  return {
    onProgress,
    stop() {
      if (!started) return
      started = false
      bar.stop()
    },
  }
}

/** 1536 -> "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} ${units[0]}` : `${value.toFixed(1)} ${units[unit]}`
}
