/**
 * The server's side of each method: the schema its params must pass and the `NodeHandle`
 * call it makes. Validation lives here, not in protocol.ts, so that the CLI never loads zod.
 */
import { isAbsolute } from 'node:path'
import { z } from 'zod'
import type { NodeHandle, ProgressEvent, WatchEvent } from '../node/api.js'
import type { Method, MethodParams, MethodResults } from './protocol.js'

/** What a running request may use besides its params. */
export interface CallContext {
  /** Aborts when the client cancels or disconnects, the request times out, or the server stops. */
  signal: AbortSignal
  onProgress: (event: ProgressEvent) => void
  onEvent: (event: WatchEvent) => void
}

/** Which timeout limit applies to a method. */
export type TimeoutClass = 'short' | 'long' | 'none'

/** One method as the server runs it. */
export interface MethodSpec<M extends Method> {
  params: z.ZodType<MethodParams[M]>
  timeout: TimeoutClass
  run(handle: NodeHandle, params: MethodParams[M], ctx: CallContext): Promise<MethodResults[M]>
}

const text = (max: number) => z.string().max(max)
const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine(isAbsolute, 'must be an absolute path (the daemon does not share your working directory)')
const none = z.strictObject({}) as unknown as z.ZodType<Record<string, never>>

/** The methods a client may call; `cancel` is handled by the server itself. */
export const METHOD_SPECS: { [M in Exclude<Method, 'cancel'>]: MethodSpec<M> } = {
  status: { params: none, timeout: 'short', run: (h) => h.status() },
  publish: {
    params: z.strictObject({ dir: absolutePath }),
    timeout: 'long',
    run: (h, p, ctx) => h.publish(p.dir, { signal: ctx.signal, onProgress: ctx.onProgress }),
  },
  search: {
    params: z.strictObject({
      query: text(4096),
      category: text(256).optional(),
      keyword: text(256).optional(),
      publisher: text(256).optional(),
      limit: z.number().int().min(1).max(1_000_000).optional(),
    }),
    timeout: 'short',
    run: (h, p) => h.search(p),
  },
  info: {
    params: z.strictObject({ spec: text(1024), publisher: text(256).optional() }),
    timeout: 'short',
    run: (h, p) => h.info(p.spec, p.publisher === undefined ? {} : { publisher: p.publisher }),
  },
  install: {
    params: z.strictObject({
      specs: z.array(text(1024)).max(10_000),
      dir: absolutePath,
      publisher: text(256).optional(),
    }),
    timeout: 'long',
    run: (h, p, ctx) => h.install(p, { signal: ctx.signal, onProgress: ctx.onProgress }),
  },
  yank: {
    params: z.strictObject({ spec: text(1024), reason: text(4096) }),
    timeout: 'short',
    run: (h, p) => h.yank(p.spec, p.reason),
  },
  verify: {
    params: z.strictObject({ dir: absolutePath }),
    timeout: 'long',
    run: (h, p) => h.verify(p.dir),
  },
  keys: { params: none, timeout: 'short', run: (h) => h.keys() },
  trustList: { params: none, timeout: 'short', run: (h) => h.trustList() },
  trustAdd: {
    params: z.strictObject({ key: text(256), note: text(1024).optional() }),
    timeout: 'short',
    run: (h, p) => h.trustAdd(p.key, p.note),
  },
  trustRemove: {
    params: z.strictObject({ key: text(256) }),
    timeout: 'short',
    run: (h, p) => h.trustRemove(p.key),
  },
  peers: { params: none, timeout: 'short', run: (h) => h.peers() },
  connect: {
    params: z.strictObject({ multiaddr: text(1024) }),
    timeout: 'short',
    run: (h, p) => h.connect(p.multiaddr),
  },
  exportBundle: {
    params: z.strictObject({
      file: absolutePath,
      ids: z.array(text(256)).max(10_000).optional(),
      since: z.number().int().min(0).max(8.64e15).optional(),
      sinceBundle: absolutePath.optional(),
      recordsOnly: z.boolean().optional(),
    }),
    // A bundle of many gigabytes takes as long as the disk needs; Ctrl-C cancels it.
    timeout: 'none',
    run: (h, p, ctx) => h.exportBundle(p, { signal: ctx.signal, onProgress: ctx.onProgress }),
  },
  importBundle: {
    params: z.strictObject({ file: absolutePath }),
    timeout: 'none',
    run: (h, p, ctx) => h.importBundle(p.file, { signal: ctx.signal, onProgress: ctx.onProgress }),
  },
  watch: {
    params: none,
    timeout: 'none',
    run: async (h, _p, ctx) => {
      await h.watch(ctx.onEvent, { signal: ctx.signal })
      return null
    },
  },
}

/** The schema of `cancel`'s params. */
export const CANCEL_PARAMS = z.strictObject({ request: z.union([z.string().max(256), z.number()]) })

/** "field: reason; field: reason" for an invalid-params error message. */
export function describeIssues(error: z.ZodError): {
  message: string
  issues: { path: string; message: string }[]
} {
  const issues = error.issues.map((i) => ({
    path: i.path.length === 0 ? '(params)' : i.path.map(String).join('.'),
    message: i.message,
  }))
  return { message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues }
}
