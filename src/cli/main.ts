#!/usr/bin/env node
/**
 * The `ggen-market` binary. Turns on Node's on-disk compile cache before anything else
 * is loaded (it roughly halves the start-up cost of the CLI's modules, which every command
 * pays), then hands over to entry.ts.
 */
import { enableCompileCache } from 'node:module'

enableCompileCache?.()
await import('./entry.js')
