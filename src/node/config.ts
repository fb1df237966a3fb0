/**
 * The node's configuration file (`HOME/config.toml`): read, validated, defaulted. Later
 * layers (environment variables, daemon flags) override what is read here.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { parse, TomlError } from 'smol-toml'
import { z } from 'zod'
import { GgenError, TomlSyntaxError } from '../domain/errors.js'
import { DEFAULT_NETWORK } from '../domain/types.js'

/** Default cap on a package's total file size (64 MiB). */
export const DEFAULT_MAX_PACKAGE_BYTES = 64 * 1024 * 1024

const configSchema = z
  .object({
    /** The network name: records of other networks are refused. @default "ggen" */
    network: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1-64 of a-z, 0-9, ".", "_", "-"')
      .default(DEFAULT_NETWORK),
    /** Largest package (sum of file sizes) that publish accepts. @default 64 MiB */
    max_package_bytes: z.number().int().positive().default(DEFAULT_MAX_PACKAGE_BYTES),
  })
  .loose()

/** The effective configuration of a node. */
export type NodeConfig = z.infer<typeof configSchema>

/** The text `init` writes: every setting, commented with its default. */
export function defaultConfigText(network = DEFAULT_NETWORK): string {
  return [
    '# ggen-market node configuration. Environment variables and daemon flags override it.',
    '',
    '# Network name: nodes only exchange records within one network.',
    `network = "${network}"`,
    '',
    '# Largest package (total bytes of its files) that publish accepts.',
    `max_package_bytes = ${DEFAULT_MAX_PACKAGE_BYTES}`,
    '',
  ].join('\n')
}

/** Writes the default config unless one exists (init never overwrites). */
export async function writeDefaultConfig(file: string, network?: string): Promise<void> {
  try {
    await writeFile(file, defaultConfigText(network), { flag: 'wx', mode: 0o644 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
}

/** Reads and validates the config file; a missing file means all defaults. */
export async function readConfig(file: string): Promise<NodeConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return configSchema.parse({})
    throw err
  }
  let raw: unknown
  try {
    raw = parse(text)
  } catch (err) {
    if (err instanceof TomlError)
      throw new TomlSyntaxError(file, err.line, err.column, err.message.split('\n')[0] ?? '')
    throw err
  }
  const result = configSchema.safeParse(raw)
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    throw new GgenError(
      'ERR_CONFIG_INVALID',
      `${file} is not valid:\n  ${problems.join('\n  ')}\nfix the file or delete it to use the defaults`,
      {
        file,
        problems,
      },
    )
  }
  return result.data
}
