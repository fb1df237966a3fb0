/**
 * The `ggen-market` command line: every command of SPEC 6, its flags, and an example in
 * its help. Implementations are imported lazily so that a command loads only what it uses.
 */
import { Command, InvalidArgumentError, Option } from 'commander'
import { type CommandAction, runCommand } from './run.js'

type Loader = () => Promise<{ default: (args: unknown[], opts: Record<string, unknown>) => CommandAction }>

/** Registers an action whose implementation lives in `commands/<file>.ts`. */
function act(load: Loader) {
  return async (...params: unknown[]): Promise<void> => {
    const cmd = params.at(-1) as Command
    const opts = cmd.opts()
    const args = params.slice(0, -2)
    const impl = (await load()).default
    await runCommand(cmd, impl(args, opts))
  }
}

function example(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`)
}

/** Builds the program; `main.ts` parses argv with it. */
export function buildProgram(): Command {
  const program = new Command('ggen-market')
    .description('A decentralised, offline-first marketplace for ggen template packages (gpacks).')
    .version('0.1.0', '-V, --version')
    .addOption(new Option('--home <dir>', 'the node home (default: $GGEN_MARKET_HOME or ~/.ggen-market)'))
    .option('--json', 'print one JSON document on stdout')
    .showHelpAfterError()
    .exitOverride()

  example(
    program
      .command('init')
      .description('create the home, publisher key, peer identity and config; never overwrites a key'),
    'ggen-market init',
    'ggen-market init --home ./team-node --json',
  ).action(act(() => import('./commands/init.js')))

  example(
    program
      .command('daemon')
      .description('run the node in the foreground until SIGINT/SIGTERM; other commands then go through it')
      .addOption(
        new Option('--listen <multiaddr>', 'listen here (repeatable; default /ip4/0.0.0.0/tcp/0)').argParser(
          repeatable,
        ),
      )
      .addOption(
        new Option('--bootstrap <multiaddr>', 'dial this peer at start (repeatable)').argParser(repeatable),
      )
      .option('--no-mdns', 'do not look for peers on the LAN')
      .option('--psk <file>', 'private network: only nodes with this pre-shared key file connect')
      .option('--network <name>', 'the network to join (default ggen)')
      .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)'),
    'ggen-market daemon',
    'ggen-market daemon --listen /ip4/0.0.0.0/tcp/4001 --bootstrap /dns4/seed.example.org/tcp/4001/p2p/12D3KooW...',
    'systemctl --user enable --now ggen-market   # see daemon/ggen-market.service',
  ).action(act(() => import('./commands/daemon.js')))

  example(
    program.command('status').description('what the node holds and is doing'),
    'ggen-market status --json',
  ).action(act(() => import('./commands/status.js')))

  example(
    program
      .command('publish <dir>')
      .description('validate, pack, sign, store and announce a package directory'),
    'ggen-market publish ./my-gpack',
    'GGEN_MARKET_HOME=/ci/home ggen-market publish . --json',
  ).action(act(() => import('./commands/publish.js')))

  example(
    program
      .command('search [query...]')
      .description('ranked full-text search, typo tolerant, prefix match')
      .option('--category <c>', 'only packages in this category')
      .option('--keyword <k>', 'only packages with this keyword')
      .option('--publisher <key>', 'only packages of this publisher (did:key)')
      .addOption(new Option('--limit <n>', 'at most this many results').default('20').argParser(positiveInt)),
    'ggen-market search rust cli',
    'ggen-market search --category rust --json',
  ).action(act(() => import('./commands/search.js')))

  example(
    program
      .command('info <spec>')
      .description('versions, publishers, yanks and conflicts of a package (ID or ID@RANGE)'),
    'ggen-market info io.ggen.rust.cli-subcommand',
    'ggen-market info io.ggen.macros.std@^0.1 --json',
  ).action(act(() => import('./commands/info.js')))

  example(
    program
      .command('install [specs...]')
      .alias('add')
      .description(
        'resolve, fetch, verify and extract packages into DIR/.ggen/packages; no spec: install what ggen.lock pins',
      )
      .option('--dir <dir>', 'the project directory', '.')
      .option('--publisher <key>', 'choose this publisher when several keys claim an id'),
    'ggen-market install io.ggen.rust.cli-app',
    'ggen-market add io.ggen.macros.std@^0.1 --dir ./my-project',
    'ggen-market install            # exactly what ggen.lock pins',
  ).action(act(() => import('./commands/install.js')))

  example(
    program
      .command('yank <spec>')
      .description('withdraw one of your versions from resolution (ID@VERSION), signed')
      .option('--reason <text>', 'why, shown to users', ''),
    'ggen-market yank io.ggen.macros.std@0.1.0 --reason "broken template"',
  ).action(act(() => import('./commands/yank.js')))

  example(
    program
      .command('verify')
      .description('re-hash installed packages against ggen.lock; exit 1 on any mismatch')
      .option('--dir <dir>', 'the project directory', '.'),
    'ggen-market verify --dir ./my-project',
  ).action(act(() => import('./commands/verify.js')))

  example(
    program
      .command('export <file>')
      .description('write an air-gap bundle (a CAR file) of signed records and package content')
      .addOption(
        new Option('--id <id>', 'only this package and its dependencies (repeatable)').argParser(repeatable),
      )
      .option('--since <date>', 'only records published since DATE (ISO date, or an age like 7d)')
      .option('--since-bundle <file>', 'only what this earlier bundle did not hold')
      .option('--records-only', 'metadata only, no package content'),
    'ggen-market export catalogue.car',
    'ggen-market export rust.car --id io.ggen.rust.cli-app',
    'ggen-market export week.car --since-bundle last-week.car',
  ).action(act(() => import('./commands/export.js')))

  example(
    program
      .command('import <file>')
      .description('verify and load a bundle; exit 1 if any record or block was refused or missing'),
    'ggen-market import catalogue.car',
    'ggen-market import catalogue.car --json',
  ).action(act(() => import('./commands/import.js')))

  const keys = program.command('keys').description('the publisher key')
  example(
    keys.command('show', { isDefault: true }).description('show the publisher key (did:key)'),
    'ggen-market keys show',
  ).action(act(() => import('./commands/keys.js')))

  const trust = program.command('trust').description('keys you trust to own the ids they claim')
  example(
    trust.command('list', { isDefault: true }).description('list trusted keys'),
    'ggen-market trust list',
  ).action(act(() => import('./commands/trust.js').then((m) => ({ default: m.list }))))
  example(
    trust
      .command('add <key>')
      .description('trust a publisher key')
      .option('--note <text>', 'a note for yourself'),
    'ggen-market trust add did:key:z6Mk... --note "platform team"',
  ).action(act(() => import('./commands/trust.js').then((m) => ({ default: m.add }))))
  example(
    trust.command('remove <key>').description('stop trusting a key'),
    'ggen-market trust remove did:key:z6Mk...',
  ).action(act(() => import('./commands/trust.js').then((m) => ({ default: m.remove }))))

  example(
    program.command('peers').description('list connected peers (needs the daemon)'),
    'ggen-market peers --json',
  ).action(act(() => import('./commands/peers.js')))
  example(
    program.command('connect <multiaddr>').description('dial a peer (needs the daemon)'),
    'ggen-market connect /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW...',
  ).action(act(() => import('./commands/connect.js')))
  example(
    program
      .command('watch')
      .description('stream new releases and peer changes as they arrive, until Ctrl-C (needs the daemon)'),
    'ggen-market watch',
    'ggen-market watch --json | jq -c \'select(.type == "record")\'',
  ).action(act(() => import('./commands/watch.js')))

  return program
}

/** Collects a repeatable option's values. */
function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

function positiveInt(value: string): string {
  if (!/^[1-9][0-9]{0,5}$/.test(value))
    throw new InvalidArgumentError(`--limit must be a positive integer, got "${value}"`)
  return value
}
