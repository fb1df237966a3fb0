/**
 * How the CLI talks to its user: one JSON document on stdout with `--json`, readable text
 * otherwise; warnings and errors on stderr; colour only on a TTY and never with NO_COLOR;
 * exit codes of SPEC 6.
 */

/** SPEC 6 exit codes, and a shell's 130 for a command the user interrupted. */
export const EXIT = { ok: 0, failed: 1, usage: 2, noDaemon: 3, interrupted: 130 } as const

/** Where a command writes. */
export interface Output {
  json: boolean
  /** The result: JSON with --json, else the human rendering. */
  result(value: unknown, human: () => string): void
  /** One item of a stream: a compact JSON line with --json, else the human line. */
  line(value: unknown, human: () => string): void
  /** A warning on stderr (never on stdout, so --json stays parseable). */
  warn(message: string): void
  /** A progress or status line on stderr, human mode only. */
  info(message: string): void
}

const useColour = (stream: NodeJS.WriteStream): boolean =>
  stream.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb'

/** Wraps text in an ANSI style when stderr/stdout is a colour TTY. */
export function style(
  text: string,
  code: 'bold' | 'dim' | 'red' | 'yellow' | 'green',
  stream: NodeJS.WriteStream = process.stdout,
): string {
  if (!useColour(stream)) return text
  const codes = { bold: [1, 22], dim: [2, 22], red: [31, 39], yellow: [33, 39], green: [32, 39] }[code]
  return `\u001b[${codes[0]}m${text}\u001b[${codes[1]}m`
}

/** The standard output for a command run with or without --json. */
export function createOutput(json: boolean): Output {
  return {
    json,
    result(value, human) {
      if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
      else {
        const text = human()
        if (text !== '') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
      }
    },
    line(value, human) {
      process.stdout.write(`${json ? JSON.stringify(value) : human()}\n`)
    },
    warn(message) {
      process.stderr.write(`${style('warning:', 'yellow', process.stderr)} ${message}\n`)
    },
    info(message) {
      if (!json) process.stderr.write(`${message}\n`)
    },
  }
}
