/**
 * Parses argv, runs the command, exits with its code; `main.ts` loads this module.
 */
import { CommanderError } from 'commander'
import { EXIT } from './output.js'
import { buildProgram } from './program.js'

const program = buildProgram()
try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (!(err instanceof CommanderError)) throw err
  // commander has already printed the message and the usage
  const done =
    err.code === 'commander.helpDisplayed' ||
    err.code === 'commander.version' ||
    err.code === 'commander.help'
  process.exitCode = done ? EXIT.ok : EXIT.usage
}
